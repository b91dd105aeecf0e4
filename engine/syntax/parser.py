"""Syntax stage: source text to a `Module` of AST nodes.

Runs of ground facts are read in bulk by the fast path (`fact_runs.py`), which
hands anything else to lark: one cached LALR parser whose Transformer builds
our nodes (with `build.py`, as the fast path does), their spans from the
tokens' positions; it parses the text with the fact runs blanked out, so
positions and errors are the whole file's. Lark's exceptions become `SyllogError` with friendly
messages. No lark type escapes.
"""

from __future__ import annotations

import functools
import re
from contextvars import ContextVar
from decimal import Decimal
from importlib import resources
from typing import Any

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, VisitError

from .. import nodes as n
from ..aggregates import AGGREGATES, NAMES
from ..errors import Diagnostic, SourceMap, Span, SyllogError, error
from ..values import String
from .build import Fault, citation, decimal_literal, int_literal, negated, unescape
from .fact_runs import Part, Scanner, blank
from .habits import capitalised_predicate, habit, position, span_at, variable_field_help

# The planner orders a body's literals greedily, in time quadratic in their
# number: 1,000 literals take it about a second, 10,000 a few minutes.
MAX_BODY_LITERALS = 1000


# The file name that spans carry while one parse runs (parses may nest or run
# in threads, so it is a context variable, not a module attribute).
_CURRENT_PATH: ContextVar[str] = ContextVar("syllog_parse_path", default="<input>")


@functools.lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = resources.files(__package__).joinpath("syllog.lark").read_text(encoding="utf-8")
    # The transformer runs inside the LALR parser (no intermediate tree): much faster. Every rule has a
    # method that builds a node whose span comes from its tokens' positions (`_cover`), so lark makes no
    # Tree and propagate_positions would only wrap each callback (~10 % of a parse of rules/*.dl).
    # The cache (cache=True) is lark's file in tempfile.gettempdir(), keyed by grammar and options.
    lark = Lark(grammar, parser="lalr", propagate_positions=False, maybe_placeholders=True, cache=True,
                transformer=_Build())
    _share_root_scanner(lark)
    return lark


def terminal_patterns() -> dict[str, str]:
    """The regular expression of every terminal of the grammar, by name (highlighters use them).

    >>> terminal_patterns()["VAR"]
    '[A-Z_][A-Za-z0-9_]*'
    """
    return {t.name: t.pattern.to_regexp() for t in _parser().terminals}


def _share_root_scanner(lark: Lark) -> None:
    """Let the contextual lexer try one scanner of all terminals before its per-state ones.

    Lark's contextual lexer compiles a regular expression of the terminals
    each parser state accepts, on first use: some 50 of them, 10 ms or more
    of a short run. The scanner of all terminals answers the same whenever
    its token is one the state accepts (its terminals are tried in the same
    order, and none before that token matched); only otherwise (`not` or
    `expect` written as a name, an error) is the state's own scanner built
    and asked. Left as lark made it if its internals are not as expected.
    """
    try:
        ctx = lark.parser.lexer
        root = ctx.root_lexer
        root.scanner  # noqa: B018 - built now: the one regular expression
        if root.callback:
            return  # terminals retyped by callbacks: keep lark's own way
        root_match = root.match
        for lexer in set(ctx.lexers.values()):
            allowed = frozenset(t.name for t in lexer.terminals) | lexer.ignore_types

            def match(text: Any, pos: int, allowed: frozenset[str] = allowed, own: Any = lexer.match) -> Any:
                res = root_match(text, pos)
                if res is not None and res[1] in allowed:
                    return res
                return own(text, pos)

            lexer.match = match
            lexer.callback = {}
    except AttributeError:  # pragma: no cover - another lark version
        return


