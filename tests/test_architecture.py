"""The package's layout holds: no import cycle, and no private name used from another module.

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
