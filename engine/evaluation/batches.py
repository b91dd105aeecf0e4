"""Evaluation: running compiled steps, whole or in batches that the limits can look between.

Input: a rule's compiled steps (engine.evaluation.compile: each a function
from a list of rows to a list of rows), with, for each, a bound on the rows
one input row can become (its *fan-out*: the size of the relation a join
reads; None for a step that never adds rows: a filter, a negation, a
binding, an aggregate). Output: the last step's rows.

`run_steps` runs each step on all the rows at once: the fastest way, and
the way of proofs. `collect_batches` runs a goal asked of a model (a query)
in batches, so that the limits stop a goal that would build too many rows. `run_batches`
does the same while no step can build more than BATCH_ROWS rows from its
input (the input's size times its fan-out): the usual case, at the cost of
one comparison a step. Otherwise, from that step on, the rows are cut into
slices and each slice is taken through the remaining steps before the next
(depth first), so no step holds more than about BATCH_ROWS rows at a time
(issue 23: one round of `n(Y) :- n(X), n(Z), n(W), Y = X + Z + W + 1.`
joins a few hundred tuples three times over, tens of millions of rows in
one list before any limit was looked at). A slice starts at BATCH_ROWS
over the fan-out bound and then follows the fan-out actually seen (growing
at most fourfold a slice), so a rare key far more frequent than those before
it can make one slice larger than BATCH_ROWS, never unbounded. Every step
tells a `Tally` how many rows it built, and every LOOK_ROWS rows the tally
calls its `look`: the evaluator checks its limits there, inside the round.

A step whose arithmetic is undefined for a row (`10 / 0`) is run again on
its rows one at a time: the failing rows are dropped and told to a `Note`
(engine.evaluation.dropped), the others go on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import islice
from typing import Any

from ..values import UndefinedArithmetic
from .dropped import Note
from .relation import Row

Rows = Iterable[Row]
StepFn = Callable[[Rows, dict[str, set[Row]]], Rows]
Fan = Callable[[dict[str, set[Row]]], int] | None  # a step's fan-out bound, given the round's delta
Sink = Callable[[Rows], None]

BATCH_ROWS = 1 << 16  # the rows a step may build from one slice of its input
LOOK_ROWS = 1 << 16  # rows built between two looks at the limits


class Tally:
    """The rows a rule's steps built, and `look()` called every LOOK_ROWS of them (to check limits).

    `held` is what the caller holds besides (an aggregate's matches so far), for `look` to count.
    """

    __slots__ = ("rows", "next", "look", "held")

    def __init__(self, look: Callable[[], None] | None = None) -> None:
        self.restart(look)

    def restart(self, look: Callable[[], None] | None) -> None:
        """Count from 0 again, calling `look` now."""
        self.rows = 0
        self.next = LOOK_ROWS
        self.look = look
        self.held = 0

    def __call__(self, rows: int) -> None:
        self.rows += rows
        if self.rows >= self.next:
            self.next = self.rows + LOOK_ROWS
            if self.look is not None:
                self.look()


def run_steps(fns: list[StepFn], d: dict[str, set[Row]], note: Note | None = None,
              rows: Rows = ((),)) -> Rows:
    """The rows of compiled steps, from one empty row (or `rows`), each step on all rows at once.

    With `note`, a row whose arithmetic is undefined is dropped and told to
    it: a step that meets one is run again on its rows one at a time.
    Without, the `UndefinedArithmetic` is raised.
    """
    for fn in fns:
        rows = apply(fn, rows, d, note)
        if not rows:
            return []
    return rows


def apply(fn: StepFn, rows: Rows, d: dict[str, set[Row]], note: Note | None) -> Rows:
    """One step on `rows`; with `note`, the rows whose arithmetic is undefined dropped."""
    try:
        return fn(rows, d)
    except UndefinedArithmetic:
        if note is None:
            raise
        return one_at_a_time(fn, rows, d, note)


def run_batches(fns: list[StepFn], fans: list[Fan], d: dict[str, set[Row]], sink: Sink, tally: Tally,
                note: Note | None = None, rows: Rows = ((),)) -> None:
    """The rows of compiled steps, handed to `sink` batch by batch; `tally` hears of every row built.

    The same rows as `run_steps`, cut into batches when a step could build
    more than BATCH_ROWS rows at once (see the module's docstring).
    """
    i = 0
    for fn, fan in zip(fns, fans):
        if fan is not None and len(rows) > 1 and len(rows) * fan(d) > BATCH_ROWS:  # type: ignore[arg-type]
            _sliced(fns, fans, i, rows, d, sink, tally, note)
            return
        try:
            rows = fn(rows, d)
        except UndefinedArithmetic:
            if note is None:
                raise
            rows = one_at_a_time(fn, rows, d, note)
        tally(len(rows))  # type: ignore[arg-type]
        if not rows:
            return
        i += 1
    sink(rows)


def collect_batches(fns: list[StepFn], fans: list[Fan], d: dict[str, set[Row]], tally: Tally,
                    note: Note | None = None) -> list[Row]:
    """The rows of `run_batches` gathered in one list: a goal's rows, which the tally's looks bound.

    The tally is looked at once more at the end, so that a limit below LOOK_ROWS holds too.
    """
    out: list[Row] = []
    run_batches(fns, fans, d, out.extend, tally, note)
    if tally.look is not None:
        tally.look()
    return out


class _Cursor:
    """The input of one step in slices: the whole of it, or slices sized to the fan-out seen so far."""

    __slots__ = ("rows", "size", "whole")

    def __init__(self, rows: Rows, fan: int | None) -> None:
        n = len(rows)  # type: ignore[arg-type]
        self.whole = fan is None or n <= 1 or n * fan <= BATCH_ROWS
        self.size = 0 if fan is None else max(1, BATCH_ROWS // max(fan, 1))
        self.rows: Any = rows if self.whole else iter(rows)

    def take(self) -> Rows | None:
        """The next slice, None when there is no more."""
        if self.whole:
            rows: Rows | None = self.rows
            self.rows = None
            return rows
        part = list(islice(self.rows, self.size))
        return part or None

    def seen(self, taken: int, built: int) -> None:
        """A slice of `taken` rows built `built`: size the next one to about BATCH_ROWS rows built."""
        if not self.whole and taken:
            ideal = taken * BATCH_ROWS // max(built, 1)
            self.size = max(1, min(ideal, self.size * 4))


def _sliced(fns: list[StepFn], fans: list[Fan], start: int, rows: Rows, d: dict[str, set[Row]], sink: Sink,
            tally: Tally, note: Note | None) -> None:
    """Steps `start` on, depth first: each slice of a step's input through the remaining steps before the next."""
    last = len(fns)
    stack = [_Cursor(rows, _bound(fans[start], d))]
    while stack:
        i = start + len(stack) - 1
        cursor = stack[-1]
        part = cursor.take()
        if part is None:
            stack.pop()
            continue
        out = apply(fns[i], part, d, note)
        built = len(out)  # type: ignore[arg-type]
        cursor.seen(len(part), built)  # type: ignore[arg-type]
        tally(built)
        if not built:
            continue
        if i + 1 == last:
            sink(out)
        else:
            stack.append(_Cursor(out, _bound(fans[i + 1], d)))


def _bound(fan: Fan, d: dict[str, set[Row]]) -> int | None:
    return None if fan is None else fan(d)


def one_at_a_time(fn: StepFn, rows: Rows, d: dict[str, set[Row]], note: Note) -> list[Row]:
    """A step on each row alone: the rows whose arithmetic is undefined are told to `note` and dropped."""
    kept: list[Row] = []
    for r in rows:
        try:
            kept.extend(fn([r], d))
        except UndefinedArithmetic as exc:
            note(exc)
    return kept


def map_defined(f: Callable[[Row], Any], rows: Rows, note: Note | None) -> list[Any]:
    """`[f(r) for r in rows]`, leaving out (and telling `note` of) the rows whose arithmetic is undefined."""
    try:
        return [f(r) for r in rows]
    except UndefinedArithmetic:
        if note is None:
            raise
    out = []
    for r in rows:
        try:
            out.append(f(r))
        except UndefinedArithmetic as exc:
            note(exc)
    return out


class Heads:
    """The head tuples a plan derives, gathered batch by batch; how many are new (not in `known`).

    Two sets, so that memory holds each tuple once: `fresh`, checked against
    `known` by the last `new()`, and `more`, gathered since. `estimate()` is
    cheap and never less than the number of new tuples; `new()` checks only
    what came since it was last called.
    """

    __slots__ = ("known", "fresh", "more")

    def __init__(self, known: set[Row]) -> None:
        self.known = known
        self.fresh: set[Row] = set()
        self.more: set[Row] = set()

    def add(self, tuples: set[Row]) -> None:
        """Gather a batch's tuples (a set the caller hands over)."""
        if self.more:
            self.more |= tuples
        else:
            self.more = tuples

    def add_all(self, tuples: Iterable[Row]) -> None:
        """Gather tuples from any iterable."""
        self.more.update(tuples)

    def estimate(self) -> int:
        return len(self.fresh) + len(self.more)

    def new(self) -> set[Row]:
        """The tuples gathered so far that `known` does not hold."""
        if self.more:
            self.fresh |= self.more - self.known
            self.more = set()
        return self.fresh

    def result(self) -> set[Row]:
        """Every tuple gathered (known ones too, unless `new` has been asked)."""
        if not self.fresh:
            return self.more
        self.fresh |= self.more
        return self.fresh