class _Build(Transformer[Token, Any]):
    @property
    def path(self) -> str:
        return _CURRENT_PATH.get()

    def _cover(self, children: list[Any]) -> Span:
        """The span from the first to the last positioned child."""
        first = last = None
        for ch in children:
            sp = self._child_span(ch)
            if sp is not None:
                if first is None:
                    first = sp
                last = sp
        if first is None or last is None:
            return Span(self.path, 0, 0, 0, 0)
        return Span(self.path, first.line, first.col, last.end_line, last.end_col)

    def _child_span(self, ch: Any) -> Span | None:
        if isinstance(ch, Token):
            return self._tspan(ch) if ch.line is not None else None
        if isinstance(ch, tuple):
            if not ch:
                return None
            a, b = self._child_span(ch[0]), self._child_span(ch[-1])
            if a is None or b is None:
                return a or b
            return Span(self.path, a.line, a.col, b.end_line, b.end_col)
        sp = getattr(ch, "span", None)
        return sp if isinstance(sp, Span) and sp.line > 0 else None

    def _tspan(self, tok: Token) -> Span:
        return Span(self.path, tok.line or 0, tok.column or 0, tok.end_line or 0, tok.end_column or 0)

    # -- terms ----------------------------------------------------------
    def var(self, c: list[Token]) -> n.Var:
        return n.Var(str(c[0]), self._tspan(c[0]))

    def symbol(self, c: list[Token]) -> n.Const:
        return n.Const(str(c[0]), self._tspan(c[0]))

    def string(self, c: list[Token]) -> n.Const:
        span = self._tspan(c[0])
        return n.Const(String(unescape(str(c[0]), span)), span)

    def int(self, c: list[Token]) -> n.Const:
        span = self._tspan(c[0])
        return n.Const(int_literal(str(c[0]), span), span)

    def negint(self, c: list[Token]) -> n.Const:
        return n.Const(negated(int_literal(str(c[1]), self._tspan(c[1]))), self._cover(c))

    def decimal(self, c: list[Token]) -> n.Const:
        return n.Const(decimal_literal(str(c[0])), self._tspan(c[0]))

    def paren(self, c: list[Any]) -> n.Expr:
        inner = c[1]
        return inner  # type: ignore[no-any-return]

    def neg(self, c: list[Any]) -> n.Expr:
        operand = c[1]
        span = self._cover(c)
        if isinstance(operand, n.Const) and isinstance(operand.value, (int, Decimal)):
            return n.Const(negated(operand.value), span)
        return n.Neg(operand, span)

    def binop(self, c: list[Any]) -> n.BinOp:
        return n.BinOp(str(c[1]), c[0], c[2], self._cover(c))

    def aggregate(self, c: list[Any]) -> n.Aggregate:
        name, _lb, term, _colon, body, _rb = c
        if str(name) not in AGGREGATES:
            raise Fault(
                error(
                    "E007",
                    f"unknown aggregate `{name}`",
                    self._tspan(name),
                    help=f"the aggregates are {', '.join(NAMES[:-1])} and {NAMES[-1]}",
                )
            )
        if AGGREGATES[str(name)].has_term and term is None:
            raise Fault(
                error("E007", f"`{name}` needs a term before `:`", self._cover(c), help=f"write `{name} {{ X : ... }}`")
            )
        return n.Aggregate(str(name), term, body, self._cover(c))

    # -- literals -------------------------------------------------------
    def atom(self, c: list[Any]) -> n.Atom:
        name = c[0]
        args = tuple(a for a in c[2:-1] if a is not None)
        return n.Atom(str(name), args, self._cover(c))

    def atom0(self, c: list[Any]) -> n.Atom:
        return n.Atom(str(c[0]), (), self._cover(c))

    def negation(self, c: list[Any]) -> n.Negation:
        return n.Negation(c[1], self._cover(c))

    def comparison(self, c: list[Any]) -> n.Comparison:
        return n.Comparison(str(c[1]), c[0], c[2], self._cover(c))

    def body(self, c: list[Any]) -> tuple[n.Literal, ...]:
        if len(c) > MAX_BODY_LITERALS:
            raise Fault(
                error(
                    "E011",
                    f"this body has {len(c):,} literals; a body has at most {MAX_BODY_LITERALS:,}",
                    c[MAX_BODY_LITERALS].span,
                    help=f"literal {MAX_BODY_LITERALS + 1:,} is here: move part of the body into a rule of its own",
                )
            )
        return tuple(c)

    def fact(self, c: list[Any]) -> n.Rule:
        return n.Rule(c[0], (), (), self._cover(c))

    def rule(self, c: list[Any]) -> n.Rule:
        return n.Rule(c[0], c[2], (), self._cover(c))

    # -- evidence -------------------------------------------------------
    def field(self, c: list[Any]) -> n.Field:
        value = c[2]
        if isinstance(value, n.Var):
            raise Fault(error("E009", f"a field value cannot be a variable (`{value.name}`)", value.span,
                              help=variable_field_help(str(c[0]), value.name)))
        return n.Field(str(c[0]), value.value, self._cover(c))

    def citation(self, c: list[Any]) -> n.Citation:
        return citation(str(c[2]), [f for f in c[3:-1] if isinstance(f, n.Field)], self._cover(c),
                        self._tspan(c[2]))

    def cited(self, c: list[Any]) -> n.Rule:
        cites = tuple(x for x in c if isinstance(x, n.Citation))
        clause = c[-1]
        return n.Rule(clause.head, clause.body, cites, clause.span)

    def cite_block(self, c: list[Any]) -> n.CiteBlock:
        cites = tuple(x for x in c if isinstance(x, n.Citation))
        clauses = tuple(x for x in c if isinstance(x, n.Rule))
        return n.CiteBlock(cites, clauses, self._cover(c))

    def source(self, c: list[Any]) -> n.Source:
        fields = tuple(f for f in c[3:] if isinstance(f, n.Field))
        return n.Source(str(c[1]), fields, self._cover(c), self._tspan(c[1]))

    # -- directives -----------------------------------------------------
    def param(self, c: list[Any]) -> n.Param:
        return n.Param(str(c[0]), str(c[2]), self._cover(c))

    def decl(self, c: list[Any]) -> n.Decl:
        params = tuple(p for p in c[3:-2] if isinstance(p, n.Param))
        doc_tok = c[-1]
        doc = None
        if doc_tok is not None:
            doc = unescape(str(doc_tok), self._tspan(doc_tok))
        return n.Decl(str(c[1]), params, doc, self._cover(c), self._tspan(c[1]))

    def include(self, c: list[Any]) -> n.Include:
        return n.Include(unescape(str(c[1]), self._tspan(c[1])), self._cover(c))

    def io(self, c: list[Any]) -> n.IODirective:
        kind = "input" if str(c[0]) == ".input" else "output"
        fields = tuple(f for f in c[3:] if isinstance(f, n.Field))
        return n.IODirective(kind, str(c[1]), fields, self._cover(c), self._tspan(c[1]))

    def query(self, c: list[Any]) -> n.Query:
        return n.Query(c[1], self._cover(c))

    def expect(self, c: list[Any]) -> n.Expect:
        return n.Expect(c[1], False, self._cover(c))

    def expect_not(self, c: list[Any]) -> n.Expect:
        return n.Expect(c[1], True, self._cover(c))

    def expect_grade(self, c: list[Any]) -> n.Expect:
        op, grade = c[3], c[4]
        if str(op) not in (">=", "<=", "="):
            raise Fault(error("E012", f"a grade is compared with `>=`, `<=` or `=`, not `{op}`", self._tspan(op),
                               help="`grade >= B3`: at least as good as B3"))
        text = str(grade)
        if not (len(text) == 2 and text[0] in "ABCDEF" and text[1] in "123456"):
            raise Fault(error("E012", f"`{text}` is not a grade: a letter A-F and a digit 1-6", self._tspan(grade),
                               help="for example B3: usually reliable, possibly true"))
        return n.Expect(c[1], False, self._cover(c), n.GradeTest(str(op), text, self._tspan(grade)))

    def expect_violated(self, c: list[Any]) -> n.Expect:
        return self._violated(c, False)

    def expect_not_violated(self, c: list[Any]) -> n.Expect:
        return self._violated(c, True)

    def _violated(self, c: list[Any], negated: bool) -> n.Expect:
        return n.Expect((), negated, self._cover(c), violated=unescape(str(c[2]), self._tspan(c[2])))

    def constraint(self, c: list[Any]) -> n.Constraint:
        message = unescape(str(c[1]), self._tspan(c[1])) if c[1] is not None else None
        return n.Constraint(c[3], message, self._cover(c))

    def start(self, c: list[Any]) -> list[Any]:
        return c


