"""The package's layout holds: no import cycle, no private name used from another module, no function
over 60 lines without a reason, unique module and class names, and one walk of a body's equalities.

Every module of `engine/` is read (not imported): its imports, at the top and
inside functions (a deferred import dodges a cycle, it does not remove it),
but not those under `if TYPE_CHECKING:`, which run only for the type checker.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "engine"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                lines.update(range(inner.lineno, (inner.end_lineno or inner.lineno) + 1))
    return lines


def _resolve(name: str, node: ast.ImportFrom) -> str:
    package = name if MODULES[name].name == "__init__.py" else name.rsplit(".", 1)[0]
    if not node.level:
        return node.module or ""
    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(name: str, text: str | None = None) -> tuple[set[str], list[str], dict[str, str]]:
    """(engine modules imported, private names imported from another module, alias -> module)."""
    tree = ast.parse(text if text is not None else MODULES[name].read_text(encoding="utf-8"))
    skip = _type_checking_lines(tree)
    deps: set[str] = set()
    private: list[str] = []
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if getattr(node, "lineno", 0) in skip:
            continue
        if isinstance(node, ast.ImportFrom):
            base = _resolve(name, node)
            if not base.startswith("engine"):
                continue
            for a in node.names:
                target = f"{base}.{a.name}"
                if target in MODULES:
                    deps.add(target)
                    aliases[a.asname or a.name] = target
                else:
                    deps.add(base)
                    if a.name.startswith("_") and not a.name.startswith("__") and base != name:
                        private.append(f"{name} imports {a.name} from {base}")
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("engine"):
                    deps.add(a.name)
                    aliases[a.asname or a.name] = a.name
    return deps, private, aliases


def _private_attributes(name: str, aliases: dict[str, str], text: str | None = None) -> list[str]:
    tree = ast.parse(text if text is not None else MODULES[name].read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                and node.attr.startswith("_") and not node.attr.startswith("__")):
            out.append(f"{name} uses {aliases[node.value.id]}.{node.attr}")
    return out


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    from engine.graph import strongly_connected

    succ = {m: sorted(d for d in deps if d in MODULES and d != m) for m, deps in edges.items()}
    return [sorted(c) for c in strongly_connected(succ, sorted(succ))[1] if len(c) > 1]


def test_no_import_cycle_in_the_package() -> None:
    edges = {m: _imports(m)[0] for m in MODULES if m != "engine"}  # the package re-exports the API
    assert _cycles(edges) == []


def test_no_private_name_is_used_from_another_module() -> None:
    found: list[str] = []
    for m in MODULES:
        _deps, private, aliases = _imports(m)
        found += private + _private_attributes(m, aliases)
    assert found == []


def test_the_checks_see_a_cycle_and_a_private_name() -> None:
    """The checks can fail: a made-up cycle, private import and private attribute are each caught."""
    fake = {m: set() for m in MODULES}
    fake["engine.model"] = {"engine.cli"}
    fake["engine.cli"] = {"engine.model"}
    assert _cycles(fake) == [["engine.cli", "engine.model"]]
    text = "from . import plan as P\nfrom .values import _num\nif TYPE_CHECKING:\n    from .cli import _x\nP._Planner\n"
    deps, private, aliases = _imports("engine.model", text)
    assert "engine.cli" not in deps  # under TYPE_CHECKING
    assert private == ["engine.model imports _num from engine.values"]
    assert _private_attributes("engine.model", aliases, text) == ["engine.model uses engine.plan._Planner"]


LONGEST = 60  # lines, from `def` to the function's last line

# PENDING: long functions that other branches are splitting (not split here, to keep merges clean);
# emptied when those branches merge. The test fails on a listed function that is no longer long.
PENDING: set[str] = set()


def _long_functions(path: str, text: str) -> list[str]:
    """`path::name (N lines)` for each function over LONGEST lines whose `def` line, or the line above
    it, has no `# long: <why>` comment."""
    lines = text.splitlines()
    out = []
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        length = (node.end_lineno or node.lineno) - node.lineno + 1
        said = " ".join(lines[max(node.lineno - 2, 0) : node.lineno])
        if length > LONGEST and "# long: " not in said:
            out.append(f"{path}::{node.name} ({length} lines)")
    return out


def test_no_function_is_over_60_lines_unless_a_comment_says_why() -> None:
    found = []
    for p in sorted(PACKAGE.rglob("*.py")):
        found += _long_functions(p.relative_to(ROOT).as_posix(), p.read_text(encoding="utf-8"))
    names = {f.split(" ")[0] for f in found}
    assert [f for f in found if f.split(" ")[0] not in PENDING] == []
    assert PENDING - names == set()  # split already: take them out of PENDING


def test_the_length_check_sees_a_long_function() -> None:
    """The check can fail: a function of 61 lines is caught, one of 60 or with a reason is not."""
    def module(lines: int, comment: str = "") -> str:
        return f"{comment}\ndef f():\n" + "    x = 1\n" * (lines - 1)

    assert _long_functions("m.py", module(61)) == ["m.py::f (61 lines)"]
    assert _long_functions("m.py", module(60)) == []
    assert _long_functions("m.py", module(61, "# long: measured hot loop (benchmarks/x.py)")) == []
    assert _long_functions("m.py", module(61, "# a comment that gives no reason")) == ["m.py::f (61 lines)"]


def _repeated_names(files: dict[str, str]) -> list[str]:
    """Module basenames (but `__init__`, `__main__`) and top-level class names that more than one file holds."""
    where: dict[str, list[str]] = {}
    for path, text in files.items():
        stem = Path(path).stem
        if stem not in ("__init__", "__main__"):
            where.setdefault(f"module {stem}", []).append(path)
        for node in ast.parse(text).body:
            if isinstance(node, ast.ClassDef):
                where.setdefault(f"class {node.name}", []).append(path)
    return sorted(f"{name}: {', '.join(sorted(paths))}" for name, paths in where.items() if len(paths) > 1)


def test_module_and_class_names_are_unique_in_the_package() -> None:
    files = {p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8") for p in sorted(PACKAGE.rglob("*.py"))}
    assert _repeated_names(files) == []


def test_the_name_check_sees_a_repeated_module_and_class() -> None:
    """The check can fail: two `plan.py` and two top-level `Step` classes are caught; `__init__` and a
    class inside a function are not counted."""
    files = {"engine/a/plan.py": "class Step: pass\n", "engine/b/plan.py": "", "engine/c.py": "class Step: pass\n",
             "engine/a/__init__.py": "", "engine/b/__init__.py": "def f():\n    class Step: pass\n"}
    assert _repeated_names(files) == ["class Step: engine/a/plan.py, engine/c.py",
                                      "module plan: engine/a/plan.py, engine/b/plan.py"]


# The one walk of a body's atoms and equalities to a fixpoint (bound variables, declared kinds, stored kinds).
FLOW = "engine.analysis.flow"


def _equality_walks(name: str, text: str | None = None) -> list[str]:
    """`module:line` where a module reads a body's equalities itself: it uses `nodes.equalities` (however
    imported), or a `while` loop in it tests a comparison's `op` against `"="` (a fixpoint by hand)."""
    source = text if text is not None else MODULES[name].read_text(encoding="utf-8")
    tree = ast.parse(source)
    _deps, _private, aliases = _imports(name, source)
    modules = {alias for alias, target in aliases.items() if target == "engine.nodes"} | {"engine.nodes"}
    names = {a.asname or a.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
             and _resolve(name, node) == "engine.nodes" for a in node.names if a.name == "equalities"}
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "equalities" and ast.unparse(node.value) in modules:
            found.add(node.lineno)
        elif isinstance(node, ast.Name) and node.id in names:
            found.add(node.lineno)
        elif isinstance(node, ast.While):
            for inner in ast.walk(node):
                if (isinstance(inner, ast.Compare) and isinstance(inner.left, ast.Attribute) and inner.left.attr == "op"
                        and any(isinstance(c, ast.Constant) and c.value == "=" for c in inner.comparators)):
                    found.add(inner.lineno)
    return [f"{name}:{line}" for line in sorted(found)]


def test_only_the_flow_module_walks_a_bodys_equalities() -> None:
    found = [w for m in MODULES if m not in (FLOW, "engine.nodes") for w in _equality_walks(m)]
    assert found == []
    assert _equality_walks(FLOW) != []  # the check looks where the walk is


def test_the_flow_check_sees_an_equality_walk_elsewhere() -> None:
    """The check can fail: `n.equalities`, an imported `equalities` and a hand-written fixpoint are each caught."""
    by_module = "from .. import nodes as n\n\ndef f(body):\n    for a, b in n.equalities(body):\n        pass\n"
    by_name = "from ..nodes import equalities as eq\n\nx = 1\nwalk = eq\n"
    by_hand = ("def f(body):\n    changed = True\n    while changed:\n        changed = False\n"
               "        for lit in body:\n            if lit.op == '=':\n                changed = True\n")
    assert _equality_walks("engine.analysis.safety", by_module) == ["engine.analysis.safety:4"]
    assert _equality_walks("engine.analysis.safety", by_name) == ["engine.analysis.safety:4"]
    assert _equality_walks("engine.plan", by_hand) == ["engine.plan:6"]
    assert _equality_walks("engine.plan", "def f(lit):\n    return lit.op == '='\n") == []
