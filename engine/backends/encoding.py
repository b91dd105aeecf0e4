"""SQL backends: how Syllog values live in SQL columns, and which kinds each column can hold.

Every column of every predicate gets a *representation* chosen from the kinds
of value it can hold, found by a fixpoint over facts, `.input` declarations
and rules (`infer_kinds`):

| kinds held | rep | physical columns |
| --- | --- | --- |
| integers only (or nothing) | `int` | `cK BIGINT` |
| symbols only | `sym` | `cK TEXT` (binary collation) |
| strings only | `str` | `cK TEXT` (binary collation) |
| anything else | `any` | `cKn` scaled number, `cKt TEXT` tag, `cKd BOOLEAN` |

The `any` encoding: `cKn` holds a number times 10^10 as an integer (HUGEINT,
NUMERIC or DECIMAL(38, 0)), 0 for a non-number; `cKt` is `''` for a number,
`S` + text for a symbol and `T` + text for a string; `cKd` says that the
number is a decimal (not an integer). Equality compares `(n, t)` (so `50` and
`50.0` are one value); the order compares `(t, n)`, which is the language's
numbers < symbols < strings, each by value or code point.

Values the encoding cannot hold exactly are refused with E901: integers beyond
64 bits in an `int` column, numbers of 10^24 or more, decimals with more than
10 digits after the point.
"""

from __future__ import annotations

from decimal import Decimal

from .. import nodes as n
from ..analysis import Program
from ..errors import NO_SPAN, Span, SyllogError, error
from ..kinds import Kinds, agg_kinds, declared_kinds, expr_kinds, kind_of
from ..values import String, Value

SCALE = 10**10
DIGITS = 10
MAX_ABS = 10**24
INT64 = 2**63


def rep_of(kinds: Kinds) -> str:
    """The representation of a column holding values of `kinds`."""
    if kinds <= {"int"}:
        return "int"
    if kinds == {"sym"}:
        return "sym"
    if kinds == {"str"}:
        return "str"
    return "any"


def column_names(i: int, rep: str) -> list[str]:
    if rep == "any":
        return [f"c{i}n", f"c{i}t", f"c{i}d"]
    return [f"c{i}"]


def refuse(message: str, span: Span = NO_SPAN, code: str = "E901", help: str | None = None) -> SyllogError:
    return SyllogError([error(code, message, span, help or "evaluate this program in memory (without --backend)")])


def scaled(v: int | Decimal, span: Span = NO_SPAN) -> int:
    """A number times 10^10 as an exact integer; E901 when it does not fit."""
    if abs(v) >= MAX_ABS:  # type: ignore[operator]
        raise refuse(f"the number {v} is too large for the SQL backends (limit: below 10^24)", span)
    if isinstance(v, int):
        return v * SCALE
    if not v.is_finite():
        raise refuse(f"the number {v} is not finite", span)
    s = v.scaleb(DIGITS)
    if s != s.to_integral_value():
        raise refuse(f"the decimal {v} has more than {DIGITS} digits after the point, which the SQL backends "
                     "cannot hold exactly", span)
    return int(s)


def encode(v: Value, rep: str, span: Span = NO_SPAN) -> tuple[object, ...]:
    """The physical column values of `v` in a column of `rep` (parameters for the driver)."""
    k = kind_of(v)
    if rep == "int":
        assert isinstance(v, int) and k == "int"
        if not -INT64 <= v < INT64:
            raise refuse(f"the integer {v} does not fit the 64-bit integers of the SQL backends", span)
        return (v,)
    if rep == "sym":
        assert isinstance(v, str)
        return (v,)
    if rep == "str":
        assert isinstance(v, String)
        return (v.text,)
    if isinstance(v, str):
        return (0, "S" + v, False)
    if isinstance(v, String):
        return (0, "T" + v.text, False)
    return (scaled(v, span), "", k == "dec")


def decode_number(n: object, d: bool) -> int | Decimal:
    whole = int(str(n))
    if not d:
        return whole // SCALE
    value = Decimal(whole).scaleb(-DIGITS)
    norm = value.normalize()
    exp = norm.as_tuple().exponent
    assert isinstance(exp, int)
    # trailing zeros are dropped, but a decimal keeps one digit after the point
    return norm.quantize(Decimal(1).scaleb(min(exp, -1)))


def decode(parts: tuple[object, ...], rep: str) -> Value:
    """The Python value of a column's physical values."""
    if rep == "int":
        return int(str(parts[0]))
    if rep == "sym":
        return str(parts[0])
    if rep == "str":
        return String(str(parts[0]))
    num, tag, dec = parts
    text = str(tag)
    if text == "":
        return decode_number(num, bool(dec))
    if text[0] == "S":
        return text[1:]
    return String(text[1:])


# ---- kinds ----------------------------------------------------------------


def _body_kinds(body: tuple[n.Literal, ...], cols: dict[str, list[Kinds]], var: dict[str, Kinds]) -> None:
    """Add to `var` the kinds of every variable of `body` (a union over its uses: an over-approximation)."""

    def add(name: str, ks: Kinds) -> bool:
        old = var.get(name, frozenset())
        if ks <= old:
            return False
        var[name] = old | ks
        return True

    for lit in body:
        if isinstance(lit, n.Atom):
            for i, a in enumerate(lit.args):
                if isinstance(a, n.Var) and not a.anonymous:
                    add(a.name, cols[lit.pred][i] if lit.pred in cols else frozenset())
    changed = True
    while changed:
        changed = False
        for lit in body:
            if not isinstance(lit, n.Comparison) or lit.op != "=":
                continue
            for side, other in ((lit.left, lit.right), (lit.right, lit.left)):
                if not isinstance(side, n.Var):
                    continue
                if isinstance(other, n.Aggregate):
                    _body_kinds(other.body, cols, var)
                    term = expr_kinds(other.term, var) if other.term is not None else frozenset()
                    changed |= add(side.name, agg_kinds(other.func, term))
                else:
                    changed |= add(side.name, expr_kinds(other, var))
    for agg in n.body_aggregates(body):
        _body_kinds(agg.body, cols, var)


def infer_kinds(program: Program) -> dict[str, list[Kinds]]:
    """For every predicate, the kinds of value each column can hold."""
    cols: dict[str, list[Kinds]] = {p: [frozenset()] * k for p, k in program.arity.items()}
    for fact in program.facts:
        cur = cols[fact.pred]
        for i, v in enumerate(fact.row):
            cur[i] = cur[i] | {kind_of(v)}
    for io in program.io:
        if io.kind == "input" and io.pred in program.decls:
            cur = cols[io.pred]
            for i, param in enumerate(program.decls[io.pred].params):
                cur[i] = cur[i] | declared_kinds(param.type)
    changed = True
    while changed:
        changed = False
        for rule in program.rules:
            var: dict[str, Kinds] = {}
            _body_kinds(rule.body, cols, var)
            cur = cols[rule.head.pred]
            for i, a in enumerate(rule.head.args):
                ks = expr_kinds(a, var)
                if not ks <= cur[i]:
                    cur[i] = cur[i] | ks
                    changed = True
    return cols
