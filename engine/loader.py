"""Loading stage: paths (files and folders) to parsed modules.

Folders load every `.dl` below them in sorted path order; `.include` is
resolved relative to the including file; a file is loaded once; an include
cycle is an error that names the chain. Paths in diagnostics are shown as the
user gave them (relative to the working directory where possible).

Files are read through `engine.files`: a device, a FIFO, a folder, a symlink
loop, a NUL in a name, a file larger than `files.MAX_TEXT_BYTES`, one that is
not UTF-8 or one deleted before it is read is an E104 at the `.include` that
names it (or at the file, for a file named on the command line or found in a
folder), never a hang or a traceback. An editor passes its unsaved buffers
as `overrides`: they are read in place of the files on disk, and a folder
holds them even before they are first saved.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import files
from . import nodes as n
from .errors import NO_SPAN, Diagnostic, SourceMap, Span, SyllogError, error, visible
from .syntax import parse


def write_named(path: str | Path, text: str) -> None:
    """Write a file named on the command line whole, or raise E105 at its path and leave the old one."""
    p = Path(path)
    try:
        files.write_text(p, text)
    except files.FileTrouble as exc:
        name = display_path(p)
        raise SyllogError([error("E105", f"cannot write `{name}`: {exc.reason}", Span(name, 0, 0, 0, 0))]) from None


def display_path(p: Path) -> str:
    """A path as diagnostics show it: relative to the working folder when below it, control characters visible."""
    try:
        rel = os.path.relpath(p)
    except ValueError:
        return visible(str(p))
    return visible(rel if not rel.startswith("..") else str(p))


def file_of(name: str) -> Path | None:
    """The file a loaded module's name (its `display_path`) stands for; None for `<input>`-like names."""
    if not name or name.startswith("<"):
        return None
    return Path(os.path.abspath(name))


@dataclass
class LoadedModules:
    modules: list[n.Module] = field(default_factory=list)
    sources: SourceMap = field(default_factory=SourceMap)
    base_dirs: dict[str, Path] = field(default_factory=dict)  # module path -> folder


def expand(paths: list[str | Path], overrides: Mapping[Path, str] | None = None) -> tuple[list[Path], list[Diagnostic]]:
    """The files that paths name: folders expanded to their `.dl` files; E103 for a path that does not exist.

    `overrides` (resolved paths) count as files that exist, below their folders too.
    """
    found: list[Path] = []
    diags: list[Diagnostic] = []
    unsaved = overrides or {}
    for raw in paths:
        p = Path(raw)
        folder = _is_folder(p)
        if folder:
            # every `.dl` that is not a folder: a broken symlink or a FIFO is read, and reported
            below = {x for x in p.rglob("*.dl") if not x.is_dir()}
            root = files.identity(p)
            below |= {p / f.relative_to(root) for f in unsaved if f.suffix == ".dl" and root in f.parents}
            found.extend(sorted(below))
        elif folder is not None or files.identity(p) in unsaved:
            found.append(p)  # a file, or something that is not one: reading it says which
        else:
            diags.append(error("E103", f"no such file or folder: `{visible(str(raw))}`",
                               Span(visible(str(raw)), 0, 0, 0, 0)))
    return found, diags


def unreadable(exc: files.FileTrouble, name: str, via: n.Include | None = None) -> Diagnostic:
    """E101 for an included file that is not there, else E104 at the `.include` (or at the bad byte, or the file)."""
    if via is not None and exc.missing:
        return error("E101", f"included file `{visible(via.path)}` not found", via.span, help=f"looked for {name}")
    if isinstance(exc, files.NotUtf8):
        return error("E104", f"cannot read `{name}`: {exc.reason}", Span(name, exc.line, exc.col, exc.line, exc.col + 1),
                     help="save it as UTF-8" + (f" (it is included at {via.span})" if via is not None else ""))
    span = via.span if via is not None else Span(name, 0, 0, 0, 0)
    return error("E104", f"cannot read `{name}`: {exc.reason}", span)


def _is_folder(p: Path) -> bool | None:
    """True for a folder, False for anything else that is there (reading it tells what), None for nothing there."""
    try:
        return stat.S_ISDIR(os.stat(p).st_mode)
    except FileNotFoundError:
        return False if os.path.lexists(p) else None
    except (OSError, ValueError):  # a name too long, a symlink loop, a NUL
        return False


class _Loader:
    def __init__(self, loaded: LoadedModules, overrides: Mapping[Path, str] | None = None,
                 parsed: Mapping[tuple[str, str], n.Module] | None = None) -> None:
        self.loaded = loaded
        self.overrides = overrides or {}
        self.parsed = parsed or {}
        self.done: set[Path] = set()
        self.stack: list[Path] = []
        self.diags: list[Diagnostic] = []

    def load_file(self, path: Path, via: n.Include | None = None) -> None:
        real = files.identity(path)
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
            text = self.overrides[real] if real in self.overrides else files.read_text(path)
        except files.FileTrouble as exc:
            self.diags.append(unreadable(exc, name, via))
            return
        self.load_text(text, name, real.parent, real)

    def load_text(self, text: str, name: str, base: Path, real: Path | None = None) -> None:
        module = self.parsed.get((name, text))
        if module is not None:
            self.loaded.sources.add(name, text)
        else:
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


def load_paths(paths: list[str | Path], *, overrides: Mapping[Path, str] | None = None,
               loaded: LoadedModules | None = None, parsed: Mapping[tuple[str, str], n.Module] | None = None) -> LoadedModules:
    """Parse every file named or found below the folders, following includes.

    `overrides` maps resolved paths to texts read in place of those files (an
    editor's unsaved buffers). The modules parsed go into `loaded` when given,
    so that a caller keeps them when an error is raised. `parsed` holds
    modules parsed before, by (name, text): a file whose text is unchanged is
    not parsed again (modules are immutable).
    Raises `SyllogError` with every syntax and include error found.
    """
    loaded = loaded if loaded is not None else LoadedModules()
    found, diags = expand(paths, overrides)
    loader = _Loader(loaded, overrides, parsed)
    loader.diags.extend(diags)
    for f in found:
        loader.load_file(f)
    if loader.diags:
        raise SyllogError(loader.diags, loaded.sources)
    return loaded


def load_texts(texts: list[tuple[str, str]], base: Path | None = None, loaded: LoadedModules | None = None) -> LoadedModules:
    """Parse in-memory texts (name, text); includes resolve against `base`."""
    loaded = loaded or LoadedModules()
    loader = _Loader(loaded)
    for name, text in texts:
        loader.load_text(text, name, base or Path.cwd())
    if loader.diags:
        raise SyllogError(loader.diags, loaded.sources)
    return loaded
