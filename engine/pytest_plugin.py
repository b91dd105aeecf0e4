"""pytest plugin (registered as `pytest11`): `.dl` files with `expect` become test items.

Every `.dl` file that holds `expect` statements, under pytest's collection
paths, is collected; the program it is evaluated in is the file's *suite*:
the folder named by the `syllog_suite` ini option or `--syllog-suite` that
contains it, else the file with its includes. One item per expectation; a
failure shows the same text as `syllog test`. The `syllog` fixture loads and
evaluates a program for asserting in Python (relative paths are resolved
against pytest's rootdir, not the working directory):

    def test_risk(syllog):
        model = syllog("rules/", "facts/")
        assert model.query("sanctions_bypass_risk(north_korea, turkey)")
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from . import api, files
from . import nodes as n
from .errors import SyllogError
from .model import Model
from .suites import parse_suites, suite_containing


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("syllog")
    group.addoption("--syllog-suite", action="append", default=[], metavar="DIR",
                    help="a folder evaluated as one program; its .dl expectations run against it")
    parser.addini("syllog_suites", type="linelist", default=[],
                  help="folders each evaluated as one program (lines may list several folders separated by spaces)")
    parser.addini("syllog_files", type="args", default=["*.dl"], help="glob patterns of .dl files to collect")


def _suites(config: pytest.Config) -> list[list[Path]]:
    lines = list(config.getini("syllog_suites")) + list(config.getoption("--syllog-suite"))
    return parse_suites(lines, config.rootpath)


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix != ".dl":
        return None
    patterns = parent.config.getini("syllog_files")
    if not any(file_path.match(p) for p in patterns):
        return None
    try:
        text = file_path.read_text(encoding="utf-8")
    except OSError:
        return None
    if "expect" not in text and ":-" not in text:
        return None
    return DlFile.from_parent(parent, path=file_path)


_CACHE: dict[tuple[str, ...], Model | SyllogError] = {}


def _model_for(paths: list[Path]) -> Model:
    key = tuple(str(p) for p in paths)
    if key not in _CACHE:
        try:
            model: Model = api.load(list(paths)).evaluate()
            _CACHE[key] = model
        except SyllogError as exc:
            _CACHE[key] = exc
    got = _CACHE[key]
    if isinstance(got, SyllogError):
        raise got
    return got


class DlFile(pytest.File):
    def program_paths(self) -> list[Path]:
        me = self.path.resolve()
        return suite_containing(_suites(self.config), me) or [me]

    def collect(self) -> Iterator[pytest.Item]:
        from .syntax import parse

        try:
            module = parse(files.read_text(self.path), str(self.path))  # as the loader reads it (a BOM dropped)
        except SyllogError as exc:
            yield DlItem.from_parent(self, name="parse", expect=None, error=exc)
            return
        from .syntax.pretty import statement

        for stmt in module.statements:
            if isinstance(stmt, (n.Expect, n.Constraint)):
                name = f"line {stmt.span.line}: {statement(stmt).rstrip('.')}"
                yield DlItem.from_parent(self, name=name, expect=stmt, error=None)


class DlItem(pytest.Item):
    def __init__(self, *, expect: n.Expect | n.Constraint | None, error: SyllogError | None, **kw: Any) -> None:
        super().__init__(**kw)
        self.expect = expect
        self.error = error

    def runtest(self) -> None:
        from .expect import check_constraints, run_expectations

        if self.error is not None:
            raise DlFailure(str(self.error))
        assert self.expect is not None and isinstance(self.parent, DlFile)
        try:
            model = _model_for(self.parent.program_paths())
        except SyllogError as exc:
            raise DlFailure(str(exc)) from None
        statements = model.program.expects if isinstance(self.expect, n.Expect) else model.program.constraints
        mine = [e for e in statements if e.span.line == self.expect.span.line
                and Path(e.span.file).resolve() == self.path.resolve()]
        if not mine:
            raise DlFailure(f"{self.path}:{self.expect.span.line}: statement not found in the loaded program")
        if isinstance(self.expect, n.Constraint):
            found = check_constraints(model, mine[:1])  # type: ignore[arg-type]
            if found:  # one item per constraint: every violation of it in the failure
                raise DlFailure("\n\n".join(v.report() for v in found))
            return
        outcome = run_expectations(model, mine[:1])[0]  # type: ignore[arg-type]
        if not outcome.passed:
            raise DlFailure(outcome.report())

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, DlFailure):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        line = self.expect.span.line - 1 if self.expect is not None else 0
        return self.path, line, self.name


class DlFailure(Exception):
    pass


@pytest.fixture
def syllog(request: pytest.FixtureRequest) -> Callable[..., Model]:
    """Load and evaluate files or folders: `syllog("rules/", "facts/")` returns a Model.

    A relative path is resolved against pytest's rootdir (the folder of
    `pyproject.toml` or `pytest.ini`), as `syllog_suites` are, never against
    the working directory: a test loads the same files from whatever folder
    pytest is started in. Absolute paths are taken as they are.
    """
    root = Path(request.config.rootpath)

    def make(*paths: str | Path, text: str | None = None, provenance: bool = True) -> Model:
        if text is not None:
            loaded = api.load_text(text, base=root)
        else:
            loaded = api.load([root / p for p in paths])
        model: Model = loaded.evaluate(provenance=provenance)
        return model

    return make
