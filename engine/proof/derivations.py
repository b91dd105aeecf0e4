"""Derivations of a tuple over finished relations: the in-memory model's part of every proof.

Stage: after evaluation. `Derivations.instances(key)` lists every rule
instance that derives a tuple in the final model: the rule, and for each
body literal in order the tuple of a positive atom, the absence a negated
atom checks, or the group of an aggregate with the matches it ranged over.
Nothing is recorded while evaluating; the body of each rule is planned once
with the head's variables bound (`engine.plan.plan_match`) and run against
the relations as they ended, for many tuples at a time. `canonical` orders
instances (rule order, then the premises in value order), so that a choice
among them is the same in every process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Union

from .. import nodes as n
from .. import plan as P
from ..aggregates import AGGREGATES
from ..analysis import Fact, Program, const_eval
from ..evaluation.batches import StepFn, Tally, collect_batches, map_defined, run_steps
from ..evaluation.compile import compile_steps, expr_fn, fan_outs, head_fn
from ..evaluation.dropped import Note, ignore
from ..evaluation.relation import Relation, Row
from ..values import ArithmeticFault, UndefinedArithmetic, Value, compare, row_key, show

Key = tuple[str, Row]


@dataclass(frozen=True, slots=True)
class Match:
    """One distinct binding of an aggregate's braces: its positive atoms' tuples and its term's value."""

    atoms: tuple[Key, ...]
    term: Value | None


@dataclass(frozen=True, slots=True)
class AggregateUse:
    """An aggregate literal of an instance: the group, the value it reached, and the matches behind it.

    `test`, for an aggregate inside the recursion it feeds, says whether a
    value would satisfy the rule (`S >= 50`): a proof then rests on the
    matches that first reach it, not on all of them (later ones may depend on
    the conclusion itself).
    """

    literal: int
    aggregate: n.Aggregate
    group: tuple[tuple[str, Value], ...]
    value: Value
    matches: tuple[Match, ...]
    recursive: bool
    test: Callable[[Value], bool] | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Absent:
    """A negated premise that holds: `not p(a, _)`."""

    text: str
    pred: str


Part = Union[Key, Absent, AggregateUse]


class Instance:
    """A rule applied to one match of its body, deriving one tuple.

    `needs`: every tuple that must hold for it (its atoms, and the matches of
    its aggregates but those inside the recursion); `recursive`: the
    aggregates inside the recursion; `pieces`: everything a proof of it may
    rest on. Equal when the rule and the parts are.
    """

    __slots__ = ("rule", "parts", "needs", "recursive", "pieces", "_hash")

    def __init__(self, rule: int, parts: tuple[Part, ...]) -> None:
        self.rule = rule
        self.parts = parts  # body order; comparisons left out
        needs: dict[Key, None] = {}
        recursive: list[AggregateUse] = []
        members: dict[Key, None] = {}
        for p in parts:
            if isinstance(p, tuple):
                needs[p] = None
            elif isinstance(p, AggregateUse):
                if p.recursive:
                    recursive.append(p)
                    members.update((k, None) for m in p.matches for k in m.atoms)
                else:
                    needs.update((k, None) for m in p.matches for k in m.atoms)
        self.needs = tuple(needs)
        self.recursive = tuple(recursive)
        self.pieces = self.needs + tuple(k for k in members if k not in needs)
        self._hash = hash((rule, parts))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Instance) and self.rule == other.rule and self.parts == other.parts

    def __hash__(self) -> int:
        return self._hash

    @property
    def aggregates(self) -> list[AggregateUse]:
        return [p for p in self.parts if isinstance(p, AggregateUse)]


def substitute(e: n.Expr, binding: dict[str, Value]) -> n.Expr:
    """`e` with every bound variable replaced by its value."""
    return n.map_vars(e, lambda v: n.Const(binding[v.name], v.span) if v.name in binding else v)


def _sort_part(p: Part) -> tuple[Any, ...]:
    if isinstance(p, tuple):
        return (0, p[0], row_key(p[1]))
    if isinstance(p, Absent):
        return (1, p.text)
    return (2, p.literal, row_key(tuple(v for _k, v in p.group)), row_key((p.value,)))


def canonical(inst: Instance) -> tuple[Any, ...]:
    """The documented order of instances: rule order, then the premises in value order."""
    return (inst.rule, tuple(_sort_part(p) for p in inst.parts))


