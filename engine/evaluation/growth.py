"""Evaluation: telling a rule that makes new values without end from a long recursion (E601).

Input: each round's new tuples of the rules that compute a head value by
arithmetic (`computed_columns`), and the range of the numbers the program
and its data hold (`Range`). Output: the rule that has gone on growing for
too many rounds in a row, which the evaluators stop with E601.

`n(X + 1) :- n(X).` never stops, and `n(X + 1) :- n(X), X < 300000.`
stops after 300,000 rounds: both make a new number every round, so
counting rounds alone cannot tell them apart. The rule chosen looks at
where a round's new tuples come from:

- A number is *outside the range* when it is larger in magnitude than every
  number written in the program and held by the relations the stratum
  starts from (its facts and input rows, and the strata below), or has more
  decimal places than any of them.
- A rule *only grows* in a round when every new tuple it derives holds a
  number outside the range, and is, once those numbers are set aside, a
  tuple the rule had already derived (a sample of SAMPLE new tuples tells
  the usual case, a tuple within the range, at once). Its new
  tuples then owe their novelty to the new numbers alone.
- A rule that only grows for `limit` rounds in a row is stopped, and so is
  one that makes GROWING_TUPLES tuples in such a streak (a wide runaway,
  2,000 counters climbing together, stops in a few hundred rounds), or
  whose joins build GROWING_ROWS rows in it (more than it made tuples:
  the rows each step of its plan builds): `n(Y) :- n(X), n(Z), n(W),
  Y = X + Z + W + 1.` makes few tuples a round, three times as many as the
  round before, but joins every tuple with every pair; its fifth round
  builds tens of millions of rows and the next billions. That is looked at
  within a round too, between the batches of a join
  (engine.evaluation.batches), once the rule has only grown in the round
  before.

The bounded counter stays in the range (300000 is a number of the program),
so it is never counted. A path length over a long chain (`len(Y, L + 1) :-
len(X, L), e(X, Y).`) leaves the range, but each round reaches a new node
`Y`, so it does not only grow; on a cycle it does, and is stopped as it
should be. Fibonacci to a bound (`f(N + 1, A + B) :- ..., N < 1000`) owes
each new tuple to `N`, which is in the range. What is stopped wrongly is a
rule bounded by a number the program computes (`X < 2 * L`) that stays
outside the range for `limit` rounds: the help line says how to raise the
limit.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice

from .. import nodes as n
from .. import plan as P
from ..values import Value, show_atom

SAMPLE = 64  # new tuples looked at per rule and round
_EXACT = decimal.Context(prec=100)
GROWING_TUPLES = 1_000_000  # the tuples a streak of only growing may make (with a limit on its rounds)
GROWING_ROWS = 1_000_000  # the rows a streak of only growing may build in its joins (a few seconds at most)


@dataclass
class Range:
    """The numbers the program and its data hold: the largest magnitude and the finest decimal place."""

    magnitude: int | Decimal = 0
    exponent: int = 0  # the smallest exponent of a decimal's last digit (0: integers only)

    def add(self, v: Value) -> None:
        if not isinstance(v, (int, Decimal)) or isinstance(v, bool):
            return
        m: int | Decimal = v.copy_abs() if isinstance(v, Decimal) else abs(v)  # (exact: no context)
        if m > self.magnitude:
            self.magnitude = m
        if isinstance(v, Decimal) and v.is_finite():
            e = v.as_tuple().exponent
            if isinstance(e, int) and e < self.exponent:
                self.exponent = e

    def outside(self, v: Value) -> bool:
        """Is `v` a number larger than every one of the range, or with more decimal places?"""
        if type(v) is int:
            return v > self.magnitude or -v > self.magnitude
        if not isinstance(v, Decimal) or not v.is_finite():
            return False
        e = v.normalize(_EXACT).as_tuple().exponent
        return v.copy_abs() > self.magnitude or (isinstance(e, int) and e < self.exponent)


def range_of(rules: Iterable[n.Rule], values: Iterable[Iterable[Value]]) -> Range:
    """The range of the numbers written in rules and of `values` (the data)."""
    out = Range()
    for rule in rules:
        for v in _constants([rule.head], rule.body):
            out.add(v)
    for vs in values:
        for v in vs:
            out.add(v)
    return out


def _constants(atoms: list[n.Atom], body: tuple[n.Literal, ...]) -> Iterable[Value]:
    exprs: list[n.Expr] = [a for atom in atoms for a in atom.args]
    for lit in body:
        if isinstance(lit, n.Atom):
            exprs += lit.args
        elif isinstance(lit, n.Negation):
            exprs += lit.atom.args
        else:
            exprs += [lit.left, lit.right]
    while exprs:
        e = exprs.pop()
        if isinstance(e, n.Const):
            yield e.value
        elif isinstance(e, n.BinOp):
            exprs += [e.left, e.right]
        elif isinstance(e, n.Neg):
            exprs.append(e.operand)
        elif isinstance(e, n.Aggregate):
            yield from _constants([], e.body)
            if e.term is not None:
                exprs.append(e.term)


def computed_columns(plan: P.RulePlan) -> tuple[int, ...]:
    """The head's columns whose value arithmetic computes, directly or through `X = expr` (empty: none)."""
    computed: set[int] = set()
    width = 0
    for step in plan.steps:
        if isinstance(step, P.Join):
            width += len(step.out_cols)
        elif isinstance(step, P.Bind):
            if _arithmetic(step.expr, computed):
                computed.add(width)
            width += 1
        elif isinstance(step, P.AggregateStep):
            width += 1
    return tuple(i for i, a in enumerate(plan.head_args) if _arithmetic(a, computed))


