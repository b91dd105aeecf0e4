"""engine.highlight: the Pygments lexer, registered under `pygments.lexers`, and the REPL's colours from it."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

from pygments.token import Comment, Generic, Keyword, Name, Number, String

from engine.highlight import SyllogLexer
from engine.repl import tokens

ROOT = Path(__file__).parent.parent


def kinds(text: str) -> dict[str, object]:
    return {v: t for t, v in SyllogLexer().get_tokens(text) if v.strip()}


def test_tokens_of_the_language() -> None:
    got = kinds('.decl p(x: symbol)\n@cite(s, line: 1, credibility: 2) p(a).\n'
                'q(X, N) :- p(X), not r(X), N = count { Y : s(Y) }, M = X%2. % done\n?- q(a, _N).\n:why q(a, 1)\n')
    assert got[".decl"] is Keyword.Declaration and got["@cite"] is Keyword.Declaration
    assert got["not"] is Keyword and got["count"] is Keyword and got[":-"] is Keyword.Pseudo
    assert got["X"] is Name.Variable and got["_N"] is Name.Variable and got["q"] is Name
    assert got["% done"] is Comment.Single and got["%"] is not Comment.Single  # `X%2` is the remainder
    assert got["1"] is Number and got[":why"] is Generic.Prompt
    assert kinds('e("a \\" b").')['"a \\" b"'] is String.Double
    assert kinds("min(X).")["min"] is Name  # a predicate named min is not the aggregate


def test_pygmentize_finds_the_lexer_through_the_entry_point(tmp_path: Path) -> None:
    """The entry point pyproject.toml declares, installed as a distribution's metadata, makes `-l syllog` work."""
    points = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]["pygments.lexers"]
    dist = tmp_path / "syllog_lexer_probe-0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: syllog-lexer-probe\nVersion: 0\n")
    (dist / "entry_points.txt").write_text("[pygments.lexers]\n" + "".join(f"{k} = {v}\n" for k, v in points.items()))
    (tmp_path / "p.dl").write_text("path(X, Y) :- edge(X, Y).  % a rule\n")
    proc = subprocess.run([sys.executable, "-m", "pygments", "-l", "syllog", "-f", "html", "p.dl"], cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": f"{tmp_path}:{ROOT}"}, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert '<span class="nv">X</span>' in proc.stdout and '<span class="c1">% a rule</span>' in proc.stdout
    assert '<span class="kp">:-</span>' in proc.stdout


def test_the_repl_colours_through_the_lexer() -> None:
    toks = tokens('p(X, "s") :- not q(X, 2.5), N = count { Y : r(Y) }. % done')
    assert "".join(t[1] for t in toks) == 'p(X, "s") :- not q(X, 2.5), N = count { Y : r(Y) }. % done'
    classes = {t[1]: t[0] for t in toks if t[0]}
    assert classes["X"] == "class:variable" and classes['"s"'] == "class:string" and classes[":-"] == "class:punct"
    assert classes["not"] == "class:keyword" and classes["count"] == "class:keyword"
    assert classes["2.5"] == "class:number" and classes["% done"] == "class:comment"
    assert tokens(":why p(a)")[0] == ("class:command", ":why")
    assert tokens(":why p(a)", first=False)[0] == ("", ":why ")  # a command only on the first line
