"""Which files and folders form one program: the `syllog_suites` of a project.

A suite is one line of `syllog_suites` (in `[tool.pytest.ini_options]` of
pyproject.toml): folders, separated by spaces, relative to the project's
root, loaded together as `syllog check rules/ facts/` loads them. The pytest
plugin runs a `.dl` file's expectations against the suite that holds it; the
language server analyses an open file in that suite. Paths are resolved.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from pathlib import Path


def parse_suites(lines: Iterable[str], root: Path) -> list[list[Path]]:
    """Each non-blank line as its folders, resolved against `root`.

    >>> parse_suites(["rules facts", " "], Path("/p"))
    [[PosixPath('/p/rules'), PosixPath('/p/facts')]]
    """
    out = []
    for line in lines:
        parts = [Path(root, p).resolve() for p in str(line).split()]
        if parts:
            out.append(parts)
    return out


def suite_containing(suites: list[list[Path]], file: Path) -> list[Path] | None:
    """The first suite one of whose paths is the (resolved) file or a folder above it."""
    for suite in suites:
        if any(file == s or s in file.parents for s in suite):
            return suite
    return None


def project_suites(pyproject: Path) -> list[list[Path]]:
    """The suites a pyproject.toml declares; none when it declares none or cannot be read."""
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []
    lines = data.get("tool", {}).get("pytest", {}).get("ini_options", {}).get("syllog_suites", [])
    if isinstance(lines, str):  # pytest's linelist also takes one string of lines
        lines = lines.splitlines()
    return parse_suites(lines if isinstance(lines, list) else [], pyproject.parent)


def suite_of(file: Path) -> list[Path] | None:
    """The suite of a file, from the nearest pyproject.toml above it; None when no suite holds it."""
    file = file.resolve()
    for folder in file.parents:
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            return suite_containing(project_suites(pyproject), file)
    return None
