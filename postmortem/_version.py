"""The version, imported by anything that needs it (no package import cycle)."""

__version__ = "0.1.0"