# Every terminal of the grammar (and lark's end of input) as a user reads it, in the order
# an "expected ..." list shows them: what can stand in a term first, then punctuation, then
# the words that start a statement. `tests/test_syntax.py` checks that every terminal is here.
TERMINAL_NAMES = {
    "NAME": "a name",
    "VAR": "a variable",
    "STRING": "a string",
    "INT": "a number",
    "DECIMAL": "a number",
    "NOT": "`not`",
    "DOT": "`.`",
    "COMMA": "`,`",
    "LPAR": "`(`",
    "RPAR": "`)`",
    "LBRACE": "`{`",
    "RBRACE": "`}`",
    "COLON": "`:`",
    "CMP": "a comparison",
    "MULOP": "`*`, `/`, `%`",
    "PLUS": "`+`",
    "MINUS": "`-`",
    "IMPLIES": "`:-`",
    "QUERY": "`?-`",
    "CITE": "`@cite`",
    "DECL_KW": "`.decl`",
    "INCLUDE_KW": "`.include`",
    "SOURCE_KW": "`.source`",
    "INPUT_KW": "`.input`",
    "OUTPUT_KW": "`.output`",
    "EXPECT": "`expect`",
    "EXPECT_NOT": "`expect not`",
    "GRADE_KW": "`grade`",
    "VIOLATED_KW": "`violated`",
    "WS": "a space",
    "COMMENT": "a comment",
    "$END": "the end of the file",
}
_SHOWN_EXPECTED = 8
# what can start a statement: named as one, not as eleven tokens
_STATEMENT_STARTS = frozenset({"NAME", "IMPLIES", "QUERY", "CITE", "DECL_KW", "INCLUDE_KW", "SOURCE_KW", "INPUT_KW",
                               "OUTPUT_KW", "EXPECT", "EXPECT_NOT"})
