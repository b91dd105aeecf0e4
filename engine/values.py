"""Run-time values: integers, exact decimals, symbols and strings.

Symbols are plain `str` (the common case, kept fast); string literals are
`String`, so `turkey` and `"turkey"` never compare equal. Decimals are
`decimal.Decimal` so that shares such as 33.3 + 16.7 add up to exactly 50.
"""

from __future__ import annotations

import decimal
import operator
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, Union

_CONTEXT = decimal.Context(prec=34)


class String:
    """A string literal's value. Distinct from a symbol with the same text."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, String) and other.text == self.text

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(("\x00string", self.text))

    def __lt__(self, other: String) -> bool:
        return self.text < other.text

    def __le__(self, other: String) -> bool:
        return self.text <= other.text

    def __gt__(self, other: String) -> bool:
        return self.text > other.text

    def __ge__(self, other: String) -> bool:
        return self.text >= other.text

    def __repr__(self) -> str:
        return f"String({self.text!r})"

    def __str__(self) -> str:
        """As written in the language, so that `str` shows every value as `show` does."""
        return quote(self.text)

    def __reduce__(self) -> tuple[type[String], tuple[str]]:
        return (String, (self.text,))


Value = Union[int, Decimal, str, String]


def kind_of(v: Value) -> str:
    """A value's kind: `int`, `dec` (a decimal), `sym` (a symbol) or `str` (a string); engine.kinds reasons
    over sets of them, KIND_WORDS names them in messages."""
    if isinstance(v, bool):
        raise TypeError("booleans are not values")
    if isinstance(v, int):
        return "int"
    if isinstance(v, Decimal):
        return "dec"
    if isinstance(v, str):
        return "sym"
    return "str"


KIND_WORDS = {"int": "number", "dec": "number", "sym": "symbol", "str": "string"}


def sort_key(v: Value) -> tuple[int, object]:
    """Total order for output: numbers, then symbols, then strings."""
    if isinstance(v, str):
        return (1, v)
    if isinstance(v, String):
        return (2, v.text)
    return (0, v)


def row_key(row: tuple[Value, ...]) -> tuple[tuple[int, object], ...]:
    return tuple(sort_key(v) for v in row)


def sort_rows(rows: Iterable[tuple[Value, ...]]) -> list[tuple[Value, ...]]:
    """Rows in value order (numbers, then symbols, then strings, column by column).

    Python's own tuple order agrees wherever it compares two values of one
    kind, and raises where the kinds differ: so it is tried first (in C),
    and `row_key` sorts only rows that mix kinds in a column.
    """
    try:
        return sorted(rows)
    except (TypeError, AttributeError):
        return sorted(rows, key=row_key)


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


def show(v: Value) -> str:
    """The value as written in the language."""
    if isinstance(v, str):
        return v
    if isinstance(v, String):
        return quote(v.text)
    return str(v)


def show_atom(pred: str, row: tuple[Value, ...]) -> str:
    if not row:
        return pred
    return f"{pred}({', '.join(map(str, row))})"  # str is show (see String.__str__)


def to_json(v: Value) -> object:
    """Symbols and strings become JSON strings, numbers JSON numbers."""
    if isinstance(v, str):
        return v
    if isinstance(v, String):
        return v.text
    if isinstance(v, Decimal):
        if v == v.to_integral_value():
            return int(v) if v.as_tuple().exponent == 0 else float(v)
        return float(v)
    return v


class ArithmeticFault(Exception):
    """Arithmetic that stops the evaluation: the evaluator turns it into a positioned error (E602).

    A result too large to hold, a negative number reaching a recursive `sum`.
    """


# why an operation is undefined (UndefinedArithmetic.reason)
NOT_A_NUMBER = "not a number"
DIVISION_BY_ZERO = "division by zero"
REMAINDER_OF_DECIMAL = "remainder of a decimal"


class UndefinedArithmetic(ArithmeticFault):
    """Arithmetic with no value for these operands: the rule instance computing it fails, as in clingo.

    `op` is the operator (`-` alone for a negation), `operands` its values,
    `reason` one of NOT_A_NUMBER, DIVISION_BY_ZERO, REMAINDER_OF_DECIMAL.
    The evaluators drop the instance and count it (engine.evaluation.dropped).

    >>> try:
    ...     div(10, 0)
    ... except UndefinedArithmetic as exc:
    ...     print(exc.example(), "-", exc)
    10 / 0 - division by zero
    """

    def __init__(self, op: str, operands: tuple[Value, ...], reason: str) -> None:
        super().__init__(_REASONS[reason].format(op=op, got=_first_non_number(operands)))
        self.op = op
        self.operands = operands
        self.reason = reason

    def example(self) -> str:
        """The operation as written: `10 / 0`, `a + 1`, `-a`."""
        return operation(self.op, self.operands)


_REASONS = {NOT_A_NUMBER: "`{op}` needs numbers, got {got}", DIVISION_BY_ZERO: "division by zero",
            REMAINDER_OF_DECIMAL: "`%` is defined on integers only"}


def operation(op: str, operands: tuple[Value, ...]) -> str:
    """An operation on values as written in the language."""
    if len(operands) == 1:
        return f"-{show(operands[0])}"
    return f"{show(operands[0])} {op} {show(operands[1])}"


def is_number(v: object) -> bool:
    return isinstance(v, (int, Decimal)) and not isinstance(v, bool)


def _first_non_number(operands: tuple[Value, ...]) -> str:
    for v in operands:
        if not is_number(v):
            return f"{KIND_WORDS[kind_of(v)]} `{show(v)}`"
    return ""


def _nums(op: str, a: Value, b: Value) -> tuple[int | Decimal, int | Decimal]:
    if is_number(a) and is_number(b):
        return a, b  # type: ignore[return-value]
    raise UndefinedArithmetic(op, (a, b), NOT_A_NUMBER)


MAX_DIGITS = 4300  # the most digits of an integer that arithmetic makes (Python's bound on printing one)
_INT_LIMIT = 10**MAX_DIGITS


def int_digits(text: str) -> int:
    """The digits of an integer literal's text (`_` separators and a sign not counted), which
    the parser bounds by MAX_DIGITS (E010), as arithmetic bounds results."""
    return len(text) - text.count("_") - text.startswith("-")


def _bounded(r: int) -> int:
    """An integer result, refused past `MAX_DIGITS` digits: it could not be printed, and grows without bound."""
    if r.bit_length() > 14_000 and abs(r) >= _INT_LIMIT:
        raise ArithmeticFault(f"the result has more than {MAX_DIGITS:,} digits")
    return r


def _decimal(op: Callable[[Decimal, Decimal], Decimal], x: int | Decimal, y: int | Decimal) -> Decimal:
    try:
        return op(Decimal(x), Decimal(y))
    except decimal.DecimalException:  # an exponent past the context's (10 to the 999,999)
        raise ArithmeticFault("the result is too large for a decimal") from None


def add(a: Value, b: Value) -> Value:
    x, y = _nums("+", a, b)
    if isinstance(x, int) and isinstance(y, int):
        return _bounded(x + y)
    return _decimal(_CONTEXT.add, x, y)


def sub(a: Value, b: Value) -> Value:
    x, y = _nums("-", a, b)
    if isinstance(x, int) and isinstance(y, int):
        return _bounded(x - y)
    return _decimal(_CONTEXT.subtract, x, y)


def mul(a: Value, b: Value) -> Value:
    x, y = _nums("*", a, b)
    if isinstance(x, int) and isinstance(y, int):
        return _bounded(x * y)
    return _decimal(_CONTEXT.multiply, x, y)


def div(a: Value, b: Value) -> Value:
    x, y = _nums("/", a, b)
    if y == 0:
        raise UndefinedArithmetic("/", (a, b), DIVISION_BY_ZERO)
    if isinstance(x, int) and isinstance(y, int):
        q, r = divmod(x, y)
        if r == 0:
            return q
    return _decimal(_CONTEXT.divide, x, y)


def mod(a: Value, b: Value) -> Value:
    x, y = _nums("%", a, b)
    if not (isinstance(x, int) and isinstance(y, int)):
        raise UndefinedArithmetic("%", (a, b), REMAINDER_OF_DECIMAL)
    if y == 0:
        raise UndefinedArithmetic("%", (a, b), DIVISION_BY_ZERO)
    return x % y


def neg(a: Value) -> Value:
    if isinstance(a, Decimal):
        return _decimal(lambda x, _y: _CONTEXT.minus(x), a, 0)  # 34 digits, as every operation (not `-a`: 28)
    if not is_number(a):
        raise UndefinedArithmetic("-", (a,), NOT_A_NUMBER)
    return -a  # type: ignore[operator]


ARITH = {"+": add, "-": sub, "*": mul, "/": div, "%": mod}


_KIND_RANK = {"int": 0, "dec": 0, "sym": 1, "str": 2}
_ORDER_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def compare(op: str, a: Value, b: Value) -> bool:
    """`a op b`. Values of different kinds are ordered as in sorting, never an error.

    >>> compare("<", 3, "a")
    True
    """
    if op == "=":
        return a == b
    if op == "!=":
        return a != b
    test = _ORDER_OPS[op]
    try:
        return test(a, b)
    except (TypeError, AttributeError):
        # values of different kinds follow the output order: numbers < symbols < strings
        return test(_KIND_RANK[kind_of(a)], _KIND_RANK[kind_of(b)])
