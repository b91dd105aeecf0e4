"""Evaluation stage: a checked program to a `Model`, stratum by stratum.

Each stratum is planned once, when the strata below it are complete (so join
order can use their real sizes). A non-recursive stratum is one pass; a
recursive one runs semi-naive rounds: every rule version with its delta atom
reads only the tuples new in the last round. Rules that recurse through a
monotone aggregate are re-evaluated in full each round and reach the least
fixpoint from below. Evaluation records nothing for proofs: grades and
proofs are found on demand over the finished relations (engine.support).
The limits (`Limits`) are checked after every round and within one, between
the batches of a join (engine.evaluation.batches, `Evaluator.look`).
A rule instance whose arithmetic is undefined fails and is counted in
`Evaluator.dropped` (the W104 warnings); what is not an instance failure
(a number too large, a negative one in a recursive sum) is E602.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .. import nodes as n
from .. import plan as P
from ..aggregates import AGGREGATES
from ..analysis import Program
from ..analysis.head_types import HeadCheck, as_integer, checks_by_column, head_type_error, integral, outside
from ..analysis.walk import body_atoms
from ..collector import held_off
from ..errors import Diagnostic, SyllogError, error
from ..values import ArithmeticFault, UndefinedArithmetic, compare, sort_key
from .batches import Fan, Heads, Rows, StepFn, Tally, map_defined, one_at_a_time, run_batches
from .binary import BinaryStratum, Chain, chain_of
from .closure import Closure, closure_of
from .closure import evaluate as evaluate_closure
from .compile import (
    AggregateFn,
    compile_steps,
    fan_outs,
    fused_head_join,
    grouped_head_join,
    head_fn,
    restrict_key,
)
from .dropped import Dropped
from .facts import load_facts
from .growth import Growth, Range, computed_columns, growth_help, growth_message, limit_help, range_of
from .io import load_inputs
from .limits import DEFAULT_GROWING_ROUNDS, DEFAULT_MAX_TUPLES
from .memory import resident_bytes, show_size
from .options import DEFAULT_OPTIONS, EvaluationOptions
from .relation import CodedColumns, Relation, Row

WATCH_SECONDS = 0.1  # how often check_limits measures memory and reports progress
# A stratum of chain rules reading `vector_rows` tuples or more goes vectorized while it takes at most
# CHAIN_ROUNDS rounds and CHAIN_ROWS new rows a tuple read (see `vectorized`)
CHAIN_ROUNDS = 32
CHAIN_ROWS = 4


@dataclass
class Limits:
    """What stops an evaluation (E601), and who hears how it goes.

    `max_memory` is in bytes of resident memory (engine.evaluation.memory);
    `max_growing_rounds` the rounds in a row a rule may only make new numbers
    (engine.evaluation.growth); `progress(rule_index, tuples, rounds)` is
    called at most every WATCH_SECONDS from where the limits are checked (each
    round; `rounds` counts the checks so far), for a live display. `max_derived`
    and `max_derived_share` bound the tuples derived by rules (facts and input
    rows not counted) to the larger of the two: a number, and a share of the
    tuples loaded (engine.demand gives up a demand evaluation that derives much
    of the data's size).
    """

    max_tuples: int | None = DEFAULT_MAX_TUPLES
    max_seconds: float | None = None
    max_memory: int | None = None
    progress: Callable[[int, int, int], None] | None = None
    max_growing_rounds: int | None = DEFAULT_GROWING_ROUNDS
    max_derived: int | None = None
    max_derived_share: float = 0.0


@dataclass
class _Finder:
    """Finds a recursive aggregate's new inner rows: (group values, other brace variables, term)."""

    key: str  # where the groups go in the round's delta dict (compile.restrict_key)
    group: int  # number of group values at the front of a row
    head: Any
    agg: AggregateFn
    term: bool  # the row ends with the term's value
    seed: str | None  # the extra atom of a seeded plan (Evaluator.seeded_plan), given the groups as tuples
    rule_index: int  # the rule of the aggregate, where an arithmetic fault is reported
    fans: list[Fan]  # the fan-out of each step of its plan (engine.evaluation.batches)


def seed_name(literal: int) -> str:
    return f"\x00seed:{literal}"


def seed_rows(groups: Any, width: int) -> set[Row]:
    """Groups (a value each for one group column, tuples for several) as the rows of a seed atom."""
    if width == 1:
        return {(v,) for v in groups}
    return groups if isinstance(groups, set) else set(groups)


def _named_inner(body: tuple[n.Literal, ...]) -> tuple[tuple[n.Literal, ...], list[str]]:
    """The braces' literals with each `_` of a positive atom named, and the variables of those atoms."""
    names: list[str] = []
    count = 0

    def name(a: n.Expr) -> n.Expr:
        nonlocal count
        if isinstance(a, n.Var) and a.anonymous:
            count += 1
            a = n.Var(f"__anon{count}", a.span)
        if isinstance(a, n.Var) and a.name not in names:
            names.append(a.name)
        return a

    out: list[n.Literal] = []
    for lit in body:
        if isinstance(lit, n.Atom):
            lit = n.Atom(lit.pred, tuple(name(a) for a in lit.args), lit.span)
        out.append(lit)
    return tuple(out), names


class _Compiled:
    """A rule plan's steps as functions, run in batches (engine.evaluation.batches) by `Evaluator.derive`.

    With `fused` (the last join and the head in one, see compile.fused_head_join),
    `run` ends with it, and its batches are head tuples rather than rows.
    """

    __slots__ = ("plan", "fns", "head", "fused", "grows", "tally", "fans", "run", "note", "sink", "look", "heads",
                 "state")

    def __init__(self, plan: P.RulePlan, fns: list[StepFn], head: Any, tally: Tally, fans: list[Fan]) -> None:
        self.plan = plan
        self.fns = fns
        self.head = head
        self.fused: Any = None
        self.grows = computed_columns(plan)  # the head columns arithmetic computes (engine.evaluation.growth)
        self.tally = tally  # the rows the steps build; its look checks the limits within a round
        self.fans = fans
        self.run = fns
        # set by Evaluator.compile: the rule's note of dropped instances, where batches go, the look
        self.note: Any = None
        self.sink: Any = None
        self.look: Any = None
        # set by Evaluator.derive for the plan's run: its head tuples so far, and the round's
        self.heads: Heads = Heads(set())
        self.state: Any = None


@dataclass
class _Round:
    """What a round has made so far: new tuples by predicate, per rule the tuples it made if it only
    grew (else 0, see engine.evaluation.growth), and the rows its plans built."""

    new: dict[str, set[Row]]
    grew: dict[int, int]
    rows: dict[int, int]

    def made(self) -> int:
        return sum(map(len, self.new.values()))


def strata_of(program: Program) -> list[tuple[set[str], list[int], bool]]:
    """(predicates, rule indices, recursive) for every stratum that has rules, in order."""
    rules_by_head: dict[str, list[int]] = {}
    for i, r in enumerate(program.rules):
        rules_by_head.setdefault(r.head.pred, []).append(i)
    out = []
    for comp, rec in zip(program.strata, program.recursive):
        indices = sorted(i for p in comp for i in rules_by_head.get(p, []))
        if indices:
            out.append((set(comp), indices, rec))
    return out


class Evaluator:
    def __init__(self, program: Program, limits: Limits, loaded: dict[str, Relation] | None = None,
                 options: EvaluationOptions = DEFAULT_OPTIONS) -> None:
        """`loaded`: relations that already hold their facts and input rows (of predicates no rule of
        `program` derives), taken as they are instead of read again; `options`: the strategies to use."""
        self.program = program
        self.limits = limits
        self.options = options
        self.rels: dict[str, Relation] = {p: Relation(p, k) for p, k in program.arity.items()}
        derived = {r.head.pred for r in program.rules}
        self.preloaded = {p for p, r in (loaded or {}).items() if p in self.rels and p not in derived}
        self.rels.update({p: loaded[p] for p in self.preloaded} if loaded else {})
        self.total = 0
        self.loaded = 0  # facts and input rows, once loaded
        self.deadline = time.monotonic() + limits.max_seconds if limits.max_seconds else None
        self.next_watch = time.monotonic() + WATCH_SECONDS
        self.checks = 0  # calls of check_limits: a round each, for the progress display
        # what each predicate holds before any rule runs (see base_of); set by run()
        self.base: dict[str, set[Row]] = {}
        self.base_lazy: set[str] = set()
        self.strata_info: list[tuple[set[str], list[int], bool]] = strata_of(program)
        self.dropped = Dropped()  # rule instances whose arithmetic is undefined (W104)
        self.growth = Growth(limits.max_growing_rounds)  # rules that make new values without end (E601)
        self.vectorized_rules: set[int] = set()  # rules whose strata ran on the vectorized path
        self.encodings: Any = None  # the vectorized path's (engine.evaluation.vector.Encodings), once used
        # the columns the data may fill with another type (E604), found at the first stratum: an Evaluator that
        # only holds relations (engine.demand) never types the rules for it
        self.head_checks: dict[tuple[str, int], list[HeadCheck]] | None = None

    def restart_clock(self) -> None:
        """Start the time limit again from now (an incremental update is timed on its own)."""
        limit = self.limits.max_seconds
        self.deadline = time.monotonic() + limit if limit else None

    # -- facts ------------------------------------------------------------
    def load_facts(self) -> None:
        load_facts(self.program, self.rels, skip=self.preloaded, options=self.options)
        self.total = sum(len(r) for r in self.rels.values())

    def statistics(self, pred: str, cols: tuple[int, ...]) -> tuple[int, tuple[int, ...]] | None:
        """A relation's size and distinct values in `cols`, for the planner (`engine.plan.Statistics`)."""
        rel = self.rels.get(pred)
        return rel.statistics(cols) if rel is not None else None

    def base_of(self, pred: str) -> set[Row]:
        """The facts and input rows of `pred` (before any rule), to update in place."""
        if pred in self.base_lazy:
            self.base_lazy.discard(pred)
            self.base[pred] = set(self.rels[pred].tuples)  # no rule derives it: its tuples are its base
        return self.base.setdefault(pred, set())

    # -- strata -----------------------------------------------------------
    def run(self) -> None:
        with held_off():  # millions of tuples and no reference cycles (engine.collector)
            self._run()

    def _run(self) -> None:
        self.load_facts()
        load_inputs(self.program, self.rels, self.preloaded, self.options)
        self.total = self.loaded = sum(len(r) for r in self.rels.values())
        # what each predicate holds before any rule runs: facts and `.input` rows
        # (copied now for derived predicates only: the others keep these tuples
        # until an incremental update copies them, see base_of)
        derived = {r.head.pred for r in self.program.rules}
        self.base = {p: set(r.tuples) for p, r in self.rels.items() if len(r) and p in derived}
        self.base_lazy = {p for p, r in self.rels.items() if len(r) and p not in derived}
        for comp, indices, rec in self.strata_info:
            self.stratum(comp, indices, rec)

    def compile(self, plan: P.RulePlan) -> _Compiled:
        width = len(plan.slots)
        note = self.dropped.noter(plan.rule_index)
        tally = Tally()
        c = _Compiled(plan, compile_steps(plan.steps, self.rels, True, note, tally), head_fn(plan.head_args, width),
                      tally, fan_outs(plan.steps, self.rels))
        c.note = note
        if len(plan.steps) > 1:
            c.fused = grouped_head_join(plan.steps[-1], self.rels, plan.head_args, width, plan.head) or \
                fused_head_join(plan.steps[-1], self.rels, c.head, False, plan.head_args, width, plan.head)
            if c.fused is not None:
                c.run = c.fns[:-1] + [self.fused_step(c)]
        self.sinks(c)
        return c

    def fused_step(self, c: _Compiled) -> StepFn:
        """The fused last join of `c` as a step whose rows are head tuples (a set)."""
        fused, last, hf = c.fused, c.fns[-1], c.head
        note = self.dropped.noter(c.plan.rule_index)

        def step(rows: Rows, delta: dict[str, set[Row]]) -> set[Row]:
            try:
                return fused(rows, delta) if rows else set()
            except UndefinedArithmetic:  # in the last join's key or the head: the same, unfused
                return set(map_defined(hf, one_at_a_time(last, rows, delta, note), note))

        return step

    def stratum(self, comp: set[str], indices: list[int], recursive: bool,
                seed: dict[str, set[Row]] | None = None) -> dict[str, set[Row]]:
        """Evaluate one stratum to its fixpoint (`stratum_fixpoint`), then hold its predicates' declared columns
        to their types (`check_head_types`)."""
        made = self.stratum_fixpoint(comp, indices, recursive, seed)
        self.check_head_types(comp, made if seed is not None else None)
        return made

    def check_head_types(self, comp: set[str], made: dict[str, set[Row]] | None) -> None:
        """E604 for the first value, in a column a rule may fill with values of another type
        (engine.analysis.head_types), that is not of the column's type; `made`: only these tuples are new. An
        integral decimal in an `int` column (50.0, equal to 50) is held as the integer instead, in every `int`
        column of the stratum then (a join of the stratum may have passed it on)."""
        if self.head_checks is None:
            self.head_checks = checks_by_column(self.program)
        integral = False
        for (pred, col), checks in self.head_checks.items():  # by column, as the SQL backends check
            if pred not in comp:
                continue
            rows = made[pred] if made is not None else self.rels[pred].tuples
            bad = [t[col] for t in rows if outside(checks[0], t[col])]
            wrong = [v for v in bad if as_integer(checks[0], v) is None]
            if wrong:
                raise head_type_error(self.program, checks, min(wrong, key=sort_key))
            integral = integral or bool(bad)
        if integral:
            for pred in sorted(comp):
                self.integers_in_int_columns(pred, made)

    def integers_in_int_columns(self, pred: str, made: dict[str, set[Row]] | None) -> None:
        """Hold the integral decimals of the predicate's `int` columns as integers (in `made` too)."""
        decl = self.program.decls.get(pred)
        cols = [i for i, p in enumerate(decl.params) if p.type == "int"] if decl is not None else []
        if not cols:
            return

        def fixed(t: Row) -> Row:
            return tuple(whole if i in cols and (whole := integral(v)) is not None else v for i, v in enumerate(t))

        rel = self.rels[pred]
        if any(isinstance(t[i], Decimal) for t in rel.tuples for i in cols):
            rel.reset_to({fixed(t) for t in rel.tuples})
            if made is not None:
                made[pred] = {fixed(t) for t in made[pred]}

    def stratum_fixpoint(self, comp: set[str], indices: list[int], recursive: bool,
                         seed: dict[str, set[Row]] | None = None) -> dict[str, set[Row]]:
        """Evaluate one stratum to its fixpoint.

        With `seed` (new tuples of predicates this stratum reads), only what
        follows from them is derived: the stratum is already at its fixpoint
        for everything else (an incremental update). Returns the tuples that
        were new in this stratum's predicates (only an incremental update needs them).
        """
        made: dict[str, set[Row]] = {p: set() for p in comp}
        if seed is None and self.vectorized(comp, indices, recursive):
            return made

        def note(d: dict[str, set[Row]]) -> dict[str, set[Row]]:
            if seed is not None:  # only an incremental update needs to know
                for p in comp:
                    made[p] |= d[p]
            return d

        sizes = {p: len(r) for p, r in self.rels.items()}
        rec = comp if recursive else set()
        self.growth.start(lambda: self.data_range(comp))
        plan = self.planner(sizes, rec)
        states: dict[tuple[int, int], AggregateFn] = {}
        if seed is not None:
            delta = note(self.seeded_round(comp, indices, seed, plan))
        else:
            delta = note(self.first_round(comp, indices, recursive, plan, sizes, states))
        if not recursive:
            return made
        if seed is None and self.set_at_a_time(comp, indices, delta):
            return made
        self.delta_rounds(comp, indices, delta, plan, sizes, states if seed is None else {}, note)
        return made

    def planner(self, sizes: dict[str, int], rec: set[str],
                statistics: P.Statistics | None = None) -> Callable[..., P.RulePlan]:
        """plan(i, delta_literal=-1, grow=True): rule `i`'s plan in a stratum whose recursive predicates are
        `rec`, with the relations' statistics (or those of `statistics`)."""
        rules = self.program.rules
        stats = statistics or self.statistics

        def plan(i: int, delta_literal: int = -1, grow: bool = True) -> P.RulePlan:
            return P.plan_rule(rules[i], i, sizes, rec, False, self.program.arity, delta_literal, grow,
                               statistics=stats)

        return plan

    def seeded_round(self, comp: set[str], indices: list[int], seed: dict[str, set[Row]],
                     plan: Callable[..., P.RulePlan]) -> dict[str, set[Row]]:
        """An incremental update's first round: the rule versions reading the seed's new tuples."""
        rules = self.program.rules
        first = [self.compile(plan(i, j)) for i in indices for j, lit in enumerate(rules[i].body)
                 if isinstance(lit, n.Atom) and lit.pred in seed and lit.pred not in comp]
        delta: dict[str, set[Row]] = {p: set() for p in comp} | seed
        return self.round([c for c in first if delta[c.plan.steps[0].pred]], delta, comp)  # type: ignore[union-attr]

    def first_round(self, comp: set[str], indices: list[int], recursive: bool, plan: Callable[..., P.RulePlan],
                    sizes: dict[str, int], states: dict[tuple[int, int], AggregateFn]) -> dict[str, set[Row]]:
        """Every rule once, on the stratum's relations as they are; recursive aggregates' running values
        started (kept in `states`, by rule and literal)."""
        rules = self.program.rules
        rec = comp if recursive else set()
        # the inner rows of recursive aggregates before the first round, to
        # start their running values from (see group_finders)
        init: dict[tuple[int, int], set[Row]] = {}
        if recursive:
            for i in indices:
                for _k, step, finder in self.finder_rules(rules[i], plan(i)) or []:
                    init[(i, step.literal)] = self.inner_rows(finder, i)
        first_delta: dict[str, set[Row]] = {p: set() for p in comp}
        base = []
        for i in indices:
            # run once, on the stratum's relations as they are: ordered by their real sizes (a magic
            # predicate holding a few seeds comes first, not after a scan of a large relation)
            bp = plan(i, grow=False)
            # A group with no inner rows that the rule rejects anyway (no
            # minimum of nothing, `S >= 50` of a sum of nothing) need not be
            # visited: the first round starts from the groups there are.
            seeded = self.seeded_plan(i, bp, sizes, rec) if recursive and self.empty_rejected(i, bp) else None
            base.append(self.compile(seeded or bp))
        # the first round starts the running values; later rounds go on from them
        for c in base:
            for fn in c.fns:
                if isinstance(fn, AggregateFn) and (c.plan.rule_index, fn.step.literal) in init:
                    try:
                        fn.start(init[(c.plan.rule_index, fn.step.literal)])
                    except ArithmeticFault as exc:  # a negative number in a recursive sum
                        raise self.fault(c.plan.rule_index, exc) from None
                    states[(c.plan.rule_index, fn.step.literal)] = fn
                    if c.plan.delta_literal >= 0:  # seeded
                        first_delta[seed_name(fn.step.literal)] = seed_rows(fn.state.keys(), len(fn.step.group))
        return self.round(base, first_delta, comp)

    def set_at_a_time(self, comp: set[str], indices: list[int], delta: dict[str, set[Row]]) -> bool:
        """The rounds after the first of a stratum of chain rules, set-at-a-time or in closed form, when
        the options allow and all its recursive rules are chain rules (else False: nothing done)."""
        chains = self.chains(comp, indices) if self.options.chain_strata else None
        if chains is None:
            return False
        form = closure_of(comp, chains) if self.options.closures else None
        if form is not None:
            self.closure(form)
        else:
            self.binary_rounds(comp, chains, delta)
        return True

    def delta_rounds(self, comp: set[str], indices: list[int], delta: dict[str, set[Row]],
                     plan: Callable[..., P.RulePlan], sizes: dict[str, int],
                     states: dict[tuple[int, int], AggregateFn],
                     note: Callable[[dict[str, set[Row]]], dict[str, set[Row]]]) -> None:
        """Semi-naive rounds from `delta` to the fixpoint: each rule once per recursive atom reading
        the delta; rules with a recursive aggregate re-run, in full or for the groups reached."""
        rules = self.program.rules
        # Indexes on this stratum's relations made for the first round would be
        # kept up to date every round for nothing: drop them, and let the
        # delta plans build the ones they need.
        for p in comp:
            self.rels[p].indexes.clear()
        deltas: list[_Compiled] = []
        naive: list[_Compiled] = []
        finders: list[tuple[list[StepFn], _Finder]] = []
        for i in indices:
            bp = plan(i)
            if any(isinstance(s, P.AggregateStep) and s.recursive for s in bp.steps):
                # re-run every round: in full, or for the groups that new tuples reach
                seeded = self.seeded_plan(i, bp, sizes, comp)
                naive.append(self.compile(seeded or bp))
                got = self.group_finders(rules[i], naive[-1], comp, sizes, states, seeded is not None)
                if got is None and seeded is not None:  # cannot happen: seeded_plan checks the same
                    raise AssertionError("a seeded plan without group finders")
                finders += got or []
            for j, lit in enumerate(rules[i].body):
                if isinstance(lit, n.Atom) and lit.pred in comp:
                    deltas.append(self.compile(plan(i, j)))
        while any(delta.values()):
            self.find_groups(finders, delta)
            active = [c for c in deltas if delta[c.plan.steps[0].pred]] + naive  # type: ignore[union-attr]
            delta = note(self.round(active, delta, comp))

    def vectorized(self, comp: set[str], indices: list[int], recursive: bool) -> bool:
        """Evaluate the stratum on the vectorized path (engine.evaluation.vector) when the options
        and its size say so and it can: True when done. `auto`: a stratum whose rule bodies read,
        atom by atom (negated and in aggregates too), `vector_rows` tuples or more of the strata below
        between them (`vector_rows_encoded` when those are all encoded already: `encoded_already`); a
        stratum of chain rules within a budget of rounds and rows (past it, set-at-a-time or closed form
        does better, and the stratum goes there)."""
        mode = self.options.vectorized
        if mode == "off":
            return False
        rules = self.program.rules
        chains = False
        if mode == "auto":
            below = [a.pred for i in indices for a, _negated in body_atoms(rules[i].body) if a.pred not in comp]
            read = sum(len(self.rels[p]) for p in below)
            if read < self.options.vector_rows and not (read >= self.options.vector_rows_encoded
                                                        and self.encoded_already(below)):
                return False
            chains = recursive and self.options.chain_strata and self.chains(comp, indices) is not None
        from . import vector  # numpy: only when a stratum goes vectorized

        # chain rules: tried here within a budget (shallow recursion, such as a hierarchy), else
        # set-at-a-time or in closed form (long paths, a large closure)
        budget = vector.Budget(CHAIN_ROUNDS, CHAIN_ROWS * read) if chains else None

        sizes = {p: len(r) for p, r in self.rels.items()}
        rec = comp if recursive else set()
        first = [self.planner(sizes, rec)(i, grow=False) for i in indices]

        def deltas(statistics: P.Statistics) -> list[P.RulePlan]:
            # planned after the first round, as the tuple path plans them (from the relations then)
            plan = self.planner(sizes, rec, statistics)
            return [plan(i, j) for i in indices for j, lit in enumerate(rules[i].body)
                    if recursive and isinstance(lit, n.Atom) and lit.pred in comp]

        if self.encodings is None:
            self.encodings = vector.Encodings()
        try:
            new = vector.evaluate(self.rels, self.encodings, comp, first, deltas if recursive else None,
                                  lambda r, made: self.check_limits(r, made, round_end=False),
                                  self.options.vector_piece_rows, self.tuple_room(), budget)
        except vector.Unsupported:
            return False
        self.write_vectorized(new)
        self.encodings.written(self.rels)
        self.vectorized_rules.update(indices)
        self.check_limits(indices[0])
        return True

    def write_vectorized(self, new: dict[str, set[Row] | list[Any] | CodedColumns]) -> None:
        """A vectorized stratum's new tuples into its relations (`vector.decoded`'s forms)."""
        for p, ts in new.items():
            rel = self.rels[p]
            before = len(rel)
            # an empty relation holds new columns as they are: tuples built when something needs them
            fresh = not len(rel) and not rel.indexes and not rel.groups
            if isinstance(ts, set):
                rel.add_new(ts)
            elif isinstance(ts, CodedColumns):
                if fresh:
                    rel.set_coded(ts)
                else:
                    rel.add_new(ts.rows())
            elif fresh:
                rel.set_columns(tuple(ts))
            else:
                rel.add_new(set(zip(*[c.tolist() for c in ts])))
            self.total += len(rel) - before

    def encoded_already(self, preds: list[str]) -> bool:
        """Whether the vectorized path holds every one of `preds` encoded as it is now (a stratum that went
        vectorized read or made it): a stratum reading only them has nothing to encode, and goes
        vectorized from fewer rows (`vector_rows_encoded`)."""
        enc = self.encodings
        return enc is not None and all(enc.get(self.rels[p]) is not None for p in preds)

    def chains(self, comp: set[str], indices: list[int]) -> list[Chain] | None:
        """The stratum's recursive rules as chain rules, when all of them are (see engine.evaluation.binary)."""
        if any(self.program.arity[p] != 2 for p in comp):
            return None
        out = []
        for i in indices:
            rule = self.program.rules[i]
            if not any(isinstance(lit, n.Atom) and lit.pred in comp for lit in rule.body):
                continue  # no recursive atom: complete after the first round
            c = chain_of(rule, i, self.program.arity)
            if c is None:
                return None
            out.append(c)
        return out

    def closure(self, form: Closure) -> None:
        """A linear recursive stratum of one binary predicate, in closed form (see engine.evaluation.closure)."""
        rel = self.rels[form.head]
        before = len(rel)
        base = rel.grouped(0, 1)  # read only: the result's sets are new ones
        edge = None
        if form.edge is not None:
            e, forward = form.edge
            edge = self.rels[e].grouped(0, 1) if forward else self.rels[e].grouped(1, 0)

        r = form.rule_index
        g, size = evaluate_closure(form, base, edge, lambda n: self.check_limits(r, n - before),
                                   lambda: self.check_limits(r, 0, round_end=False))
        self.total += size - before
        rel.set_grouped(g, size)

    def binary_rounds(self, comp: set[str], chains: list[Chain], first: dict[str, set[Row]]) -> None:
        """The rounds after the first of a stratum of chain rules, set-at-a-time on grouped relations."""
        bs = BinaryStratum(self.rels, comp, chains)
        # the first round's tuples are the delta; the stratum's facts go in as well (harmless)
        delta = bs.start({p: self.rels[p].tuples for p in comp})

        def look(rule_index: int, pairs: int) -> None:
            self.check_limits(rule_index, pairs, round_end=False)

        while any(delta.values()):
            delta, made, rule_index = bs.round(delta, look=look)
            self.total += made
            self.check_limits(rule_index)
        bs.finish()

    def finder_rules(self, rule: n.Rule, bp: P.RulePlan) -> list[tuple[int, P.AggregateStep, n.Rule]] | None:
        """For each recursive aggregate step of `bp`: (step index, step, a rule for its inner rows).

        The rule's head is the group's values, the braces' other variables and
        the term's value (if any). None when a group value is not bound by an
        atom inside the braces.
        """
        out = []
        for k, step in enumerate(bp.steps):
            if not (isinstance(step, P.AggregateStep) and step.recursive):
                continue
            lit = rule.body[step.literal]
            assert isinstance(lit, n.Comparison)
            agg = lit.left if isinstance(lit.left, n.Aggregate) else lit.right
            assert isinstance(agg, n.Aggregate)
            group = [bp.slots[s] for s in step.group]
            in_atoms = {a.name for x in agg.body if isinstance(x, n.Atom) for a in x.args if isinstance(a, n.Var)}
            if not set(group) <= in_atoms:
                return None
            body, names = _named_inner(agg.body)
            if agg.term is not None:
                body += (n.Comparison("=", n.Var("__term"), agg.term),)
            extra = [v for v in names if v not in group] + (["__term"] if agg.term is not None else [])
            out.append((k, step, n.Rule(n.Atom("__groups", tuple(n.Var(v) for v in group + extra)), body)))
        return out

    def empty_rejected(self, i: int, bp: P.RulePlan) -> bool:
        """Does rule `i` derive nothing for a group its (one) recursive aggregate finds no rows for?

        True for min and max (no value), and for count and sum when the
        aggregate is compared with a constant, or bound to a variable that a
        comparison with a constant rejects at 0 (`S = sum {...}, S >= 50`).
        """
        steps = [s for s in bp.steps if isinstance(s, P.AggregateStep) and s.recursive]
        if len(steps) != 1:
            return False
        step = steps[0]
        if AGGREGATES[step.func].empty is None:  # no value over no match
            return True
        rule = self.program.rules[i]
        lit = rule.body[step.literal]
        assert isinstance(lit, n.Comparison)
        left = isinstance(lit.left, n.Aggregate)
        other = lit.right if left else lit.left
        if isinstance(other, n.Const):
            return not (compare(lit.op, 0, other.value) if left else compare(lit.op, other.value, 0))
        if not (isinstance(other, n.Var) and lit.op == "="):
            return False
        name = other.name
        for x in rule.body:
            if not isinstance(x, n.Comparison) or x is lit:
                continue
            sides = (x.left, x.right)
            if not any(isinstance(e, n.Var) for e in sides):
                continue
            if all(isinstance(e, n.Const) or (isinstance(e, n.Var) and e.name == name) for e in sides):
                a, b = (0 if isinstance(e, n.Var) else e.value for e in sides)  # type: ignore[union-attr]
                if not compare(x.op, a, b):
                    return True
        return False

    def inner_rows(self, rule: n.Rule, rule_index: int) -> set[Row]:
        """All rows of a finder rule over the relations as they are now."""
        # planned from the sizes as they are now (the stratum's relations are at their smallest)
        now = {p: len(r) for p, r in self.rels.items()}
        fp = P.plan_rule(rule, rule_index, now, set(), False, self.program.arity, -1, statistics=self.statistics)
        hf = head_fn(fp.head_args, len(fp.slots))
        note = self.dropped.noter(rule_index)
        rows: set[Row] = set()
        self.gather(rule_index, compile_steps(fp.steps, self.rels, True, note), fan_outs(fp.steps, self.rels), {},
                    hf, rows)
        return rows

    def gather(self, rule_index: int, fns: list[StepFn], fans: list[Fan], delta: dict[str, Any],
               hf: Callable[[Row], Any], into: set[Row]) -> None:
        """Add `hf` of the rows of `fns` to `into` (an aggregate's matches), in batches: E601 (or E602) at
        rule `rule_index` when the matches held pass the tuple limit, or another limit is passed."""
        note = self.dropped.noter(rule_index)
        tally = Tally()

        def sink(rows: Rows) -> None:
            into.update(map_defined(hf, rows, note))
            tally.held = len(into)

        tally.restart(lambda: self.check_limits(rule_index, tally.held, tally.held, round_end=False))
        try:
            run_batches(fns, fans, delta, sink, tally, note)
        except ArithmeticFault as exc:  # in the aggregated term: too large a number
            raise self.fault(rule_index, exc) from None

    def seeded_plan(self, i: int, bp: P.RulePlan, sizes: dict[str, int], rec: set[str]) -> P.RulePlan | None:
        """A rule with one recursive aggregate re-runs from the groups to redo.

        The rule gets an extra atom over those groups (`seed_name`), read as the
        delta: a round then touches only the affected groups' rows instead of
        scanning the whole body for them.
        """
        rule = self.program.rules[i]
        finders = self.finder_rules(rule, bp)
        if not finders or len(finders) != 1:
            return None
        _k, step, _f = finders[0]
        group = tuple(n.Var(bp.slots[s]) for s in step.group)
        if not group:
            return None
        name = seed_name(step.literal)
        seeded = n.Rule(rule.head, rule.body + (n.Atom(name, group),), rule.cites, rule.span)
        arity = self.program.arity | {name: len(group)}
        return P.plan_rule(seeded, i, sizes, rec, False, arity, len(rule.body), statistics=self.statistics)

    def group_finders(self, rule: n.Rule, c: _Compiled, comp: set[str], sizes: dict[str, int],
                      states: dict[tuple[int, int], AggregateFn], seeded: bool) -> list[tuple[list[StepFn], _Finder]] | None:
        """For each recursive aggregate of `c`, plans that find the inner rows a round's new tuples make.

        A monotone aggregate's value changes only for groups whose braces match
        a new tuple; the rule then re-runs for those groups alone, and their
        values are brought up to date from the new matches alone (`AggregateFn.add`):
        each new match holds a tuple of the last round, so none is counted twice.
        `states` holds, per (rule, literal), the aggregate of the first round,
        whose values started complete (`AggregateFn.start`): they go on from there
        and none is ever recomputed. None when a group cannot be found that
        way: the rule then re-runs in full.
        """
        bp = c.plan
        finders = self.finder_rules(rule, bp)
        if finders is None:
            return None
        out: list[tuple[list[StepFn], _Finder]] = []
        for k, step, finder in finders:
            fn = c.fns[k]
            assert isinstance(fn, AggregateFn)
            fn.incremental = True
            first = states.get((bp.rule_index, step.literal))
            if first is not None:
                fn.complete = True
                fn.state = first.state
            ng = len(step.group)
            has_term = step.term is not None
            seed = seed_name(step.literal) if seeded else None
            for j, x in enumerate(finder.body):
                if isinstance(x, n.Atom) and x.pred in comp:
                    fp = P.plan_rule(finder, bp.rule_index, sizes, comp, False, self.program.arity, j,
                                     statistics=self.statistics)
                    fns = compile_steps(fp.steps, self.rels, True, self.dropped.noter(bp.rule_index))
                    hf = head_fn(fp.head_args, len(fp.slots))
                    out.append((fns, _Finder(restrict_key(step), ng, hf, fn, has_term, seed, bp.rule_index,
                                             fan_outs(fp.steps, self.rels))))
        return out

    def find_groups(self, finders: list[tuple[list[StepFn], _Finder]], delta: dict[str, Any]) -> None:
        """Before a round: the groups of each recursive aggregate that the delta reaches, values brought up to date."""
        news: dict[int, tuple[_Finder, set[Row]]] = {}
        for fns, f in finders:
            self.gather(f.rule_index, fns, f.fans, delta, f.head, news.setdefault(id(f.agg), (f, set()))[1])
        for f, rows in news.values():
            g = f.group
            groups = {r[0] for r in rows} if g == 1 else {r[:g] for r in rows}
            delta[f.key] = groups
            if f.seed is not None:
                delta[f.seed] = seed_rows(groups, g)
            add = f.agg.add
            try:
                for r in rows:  # distinct new matches: each holds a tuple of the last round
                    add(r[0] if g == 1 else r[:g], r[-1] if f.term else None)  # type: ignore[arg-type]
            except ArithmeticFault as exc:  # a negative number in a recursive sum
                raise self.fault(f.rule_index, exc) from None

    def round(self, plans: list[_Compiled], delta: dict[str, set[Row]], comp: set[str]) -> dict[str, set[Row]]:
        state = _Round({p: set() for p in comp}, {}, {})
        new, grew = state.new, state.grew
        best_rule: tuple[int, int] = (0, -1)
        for c in plans:
            r = c.plan.rule_index
            try:
                derived = self.derive(c, delta, state)
            except ArithmeticFault as exc:
                raise self.fault(r, exc) from None
            state.rows[r] = state.rows.get(r, 0) + c.tally.rows
            derived -= self.rels[c.plan.head].tuples
            made = len(derived)
            new[c.plan.head] |= derived
            if made > best_rule[0]:
                best_rule = (made, r)
            if c.grows:
                only = bool(derived) and self.growth.only_grows(r, derived, c.grows) and grew.get(r, 1) > 0
                grew[r] = grew.get(r, 0) + made if only else 0
        for p, ts in new.items():
            self.rels[p].add_new(ts)
            self.total += len(ts)
        runaway = self.growth.after_round(grew, state.rows)
        if runaway is not None:
            raise self.runaway(runaway)
        self.check_limits(best_rule[1])
        return new

    def data_range(self, comp: set[str]) -> Range:
        """The numbers of the program and of the data a stratum starts from: lower strata, its facts and inputs."""
        data = [r.extreme_values() for p, r in self.rels.items() if p not in comp]
        data += [(v for t in self.base_of(p) for v in t) for p in comp]
        return range_of(self.program.rules, data)

    def runaway(self, rule_index: int) -> SyllogError:
        """E601 at a rule that has made nothing but new numbers for too many rounds in a row."""
        g = self.growth
        rule = self.program.rules[rule_index]
        return SyllogError([Diagnostic("E601", growth_message(g, rule_index, rule.head.pred), rule.span, "error",
                                       growth_help(g.by_size(rule_index)))], self.program.text)

    def derive(self, c: _Compiled, delta: dict[str, set[Row]], state: _Round) -> set[Row]:
        """The head tuples of one compiled plan; instances whose arithmetic is undefined are dropped.

        The steps run in batches; between them the limits are looked at
        (`look`), counting the round's new tuples so far (`state`) and this plan's.
        """
        heads = c.heads = Heads(self.rels[c.plan.head].tuples)
        c.state = state
        c.tally.restart(c.look)
        run_batches(c.run, c.fans, delta, c.sink, c.tally, c.note)
        return heads.result()

    def sinks(self, c: _Compiled) -> None:
        """Give `c` what `derive` hands its batches to, and its look at the limits (made once, not each round)."""
        note, hf = c.note, c.head

        def rows_to_heads(rows: Rows) -> None:
            try:
                c.heads.add_all(map(hf, rows))
            except UndefinedArithmetic:  # in the head (the rows before it are in, and are again: no harm)
                c.heads.add_all(map_defined(hf, rows, note))

        def heads_in(tuples: Rows) -> None:
            c.heads.add(tuples)  # type: ignore[arg-type]

        c.sink = heads_in if c.fused is not None else rows_to_heads
        c.look = lambda: self.look(c, c.heads, c.state)

    def look(self, c: _Compiled, heads: Heads, state: _Round) -> None:
        """Within a round, between batches of plan `c`: E601 past a limit, or at a rule that only grows."""
        r = c.plan.rule_index
        held = c.tally.held
        pending = state.made() + heads.estimate() + held
        if self.over_tuples(pending):  # the estimate counts tuples known already: count them exactly
            pending = state.made() + len(heads.new()) + held
        self.check_limits(r, pending, held, round_end=False)
        if c.grows and state.grew.get(r, 1) > 0:
            rows = state.rows.get(r, 0) + c.tally.rows
            if self.growth.streak_rows(r, rows):
                fresh = heads.new()
                if fresh and self.growth.still_grows(r, fresh, c.grows, rows):
                    raise self.runaway(r)
                if fresh:  # a tuple within the range: this round does not only grow (as `round` will find)
                    state.grew[r] = 0

    def tuple_room(self) -> int | None:
        """How many more tuples the limits allow (None: no bound)."""
        room = [self.limits.max_tuples - self.total] if self.limits.max_tuples is not None else []
        derived = self.derived_limit()
        if derived is not None:
            room.append(derived - (self.total - self.loaded))
        return max(0, min(room)) if room else None

    def derived_limit(self) -> int | None:
        """How many tuples rules may derive (`Limits.max_derived`), None for no such bound."""
        lim = self.limits
        if lim.max_derived is None:
            return None
        return max(lim.max_derived, int(lim.max_derived_share * self.loaded))

    def fault(self, rule_index: int, exc: ArithmeticFault) -> SyllogError:
        """E602 at the rule whose evaluation met an arithmetic fault."""
        rule = self.program.rules[rule_index]
        return SyllogError([error("E602", f"{exc} in this rule", rule.span)], self.program.text)

    def over_tuples(self, pending: int) -> bool:
        """Would `pending` more tuples pass the tuple limit or the bound on derived tuples?"""
        limit = self.limits.max_tuples
        derived = self.derived_limit()
        return ((limit is not None and self.total + pending > limit)
                or (derived is not None and self.total + pending - self.loaded > derived))

    def check_limits(self, rule_index: int, pending: int = 0, held: int = 0, round_end: bool = True) -> None:
        """E601 past the tuple limit (counting `pending` tuples not yet in `total`), the deadline or the memory limit.

        `held` of the pending tuples are an aggregate's matches, not derived
        tuples; `round_end` is False for a look within a round (not counted
        as a round by the progress display).
        """
        if round_end:
            self.checks += 1
        now = time.monotonic()
        over_time = self.deadline is not None and now > self.deadline
        over_memory = None
        if now >= self.next_watch:
            self.next_watch = now + WATCH_SECONDS
            over_memory = self.watch(rule_index, pending)
        if over_time or over_memory or self.over_tuples(pending):
            raise self.over_limit(rule_index, pending, held, over_time, over_memory)

    def goal_limit(self, rows: int) -> tuple[str, str] | None:
        """The limit a goal asked of the model has passed, having built `rows` rows: (what, its option), or None.

        The tuple limit bounds the rows the goal builds (its own, not the
        model's); time is counted from restart_clock, called as the goal starts.
        """
        if self.deadline is not None and time.monotonic() > self.deadline:
            return f"the goal ran past {self.limits.max_seconds} seconds", "--timeout"
        limit = self.limits.max_tuples
        if limit is not None and rows > limit:
            return f"the goal built more than {limit:,} rows", "--max-tuples"
        over_memory = self.over_memory("the goal")
        return (over_memory, "--max-memory") if over_memory is not None else None

    def over_limit(self, rule_index: int, pending: int, held: int, over_time: bool,
                   over_memory: str | None) -> SyllogError:
        """E601 at the rule still deriving when a limit was passed: the limit named, and a help for its cause."""
        limit, derived = self.limits.max_tuples, self.derived_limit()
        if over_time:
            what = f"evaluation ran past {self.limits.max_seconds} seconds"
        elif over_memory:
            what = over_memory
        elif derived is not None and self.total + pending - self.loaded > derived:
            what = f"more than {derived:,} tuples were derived by rules"
        elif held:
            what = f"more than {limit:,} tuples were held, {held:,} of them matches of an aggregate"
        else:
            what = f"more than {limit:,} tuples were derived"
        doing = "this rule's aggregate was still finding matches" if held else "this rule was still deriving new tuples"
        rule = self.program.rules[rule_index] if rule_index >= 0 else None
        span = rule.span if rule is not None else self.program.rules[0].span
        cause = "--timeout" if over_time else "--max-memory" if over_memory else "--max-tuples"
        help = limit_help(cause, self.growth.growing(rule_index) > 0, in_memory=True, aggregate=held > 0)
        return SyllogError([Diagnostic("E601", f"{what}; {doing}", span, "error", help)], self.program.text)

    def watch(self, rule_index: int, pending: int) -> str | None:
        """Report progress; the reason to stop when resident memory is past `max_memory`."""
        if self.limits.progress is not None:
            self.limits.progress(rule_index, self.total + pending, self.checks)
        return self.over_memory("the evaluation")

    def over_memory(self, who: str) -> str | None:
        """Why `who` stops when resident memory is past `max_memory`; None while it is not."""
        cap = self.limits.max_memory
        used = resident_bytes() if cap is not None else None
        if cap is None or used is None or used <= cap:
            return None
        return f"{who} used {show_size(used)} of memory, past the limit of {show_size(cap)}"
