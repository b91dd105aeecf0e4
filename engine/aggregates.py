"""Aggregates: one table that every stage reads.

The parser takes its keywords from it (and whether a term is required),
stratification which tests let an aggregate feed the recursion it is part
of, the evaluator and the proof search how values are computed over the
distinct matches of the braces (and kept running, for the monotone ones),
the SQL backends which of them they compile, the editor its completions. A
new aggregate is one entry here plus tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .values import ARITH, NOT_A_NUMBER, ArithmeticFault, UndefinedArithmetic, Value, compare, is_number


@dataclass(frozen=True)
class AggregateFunction:
    """One aggregate: `name { term : body }`.

    `empty` is the value over no match (None: no value, and the rule does not
    fire for that group). `recursive_tests` are the comparisons with which its
    value may feed a recursion through it (the value only grows, or only
    shrinks, as the recursion adds matches); none for an aggregate that is not
    monotone. `fold` adds one match's term to a running value (None: nothing
    yet); `check` refuses a term a recursive use cannot take. With `numeric`,
    the terms must be numbers: a match whose term is not one is left out, as
    an instance whose arithmetic is undefined (engine.evaluation.dropped).
    """

    name: str
    has_term: bool
    empty: Value | None
    recursive_tests: tuple[str, ...]
    fold: Callable[[Value | None, Value | None], Value | None]
    finish: Callable[[Value | None, int], Value | None] = lambda acc, n: acc
    check: Callable[[Value], None] | None = None
    numeric: bool = False

    @property
    def monotone(self) -> bool:
        return bool(self.recursive_tests)

    def left_out(self, term: Value | None) -> UndefinedArithmetic | None:
        """Why a match with this term is left out (a `sum` of a symbol), or None when it counts."""
        if self.numeric and not is_number(term):
            return UndefinedArithmetic(self.name, (term,), NOT_A_NUMBER)  # type: ignore[arg-type]
        return None

    def value(self, terms: Iterable[Value | None]) -> Value | None:
        """The value over the terms of the distinct matches (a term is None for `count`)."""
        acc: Value | None = None
        k = 0
        for t in terms:
            acc = self.fold(acc, t)
            k += 1
        return self.finish(acc, k) if k else self.empty


def _count(acc: Value | None, _term: Value | None) -> Value:
    return (acc or 0) + 1  # type: ignore[operator]


def _sum(acc: Value | None, term: Value | None) -> Value:
    assert term is not None
    if type(term) is int and type(acc) is int:  # the usual case, without the checks
        return acc + term
    return ARITH["+"](acc if acc is not None else 0, term)


def _extreme(op: str) -> Callable[[Value | None, Value | None], Value | None]:
    def fold(acc: Value | None, term: Value | None) -> Value | None:
        assert term is not None
        return term if acc is None or compare(op, term, acc) else acc

    return fold


def _mean(total: Value | None, k: int) -> Value | None:
    """An exact mean: an integer when the sum divides evenly, else a decimal (as `/` gives)."""
    return ARITH["/"](total if total is not None else 0, k)


def _non_negative(v: Value) -> None:
    if is_number(v) and v < 0:  # type: ignore[operator]
        raise ArithmeticFault(f"recursive `sum` met a negative number ({v}); it would not be monotone")


AGGREGATES: dict[str, AggregateFunction] = {
    "count": AggregateFunction("count", False, 0, (">=", ">"), _count),
    "sum": AggregateFunction("sum", True, 0, (">=", ">"), _sum, check=_non_negative, numeric=True),
    "min": AggregateFunction("min", True, None, ("<=", "<"), _extreme("<")),
    "max": AggregateFunction("max", True, None, (">=", ">"), _extreme(">")),
    # not monotone (a mean may go either way as matches are added): never through recursion;
    # over no match it has no value, as min and max
    "avg": AggregateFunction("avg", True, None, (), _sum, finish=_mean, numeric=True),
}
NAMES: tuple[str, ...] = tuple(AGGREGATES)


def aggregate(name: str) -> AggregateFunction:
    return AGGREGATES[name]
