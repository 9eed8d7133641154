"""A seeded mutation fuzzer for the sources' readers (issue 16).

Each harness starts from inputs in the real format (the fixtures, or answers as
the services give them) and mutates them: lines deleted, doubled, swapped or
cut short; characters replaced by ones that matter to the parsers (digits,
``:``, brackets, tabs, NUL, a BOM, undecodable bytes); numbers pushed out of
range; JSON values replaced by values of other types, by values nested deeper
than any format nests (``[`` × 100,000, issue 22), or keys removed; runs of
brackets put anywhere in text. Every
mutation is drawn from one ``random.Random(seed)``, so a failure is repeatable
from its seed and index. The only outcomes allowed are events, an accounted
drop or skip, or the project's own error naming file and line or URL.
"""

from __future__ import annotations

import copy
import json
import random
from dataclasses import dataclass, field

from postmortem.core.errors import PostmortemError

TRICKY_CHARACTERS = ["0", "9", ":", "[", "]", "<", ">", "\t", " ", "\x00", "\ufeff", "\u2028", "\r", "é",
                     "{", "}", "|", "=", "*", "#", "-", "\n", "'", '"', "\\", "\U0001f600"]
TRICKY_LINES = ["", "[99:99:99] <x> y", "[25:61:61] * x", "--- Day changed Fri Feb 30 2023", "== 2023-02-30 ==",
                "== September 31 ==", "* 24:60 nick: x", "* {{SAL entry|1=}}", "Labels", "Annotations",
                "alertname =", "=", "Date: yesterday", "2023-13-40 25:00:00\tnick\tmsg", "\x00\x00",
                "* 10:00 " + "x" * 5000, "[14:33:00] <" + "n" * 300 + "> msg"]
# Nesting beyond the 64 levels any format here has (postmortem.core.nesting), and
# beyond Python's parsers (json: about 1,000; tomllib: about 300): unclosed and closed.
DEEP_TEXTS = ["[" * 100_000, "[" * 65 + "]" * 65, '{"a": ' * 70 + "1" + "}" * 70, "[" * 1000 + "]" * 1000,
              '[{"a": ' * 40 + "null" + "}]" * 40]
# In a JSON value a deep text stands for itself: json_bytes writes it in place of its marker.
_DEEP_MARKERS = {json.dumps(f"\x00deep{n}\x00"): text for n, text in enumerate(DEEP_TEXTS)}
JSON_VALUES = [None, True, 0, -1, 10 ** 30, 1.5e308, "", "x", "2023-13-40T25:00:00Z", [], {}, [None], {"x": None},
               *(f"\x00deep{n}\x00" for n in range(len(DEEP_TEXTS)))]


def mutate_text(text: str, rng: random.Random) -> str:
    """One to three mutations of ``text``'s lines and characters."""
    for _ in range(rng.randint(1, 3)):
        text = rng.choice(_TEXT_MUTATIONS)(text, rng)
    return text


def _delete_line(text, rng):
    lines = text.split("\n")
    if lines:
        del lines[rng.randrange(len(lines))]
    return "\n".join(lines)


def _double_line(text, rng):
    lines = text.split("\n")
    index = rng.randrange(len(lines))
    return "\n".join(lines[:index + 1] + lines[index:])


def _swap_lines(text, rng):
    lines = text.split("\n")
    a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[a], lines[b] = lines[b], lines[a]
    return "\n".join(lines)


def _insert_line(text, rng):
    lines = text.split("\n")
    lines.insert(rng.randrange(len(lines) + 1), rng.choice(TRICKY_LINES))
    return "\n".join(lines)


def _truncate(text, rng):
    return text[:rng.randrange(len(text) + 1)]


def _replace_character(text, rng):
    if not text:
        return rng.choice(TRICKY_CHARACTERS)
    at = rng.randrange(len(text))
    return text[:at] + rng.choice(TRICKY_CHARACTERS) + text[at + 1:]


def _nest(text, rng):
    """A run of brackets somewhere: unclosed, or closed right after."""
    at = rng.randrange(len(text) + 1)
    return text[:at] + rng.choice(DEEP_TEXTS) + text[at:]


def _push_number(text, rng):
    """A digit run replaced by one out of range (a clock of 99, a day of 40)."""
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    if not digits:
        return text
    at = rng.choice(digits)
    return text[:at] + rng.choice(["9", "99", "0", "00", "999999"]) + text[at + 1:]


