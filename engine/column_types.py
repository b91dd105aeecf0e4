"""Tables: the declared column types (`.decl p(x: int, y: symbol)`), their one home.

For each type: the values it accepts (analysis: E302 for a constant of
another kind), the kinds of value a column of it holds (engine.kinds' names,
read by the arithmetic check and by the SQL backends to choose a column's
representation), and how a field of a data file is read as a value (the
`.input` readers, engine.evaluation.io and parquet). A type that is not one
of these is E304 in analysis; until then it is read as `any`.

    >>> type_ok("number", 2), type_ok("int", "a"), reader("number")("1.50")
    (True, False, Decimal('1.50'))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .kinds import NUMBERS, Kinds
from .values import String, Value


def finite(d: Decimal) -> Decimal:
    """A decimal that is a number: `NaN` and `Infinity` are not values of the language."""
    if not d.is_finite():
        raise InvalidOperation(f"`{d}` is not a number Syllog holds")
    return d


def _number(s: str) -> Value:
    try:
        return int(s)
    except ValueError:
        return finite(Decimal(s))


def _anything(s: str) -> Value:
    try:
        return int(s)
    except ValueError:
        pass
    try:
        return finite(Decimal(s))
    except InvalidOperation:
        return s


def _symbol(s: str) -> Value:
    return s


@dataclass(frozen=True)
class ColumnType:
    name: str
    accepts: tuple[type, ...] | None  # the Python types of the values it accepts; None: every value
    kinds: Kinds  # the kinds a column holds (`any`: numbers and symbols, as `.input` reads it)
    read: Callable[[str], Value]  # a field of a data file; ValueError or ArithmeticError if it is not one


COLUMN_TYPES: dict[str, ColumnType] = {t.name: t for t in (
    ColumnType("symbol", (str,), frozenset({"sym"}), _symbol),
    ColumnType("string", (String,), frozenset({"str"}), String),
    ColumnType("int", (int,), frozenset({"int"}), int),
    ColumnType("number", (int, Decimal), NUMBERS, _number),
    ColumnType("any", None, frozenset({"int", "dec", "sym"}), _anything),
)}
TYPES = tuple(COLUMN_TYPES)


def column_type(t: str) -> ColumnType:
    """The type named `t`; `any` for a name that is no type (E304 reports it)."""
    return COLUMN_TYPES.get(t, COLUMN_TYPES["any"])


def type_ok(t: str, value: object) -> bool:
    """Does the declared type `t` accept `value`?"""
    accepted = column_type(t).accepts
    return accepted is None or (isinstance(value, accepted) and not isinstance(value, bool))


def column_ok(t: str, values: list[Value]) -> bool:
    """Does the declared type `t` accept every value of a column (a fact table's)?"""
    accepted = column_type(t).accepts
    return accepted is None or set(map(type, values)) <= set(accepted)


def compatible(a: str, b: str) -> bool:
    """Can one variable stand at columns of types `a` and `b` (do they share a value)?"""
    if "any" in (a, b) or a == b:
        return True
    return {a, b} == {"int", "number"}


def declared_kinds(t: str) -> Kinds:
    """The kinds a column of a declared type holds (`any`: numbers and symbols, as `.input` reads it)."""
    return column_type(t).kinds


def reader(t: str) -> Callable[[str], Value]:
    """How a data file's field is read for a column of type `t` (`int` itself for `int`: the fast readers
    test for it)."""
    return column_type(t).read