def _arithmetic(e: P.PExpr, computed: set[int]) -> bool:
    if isinstance(e, P.Slot):
        return e.index in computed
    return isinstance(e, (P.Op, P.Minus))


@dataclass
class Growth:
    """Which rules only grow, and for how many rounds in a row (see the module's docstring)."""

    limit: int | None
    data: Callable[[], Range] = Range  # the range of the stratum being evaluated, found when first needed
    seen: dict[int, set[tuple[Value | None, ...]]] = field(default_factory=dict)
    rounds: dict[int, int] = field(default_factory=dict)
    tuples: dict[int, int] = field(default_factory=dict)  # made in the current streak
    rows: dict[int, int] = field(default_factory=dict)  # join rows built in the current streak
    last: dict[int, tuple[Value, ...]] = field(default_factory=dict)
    _range: Range | None = None

    def start(self, data: Callable[[], Range]) -> None:
        """A new stratum, whose numbers `data()` gives (called once, if a rule of it makes values)."""
        self.data = data
        self._range = None
        self.seen.clear()
        self.rounds.clear()
        self.tuples.clear()
        self.rows.clear()
        self.last.clear()

    @property
    def range(self) -> Range:
        if self._range is None:
            self._range = self.data()
        return self._range

    def only_grows(self, rule: int, new: set[tuple[Value, ...]], columns: tuple[int, ...]) -> bool:
        """Do these new tuples of `rule` owe their novelty to numbers outside the range alone?

        A sample (SAMPLE tuples) answers no cheaply: one tuple without a number outside the range.
        Else every new tuple is looked at, and its part inside the range remembered.
        """
        outside = self.range.outside
        for t in islice(new, SAMPLE):
            if not any(outside(t[c]) for c in columns):
                return False
        seen = self.seen.setdefault(rule, set())
        before = len(seen)
        for t in new:
            seen.add(tuple(None if (c in columns and outside(v)) else v for c, v in enumerate(t)))
            self.last[rule] = t
        return len(seen) == before

    def after_round(self, grew: dict[int, int], rows: dict[int, int] | None = None) -> int | None:
        """Count the rounds in a row each rule of `grew` only grew (the tuples it made if it did, else 0: a
        rule that made nothing did not grow), their tuples and the join rows they built (`rows`, by rule);
        the first rule past the limits, if any. A rule left out of `grew` was not looked at this round:
        its count stays."""
        for rule, made in grew.items():
            if not made:
                self.rounds[rule] = self.tuples[rule] = self.rows[rule] = 0
                continue
            self.rounds[rule] = self.rounds.get(rule, 0) + 1
            self.tuples[rule] = self.tuples.get(rule, 0) + made
            self.rows[rule] = self.rows.get(rule, 0) + (rows or {}).get(rule, 0)
            if self.limit is not None and (self.rounds[rule] > self.limit or self.tuples[rule] > GROWING_TUPLES
                                           or self.rows[rule] > GROWING_ROWS):
                return rule
        return None

    def streak_rows(self, rule: int, rows: int) -> bool:
        """Within a round: has `rule`, which only grew in the round before, built more than GROWING_ROWS rows
        in its streak with the `rows` of this round so far?"""
        return (self.limit is not None and self.rounds.get(rule, 0) > 0
                and self.rows.get(rule, 0) + rows > GROWING_ROWS)

    def still_grows(self, rule: int, new: set[tuple[Value, ...]], columns: tuple[int, ...], rows: int) -> bool:
        """Within a round: do the new tuples so far of `rule` only grow? If so the round is counted as done
        (with `rows` join rows), for `growth_message`. Nothing is remembered otherwise."""
        outside = self.range.outside
        seen = self.seen.get(rule, set())
        for t in new:
            if tuple(None if (c in columns and outside(v)) else v for c, v in enumerate(t)) not in seen:
                return False
        self.rounds[rule] = self.rounds.get(rule, 0) + 1
        self.tuples[rule] = self.tuples.get(rule, 0) + len(new)
        self.rows[rule] = self.rows.get(rule, 0) + rows
        self.last[rule] = next(iter(new))
        return True

    def by_size(self, rule: int) -> bool:
        """Was `rule` stopped for its tuples or join rows in the streak, not for its rounds?"""
        return self.tuples.get(rule, 0) > GROWING_TUPLES or self.rows.get(rule, 0) > GROWING_ROWS

    def growing(self, rule: int) -> int:
        """How many rounds in a row `rule` has only grown (0: it is not making new values)."""
        return self.rounds.get(rule, 0)