@dataclass
class _Witness:
    """One rule planned for its instances: the head's variables bound from the tuple."""

    rule: n.Rule
    plan: P.MatchPlan
    names: tuple[str, ...]  # slot -> variable name
    fns: list[StepFn]
    bind: tuple[int, ...]  # tuple columns giving the bound variables' values, in order
    checks: tuple[tuple[int, int], ...]  # head columns that must equal another head column
    consts: tuple[tuple[int, Value], ...]  # head columns that must hold a constant
    head: Callable[[Row], Row]  # the head tuple of a row
    parts: list[Callable[[Row], Part | None]]


class Derivations:
    """The rule instances behind each tuple of a finished in-memory model."""

    def __init__(self, program: Program, rels: dict[str, Relation], base: Callable[[Key], bool]) -> None:
        self.program = program
        self.rels = rels
        self.is_base = base
        self.rules_of: dict[str, list[int]] = {}
        for i, r in enumerate(program.rules):
            self.rules_of.setdefault(r.head.pred, []).append(i)
        self.component = {p: k for k, comp in enumerate(program.strata) for p in comp}
        self._witnesses: dict[int, _Witness] = {}
        self._inner: dict[tuple[int, int], tuple[P.MatchPlan, list[StepFn], Callable[[Row], Any] | None]] = {}
        self._facts: dict[Key, list[Fact]] | None = None

    # -- facts --------------------------------------------------------------
    def facts(self, key: Key) -> list[Fact]:
        """The fact statements of a tuple (none for a row of an `.input` file): those facts alone are
        built (`Facts.statements_of`), not every fact read in bulk."""
        if self._facts is None:
            self._facts = {}
        got = self._facts.get(key)
        if got is None:
            got = self._facts[key] = self.program.facts.statements_of(*key)
        return got

    def holds(self, key: Key) -> bool:
        """Is the tuple in the model? (An index lookup: no relation is copied.)"""
        rel = self.rels.get(key[0])
        if rel is None:
            return False
        k = rel.arity
        return (key[1][0] if k == 1 else key[1]) in rel.index((tuple(range(k)), (), (), ())).data

    # -- instances ----------------------------------------------------------
    def instances(self, keys: list[Key]) -> dict[Key, list[Instance]]:
        """Every instance of a rule deriving each of `keys`, without repeats (in no set order).

        The keys of one predicate are asked together: each rule's body runs
        once from all their bindings, a set at a time.
        """
        found: dict[Key, dict[Instance, None]] = {k: {} for k in keys}
        by_pred: dict[str, set[Row]] = {}
        for pred, row in keys:
            by_pred.setdefault(pred, set()).add(row)
        for pred, wanted in by_pred.items():
            for i in self.rules_of.get(pred, []):
                w = self._witness(i)
                seeds = list({tuple(row[c] for c in w.bind) for row in wanted
                              if all(row[c] == v for c, v in w.consts) and all(row[a] == row[b] for a, b in w.checks)})
                for r in _run(w.fns, seeds):
                    try:
                        head = w.head(r)
                    except UndefinedArithmetic:  # the instance fails, as in evaluation
                        continue
                    if head in wanted:
                        parts = tuple(p for p in (make(r) for make in w.parts) if p is not None)
                        found[(pred, head)].setdefault(Instance(i, parts), None)
        return {k: list(v) for k, v in found.items()}

    def _witness(self, i: int) -> _Witness:
        w = self._witnesses.get(i)
        if w is not None:
            return w
        rule = self.program.rules[i]
        bound: list[str] = []
        bind: list[int] = []
        checks: list[tuple[int, int]] = []
        consts: list[tuple[int, Value]] = []
        for col, a in enumerate(rule.head.args):
            if isinstance(a, n.Var) and not a.anonymous:
                if a.name in bound:
                    checks.append((bind[bound.index(a.name)], col))
                else:
                    bound.append(a.name)
                    bind.append(col)
            elif isinstance(a, n.Const):
                consts.append((col, a.value))
        sizes = {p: len(r) for p, r in self.rels.items()}
        plan = P.plan_match(rule.body, tuple(bound), sizes, rule.head)
        names = plan.names
        head = head_fn(tuple(P.plan_expr(a, plan.slots) for a in rule.head.args), -1)
        parts = [self._part(i, rule, plan, names, j) for j in range(len(plan.body))]
        w = _Witness(rule, plan, names, compile_steps(plan.steps, self.rels, False, ignore), tuple(bind), tuple(checks),
                     tuple(consts), head, [p for p in parts if p is not None])
        self._witnesses[i] = w
        return w

    def _part(self, i: int, rule: n.Rule, plan: P.MatchPlan, names: tuple[str, ...],
              j: int) -> Callable[[Row], Part | None] | None:
        """How literal `j` of the rule shows in an instance, from a row of the witness plan."""
        lit = plan.body[j]
        slots = plan.slots
        if isinstance(lit, n.Atom):
            fs = [expr_fn(P.plan_expr(a, slots)) for a in lit.args]
            pred = lit.pred
            return lambda r: (pred, tuple(f(r) for f in fs))
        if isinstance(lit, n.Negation):
            shown: list[Callable[[Row], str]] = []
            for a in lit.atom.args:
                if isinstance(a, n.Var) and (a.anonymous or a.name not in slots):
                    shown.append(lambda r: "_")
                else:
                    f = expr_fn(P.plan_expr(a, slots))
                    shown.append(lambda r, f=f: show(f(r)))  # type: ignore[misc]
            pred = lit.atom.pred
            return lambda r: Absent(f"not {pred}({', '.join(s(r) for s in shown)})" if shown else f"not {pred}", pred)
        aggs = n.body_aggregates((rule.body[j],))
        if not aggs:
            return None
        return self._aggregate_part(i, rule, plan, names, j, aggs[0])

    def _aggregate_part(self, i: int, rule: n.Rule, plan: P.MatchPlan, names: tuple[str, ...], j: int,
                        agg: n.Aggregate) -> Callable[[Row], Part | None]:
        step = next(s for s in plan.steps if isinstance(s, P.AggregateStep) and s.literal == j)
        group_names = tuple(names[s] for s in step.group)
        vslot = value_slot(plan, j)
        head_comp = self.component.get(rule.head.pred)
        recursive = any(isinstance(x, n.Atom) and self.component.get(x.pred) == head_comp for x in agg.body)
        lit = plan.body[j]
        assert isinstance(lit, n.Comparison)
        tests = _value_tests(plan.body, j, lit) if recursive else None
        key = (i, j)

        def make(r: Row) -> Part:
            group = tuple(r[s] for s in step.group)
            matches = self.matches(key, agg, group_names, group)
            test = None
            if tests is not None:
                binding = {nm: r[k] for k, nm in enumerate(names) if k < len(r)}
                test = _bind_test(tests, binding)
            return AggregateUse(j, agg, tuple(zip(group_names, group)), r[vslot], matches, recursive, test)

        return make

    def matches(self, key: tuple[int, int], agg: n.Aggregate, group_names: tuple[str, ...],
                group: tuple[Value, ...]) -> tuple[Match, ...]:
        """The distinct matches of an aggregate's braces for one group, canonically ordered."""
        got = self._inner.get(key)
        if got is None:
            sizes = {p: len(r) for p, r in self.rels.items()}
            inner = P.plan_match(agg.body, group_names, sizes)
            term = expr_fn(P.plan_expr(agg.term, inner.slots)) if agg.term is not None else None
            got = (inner, compile_steps(inner.steps, self.rels, False, ignore), term)
            self._inner[key] = got
        inner, fns, term = got
        rows = _run(fns, [group])
        if not rows:
            return ()
        atoms = [lit for lit in inner.body if isinstance(lit, n.Atom)]
        getters = [(a.pred, [expr_fn(P.plan_expr(x, inner.slots)) for x in a.args]) for a in atoms]
        # the matches that count, as in evaluation: a term that is undefined, or not a number for `sum`, does not
        kept = map_defined(lambda r: (r, term(r) if term else None), set(rows), ignore)
        numeric = AGGREGATES[agg.func].numeric
        out = {Match(tuple((p, tuple(f(r) for f in fs)) for p, fs in getters), t): None
               for r, t in kept if not (numeric and AGGREGATES[agg.func].left_out(t))}
        return tuple(sorted(out, key=lambda m: (tuple((p, row_key(t)) for p, t in m.atoms), row_key(
            (m.term,) if m.term is not None else ()))))


