"""Every command shown in the README and the docs runs, and prints what the docs show (tests/doc_commands.py).

The commands run in a scratch copy of the repository's rules/, facts/ and
examples/ (some write files), in the order the docs show them; a REPL
transcript is typed into a REPL one input at a time. A failure names the
doc's file and line and shows both outputs.
"""

from __future__ import annotations

import argparse
import doctest
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from doc_commands import ROOT, Shown, commands, doc_files, matches
from golden_util import run_cli

from engine.render import make_console
from engine.repl import banner, open_session

SHOWN = [c for f in doc_files() for c in commands(f)]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("docs")
    for folder in ("rules", "facts", "examples"):
        shutil.copytree(ROOT / folder, root / folder)
    return root


def differs(shown: Shown, actual: str) -> str:
    return f"{shown.where}: `{shown.command}` prints\n{actual}\n--- but the doc shows\n" + "\n".join(shown.expected or [])


def test_the_docs_show_commands_with_their_output() -> None:
    with_output = [s for s in SHOWN if s.expected]
    assert len(with_output) >= 5 and len({s.file for s in SHOWN}) >= 3, [s.where for s in SHOWN]


@pytest.mark.parametrize("shown", SHOWN, ids=[f"{s.where} {s.command[:60]}" for s in SHOWN])
def test_shown_command(shown: Shown, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if shown.repl:
        run_transcript(shown, workspace, monkeypatch)
        return
    if shown.doctest is not None:
        run_doctest(shown, workspace, monkeypatch)
        return
    code, out = run_cli(shown.argv, workspace)
    assert "Traceback" not in out, differs(shown, out)
    if shown.filter is not None:
        out = subprocess.run(["sh", "-c", shown.filter], input=out, capture_output=True, text=True,
                             cwd=workspace).stdout
    if shown.expected is None:
        assert code == 0, differs(shown, out)
    else:
        assert matches(shown.expected, out.splitlines()), differs(shown, out)


def run_doctest(shown: Shown, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(workspace)
    test = doctest.DocTestParser().get_doctest(shown.doctest or "", {}, shown.where, str(shown.file), shown.line)
    report = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test, out=report.write)
    assert runner.failures == 0, f"{shown.where}: the Python example gives something else\n{report.getvalue()}"


def run_transcript(shown: Shown, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(workspace)
    out = io.StringIO()
    console = make_console(out, color="never")
    args = argparse.Namespace(**{k: None for k in ("max_tuples", "timeout", "as_of")}, no_provenance=False)
    repl = open_session([a for a in shown.argv[1:] if not a.startswith("-")], args, console)
    console.print(banner(repl))
    assert matches(shown.expected or [], out.getvalue().splitlines()), differs(shown, out.getvalue())
    for step in shown.repl:
        out.seek(0)
        out.truncate()
        repl.handle(step.text)
        got = out.getvalue().splitlines()
        assert matches(step.expected, got), (f"{shown.where}: typing `{step.text}` prints\n{out.getvalue()}\n"
                                             "--- but the doc shows\n" + "\n".join(step.expected))


def test_an_abridged_output_matches_only_in_order() -> None:
    shown = ["a", "...", "c", "d", "..."]
    assert matches(shown, ["a", "b", "c", "d", "e"]) and matches(shown, ["a", "c", "d"])
    assert not matches(shown, ["a", "d", "c"]) and not matches(shown, ["x", "c", "d"])
    assert not matches(["a", "b"], ["a", "b", "c"])  # without `...` the whole output is compared
    assert matches(["a  ", ""], ["a"])  # trailing spaces and blank lines are not compared