# ---- E601's words ------------------------------------------------------------


def growth_message(g: Growth, rule_index: int, pred: str) -> str:
    """E601's message for a rule that only grows (its join rows named when they are what stopped it)."""
    rows = g.rows.get(rule_index, 0)
    built = f" from {rows:,} rows built by its joins" if rows > GROWING_ROWS and not g.tuples[rule_index] > GROWING_TUPLES else ""
    return (f"this rule has made nothing but new numbers, beyond every number of the program and its data, for "
            f"{g.rounds[rule_index]:,} rounds in a row ({g.tuples[rule_index]:,} tuples{built}; the last: "
            f"{show_atom(pred, g.last[rule_index])})")


def growth_help(by_size: bool) -> str:
    """E601's help for a rule that only grows: stopped by its rounds, or by the tuples or rows of its streak."""
    if not by_size:
        return limit_help("--max-growing-rounds", True)
    return ("a rule that computes new values from its own results (such as `X + 1`) does not stop by itself; "
            "add a bound (`X < 1000`), or, if it is bounded, turn this check off with --max-growing-rounds none")


def limit_help(limit: str, growing: bool, in_memory: bool = False, aggregate: bool = False) -> str:
    """E601's help, by cause: a rule that is making new values (`growing`), or a result that is simply large
    (or, with `aggregate`, an aggregate over a large join)."""
    if growing:
        return ("a rule that computes new values from its own results (such as `X + 1`) does not stop by itself; "
                f"add a bound (`X < 1000`), or, if it is bounded, raise {limit}")
    if limit == "--timeout":
        return "no rule is making new values: the evaluation is long, not endless; raise --timeout"
    elsewhere = ", or evaluate past memory on a SQL backend (--backend duckdb --database FILE)" if in_memory else ""
    large = "an aggregate ranges over a large join" if aggregate else "the result is simply large (a closure or a join)"
    return f"no rule is making new values: {large}; raise {limit}{elsewhere}"


def goal_limit_help(limit: str) -> str:
    """E601's help for a goal asked of the model that passed a limit (its rows are many: often a cross product)."""
    return ("the goal's answers are many (atoms that share no variable build every combination of their "
            f"tuples): bind a variable to a constant or join the atoms on one, or raise {limit}")
