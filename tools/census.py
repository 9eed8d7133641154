"""A census of the package: modules and their lines, function lengths, and
the import graph (module-level and function-level imports alike) with its
cycles and the layer each module belongs to.

    python tools/census.py            # the report
    python tools/census.py --check    # exit 1 when a rule is broken

The rules (issue 10): no module over 500 lines, no import cycle, a layer
never imports a higher one, no CLI command function over 20 lines. Issue 21:
no module imports another package's private module or name (``_name`` is for its
own package and those below it); what an event is (an alert, a page, a key
moment…) is said in core/vocabulary.py only: no other module defines a
function of the names it defines, asks ``"alert"``/``"page" in X.tags``, or
reads an event's meaning from string keys (``fields.get("state")``).
Issue 23: the tree shows both flows, so no two modules share a name (a
leading underscore does not make another name; the CLI's modules are named
after their commands, which the library's are too, and are left out), and
nothing of the wiki-as-database flow sits in collect/: no collect/ module
reads reports (imports read/ or database/) and no database command (stats,
lint, missing, pages) calls into collect/ directly.
"""

from __future__ import annotations

import argparse
import ast
import statistics
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "postmortem"
MAX_MODULE_LINES = 500
MAX_COMMAND_LINES = 20
# Low to high: a module may import its own layer and the layers before it.
LAYERS = (
    ("core", ("postmortem._version", "postmortem.core")),
    ("net", ("postmortem.net",)),
    ("collect", ("postmortem.collect",)),
    ("read", ("postmortem.read",)),
    ("incident", ("postmortem.incident",)),
    ("timeline", ("postmortem.timeline",)),
    ("scorecard", ("postmortem.scorecard",)),
    ("write", ("postmortem.write",)),
    ("publishing", ("postmortem.publishing",)),
    ("database", ("postmortem.database",)),
    ("review", ("postmortem.review",)),
    ("cli", ("postmortem.cli", "postmortem.__main__", "postmortem")),
)


def modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _target(node: ast.ImportFrom, name: str, is_package: bool) -> str | None:
    if node.level == 0:
        return node.module
    base = name.split(".") if is_package else name.split(".")[:-1]
    base = base[:len(base) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports, wherever the import statement is."""
    known = modules()
    graph = {}
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                target = _target(node, name, path.name == "__init__.py")
                if not target or not target.startswith("postmortem"):
                    continue
                for alias in node.names:  # `from . import cache` imports a module
                    edges.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in known else target)
            elif isinstance(node, ast.Import):
                edges.update(a.name for a in node.names if a.name in known)
        edges.discard(name)
        graph[name] = {e for e in edges if e in known}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10000)
    for node in graph:
        if node not in index:
            visit(node)
    return found


def private_imports(graph) -> list[tuple[str, str]]:
    """(importer, imported) pairs where the imported module is private
    (``_name``) to a package the importer is not in."""
    found = []
    for importer, targets in graph.items():
        for target in targets:
            package, _, last = target.rpartition(".")
            inside = importer == package or importer.startswith(package + ".")
            if last.startswith("_") and not last.startswith("__") and not inside:
                found.append((importer, target))
    return sorted(found)


def private_names(sources: dict[str, tuple[str, bool]] | None = None) -> list[tuple[str, str]]:
    """(importer, ``module.name``) where a module imports a private (``_name``)
    function, class or constant of a module of another package. ``sources``:
    module -> (its code, whether it is a package's ``__init__``); default: the package's."""
    if sources is None:
        sources = {name: (path.read_text(encoding="utf-8"), path.name == "__init__.py")
                   for name, path in modules().items()}
    found = []
    for importer, (code, is_package) in sources.items():
        for node in ast.walk(ast.parse(code)):
            if not isinstance(node, ast.ImportFrom):
                continue
            target = _target(node, importer, is_package)
            if not target or not target.startswith("postmortem"):
                continue
            package = target.rpartition(".")[0]
            inside = importer == package or importer.startswith(package + ".")
            found += [(importer, f"{target}.{a.name}") for a in node.names
                      if a.name.startswith("_") and not a.name.startswith("__") and not inside
                      and f"{target}.{a.name}" not in sources]
    return sorted(found)


def clashing_names(names) -> list[tuple[str, list[str]]]:
    """(name, modules) for every module name (without leading underscores) that
    more than one module has; packages and the CLI's command modules left out."""
    by_name = defaultdict(list)
    for name in names:
        if name.rpartition(".")[0] != "postmortem.cli":
            by_name[name.rpartition(".")[2].lstrip("_")].append(name)
    return sorted((last, sorted(found)) for last, found in by_name.items() if len(found) > 1)


COLLECT = "postmortem.collect"
REPORT_SIDE = ("postmortem.read", "postmortem.database")
DATABASE_COMMANDS = tuple(f"postmortem.cli.{c}" for c in ("stats", "lint", "missing", "pages"))


def _under(module: str, prefixes) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def database_flow_in_collect(graph) -> list[str]:
    """collect/ modules that read reports, and collect/ modules a database
    command calls: each belongs to read/ or database/."""
    found = [f"{a} imports {b} (reading reports is read/ or database/)"
             for a, targets in graph.items() if _under(a, (COLLECT,))
             for b in targets if _under(b, REPORT_SIDE)]
    found += [f"{command} (a database command) calls {b} (the database flow does not go through collect/)"
              for command in DATABASE_COMMANDS for b in graph.get(command, ()) if _under(b, (COLLECT,))]
    return sorted(found)


def file_modules() -> list[str]:
    """Dotted names of the modules that are files (packages left out)."""
    return [name for name, path in modules().items() if path.name != "__init__.py"]


VOCABULARY = "postmortem.core.vocabulary"
# The keys an event's meaning was once read from; the vocabulary's typed facts hold them now.
MEANING_KEYS = frozenset({"state", "alertname", "phase", "paged", "incident", "what", "channel", "file", "line",
                          "origin", "also_in", "relayed_by", "severity", "team", "summary", "manual", "entity"})


def vocabulary_rules() -> list[str]:
    """Places outside core/vocabulary.py that say again what an event is."""
    sources = modules()
    defined = {node.name for node in ast.parse(sources[VOCABULARY].read_text(encoding="utf-8")).body
               if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")}
    found = []
    for name, path in sources.items():
        if name == VOCABULARY:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            found += [f"{name}:{node.lineno}: {why}" for why in _says_again(node, defined)]
    return found


def _says_again(node, defined: set[str]):
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in defined:
        yield f"defines {node.name}(), which core/vocabulary.py defines"
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn)) \
            and isinstance(node.left, ast.Constant) and node.left.value in ("alert", "page") \
            and isinstance(node.comparators[0], ast.Attribute) and node.comparators[0].attr == "tags":
        yield f"asks {node.left.value!r} in tags (ask core/vocabulary: is_alert, is_page…)"
    key = _fields_key(node)
    if key in MEANING_KEYS:
        yield f"reads fields[{key!r}] (a typed fact of core/vocabulary now)"


def _fields_key(node) -> str | None:
    """``"state"`` for ``x.fields["state"]`` and ``x.fields.get("state")``."""
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "fields":
        return node.slice.value if isinstance(node.slice, ast.Constant) else None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" \
            and isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "fields" and node.args \
            and isinstance(node.args[0], ast.Constant):
        return node.args[0].value
    return None


def layer_of(module: str) -> int:
    """The layer number of a module (the longest matching prefix decides)."""
    best, rank = -1, None
    for number, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), number
    if rank is None:
        raise ValueError(f"{module} is in no layer")
    return rank