def _run(fns: list[StepFn], seeds: list[Row]) -> list[Row]:
    """The rows of compiled steps from `seeds`; a row whose arithmetic is undefined is dropped, not the rest.

    (As in evaluation; and a match plan binds variables in another order than
    evaluation did, so it may compute on a partial row that evaluation's
    order filtered out first.)
    """
    return list(run_steps(fns, {}, ignore, seeds))


def value_slot(plan: P.MatchPlan, j: int) -> int:
    """The slot of a match plan's rows holding the value of the aggregate of body literal `j`."""
    names = plan.names
    lit = plan.body[j]
    assert isinstance(lit, n.Comparison)
    if f"_agg{j}" in names:
        return names.index(f"_agg{j}")
    other = lit.right if isinstance(lit.left, n.Aggregate) else lit.left
    assert isinstance(other, n.Var)
    return plan.slots[other.name]


def _value_tests(body: tuple[n.Literal, ...], j: int, lit: n.Comparison) -> list[tuple[str, n.Expr, n.Expr]]:
    """The comparisons a recursive aggregate's value must pass, with `__value` standing for it."""
    value = n.Var("__value")
    agg_left = isinstance(lit.left, n.Aggregate)
    other = lit.right if agg_left else lit.left
    if not (lit.op == "=" and isinstance(other, n.Var)):
        return [(lit.op, value, other) if agg_left else (lit.op, other, value)]
    name = other.name
    tests = []
    for k, x in enumerate(body):
        if k == j or not isinstance(x, n.Comparison):
            continue
        if any(v.name == name for v in n.literal_vars(x)):
            tests.append((x.op, _rename(x.left, name), _rename(x.right, name)))
    return tests


