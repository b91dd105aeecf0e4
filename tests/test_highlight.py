"""Highlighting: the lexer agrees with the parser's own lexer, the TextMate grammar is the lexer's, the entry point loads."""

from __future__ import annotations

import json
import re
import tomllib
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lark import Lark
from lark.exceptions import UnexpectedInput

from engine.syntax import highlight as hl
from engine.syntax.parser import terminal_patterns

ROOT = Path(__file__).parent.parent
ALL_DL = sorted(p for p in ROOT.rglob("*.dl") if ".git" not in p.parts)

# the kinds the lexer may give to each terminal of the grammar
EXPECTED = {
    "NAME": {hl.PREDICATE, hl.NAME, hl.AGGREGATE}, "VAR": {hl.VARIABLE}, "STRING": {hl.STRING},
    "INT": {hl.NUMBER}, "DECIMAL": {hl.NUMBER}, "COMMENT": {hl.COMMENT}, "WS": {hl.SPACE},
    "DECL_KW": {hl.DIRECTIVE}, "INCLUDE_KW": {hl.DIRECTIVE}, "SOURCE_KW": {hl.DIRECTIVE},
    "INPUT_KW": {hl.DIRECTIVE}, "OUTPUT_KW": {hl.DIRECTIVE}, "CITE": {hl.CITATION},
    "NOT": {hl.KEYWORD}, "EXPECT": {hl.KEYWORD}, "EXPECT_NOT": {hl.KEYWORD},
    "GRADE_KW": {hl.KEYWORD}, "VIOLATED_KW": {hl.KEYWORD},
    "CMP": {hl.OPERATOR}, "PLUS": {hl.OPERATOR}, "MINUS": {hl.OPERATOR}, "MULOP": {hl.OPERATOR},
}


GRAMMAR = Lark((ROOT / "engine" / "syntax" / "syllog.lark").read_text(encoding="utf-8"), parser="lalr")


def _parser_tokens(text: str) -> list[tuple[int, str, str]]:
    """(offset, terminal, text) as the grammar's lexer cuts the text, up to its first error."""
    out = []
    try:
        for tok in GRAMMAR.lex(text, dont_ignore=True):
            out.append((tok.start_pos or 0, tok.type, str(tok)))
    except UnexpectedInput:
        pass
    return out


def _assert_agrees(text: str) -> None:
    ours = {offset: (kind, value) for offset, kind, value in hl.lex(text)}
    assert "".join(v for _, v in ours.values()) == text
    for offset, terminal, value in _parser_tokens(text):
        kind, got = ours[offset]  # a token starts where the parser's does ...
        assert got == value, (text, offset, terminal)  # ... and ends where it does
        assert kind in EXPECTED.get(terminal, {hl.PUNCTUATION}), (text, offset, terminal, kind.name)


@pytest.mark.parametrize("path", ALL_DL, ids=lambda p: str(p.relative_to(ROOT)))
def test_lexer_cuts_every_file_as_the_parser_does(path: Path) -> None:
    _assert_agrees(path.read_text(encoding="utf-8"))


SOUP = ["p", "q", "not", "expect", "notice", "expect not", "count", "counter", "sum", "{", "}", "(", ")", "X", "_",
        "_Y", ",", ".", ":-", "?-", ":", "1", "2.5", "1_000", '"s"', '"a\\"b"', '"open', "=", "!=", "<=", "+", "-",
        "*", "/", "%", "% note\n", "\n", " ", ".decl", ".declx", ".include", ".source", ".input", ".output",
        "@cite", "@", "é", "#"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(SOUP), max_size=30), st.sampled_from(["", " "]))
def test_lexer_cuts_token_soup_as_the_parser_does(tokens: list[str], sep: str) -> None:
    _assert_agrees(sep.join(tokens))


def test_context_decides_predicates_aggregates_and_remainders() -> None:
    kinds = {value: kind for _, kind, value in hl.lex('min(X) :- N = min { Y : s(Y) }, R = N%2, T = "% no". % yes')}
    assert [k for _, k, v in hl.lex("min(X) :- N = min { Y : s(Y) }.") if v == "min"] == [hl.PREDICATE, hl.AGGREGATE]
    assert kinds["%"] is hl.OPERATOR and kinds['"% no"'] is hl.STRING and kinds["% yes"] is hl.COMMENT
    assert [k for _, k, _ in hl.lex('"not closed')] == [hl.STRING]


def test_the_shipped_textmate_grammar_is_the_lexers() -> None:
    shipped = json.loads((ROOT / "editors" / "vscode" / "syntaxes" / "syllog.tmLanguage.json").read_text("utf-8"))
    assert shipped == hl.textmate_grammar()
    assert [p["match"] for p in shipped["patterns"]] == [r for r, _ in hl.SyllogLexer.tokens["root"]]


def test_the_pygments_entry_point_loads_the_lexer() -> None:
    """What `pygmentize -l syllog` does once the package is installed: load the entry point declared here."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    (name, target), = project["entry-points"]["pygments.lexers"].items()
    lexer = EntryPoint(name, target, "pygments.lexers").load()
    assert lexer is hl.SyllogLexer and "syllog" in lexer.aliases and "*.dl" in lexer.filenames
    assert "pygments" in " ".join(project["dependencies"])


def test_directives_are_the_directive_rules_terminals() -> None:
    patterns = terminal_patterns()
    (rule,) = [r for r in hl.RULES if r.kind is hl.DIRECTIVE]
    matched = {t for d in hl.DIRECTIVES for t in rule.terminals if re.fullmatch(patterns[t], d)}
    assert len(hl.DIRECTIVES) == len(rule.terminals) and matched == set(rule.terminals)


def test_the_vscode_extension_declares_the_grammar_and_the_language() -> None:
    folder = ROOT / "editors" / "vscode"
    contributes = json.loads((folder / "package.json").read_text(encoding="utf-8"))["contributes"]
    (grammar,) = contributes["grammars"]
    (language,) = contributes["languages"]
    assert grammar["scopeName"] == hl.textmate_grammar()["scopeName"] and (folder / grammar["path"]).is_file()
    assert language["id"] == grammar["language"] and language["extensions"] == [".dl"]
    config = json.loads((folder / language["configuration"]).read_text(encoding="utf-8"))
    assert config["comments"]["lineComment"] == "%"