def upward_imports(graph) -> list[tuple[str, str]]:
    """(importer, imported) pairs where a lower layer imports a higher one."""
    return sorted((a, b) for a, targets in graph.items() for b in targets if layer_of(b) > layer_of(a))


def function_lengths() -> list[tuple[str, int]]:
    """(module:function, lines) for every function and method."""
    out = []
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                out.append((f"{name}:{node.name}", node.end_lineno - node.lineno + 1))
    return out


def module_lines() -> dict[str, int]:
    return {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in modules().items()}


def command_lengths() -> list[tuple[str, int]]:
    """CLI command functions (``run`` in postmortem/cli/<command>.py, ``cmd_*``)."""
    return [(n, size) for n, size in function_lengths()
            if n.startswith("postmortem.cli") and (n.endswith(":run") or ":cmd_" in n)]


def problems() -> list[str]:
    """Every broken rule, one line each."""
    graph = import_graph()
    found = [f"module over {MAX_MODULE_LINES} lines: {m} ({n})"
             for m, n in module_lines().items() if n > MAX_MODULE_LINES]
    found += [f"import cycle: {' -> '.join(c)}" for c in cycles(graph)]
    found += [f"layer {LAYERS[layer_of(a)][0]} imports higher layer {LAYERS[layer_of(b)][0]}: {a} -> {b}"
              for a, b in upward_imports(graph)]
    found += [f"command over {MAX_COMMAND_LINES} lines: {n} ({size})"
              for n, size in command_lengths() if size > MAX_COMMAND_LINES]
    found += [f"private module of another package: {a} -> {b}" for a, b in private_imports(graph)]
    found += [f"private name of another package: {a} -> {b}" for a, b in private_names()]
    found += [f"two modules named {name!r}: {', '.join(found)}" for name, found in clashing_names(file_modules())]
    found += [f"database flow under collect/: {why}" for why in database_flow_in_collect(graph)]
    found += [f"said again outside core/vocabulary.py: {where}" for where in vocabulary_rules()]
    return found


def report() -> str:
    lines_by_module = module_lines()
    sizes = sorted(size for _, size in function_lengths())
    graph = import_graph()
    out = [f"{'module':<48} lines  layer"]
    out += [f"{m:<48} {n:>5}  {LAYERS[layer_of(m)][0]}" for m, n in sorted(lines_by_module.items())]
    out.append(f"{len(lines_by_module)} modules, {sum(lines_by_module.values())} lines, "
               f"largest {max(lines_by_module.values())}")
    p90 = sizes[int(0.9 * (len(sizes) - 1))]
    out.append(f"{len(sizes)} functions: median {statistics.median(sizes):g} lines, p90 {p90}, max {sizes[-1]}")
    out.append("")
    out.append("import graph (module -> package modules it imports):")
    out += [f"  {m} -> {', '.join(sorted(t)) or '-'}" for m, t in sorted(graph.items())]
    found = cycles(graph)
    out.append(f"{len(found)} import cycles" + "".join(f"\n  {' -> '.join(c)}" for c in found))
    out.append(f"{len(upward_imports(graph))} imports from a lower layer into a higher one")
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a rule is broken")
    args = parser.parse_args(argv)
    if args.check:
        found = problems()
        print("\n".join(found) or "ok")
        return 1 if found else 0
    print(report())
    return 0


if __name__ == "__main__":
    sys.exit(main())
