"""Syntax: round trip of every .dl in the repository, fuzzing for tracebacks, parse speed sanity."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import SyllogError
from engine import nodes as n
from engine.syntax import parse, pretty

ROOT = Path(__file__).parent.parent
ALL_DL = sorted(p for p in ROOT.rglob("*.dl") if ".git" not in p.parts and "golden" not in p.parts)
GOLDEN_OK = sorted(p for p in (ROOT / "tests" / "golden").rglob("*.dl")
                   if not p.name.startswith("syntax_"))


@pytest.mark.parametrize("path", ALL_DL + GOLDEN_OK, ids=lambda p: str(p.relative_to(ROOT)))
def test_round_trip(path: Path) -> None:
    module = parse(path.read_text(encoding="utf-8"), str(path))
    text = pretty(module)
    again = parse(text, "pretty")
    assert again.statements == module.statements
    assert pretty(again) == text


def test_round_trip_covers_the_repository() -> None:
    assert len(ALL_DL) >= 10


SAMPLE = (ROOT / "tests" / "golden" / "proofs" / "aggregate.dl").read_text(encoding="utf-8") + """
path(X, Z) :- path(X, Y), edge(Y, Z), not bad(Z), Z != 3 * (X + 1), W = X%2.
?- path(a, X).
expect not path(c, _).
.decl owns(owner: symbol, asset: symbol, pct: number) "doc"
.input edge { file: "e.csv", format: csv }
@cite(wire, line: 1, credibility: 2) { a("s\\"q"). b(-2.5). }
"""

TOKENS = ["(", ")", "{", "}", ".", ",", ":-", "?-", "not", "=", "<", ">=", "!=", "+", "-", "*", "/", "%",
          "X", "_", "a", "1", "2.5", '"s"', "count", "sum", "@cite", ".decl", ".source", ".include", "expect",
          ":", "\n", " ", '"', "\\", "@", "#"]


def _only_our_error(text: str) -> None:
    try:
        module = parse(text, "fuzz.dl")
    except SyllogError as exc:
        rendered = str(exc)
        assert rendered.startswith("fuzz.dl:"), rendered
        assert "error[E" in rendered
        return
    pretty(module)  # anything that parses also prints


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=40))
def test_token_soup_gives_only_our_errors(tokens: list[str]) -> None:
    _only_our_error(" ".join(tokens))


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_mutated_programs_give_only_our_errors(data: st.DataObject) -> None:
    text = SAMPLE
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(text)))
        op = data.draw(st.sampled_from(["delete", "insert", "dup"]))
        if op == "delete":
            j = data.draw(st.integers(i, min(len(text), i + 5)))
            text = text[:i] + text[j:]
        elif op == "insert":
            text = text[:i] + data.draw(st.sampled_from(TOKENS)) + text[i:]
        else:
            text = text[:i] + text[i : i + 8] + text[i:]
    _only_our_error(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_random_text_gives_only_our_errors(text: str) -> None:
    _only_our_error(text)


def test_checker_never_raises_anything_else_on_mutations(tmp_path: Path) -> None:
    """The whole front end (parse + every analysis pass) on many damaged programs."""
    import random

    import engine

    rng = random.Random(7)
    base = (ROOT / "rules" / "sanctions.dl").read_text(encoding="utf-8")
    for _ in range(150):
        text = list(base)
        for _ in range(rng.randint(1, 6)):
            i = rng.randrange(len(text))
            text[i] = rng.choice(["", ",", "X", "_", "not ", ".", "(", ")", "a", "1", " "])
        try:
            engine.load_text("".join(text), path="m.dl").evaluate()
        except SyllogError as exc:
            assert "error[" in str(exc)


TOKENS = ["p", "q", "not", "expect", "notice", "expected", "(", ")", "X", "_", ",", ".", ":-", "?-", "1", "2.5", '"s"',
          "=", "!=", "<", "+", "-", "*", "%", "% note\n", " ", "\n", "count", "{", "}", ":", ".decl", ".input",
          "@cite", "sum", "int", "X1"]


def _outcome(text: str) -> object:
    try:
        return parse(text, "t.dl").statements
    except SyllogError as exc:
        return str(exc)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=25), st.sampled_from(["", " "]))
def test_shared_scanner_lexes_as_the_contextual_lexer(tokens: list[str], sep: str) -> None:
    """The parser's lexer (one scanner tried first, see _share_root_scanner) against lark's own contextual lexer."""
    from lark import Lark

    import engine.syntax.parser as P

    text = sep.join(tokens)
    ours = _outcome(text)
    grammar = (Path(P.__file__).parent / "syllog.lark").read_text(encoding="utf-8")
    plain = Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=True, cache=True,
                 transformer=P._Build())
    shared = P._parser
    try:
        P._parser = lambda: plain  # type: ignore[assignment]
        theirs = _outcome(text)
    finally:
        P._parser = shared
    assert ours == theirs, text


def test_names_of_directives_and_citations_have_their_own_spans() -> None:
    """The name of a `.decl`, `.source`, `.input` and the source of a `@cite` point at the name itself."""
    text = ('.decl  owns(o: symbol)\n.source\n  wire { title: "t" }\n.input owns { file: "o.csv", format: csv }\n'
            '@cite(  wire, line: 1, credibility: 2) owns(a).\n')
    decl, source, io, fact = parse(text, "n.dl").statements
    lines = text.splitlines()

    def at(span: object) -> str:
        from engine.errors import Span

        assert isinstance(span, Span) and span.line == span.end_line
        return lines[span.line - 1][span.col - 1 : span.end_col - 1]

    assert isinstance(decl, n.Decl) and at(decl.name_span) == "owns"
    assert isinstance(source, n.Source) and at(source.name_span) == "wire" and source.name_span.line == 3
    assert isinstance(io, n.IODirective) and at(io.name_span) == "owns"
    assert isinstance(fact, n.Rule) and at(fact.cites[0].source_span) == "wire"


def test_every_terminal_of_the_grammar_has_a_name_a_user_knows() -> None:
    # a new terminal must be named in TERMINAL_NAMES, or its grammar name would leak into "expected ..."
    from engine.syntax.parser import TERMINAL_NAMES, terminal_patterns

    missing = sorted(set(terminal_patterns()) - set(TERMINAL_NAMES))
    assert not missing, f"terminals without a user-facing name: {missing}"
    for name, shown in TERMINAL_NAMES.items():
        assert "_" not in shown and name not in shown, (name, shown)  # no grammar name (`DECL_KW`, `decl_kw`)


def test_expected_lists_name_tokens_as_written() -> None:
    with pytest.raises(SyllogError) as exc:
        parse("p(a).\n(\n", "t.dl")
    text = str(exc.value)
    assert "`.decl`" in text and "`@cite`" in text and "`?-`" in text, text
    for leak in ("decl_kw", "`cite`", "expect_not", "include_kw", "input_kw", "lpar"):
        assert leak not in text.lower(), text