def _rename(e: n.Expr, name: str) -> n.Expr:
    if isinstance(e, n.Var) and e.name == name:
        return n.Var("__value", e.span)
    if isinstance(e, n.BinOp):
        return n.BinOp(e.op, _rename(e.left, name), _rename(e.right, name), e.span)
    if isinstance(e, n.Neg):
        return n.Neg(_rename(e.operand, name), e.span)
    return e


def _bind_test(tests: list[tuple[str, n.Expr, n.Expr]], binding: dict[str, Value]) -> Callable[[Value], bool]:
    def test(v: Value) -> bool:
        b = dict(binding)
        b["__value"] = v
        try:
            return all(compare(op, const_eval(substitute(a, b)), const_eval(substitute(c, b))) for op, a, c in tests)
        except ArithmeticFault:
            return False

    return test


def body_matches(body: tuple[n.Literal, ...], binding: dict[str, Value],
                 rels: dict[str, Relation]) -> list[tuple[Key, ...]]:
    """Every distinct match of `body` under `binding`, as its positive atoms' tuples, in value order.

    One home for matching a body against relations: query grades,
    expectations and proofs of goals use it.
    """
    names = tuple(binding)
    plan = P.plan_match(body, names, {p: len(r) for p, r in rels.items()})
    rows = _run(compile_steps(plan.steps, rels, False, ignore), [tuple(binding[v] for v in names)])
    getters = [(lit.pred, [expr_fn(P.plan_expr(a, plan.slots)) for a in lit.args])
               for lit in plan.body if isinstance(lit, n.Atom)]
    found = {tuple((p, tuple(f(r) for f in fs)) for p, fs in getters) for r in rows}
    return sorted(found, key=lambda m: tuple((p, row_key(t)) for p, t in m))


def answer_matches(body: tuple[n.Literal, ...], names: list[str], rels: dict[str, Relation],
                   note: Note = ignore, tally: Tally | None = None) -> list[tuple[Row, tuple[Key, ...]]]:
    """Every distinct match of a goal: the values of `names` and the positive atoms' tuples.

    Constants are looked up as index keys, as in a query. A match whose
    arithmetic is undefined fails and is told to `note`. With `tally`, the
    rows are built in batches that it hears of (the limits of a query).
    """
    plan = P.plan_match(body, (), {p: len(r) for p, r in rels.items()}, const_keys=True)
    fns = compile_steps(plan.steps, rels, False, note)  # E602 here is the goal's own
    rows = (run_steps(fns, {}, note) if tally is None
            else collect_batches(fns, fan_outs(plan.steps, rels), {}, tally, note))
    if not rows:
        return []
    answer = head_fn(tuple(P.Slot(plan.slots[v]) for v in names), -1)
    getters = [(lit.pred, [expr_fn(P.plan_expr(a, plan.slots)) for a in lit.args])
               for lit in plan.body if isinstance(lit, n.Atom)]
    return list({(answer(r), tuple((p, tuple(f(r) for f in fs)) for p, fs in getters)) for r in rows})
