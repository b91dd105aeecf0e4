"""SQL backends: how Syllog values live in SQL columns, and which kinds each column can hold.

Every column of every predicate gets a *representation* chosen from the kinds
of value it can hold, found by a fixpoint over facts, `.input` declarations
and rules (`infer_kinds`; the kinds of a rule's variables are engine.analysis.flow's
`Carrying`):

| kinds held | rep | physical columns |
| --- | --- | --- |
| integers only (or nothing) | `int` | `cK BIGINT` |
| symbols only | `sym` | `cK TEXT` (binary collation) |
| strings only | `str` | `cK TEXT` (binary collation) |
| anything else | `any` | `cKn` scaled number, `cKt TEXT` tag, `cKd BOOLEAN`, `cKx` more digits |

The `any` encoding: `cKn` holds a number times 10^10, truncated to an integer
(HUGEINT, NUMERIC or DECIMAL(38, 0)), 0 for a non-number; `cKx` the digits
11 to 38 after the point, as an integer below 10^28 of the number's sign (0
for all but the quotients and products that have them); `cKt` is `''` for a
number, `S` + text for a symbol and `T` + text for a string; `cKd` says that
the number is a decimal (not an integer). Equality compares `(n, t, x)` (so
`50` and `50.0` are one value); the order compares `(t, n, x)`, which is the
language's numbers < symbols < strings, each by value or code point. The
kind `quo` marks what may have digits in `x` (engine.kinds); elsewhere `x` is
0 and left out of comparisons.

Values the encoding cannot hold exactly are refused with E901: integers beyond
64 bits in an `int` column, numbers of 10^24 or more, decimals with more than
38 digits after the point (E902 when arithmetic makes them).
"""

from __future__ import annotations

import decimal
import functools
from decimal import Decimal

from ..analysis import Program
from ..analysis.flow import Carrying, flow
from ..column_types import declared_kinds
from ..errors import NO_SPAN, Span, SyllogError, error
from ..kinds import Kinds, expr_kinds
from ..values import ARITH, ArithmeticFault, String, UndefinedArithmetic, Value, kind_of

SCALE = 10**10
DIGITS = 10
FINE = 38  # digits after the point an `any` column holds: 10 in n, 28 more in x
XSCALE = 10 ** (FINE - DIGITS)
MAX_ABS = 10**24
INT64 = 2**63
PARTS = ("n", "t", "d", "x")  # the physical columns of an `any` column, by suffix
_EXACT = decimal.Context(prec=100)  # decoding: no rounding (what a column holds has at most 62 digits)


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
        return [f"c{i}{s}" for s in PARTS]
    return [f"c{i}"]


def key_names(i: int, rep: str) -> list[str]:
    """The physical columns that decide equality (all but the decimal flag)."""
    return [c for c in column_names(i, rep) if not c.endswith("d") or rep != "any"]


def width(rep: str) -> int:
    return len(PARTS) if rep == "any" else 1


def refuse(message: str, span: Span = NO_SPAN, code: str = "E901", help: str | None = None) -> SyllogError:
    return SyllogError([error(code, message, span, help or "evaluate this program in memory (without --backend)")])


def scaled(v: int | Decimal, span: Span = NO_SPAN, fine: bool = False) -> tuple[int, int]:
    """A number as `(n, x)`: times 10^10 truncated, and its digits 11 to 38 after the point; E901 when it
    does not fit.

    Only a constant of a rule and a result of arithmetic (`fine`) may have digits in `x`: those are
    the values of kind `quo` (engine.kinds), whose comparisons and arithmetic take `x` into account;
    a fact or an input is held to 10 digits after the point."""
    if abs(v) >= MAX_ABS:  # type: ignore[operator]
        raise refuse(f"the number {v} is too large for the SQL backends (limit: below 10^24)", span)
    if isinstance(v, int):
        return v * SCALE, 0
    if not v.is_finite():
        raise refuse(f"the number {v} is not finite", span)
    places = FINE if fine else DIGITS
    s = v.scaleb(places, _EXACT)
    if s != s.to_integral_value(context=_EXACT):
        raise refuse(f"the decimal {v} has more than {places} digits after the point, which the SQL backends "
                     "cannot hold exactly", span)
    s = v.scaleb(FINE, _EXACT)
    whole = int(s)
    n = abs(whole) // XSCALE * (1 if whole >= 0 else -1)
    return n, whole - n * XSCALE


def encode(v: Value, rep: str, span: Span = NO_SPAN, fine: bool = False) -> tuple[object, ...]:
    """The physical column values of `v` in a column of `rep` (parameters for the driver; `fine`: see `scaled`)."""
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
        return (0, "S" + v, False, 0)
    if isinstance(v, String):
        return (0, "T" + v.text, False, 0)
    n, x = scaled(v, span, fine)
    return (n, "", k == "dec", x)


