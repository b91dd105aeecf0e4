"""Evaluation: rule instances dropped because their arithmetic is undefined, and the warning that reports them.

As in clingo, an instance of a rule (or of a goal, or a match of an
aggregate's braces) whose arithmetic has no value fails: `10 / 0`, `a + 1`
(a symbol is not a number), `2.5 % 2` (`%` takes integers). It derives
nothing, and evaluation goes on. Every evaluator (the in-memory one and the
SQL backends) tells a `Dropped` of each such operation, by the rule's index
and the operator, the reason and the operands; after the run, `warnings`
gives one W104 per rule and operator that names one offending operation and
how many distinct inputs failed. The inputs counted are those the evaluator
met in the join order its plan chose: arithmetic placed before a join of the
body may meet operands of partial matches that no full instance has, so the
in-memory engine and a SQL backend (whose first round of a recursive
stratum joins the stratum's own relations last) may count differently
(tests/differential/test_undefined_arithmetic.py checks that they warn at
the same rules, of the same operators, for the same reasons):

    >>> from engine.values import UndefinedArithmetic, DIVISION_BY_ZERO
    >>> d = Dropped()
    >>> d.note(0, UndefinedArithmetic("/", (10, 0), DIVISION_BY_ZERO))
    >>> d.tallies[(0, "/", DIVISION_BY_ZERO)].describe("rule")
    '`/` is undefined on 1 input in this rule: `10 / 0` (division by zero)'

What stops an evaluation instead (E602) is not here: a result too large to
hold, a negative number reaching a recursive `sum` (engine.values.ArithmeticFault).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from .. import nodes as n
from ..errors import Diagnostic, Span
from ..values import (
    DIVISION_BY_ZERO,
    NOT_A_NUMBER,
    REMAINDER_OF_DECIMAL,
    UndefinedArithmetic,
    Value,
    operation,
    row_key,
    show,
)

CAP = 10_000  # distinct inputs counted per rule and operator; past it the warning says "more than"

Note = Callable[[UndefinedArithmetic], None]


def ignore(exc: UndefinedArithmetic) -> None:
    """A `Note` that drops the instance and tells no one: for matching against a finished model,
    where evaluation already reported it."""

_HELP = {
    NOT_A_NUMBER: "declare the columns' types with `.decl`, and `syllog check` finds arithmetic on symbols and "
                  "strings before evaluation",
    DIVISION_BY_ZERO: "test the divisor first (`Y != 0`) to make the intent plain",
    REMAINDER_OF_DECIMAL: "`%` is defined on integers only",
}


@dataclass
class FailedOperands:
    """The distinct operands one operator failed on, at one place (up to CAP of them)."""

    op: str
    reason: str
    operands: set[tuple[Value, ...]] = field(default_factory=set)
    more: bool = False  # past CAP: some were not kept

    def add(self, operands: tuple[Value, ...]) -> None:
        if len(self.operands) < CAP:
            self.operands.add(operands)
        elif operands not in self.operands:
            self.more = True

    def describe(self, what: str) -> str:
        """`/` is undefined on 2 inputs in this rule, such as `10 / 0` (division by zero)."""
        k = len(self.operands)
        least = min(self.operands, key=row_key)
        reason = str(UndefinedArithmetic(self.op, least, self.reason))
        if self.more:
            count = f"more than {CAP:,} inputs"
        else:
            count = f"{k:,} input{'s' * (k != 1)}"
        such = "such as " if k > 1 or self.more else ""
        sep = "," if such else ":"
        # an aggregate's term (`sum` of a symbol), else the operation as written
        example = f"the term `{show(least[0])}`" if self.op.isalpha() else f"`{operation(self.op, least)}`"
        return f"`{self.op}` is undefined on {count} in this {what}{sep} {such}{example} ({reason})"


class Dropped:
    """What one evaluation dropped: a `FailedOperands` per (place, operator, reason); a place is a rule's index."""

    def __init__(self) -> None:
        self.tallies: dict[tuple[int, str, str], FailedOperands] = {}
        self._notes: dict[int, Note] = {}

    def note(self, where: int, exc: UndefinedArithmetic) -> None:
        self.add(where, exc.op, exc.reason, exc.operands)

    def add(self, where: int, op: str, reason: str, operands: tuple[Value, ...]) -> None:
        key = (where, op, reason)
        tally = self.tallies.get(key)
        if tally is None:
            tally = self.tallies[key] = FailedOperands(op, reason)
        tally.add(operands)

    def noter(self, where: int) -> Note:
        """`note` for one place, as the compiled steps take it."""
        got = self._notes.get(where)
        if got is None:
            got = self._notes[where] = lambda exc: self.note(where, exc)
        return got

    def rule_warnings(self, rules: list[n.Rule]) -> list[Diagnostic]:
        """One W104 per rule and operator, at the operator when the rule has one of it, else at the rule."""
        out = []
        for (where, _op, _reason), tally in sorted(self.tallies.items(), key=lambda kv: kv[0]):
            rule = rules[where]
            span = operator_span([rule.head], rule.body, tally.op) or rule.span
            out.append(warning(tally, "rule", span))
        return out

    def goal_warnings(self, body: tuple[n.Literal, ...], span: Span) -> list[Diagnostic]:
        """The same for a goal (every place is the goal)."""
        return [warning(t, "goal", operator_span([], body, t.op) or span)
                for _key, t in sorted(self.tallies.items(), key=lambda kv: kv[0])]


def warning(tally: FailedOperands, what: str, span: Span) -> Diagnostic:
    return Diagnostic("W104", tally.describe(what), span, "warning",
                      "an instance whose arithmetic is undefined fails, as in clingo: it derives nothing, and an "
                      "aggregate leaves it out; " + _HELP[tally.reason])


def operator_span(atoms: list[n.Atom], body: tuple[n.Literal, ...], op: str) -> Span | None:
    """The place of the one operation `op` in a rule (None when it has none or several).

    An aggregate that needs numbers (`sum`) counts as its term's place.
    """
    found = [e.span for e in _operations(atoms, body) if _operator(e) == op]
    return found[0] if len(found) == 1 else None


def _operator(e: n.Expr) -> str:
    if isinstance(e, n.BinOp):
        return e.op
    if isinstance(e, n.Neg):
        return "-"
    if isinstance(e, n.Aggregate):
        return e.func
    return ""


def _operations(atoms: list[n.Atom], body: tuple[n.Literal, ...]) -> Iterator[n.Expr]:
    for a in atoms:
        for x in a.args:
            yield from _subexprs(x)
    for lit in body:
        if isinstance(lit, n.Atom):
            yield from _operations([lit], ())
        elif isinstance(lit, n.Negation):
            yield from _operations([lit.atom], ())
        else:
            yield from _subexprs(lit.left)
            yield from _subexprs(lit.right)


def _subexprs(e: n.Expr) -> Iterator[n.Expr]:
    if isinstance(e, n.BinOp):
        yield e
        yield from _subexprs(e.left)
        yield from _subexprs(e.right)
    elif isinstance(e, n.Neg):
        yield e
        yield from _subexprs(e.operand)
    elif isinstance(e, n.Aggregate):
        yield e
        if e.term is not None:
            yield from _subexprs(e.term)
        yield from _operations([], e.body)
