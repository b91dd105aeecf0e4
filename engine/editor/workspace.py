"""Editor support, analysis: one program as the editor sees it.

Input: the paths of a program and the texts of the editor's open buffers
(resolved path -> text), read in place of the files on disk. Output: an
`Analysis`: the diagnostics `syllog check` prints for that program (its
errors, else its warnings), the modules that parsed, the text of every file
read, and the checked `Program` when checking passed. A file whose buffer
does not parse keeps, for navigation only, its module of the previous
analysis (`stale`), so that completion and hover go on working while a
clause is half typed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from .. import nodes as n
from ..analysis import Program, check
from ..errors import Diagnostic, SourceMap, SyllogError
from ..loader import LoadedModules, file_of, load_paths, load_texts
from ..suites import suite_of


def program_paths(file: Path) -> list[Path]:
    """What `syllog check` is given for the program of a file: its suite, else its folder
    (and the file itself when it is not named `.dl`, which a folder would not hold)."""
    paths = suite_of(file) or [file.resolve().parent]
    return paths if file.suffix == ".dl" else [*paths, file.resolve()]


@dataclass
class Analysis:
    """A program analysed once: diagnostics, modules, texts, and the program if it checked."""

    diagnostics: list[Diagnostic]
    modules: list[n.Module]
    texts: SourceMap
    program: Program | None = None
    stale: set[str] = field(default_factory=set)  # files whose module is the previous analysis's

    def text(self, name: str) -> str | None:
        return self.texts.texts.get(name)

    def parsed(self) -> dict[tuple[str, str], n.Module]:
        """The modules parsed from the texts as they are now, by (name, text)."""
        return {(m.path, self.texts.texts[m.path]): m for m in self.modules if m.path not in self.stale}

    @cached_property
    def names(self) -> dict[Path, str]:
        """The name that spans give each file read, by its resolved path."""
        return {p.resolve(): name for name in self.texts.texts if (p := file_of(name)) is not None}


def analyse(paths: list[Path], buffers: Mapping[Path, str], previous: Analysis | None = None) -> Analysis:
    """Load and check the program of `paths` with `buffers` in place of those files.

    The files whose text is as in `previous` are not parsed again.
    """
    parsed = previous.parsed() if previous is not None else {}
    return _checked(lambda loaded: load_paths(list(paths), overrides=buffers, loaded=loaded, parsed=parsed), previous)


def analyse_text(name: str, text: str, previous: Analysis | None = None) -> Analysis:
    """Load and check one text that is no file on disk (an editor's untitled buffer)."""
    return _checked(lambda loaded: load_texts([(name, text)], loaded=loaded), previous)


def _checked(load: Callable[[LoadedModules], object], previous: Analysis | None) -> Analysis:
    loaded = LoadedModules()
    program = None
    try:
        load(loaded)
        program = check(loaded)
        diagnostics = list(program.warnings)
    except SyllogError as exc:
        diagnostics = list(exc.diagnostics)
    modules = list(loaded.modules)
    parsed = {m.path for m in modules}
    stale = set()
    if previous is not None:
        for module in previous.modules:
            if module.path not in parsed and module.path in loaded.sources.texts:
                modules.append(module)
                stale.add(module.path)
    return Analysis(diagnostics, modules, loaded.sources, program, stale)
