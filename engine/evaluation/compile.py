"""Plans to closures: each step becomes a function from a list of rows to a list of rows.

Steps work a set at a time with comprehensions over hash indexes, so the
per-tuple work stays inside CPython's fast paths. Delta relations are passed
in at call time; indexes of full relations are captured once and grow in
place as the fixpoint adds tuples.

Arithmetic that is undefined for a row (`10 / 0`, `a + 1`) makes that rule
instance fail: a step that meets an `UndefinedArithmetic` is run again on
its rows one at a time (engine.evaluation.batches: `run_steps`,
`map_defined`), the rows whose arithmetic fails are dropped and told to a
`Note` (engine.evaluation.dropped), and the others go on; so the usual case
pays nothing for it. `fan_outs` bounds the rows each step can make of one
row, so that the evaluator can run the steps in batches (`run_batches`).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from decimal import Decimal
from itertools import islice, repeat
from operator import itemgetter
from typing import Any

from .. import plan as P
from ..aggregates import AGGREGATES
from ..values import ARITH, Value, compare, neg
from .batches import Fan, Rows, StepFn, Tally, map_defined, run_batches, run_steps
from .dropped import Note
from .relation import Relation, Row, getter, group_into

RowFn = Callable[[Row], Any]
EMPTY: tuple[Row, ...] = ()


def expr_fn(e: P.PExpr) -> RowFn:
    if isinstance(e, P.Slot):
        return itemgetter(e.index)
    if isinstance(e, P.Lit):
        v = e.value
        return lambda r: v
    if isinstance(e, P.Minus):
        f = expr_fn(e.operand)
        return lambda r: neg(f(r))
    op = ARITH[e.op]
    fl, fr = expr_fn(e.left), expr_fn(e.right)
    return lambda r: op(fl(r), fr(r))


def key_fn(exprs: tuple[P.PExpr, ...]) -> RowFn:
    """Key of a row for an index: a value for one column, a tuple for several."""
    if all(isinstance(e, P.Slot) for e in exprs):
        return getter(tuple(e.index for e in exprs))  # type: ignore[union-attr]
    fs = [expr_fn(e) for e in exprs]
    if len(fs) == 1:
        return fs[0]
    return lambda r: tuple(f(r) for f in fs)


def head_fn(args: tuple[P.PExpr, ...], width: int) -> RowFn:
    """A row to the head tuple."""
    if all(isinstance(a, P.Slot) for a in args):
        cols = tuple(a.index for a in args)  # type: ignore[union-attr]
        if len(cols) == 0:
            return lambda r: ()
        if cols == tuple(range(width)):
            return lambda r: r
        if len(cols) == 1:
            c = cols[0]
            return lambda r: (r[c],)
        return itemgetter(*cols)
    fs = [expr_fn(a) for a in args]
    return lambda r: tuple(f(r) for f in fs)


def _scan_filter(step: P.Join) -> Callable[[Rows], Rows]:
    """Rows from scanning a whole set of tuples (no bound key)."""
    consts, eqs, outs = step.const_cols, step.eq_cols, step.out_cols
    if not consts and not eqs and outs == tuple(range(step.arity)):
        return lambda ts: ts

    def ok(t: Row) -> bool:
        return all(t[c] == v for c, v in consts) and all(t[a] == t[b] for a, b in eqs)

    proj = head_fn(tuple(P.Slot(c) for c in outs), step.arity)
    return lambda ts: [proj(t) for t in ts if ok(t)]


def compile_steps(steps: tuple[P.Step, ...], rels: dict[str, Relation], first_is_seed: bool,
                  note: Note | None = None, tally: Tally | None = None) -> list[StepFn]:
    """One function per step. With `first_is_seed`, the first step starts from a single empty row.

    `note` hears of every match of an aggregate's braces left out for its
    arithmetic; `tally` of the rows an aggregate's braces build (in batches).
    """
    fns: list[StepFn] = []
    for pos, step in enumerate(steps):
        first = first_is_seed and pos == 0
        fns.append(_compile(step, rels, first, note, tally))
    return fns


def fan_outs(steps: tuple[P.Step, ...], rels: dict[str, Relation]) -> list[Fan]:
    """For each step, a bound on the rows it makes of one row (None: at most one), given the delta.

    A join makes at most as many rows as its relation (or the delta it reads)
    holds; a semi-join, a filter, a negation, a binding and an aggregate at most one.
    """
    return [_fan_out(step, rels) for step in steps]


def _fan_out(step: P.Step, rels: dict[str, Relation]) -> Fan:
    if not isinstance(step, P.Join):
        return None
    pred = step.pred
    if step.delta:
        return lambda d: len(d[pred])
    if not step.out_cols:  # an existence test
        return None
    rel = rels[pred]
    return lambda d: len(rel)


def _compile(step: P.Step, rels: dict[str, Relation], first: bool, note: Note | None = None,
             tally: Tally | None = None) -> StepFn:
    if isinstance(step, P.Join):
        return _join(step, rels, first)
    if isinstance(step, P.AntiJoin):
        idx = rels[step.pred].index((step.key_cols, step.const_cols, step.eq_cols, ())).data
        kf = key_fn(step.key)
        return lambda rows, d: [r for r in rows if kf(r) not in idx]
    if isinstance(step, P.Filter):
        return _filter(step)
    if isinstance(step, P.Bind):
        f = expr_fn(step.expr)
        return lambda rows, d: [r + (f(r),) for r in rows]
    return AggregateFn(step, rels, note, tally)


def _join(step: P.Join, rels: dict[str, Relation], first: bool) -> StepFn:
    if step.delta:
        scan = _scan_filter(step)
        if first:
            return lambda rows, d: scan(d[step.pred])

        def cross(rows: Rows, d: dict[str, set[Row]]) -> Rows:
            ts = list(scan(d[step.pred]))
            return [r + t for r in rows for t in ts]

        return cross
    rel = rels[step.pred]
    if first and not step.key_cols and not step.const_cols:
        scan = _scan_filter(step)
        tuples = rel.tuples
        return lambda rows, d: scan(tuples)
    idx = rel.index((step.key_cols, step.const_cols, step.eq_cols, step.out_cols))
    data = idx.data
    if not step.key_cols:
        if idx.exists:
            return lambda rows, d: rows if () in data else []
        if first:
            return lambda rows, d: list(data.get((), EMPTY))
        return lambda rows, d: [r + e for r in rows for e in data.get((), EMPTY)]
    kf = key_fn(step.key)
    if idx.exists:
        return lambda rows, d: [r for r in rows if kf(r) in data]
    get = data.get
    return lambda rows, d: [r + e for r in rows for e in get(kf(r), EMPTY)]


_PY_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


def _filter(step: P.Filter) -> StepFn:
    fl, fr = expr_fn(step.left), expr_fn(step.right)
    op = step.op
    if op == "=":
        return lambda rows, d: [r for r in rows if fl(r) == fr(r)]
    if op == "!=":
        return lambda rows, d: [r for r in rows if fl(r) != fr(r)]
    native = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}[op]

    def run(rows: Rows, d: dict[str, set[Row]]) -> Rows:
        try:
            return [r for r in rows if native(fl(r), fr(r))]
        except (TypeError, AttributeError):
            # values of different kinds: fall back to the total order
            return [r for r in rows if compare(op, fl(r), fr(r))]

    return run


def aggregate_rows(step: P.AggregateStep, inner: list[StepFn], group_row: Row, d: dict[str, set[Row]],
                   note: Note | None = None, fans: list[Fan] | None = None, tally: Tally | None = None) -> set[Row]:
    """The distinct inner rows (bindings of the braces' variables) of one group.

    With `tally` (and the steps' `fans`), in batches: the matches found so far are its `held` rows.
    """
    if tally is None or fans is None:
        return set(run_steps(inner, d, note, [group_row]))
    matches: set[Row] = set()
    before = tally.held

    def sink(rows: Rows) -> None:
        matches.update(rows)
        tally.held = before + len(matches)

    try:
        run_batches(inner, fans, d, sink, tally, note, [group_row])
    finally:
        tally.held = before
    return matches


class AggregateFn:
    """An aggregate step: each row gets its group's value appended (rows of groups with no value drop).

    With `incremental` set (a recursive aggregate whose groups the evaluator
    finds from each round's new tuples, see Evaluator.group_finders), the
    values persist across rounds in `state` and the evaluator adds each
    round's new inner rows to them (`add`); a group not yet in `state` is
    computed from scratch once. With a `tally`, the matches of a group are
    found in batches, and the tally's look can stop a join that explodes.
    """

    def __init__(self, step: P.AggregateStep, rels: dict[str, Relation], note: Note | None = None,
                 tally: Tally | None = None) -> None:
        self.step = step
        self.rels = rels
        self.note = note
        self.tally = tally
        self._inner: list[StepFn] | None = None  # compiled on first use: complete values never need it
        self.fans = fan_outs(step.body, rels)
        self.gf = getter(step.group)
        self.tf = expr_fn(step.term) if step.term is not None else None
        self.single = len(step.group) == 1
        self.only_key = restrict_key(step)
        self.incremental = False
        # complete: every group with a match is in `state` (a group absent has none)
        self.complete = False
        self.state: dict[Any, tuple[bool, Value]] = {}
        self.kind = AGGREGATES[step.func]
        self.empty: tuple[bool, Value] = (False, 0) if self.kind.empty is None else (True, self.kind.empty)

    @property
    def inner(self) -> list[StepFn]:
        if self._inner is None:
            self._inner = compile_steps(self.step.body, self.rels, False, self.note, self.tally)
        return self._inner

    def value(self, group_row: Row, d: dict[str, set[Row]]) -> tuple[bool, Value]:
        step = self.step
        matches = aggregate_rows(step, self.inner, group_row, d, self.note, self.fans, self.tally)
        tf = self.tf
        terms: list[Value | None] = map_defined(tf, matches, self.note) if tf is not None else [None] * len(matches)
        if self.kind.numeric:
            terms = self.counted(terms)
        if step.recursive and self.kind.check is not None:
            for t in terms:
                self.kind.check(t)  # type: ignore[arg-type]
        got = self.kind.value(terms)
        return (False, 0) if got is None else (True, got)

    def counted(self, terms: list[Value | None]) -> list[Value | None]:
        """The terms that count (numbers, for `sum`); the others are told to `note` and left out."""
        if all(type(t) is int or type(t) is Decimal for t in terms):  # the usual case, without a call a term
            return terms
        left_out = self.kind.left_out
        kept = []
        for t in terms:
            why = left_out(t)
            if why is None:
                kept.append(t)
            elif self.note is None:
                raise why
            else:
                self.note(why)
        return kept

    def start(self, rows: set[Row]) -> None:
        """Values from every inner row there is: (group values..., other variables..., term)."""
        self.incremental = self.complete = True
        ng = len(self.step.group)
        has_term = self.step.term is not None
        for r in rows:
            self.add(r[0] if ng == 1 else r[:ng], r[-1] if has_term else 0)

    def add(self, group: Any, term: Value) -> None:
        """A new inner row of `group` with term value `term` (ignored until the group has a value)."""
        old = self.state.get(group)
        if old is None:
            if not self.complete:
                return
            old = self.empty
        kind = self.kind
        if kind.check is not None and not (type(term) is int and term >= 0):  # the usual case, without the check
            if self.counted([term]) == []:
                return
            kind.check(term)
        got = kind.fold(old[1] if old[0] else None, term)
        assert got is not None
        self.state[group] = (True, got)

    def __call__(self, rows: Rows, d: dict[str, set[Row]]) -> Rows:
        cache = self.state if self.incremental else {}
        out = []
        gf, single, value = self.gf, self.single, self.value
        # In later rounds of a recursive aggregate, only groups that the last
        # round's new tuples reach can change (see Evaluator.stratum).
        only: Any = d.get(self.only_key)
        if only is not None:
            rows = [r for r in rows if gf(r) in only]
        complete = self.complete and self.incremental
        for r in rows:
            g = gf(r)
            hit = cache.get(g)
            if hit is None:
                hit = self.empty if complete else value((g,) if single else g, d)
                cache[g] = hit
            if hit[0]:
                out.append(r + (hit[1],))
        return out


def restrict_key(step: P.AggregateStep) -> str:
    """The key, in a round's delta dict, of the groups an aggregate step is restricted to."""
    return f"\x00groups:{id(step)}"


def fused_head_join(step: P.Step, rels: dict[str, Relation], head: RowFn, first: bool,
                    head_args: tuple[P.PExpr, ...] = (), width: int = -1,
                    head_pred: str = "") -> Callable[[Rows, dict[str, set[Row]]], set[Row]] | None:
    """The last join and the head projection in one set comprehension, when possible.

    Saves materialising the widest rows of the rule, which are the most numerous.
    A binary head taking one value from the row and one from the joined tuple
    (transitive closure, same generation, most recursive rules) is built
    directly, without the concatenated row.
    """
    if not isinstance(step, P.Join) or step.delta or first or not step.key_cols:
        return None
    idx = rels[step.pred].index((step.key_cols, step.const_cols, step.eq_cols, step.out_cols))
    if idx.exists:
        return None
    get = idx.data.get
    full = rels[head_pred].tuples if head_pred else None
    before = width - len(step.out_cols)
    if (len(step.key) == 1 and isinstance(step.key[0], P.Slot) and len(head_args) == 2
            and all(isinstance(a, P.Slot) for a in head_args) and width >= 0):
        k = step.key[0].index
        a, b = (x.index for x in head_args)  # type: ignore[union-attr]
        # Candidates already known are skipped here: a lookup in the full
        # relation is cheaper than inserting them and subtracting them later.
        if a < before <= b and full is not None:
            j = b - before
            return lambda rows, d: {t for r in rows for e in get(r[k], EMPTY) if (t := (r[a], e[j])) not in full}
        if b < before <= a and full is not None:
            j = a - before
            return lambda rows, d: {t for r in rows for e in get(r[k], EMPTY) if (t := (e[j], r[b])) not in full}
    kf = key_fn(step.key)
    return lambda rows, d: {head(r + e) for r in rows for e in get(kf(r), EMPTY)}


def grouped_head_join(step: P.Step, rels: dict[str, Relation], head_args: tuple[P.PExpr, ...], width: int,
                      head_pred: str) -> Callable[[Rows, dict[str, set[Row]]], set[Row]] | None:
    """The last join of a rule with a binary head `(row value, joined value)`, set-at-a-time in C.

    Rows are grouped by the head's first value; for each group the joined
    values are the union of the matching sets (one C call), minus what the
    head relation already holds for that value; only new tuples are built.
    This is the inner loop of transitive closure and same generation.
    """
    if not isinstance(step, P.Join) or step.delta or step.const_cols or step.eq_cols:
        return None
    if step.arity != 2 or len(step.key_cols) != 1 or len(step.out_cols) != 1 or len(head_args) != 2:
        return None
    if not (isinstance(step.key[0], P.Slot) and all(isinstance(a, P.Slot) for a in head_args)):
        return None
    if rels[head_pred].arity != 2:
        return None
    k = step.key[0].index
    a, b = (x.index for x in head_args)  # type: ignore[union-attr]
    before = width - 1
    if not (a < before and b == before):
        return None
    head_rel, join_rel = rels[head_pred], rels[step.pred]
    full = head_rel.tuples
    tget = rels[step.pred].index((step.key_cols, (), (), step.out_cols)).data.get
    none: frozenset[Value] = frozenset()
    j = 0

    def run(rows: Rows, d: dict[str, set[Row]]) -> set[Row]:
        # Grouping pays when rows share head values or fan out to several
        # joined values (duplicates then collapse in C); for a chain, with
        # one row per head value and one match each, building tuples is cheaper.
        sample = list(islice(rows, 256))
        fanout = sum(len(tget(r[k], EMPTY)) for r in sample)
        if fanout < 2 * len(sample) and len({r[a] for r in sample}) * 2 > len(sample):
            return {t for r in rows for e in tget(r[k], EMPTY) if (t := (r[a], e[j])) not in full}
        # built on first use only: a chain never needs them
        succ = join_rel.grouped(step.key_cols[0], step.out_cols[0])
        known = head_rel.grouped(0, 1)
        groups: dict[Value, set[Value]] = {}
        group_into(groups, rows, a, k)
        out: set[Row] = set()
        sget, kget = succ.get, known.get
        for x, ys in groups.items():
            zs = set().union(*[sget(y, none) for y in ys])
            have = kget(x)
            if have:
                zs -= have
            if zs:
                out.update(zip(repeat(x), zs))
        return out

    return run


def fused_head_join_rows(step: P.Step, rels: dict[str, Relation], head: RowFn) -> Callable[[Rows, dict[str, set[Row]]], dict[Row, Row]] | None:
    """Like `fused_head_join`, keeping each head tuple's row: {head tuple: row}."""
    if not isinstance(step, P.Join) or step.delta or not step.key_cols:
        return None
    idx = rels[step.pred].index((step.key_cols, step.const_cols, step.eq_cols, step.out_cols))
    if idx.exists:
        return None
    get = idx.data.get
    kf = key_fn(step.key)
    return lambda rows, d: {head(x := r + e): x for r in rows for e in get(kf(r), EMPTY)}