_TEXT_MUTATIONS = [_delete_line, _double_line, _swap_lines, _insert_line, _truncate, _replace_character,
                   _push_number, _push_number, _replace_character, _nest]


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    """Text mutations, and now and then undecodable bytes."""
    text = mutate_text(data.decode("utf-8", "replace"), rng).encode("utf-8")
    if rng.random() < 0.15:
        at = rng.randrange(len(text) + 1)
        text = text[:at] + rng.choice([b"\xff", b"\xc3", b"\xe9", b"\xed\xa0\x80"]) + text[at:]
    return text


def mutate_json(value, rng: random.Random):
    """A copy of a JSON value with one to three of its values replaced or removed."""
    value = copy.deepcopy(value)
    for _ in range(rng.randint(1, 3)):
        value = _mutate_somewhere(value, rng)
    return value


def _mutate_somewhere(value, rng):
    if not isinstance(value, (dict, list)) or not value or rng.random() < 0.2:
        return copy.deepcopy(rng.choice(JSON_VALUES))
    keys = list(value) if isinstance(value, dict) else list(range(len(value)))
    key = rng.choice(keys)
    if isinstance(value, dict) and rng.random() < 0.2:
        del value[key]
    else:
        value[key] = _mutate_somewhere(value[key], rng)
    return value


@dataclass
class Outcomes:
    """What the fuzzed inputs gave: counts, and every internal error with its input."""

    inputs: int = 0
    events: int = 0
    errors: int = 0
    internal: list = field(default_factory=list)

    def run(self, attempt, sample) -> None:
        """``attempt(sample)`` → events; the project's errors must name where they are."""
        self.inputs += 1
        try:
            self.events += len(attempt(sample))
        except PostmortemError as err:
            self.errors += 1
            if not err.location():
                self.internal.append((sample, f"{type(err).__name__} naming no file, line or URL: {err}"))
        except RecursionError:
            self.internal.append((sample, "RecursionError"))
        except Exception as err:  # noqa: BLE001 - exactly what the fuzzer looks for
            self.internal.append((sample, f"{type(err).__name__}: {err} (at {_where(err)})"))

    def report(self) -> str:
        shown = "\n".join(f"  {error}\n    input: {str(sample)[:300]!r}" for sample, error in self.internal[:5])
        return (f"{self.inputs} inputs: {self.events} events, {self.errors} errors of the project's own, "
                f"{len(self.internal)} internal errors\n{shown}")


def _where(err: Exception) -> str:
    """The innermost frame of the package in the traceback: where to fix it."""
    import traceback
    frames = [f for f in traceback.extract_tb(err.__traceback__) if "/postmortem/" in f.filename]
    return f"{frames[-1].filename.split('/postmortem/')[-1]}:{frames[-1].lineno}" if frames else "?"


def fuzz(seeds, mutate, attempt, *, count: int, seed: int) -> Outcomes:
    """``count`` mutated inputs drawn from ``seeds`` through ``attempt``."""
    rng = random.Random(seed)
    outcomes = Outcomes()
    for _ in range(count):
        outcomes.run(attempt, mutate(rng.choice(seeds), rng))
    return outcomes


def json_bytes(value) -> bytes:
    """The JSON of ``value``, each deep marker (JSON_VALUES) replaced by its deep text."""
    text = json.dumps(value)
    for marker, deep in _DEEP_MARKERS.items():
        text = text.replace(marker, deep)
    return text.encode("utf-8")


# Retry-After as servers send it (RFC 9110 §10.2.3: delay-seconds or an HTTP-date)
# and as they should not: negative, fractional, not a number, an impossible date, huge.
RETRY_AFTER_FORMS = ["0", "1", "5", "120", "007", "Wed, 21 Oct 2015 07:28:00 GMT", "Sunday, 06-Nov-94 08:49:37 GMT",
                     "Sun Nov  6 08:49:37 1994", "Fri, 31 Dec 9999 23:59:59 GMT", "Wed, 21 Oct 2015 07:28:00 -0000",
                     "soon, please", "-5", "-0", "3.5", "1e3", "²", "inf", "nan", "5 seconds", ",", "  ", "0x10",
                     "99999999999999999999", "9" * 400, "Mon, 32 Jan 2024 00:00:00 GMT",
                     "Sat, 01 Jan 99999 00:00:00 GMT", "Wed, 21 Oct 2015 07:28:00 +9999", "Wed, 21 Oct 2015",
                     "Thu, 01 Jan 1970 00:00:00 GMT", "Tue, 19 Jan 2038 03:14:08 GMT"]


def retry_after_value(rng: random.Random) -> str:
    """A form as it is, or mutated (as text; only what a header can carry: Latin-1, one line)."""
    value = rng.choice(RETRY_AFTER_FORMS)
    if rng.random() < 0.5:
        value = mutate_text(value, rng)
    return "".join(ch for ch in value if " " <= ch <= "\xff" and ch != "\x7f")[:500]