_A_STATEMENT = "a statement (a fact, a rule, `?-`, `.decl`, `@cite`, `expect`, ...)"


def _describe(tok: Token | None) -> str:
    if tok is None or tok.type == "$END":
        return "the end of the file"
    text = str(tok)
    return f"`{text}`"


def _expected_text(expected: set[str]) -> str:
    """The help "expected a name, `(`, ...", in words a user knows and `TERMINAL_NAMES` order."""
    order = list(TERMINAL_NAMES)
    known = sorted((e for e in expected if e in TERMINAL_NAMES), key=order.index)
    names = list(dict.fromkeys(TERMINAL_NAMES[e] for e in known))
    if _STATEMENT_STARTS <= expected:
        # between statements: only what any statement may be followed by. What the one before may also take
        # (a `.decl`'s doc string) is left out, since facts read in bulk are blank to lark: the statement
        # before may not be the one it saw (engine.syntax.fact_runs)
        names = [_A_STATEMENT] + ([TERMINAL_NAMES["$END"]] if "$END" in expected else [])
    if not names:
        return ""
    if len(names) > _SHOWN_EXPECTED:
        return "expected " + ", ".join(names[:_SHOWN_EXPECTED]) + ", ..."
    if len(names) > 1:
        return "expected " + ", ".join(names[:-1]) + " or " + names[-1]
    return "expected " + names[0]


