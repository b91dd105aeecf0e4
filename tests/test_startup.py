"""What a short run pays before its work: modules it imports, patterns it compiles, the parser it builds.

A `syllog query` on the article is well under a second, most of it fixed
costs (docs/evaluation.md, "A short run's fixed costs"); these tests hold the
deferrals that keep them down: each names what a run must not pay for.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from engine import cli
from engine.syntax.fact_runs import Scanner
from engine.syntax.parser import terminal_patterns

ROOT = Path(__file__).parent.parent

# imported only where they are used: a hint's difflib, a notebook's HTML, a long run's live display, the
# line editor, the LSP server, the SQL backends, the columnar path, dataframes, shell completion
NOT_IMPORTED = ("difflib", "html", "engine.html", "rich.live", "secrets", "prompt_toolkit", "pygls", "duckdb",
                "psycopg", "pyspark", "sqlglot", "numpy", "pyarrow", "pandas", "argcomplete", "engine.repl",
                "engine.report", "engine.backends", "engine.editor")


def _imported_by(*argv: str) -> tuple[str, list[str]]:
    """The output of `syllog ARGV` in a fresh process, and which of NOT_IMPORTED it imported."""
    code = ("import contextlib, io, sys\nfrom engine.cli import main\nout = io.StringIO()\n"
            "with contextlib.redirect_stdout(out):\n    main(sys.argv[1:])\n"
            f"print(out.getvalue() + '|' + ' '.join(m for m in {NOT_IMPORTED!r} if m in sys.modules))\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    got = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, cwd=ROOT, env=env)
    assert got.returncode == 0, got.stderr
    shown, _, modules = got.stdout.rpartition("|")
    return shown, modules.split()


@pytest.mark.parametrize("fmt", ["table", "csv"])
def test_a_query_on_the_article_imports_only_what_it_uses(fmt: str) -> None:
    shown, modules = _imported_by("query", "rules/", "facts/", "sanctions_bypass_risk(C, P)", "--format", fmt)
    assert "north_korea" in shown and "turkey" in shown
    assert modules == []


def test_a_run_of_the_article_imports_only_what_it_uses() -> None:
    shown, modules = _imported_by("run", "rules/", "facts/")
    assert "sanctions_bypass_risk" in shown
    assert modules == []


def test_a_hint_still_finds_the_close_name(tmp_path: Path) -> None:
    """difflib, imported where a hint is made, still names the likely typo."""
    (tmp_path / "p.dl").write_text("edge(a, b).\npath(X, Y) :- edge(X, Y).\n?- pth(X, Y).\n")
    got = subprocess.run([sys.executable, "-m", "engine", "run", str(tmp_path / "p.dl")], capture_output=True,
                         text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert "`path`" in got.stderr, got.stderr


def _compiled(scanner: Scanner) -> set[str]:
    return {k for k, v in vars(scanner).items() if isinstance(v, re.Pattern)}


def test_the_scanner_compiles_only_the_patterns_a_text_needs() -> None:
    rules = Scanner(terminal_patterns())
    assert _compiled(rules) == set()
    for path in sorted((ROOT / "rules").glob("*.dl")):
        rules.scan(path.read_text(encoding="utf-8"), str(path))
    assert _compiled(rules) == {"sep", "run_alike", "token"}
    facts = Scanner(terminal_patterns())
    parts = facts.scan('@cite(s, line: 3, credibility: 2) { e(1, "x"). e(2, y). } f(a).\n', "<t>")
    assert len(parts) == 2 and all(run is not None for _s, _e, run in parts)
    assert {"cite", "field", "block_open", "block_close", "run"} <= _compiled(facts)


def _help(parser: argparse.ArgumentParser, *argv: str) -> str:
    out = io.StringIO()
    with pytest.raises(SystemExit) as stop:
        with contextlib.redirect_stdout(out):
            parser.parse_args([*argv, "--help"])
    assert stop.value.code == 0
    return out.getvalue()


@pytest.mark.parametrize("name", [name for name, *_ in cli.COMMANDS])
def test_a_command_built_alone_parses_as_among_all(name: str) -> None:
    """`build_parser(command)` adds only that command's arguments: its help, and the top level's, are the same."""
    alone, every = cli.build_parser(name), cli.build_parser()
    assert _help(alone, name) == _help(every, name)
    assert _help(alone) == _help(every)


def test_the_command_named_is_the_first_word() -> None:
    assert cli.command_named(["query", "rules/", "x(X)"]) == "query"
    assert cli.command_named(["--version"]) is None
    assert cli.command_named(["-h", "run"]) == "run"
    assert cli.command_named(["qurey", "rules/"]) is None  # argparse's own error, with every command built
