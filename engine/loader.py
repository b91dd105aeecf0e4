"""Loading stage: paths (files and folders) to parsed modules.

Folders load every `.dl` below them in sorted path order; `.include` is
resolved relative to the including file; a file is loaded once; an include
cycle is an error that names the chain. Paths in diagnostics are shown as the
user gave them (relative to the working directory where possible).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from . import nodes as n
from .errors import NO_SPAN, Diagnostic, SourceMap, Span, SyllogError, error
from .syntax import parse


def display_path(p: Path) -> str:
    try:
        rel = os.path.relpath(p)
    except ValueError:
        return str(p)
    return rel if not rel.startswith("..") else str(p)


@dataclass
class Loaded:
    modules: list[n.Module] = field(default_factory=list)
    sources: SourceMap = field(default_factory=SourceMap)
    base_dirs: dict[str, Path] = field(default_factory=dict)  # module path -> folder


def expand(paths: list[str | Path]) -> tuple[list[Path], list[Diagnostic]]:
    files: list[Path] = []
    diags: list[Diagnostic] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            files.extend(sorted(x for x in p.rglob("*.dl") if x.is_file()))
        elif p.is_file():
            files.append(p)
        else:
            diags.append(error("E103", f"no such file or folder: `{raw}`", Span(str(raw), 0, 0, 0, 0)))
    return files, diags


class _Loader:
    def __init__(self, loaded: Loaded) -> None:
        self.loaded = loaded
        self.done: set[Path] = set()
        self.stack: list[Path] = []
        self.diags: list[Diagnostic] = []

    def load_file(self, path: Path, via: n.Include | None = None) -> None:
        real = path.resolve()
        if real in self.stack:
            chain = [display_path(p) for p in self.stack[self.stack.index(real) :]] + [display_path(real)]
            span = via.span if via is not None else NO_SPAN
            self.diags.append(
                error("E102", "include cycle: " + " -> ".join(chain), span, help="remove one of these `.include`s")
            )
            return
        if real in self.done:
            return
        self.done.add(real)
        name = display_path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            span = via.span if via is not None else Span(name, 0, 0, 0, 0)
            self.diags.append(
                error("E101", f"included file `{via.path if via else name}` not found", span, help=f"looked for {name}")
            )
            return
        except (OSError, UnicodeDecodeError) as exc:
            span = via.span if via is not None else Span(name, 0, 0, 0, 0)
            self.diags.append(error("E104", f"cannot read `{name}`: {exc}", span))
            return
        self.load_text(text, name, real.parent, real)

    def load_text(self, text: str, name: str, base: Path, real: Path | None = None) -> None:
        try:
            module = parse(text, name, self.loaded.sources)
        except SyllogError as exc:
            self.diags.extend(exc.diagnostics)
            return
        self.loaded.base_dirs[name] = base
        self.stack.append(real if real is not None else Path(name))
        for stmt in module.parts:
            if isinstance(stmt, n.Include):
                target = base / stmt.path
                self.load_file(target, stmt)
        self.stack.pop()
        self.loaded.modules.append(module)


def load_paths(paths: list[str | Path]) -> Loaded:
    """Parse every file named or found below the folders, following includes.

    Raises `SyllogError` with every syntax and include error found.
    """
    loaded = Loaded()
    files, diags = expand(paths)
    loader = _Loader(loaded)
    loader.diags.extend(diags)
    for f in files:
        loader.load_file(f)
    if loader.diags:
        raise SyllogError(loader.diags, loaded.sources)
    return loaded


def load_texts(texts: list[tuple[str, str]], base: Path | None = None, loaded: Loaded | None = None) -> Loaded:
    """Parse in-memory texts (name, text); includes resolve against `base`."""
    loaded = loaded or Loaded()
    loader = _Loader(loaded)
    for name, text in texts:
        loader.load_text(text, name, base or Path.cwd())
    if loader.diags:
        raise SyllogError(loader.diags, loaded.sources)
    return loaded