def _acceptable(exc: UnexpectedInput, expected: set[str]) -> set[str]:
    """The terminals that would let the parse go on: lark's `expected` holds every lookahead of
    the state's reductions (LALR), its interactive parser's `accepts` only those that shift."""
    interactive = getattr(exc, "interactive_parser", None)
    if interactive is None:
        return expected
    accepted: set[str] = interactive.accepts()
    return accepted or expected


_SIGNIFICANT = re.compile(r'["%(){}]')
# a string's text after its quote, to its end or the line's (escapes skip a character); the same within a line
_IN_STRING = re.compile(r'[^"\\\n]*+(?:\\[\s\S][^"\\\n]*+)*+')
_IN_LINE_STRING = re.compile(r'[^"\\]*+(?:\\[\s\S][^"\\]*+)*+')


def _after_operand(prev: str) -> bool:
    """Does a `%` after `prev` (the character before it, "" at the start) follow an operand?"""
    return prev.isalnum() or prev in "_)"


def _open_brackets(text: str, upto: int) -> list[tuple[str, int]]:
    """Brackets left open before `upto`, skipping strings and comments (by jumps, not a character a step)."""
    stack: list[tuple[str, int]] = []
    i = 0
    while True:
        m = _SIGNIFICANT.search(text, i, upto)
        if m is None:
            return stack
        i = m.start()
        ch = text[i]
        if ch == '"':
            i = _IN_STRING.match(text, i + 1).end() + 1  # type: ignore[union-attr]  # matches the empty text
        elif ch == "%" and not _after_operand(text[i - 1] if i else ""):
            nl = text.find("\n", i)
            i = len(text) if nl < 0 else nl
        else:
            if ch in "({":
                stack.append((ch, i))
            elif ch in ")}" and stack:
                stack.pop()
            i += 1


def _end_of_previous_token(text: str, offset: int) -> int:
    """Offset just past the last non-space, non-comment character before `offset`."""
    i = offset
    while i > 0:
        # skip back over whitespace and whole-line comments
        j = i - 1
        while j >= 0 and text[j] in " \t\r\n":
            j -= 1
        if j < 0:
            return 0
        line_start = text.rfind("\n", 0, j + 1) + 1
        line = text[line_start : j + 1]
        k = _comment_start(line)
        if k is not None:
            i = line_start + k
            if k == 0 or not line[:k].strip():
                i = line_start
                if i == 0:
                    return 0
                continue
            # trailing comment: end of code is before it
            j2 = line_start + k - 1
            while j2 >= line_start and text[j2] in " \t":
                j2 -= 1
            return j2 + 1
        return j + 1
    return 0


def _comment_start(line: str) -> int | None:
    """Where a comment starts in one line, outside strings; None if none does."""
    i = 0
    while True:
        m = _SIGNIFICANT.search(line, i)
        if m is None:
            return None
        i = m.start()
        if line[i] == '"':
            i = _IN_LINE_STRING.match(line, i + 1).end() + 1  # type: ignore[union-attr]
        elif line[i] == "%" and not (i > 0 and _after_operand(line[i - 1])):
            return i
        else:
            i += 1


_REMAINDER_WITH_SPACE = re.compile(r"[A-Za-z0-9_)]\s+%\s*[A-Za-z0-9_(]")


def _syntax_diagnostic(text: str, path: str, exc: UnexpectedInput) -> Diagnostic:
    tok: Token | None = getattr(exc, "token", None)
    if isinstance(exc, UnexpectedCharacters):
        offset, kind = exc.pos_in_stream or 0, None
    elif tok is None or tok.type == "$END":
        offset, kind = len(text), "$END"
    else:
        offset, kind = tok.start_pos or 0, tok.type
    hinted = habit(text, path, offset, kind)
    if hinted is not None:
        return hinted
    diag = _syntax_diagnostic_inner(text, path, exc)
    lines = text.splitlines()
    if 1 <= diag.span.line <= len(lines) and _REMAINDER_WITH_SPACE.search(lines[diag.span.line - 1]):
        diag = Diagnostic(diag.code, diag.message, diag.span, diag.severity,
                          "`%` after a space starts a comment; write the remainder without spaces, as in `X%2`")
    return diag


