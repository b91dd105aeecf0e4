"""Syntax stage, shared by both readers: how token text becomes values and nodes.

The lark transformer (`parser.py`) and the fast path for facts (`fact_runs.py`)
build literals and citations with these functions, so that both give the same
values, the same nodes and the same errors. A problem is raised as `Fault`
holding its diagnostic; `parse` turns it into a `SyllogError`.
"""

from __future__ import annotations

import re
from decimal import Decimal

from .. import nodes as n
from ..errors import Diagnostic, Span, error
from ..values import MAX_DIGITS, Value, int_digits


class Fault(Exception):
    """A positioned error found while building nodes."""

    def __init__(self, diag: Diagnostic) -> None:
        super().__init__(diag.message)
        self.diag = diag


_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_ESCAPES = {"\\": "\\", '"': '"', "n": "\n", "t": "\t"}


def unescape(raw: str, span: Span) -> str:
    """The text of a string literal `raw` (quotes included) at `span`; E008 for an unknown escape.

    >>> unescape('"a\\\\"b"', Span("f", 1, 1, 1, 7))
    'a"b'
    """
    body = raw[1:-1]
    if "\\" not in body:
        return body
    for m in _ESCAPE.finditer(body):
        if m[1] not in _ESCAPES:
            col = span.col + 1 + m.start()
            raise Fault(
                error(
                    "E008",
                    f"unknown escape `\\{m[1]}` in string",
                    Span(span.file, span.line, col, span.line, col + 2),
                    help='the escapes are \\" \\\\ \\n \\t',
                )
            )
    return _ESCAPE.sub(lambda m: _ESCAPES[m[1]], body)


def int_literal(text: str, span: Span) -> int:
    """The value of an integer literal's text at `span`; E010 past MAX_DIGITS digits.

    >>> int_literal("9_000", Span("f", 1, 1, 1, 6))
    9000
    """
    digits = int_digits(text)
    if digits > MAX_DIGITS:
        raise Fault(
            error(
                "E010",
                f"this integer has {digits:,} digits; an integer has at most {MAX_DIGITS:,}",
                Span(span.file, span.line, span.col, span.line, span.col + 1),
                help="write a number this long as a string",
            )
        )
    return int(text.replace("_", ""))


def decimal_literal(text: str) -> Decimal:
    """The value of a decimal literal's text, exact as written."""
    return Decimal(text.replace("_", ""))


def negated(value: int | Decimal) -> int | Decimal:
    """`-value`, as unary minus before a number literal folds it."""
    return -value


def citation(source: str, fields: list[n.Field], span: Span, source_span: Span) -> n.Citation:
    """`@cite(source, fields...)` at `span` (the source id at `source_span`) as a node; E009 / E403
    for a malformed field."""
    line = cred = None
    originator: Value | None = None
    line_span = cred_span = span
    seen: set[str] = set()
    for f in fields:
        if f.key in seen:
            raise Fault(error("E009", f"field `{f.key}` is given twice", f.span))
        seen.add(f.key)
        if f.key == "line":
            if not isinstance(f.value, int):
                raise Fault(error("E009", "`line` must be a whole number", f.span))
            line, line_span = f.value, f.span
        elif f.key == "credibility":
            if not isinstance(f.value, int):
                raise Fault(error("E403", "`credibility` must be a digit from 1 to 6", f.span))
            cred, cred_span = f.value, f.span
        elif f.key == "originator":
            originator = f.value
        else:
            raise Fault(
                error(
                    "E009",
                    f"unknown citation field `{f.key}`",
                    f.span,
                    help="a citation has `line`, `credibility` and optionally `originator`",
                )
            )
    if line is None or cred is None:
        missing = "line" if line is None else "credibility"
        raise Fault(
            error(
                "E009",
                f"citation of `{source}` has no `{missing}`",
                span,
                help=f"write @cite({source}, line: N, credibility: 1-6)",
            )
        )
    return n.Citation(source, line, cred, originator, span, line_span, cred_span, source_span)