def decode_number(n: object, d: bool, x: object = 0) -> int | Decimal:
    whole = int(str(n))
    if not d:
        return whole // SCALE
    value = Decimal(f"{whole * XSCALE + int(str(x))}E-{FINE}")  # exact: the string is read as it is
    norm = value.normalize(_EXACT)
    exp = norm.as_tuple().exponent
    assert isinstance(exp, int)
    # trailing zeros are dropped, but a decimal keeps one digit after the point
    return norm.quantize(Decimal(1).scaleb(min(exp, -1)), context=_EXACT)


def decode(parts: tuple[object, ...], rep: str) -> Value:
    """The Python value of a column's physical values."""
    if rep == "int":
        return int(str(parts[0]))
    if rep == "sym":
        return str(parts[0])
    if rep == "str":
        return String(str(parts[0]))
    num, tag, dec, more = parts
    text = str(tag)
    if text == "":
        return decode_number(num, bool(dec), more if more is not None else 0)
    if text[0] == "S":
        return text[1:]
    return String(text[1:])


# ---- the exact domain (DuckDB) ------------------------------------------------------
#
# Arithmetic that may make more than 10 digits after the point (kind `quo`) is computed on DuckDB by
# Python functions over one text per value, the value as engine.values shows it, so that each
# operation is one call whatever the depth of the expression; only the outermost result is split into
# the parts of an `any` column (engine.backends.sqlgen.arith; engine.backends.store registers them).
# On PostgreSQL the same is done in PL/pgSQL on NUMERICs.


def exact_text(n: object, d: object, x: object) -> str:
    """The text of the number held in the parts `n`, `d`, `x` of an `any` column (syllog_text)."""
    return str(decode_number(n, bool(d), x if x is not None else 0))


def _number(text: str) -> int | Decimal:
    return Decimal(text) if any(c in text for c in ".E") else int(text)


def exact_arith(op: str, a: str | None, b: str | None) -> str | None:
    """`a op b` on the texts of two numbers, as engine.values computes it (syllog_arith): None where it is
    undefined (a division by zero, whose rows are dropped before the result is used) or an operand is
    None, "!" where the in-memory engine stops (a result too large for a decimal)."""
    if a is None or b is None:
        return None
    try:
        got = ARITH[op](_number(a), _number(b))
    except UndefinedArithmetic:
        return None
    except ArithmeticFault:
        return "!"
    text = str(got)
    # a decimal stays one (`2 / 0.5` is the decimal 4): its text has a point or an exponent
    return text + ".0" if isinstance(got, Decimal) and "." not in text and "E" not in text else text


@functools.lru_cache(maxsize=4096)  # the parts of one result are asked for one after the other
def exact_split(text: str) -> tuple[int, int, bool, str]:
    """A number's text as the parts `n`, `x` and `d` of an `any` column, and "" or the code that refuses
    it (E901: 10^24 or more, E902: more than 38 digits after the point); the parts are 0 when refused."""
    if text == "!":
        return 0, 0, False, "E901"
    v = _number(text)
    if (v.copy_abs() if isinstance(v, Decimal) else abs(v)) >= MAX_ABS:
        return 0, 0, False, "E901"
    if isinstance(v, Decimal):
        s = v.scaleb(FINE, _EXACT)
        if s != s.to_integral_value(context=_EXACT):
            return 0, 0, False, "E902"
    n, x = scaled(v, fine=True)
    return n, x, isinstance(v, Decimal), ""


# ---- kinds ----------------------------------------------------------------


def infer_kinds(program: Program) -> dict[str, list[Kinds]]:
    """For every predicate, the kinds of value each column can hold."""
    cols: dict[str, list[Kinds]] = {p: [frozenset()] * k for p, k in program.arity.items()}
    for pred, table, _cites in program.facts.groups():  # by column: no `Fact` is built
        cur = cols[pred]
        for i, column in enumerate(table.columns):
            cur[i] = cur[i] | set(map(kind_of, column))
    for io in program.io:
        if io.kind == "input" and io.pred in program.decls:
            cur = cols[io.pred]
            for i, param in enumerate(program.decls[io.pred].params):
                cur[i] = cur[i] | declared_kinds(param.type)
    carrying = Carrying(cols)  # the kinds of a rule's variables: a union over their uses
    changed = True
    while changed:
        changed = False
        for rule in program.rules:
            var = flow(rule.body, carrying, {})
            cur = cols[rule.head.pred]
            for i, a in enumerate(rule.head.args):
                ks = expr_kinds(a, var)
                if not ks <= cur[i]:
                    cur[i] = cur[i] | ks
                    changed = True
    return cols