def _syntax_diagnostic_inner(text: str, path: str, exc: UnexpectedInput) -> Diagnostic:
    if isinstance(exc, UnexpectedCharacters):
        return _unexpected_character(text, path, exc.pos_in_stream or 0)
    tok: Token | None = getattr(exc, "token", None)
    expected: set[str] = set(getattr(exc, "expected", set()) or set())
    if isinstance(exc, UnexpectedEOF) or tok is None or tok.type == "$END":
        return _unexpected_end(text, path, exc, expected)
    return _unexpected_token(text, path, exc, tok, expected)


def _unexpected_character(text: str, path: str, offset: int) -> Diagnostic:
    """E006 or E005: a character no token starts with."""
    ch = text[offset] if offset < len(text) else ""
    here = span_at(text, path, offset, 1)
    if ch == '"':
        return error("E006", "unterminated string", here, help='close the string with `"` on the same line')
    if ch == "%":
        return error(
            "E005",
            "unexpected `%`",
            here,
            help="`%` after a space starts a comment; write the remainder as `X%2`, without spaces",
        )
    shown = ch if ch.isprintable() else repr(ch)
    return error("E005", f"unexpected character `{shown}`", here)


def _unclosed(text: str, path: str, opened: list[tuple[str, int]]) -> Diagnostic:
    """E003 at the last bracket left open."""
    ch, at = opened[-1]
    kind = "parenthesis" if ch == "(" else "brace"
    closer = ")" if ch == "(" else "}"
    return error("E003", f"unclosed {kind}", span_at(text, path, at, 1), help=f"add `{closer}` to close it")


def _missing_dot(text: str, path: str, end: int) -> Diagnostic:
    """E002 at the last character of a clause (ending at `end`) that has no `.`."""
    return error(
        "E002",
        "missing `.` after this clause",
        span_at(text, path, max(end - 1, 0), 1),
        help="end every fact, rule and query with `.`",
    )


def _unexpected_end(text: str, path: str, exc: UnexpectedInput, expected: set[str]) -> Diagnostic:
    """E003, E002 or E004: the text ends where lark expects more."""
    offset = len(text)
    opened = _open_brackets(text, offset)
    if opened:
        return _unclosed(text, path, opened)
    end = _end_of_previous_token(text, offset)
    if "DOT" in expected:
        return _missing_dot(text, path, end)
    return error("E004", "unexpected end of file", span_at(text, path, max(end - 1, 0), 1),
                 help=_expected_text(_acceptable(exc, expected)) or None)


def _unexpected_token(text: str, path: str, exc: UnexpectedInput, tok: Token, expected: set[str]) -> Diagnostic:
    """E002, E003, a capitalised predicate, or E001: a token lark does not expect here."""
    offset = tok.start_pos or 0
    width = max(1, len(str(tok)))
    opened = _open_brackets(text, offset)
    if "DOT" in expected and tok.type in ("NAME", "VAR", "QUERY", "DECL_KW", "INCLUDE_KW", "SOURCE_KW", "CITE",
                                            "EXPECT", "EXPECT_NOT", "INPUT_KW", "OUTPUT_KW") and not opened:
        end = _end_of_previous_token(text, offset)
        prev_line, _ = position(text, max(end - 1, 0))
        tok_line = tok.line or 0
        if prev_line < tok_line:
            return _missing_dot(text, path, end)
    if opened and tok.type in ("DOT", "IMPLIES", "QUERY", "DECL_KW", "INCLUDE_KW", "SOURCE_KW", "CITE") and (
        "RPAR" in expected or "RBRACE" in expected
    ):
        return _unclosed(text, path, opened)
    here = span_at(text, path, offset, width)
    if tok.type == "RPAR" and not any(c == "(" for c, _ in opened):
        return error("E003", "unmatched `)`", span_at(text, path, offset, 1), help="remove it, or open it with `(`")
    if tok.type == "VAR" and "NAME" in expected and "VAR" not in expected:
        return capitalised_predicate(str(tok), here)
    message = f"unexpected {_describe(tok)}"
    return error("E001", message, here, help=_expected_text(_acceptable(exc, expected)) or None)


def parse(text: str, path: str = "<input>", sources: SourceMap | None = None) -> n.Module:
    """Parse one file's text into a `Module`.

    Runs of facts are read by the fast path (`fact_runs.py`); lark parses the
    rest, in the text with those runs blanked out, so that its positions and
    errors are those of the whole file.

    >>> parse("edge(a, b).").statements[0].head.pred
    'edge'
    """
    if sources is not None:
        sources.add(path, text)
    parts = _scanner().scan(text, path)
    runs = [p for p in parts if p[2] is not None]
    if len(runs) == len(parts):
        return n.Module(path, tuple(r for _s, _e, r in runs if r is not None))
    statements = _lark(_blanked(text, runs) if runs else text, text, path, sources)
    merged = _merged(statements, [r for _s, _e, r in runs if r is not None])
    if merged is None:  # the fast path took part of a statement for facts: lark reads everything
        return n.Module(path, tuple(_lark(text, text, path, sources)))
    return n.Module(path, tuple(merged))


def parse_by_grammar(text: str, path: str = "<input>") -> n.Module:
    """Parse with lark alone, no fast path: the reference the fast path is tested against."""
    return n.Module(path, tuple(_lark(text, text, path, None)))


@functools.lru_cache(maxsize=1)
def _scanner() -> Scanner:
    return Scanner({t.name: t.pattern.to_regexp() for t in _parser().terminals})


def _blanked(text: str, runs: list[Part]) -> str:
    """`text` with the fact runs turned into blank space (lines and offsets kept)."""
    pieces = []
    last = 0
    for start, end, _run in runs:
        pieces.append(text[last:start])
        pieces.append(blank(text[start:end]))
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def _lark(lark_text: str, text: str, path: str, sources: SourceMap | None) -> list[n.Statement]:
    """The statements lark parses in `lark_text`, errors reported against the file's `text`."""
    token = _CURRENT_PATH.set(path)
    statements: Any
    try:
        statements = _parser().parse(lark_text)
    except UnexpectedInput as exc:
        srcmap = sources or SourceMap({path: text})
        raise SyllogError([_syntax_diagnostic(text, path, exc)], srcmap) from None
    except Fault as exc:
        srcmap = sources or SourceMap({path: text})
        raise SyllogError([exc.diag], srcmap) from None
    except VisitError as exc:
        inner = exc.orig_exc
        srcmap = sources or SourceMap({path: text})
        if isinstance(inner, Fault):
            raise SyllogError([inner.diag], srcmap) from None
        raise
    finally:
        _CURRENT_PATH.reset(token)
    if not isinstance(statements, list):
        statements = [statements] if statements is not None else []
    out: list[n.Statement] = statements
    return out


def _first(stmt: n.Statement) -> tuple[int, int]:
    """Where a statement starts (a cited rule at its first citation)."""
    span = stmt.cites[0].span if isinstance(stmt, n.Rule) and stmt.cites else stmt.span
    return span.line, span.col


def _merged(statements: list[n.Statement], runs: list[n.FactRun]) -> list[n.Part] | None:
    """Lark's statements and the fact runs in the order of the text; None if one overlaps another."""
    out: list[n.Part] = []
    i = 0
    for run in runs:
        start = (run.span.line, run.span.col)
        while i < len(statements) and _first(statements[i]) < start:
            out.append(statements[i])
            i += 1
        before = out[-1] if out else None
        if isinstance(before, n.FactRun) or before is None:
            pass
        elif (before.span.end_line, before.span.end_col) > start:
            return None
        if i < len(statements) and _first(statements[i]) < (run.span.end_line, run.span.end_col):
            return None
        out.append(run)
    out.extend(statements[i:])
    return out
