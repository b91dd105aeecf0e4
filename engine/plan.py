"""Planning stage: a checked rule to a `RulePlan`, plain data.

A plan is a list of steps over *rows*: tuples holding the values of the
rule's variables in the order they get bound (a variable's *slot*). Steps
join with an atom (a hash lookup on its bound columns), test a negated atom,
filter on a comparison, bind a computed value, or compute an aggregate per
group. The in-memory evaluator turns plans into closures; the SQL backends
read the same plans. A recursive rule gets one plan per recursive atom, with
that atom reading the last round's delta and placed first. The other atoms are
ordered by their estimated fan-out, the rows a probe yields, from the
relations' sizes and, where the caller knows them, distinct values per column
(`Statistics`; the cost model is described in docs/evaluation.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Union

from . import nodes as n
from .analysis.safety import aggregate_outside, group_vars
from .errors import Span
from .values import Value

# What the planner may know of a relation beyond its size: given a predicate and some of its columns,
# (its size, the distinct values of each of those columns), or None. The evaluator's relations give
# theirs (`Relation.statistics`); without any, the cost model assumes (see `_Planner.fan_out`).
Statistics = Callable[[str, tuple[int, ...]], "tuple[int, tuple[int, ...]] | None"]

# The cost model (docs/evaluation.md, "How the planner orders atoms"): a relation still growing in the
# stratum is assumed to reach GROWTH times its size at planning time, its columns keeping the distinct
# values they hold then; one never scanned in full before the others (LARGE rows).
GROWTH = 16
LARGE = float(1 << 40)

# ---- expressions over slots -------------------------------------------


@dataclass(frozen=True, slots=True)
class Slot:
    index: int


@dataclass(frozen=True, slots=True)
class Lit:
    value: Value


@dataclass(frozen=True, slots=True)
class Op:
    op: str
    left: PExpr
    right: PExpr


@dataclass(frozen=True, slots=True)
class Minus:
    operand: PExpr


PExpr = Union[Slot, Lit, Op, Minus]

# ---- steps --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Join:
    """Extend each row with the matching tuples of `pred`.

    Columns in `key_cols` must equal `key` (computed from the row); the
    values of `out_cols` are appended to the row; `const_cols` must hold the
    given constants; `eq_cols` pairs of columns must be equal. With no
    `out_cols` this is a semi-join (an existence test).
    """

    pred: str
    delta: bool
    key_cols: tuple[int, ...]
    key: tuple[PExpr, ...]
    const_cols: tuple[tuple[int, Value], ...]
    eq_cols: tuple[tuple[int, int], ...]
    out_cols: tuple[int, ...]
    arity: int
    literal: int  # index of the body literal


@dataclass(frozen=True, slots=True)
class AntiJoin:
    """Keep rows for which no tuple of `pred` matches (`not pred(...)`)."""

    pred: str
    key_cols: tuple[int, ...]
    key: tuple[PExpr, ...]
    const_cols: tuple[tuple[int, Value], ...]
    eq_cols: tuple[tuple[int, int], ...]
    arity: int
    literal: int


@dataclass(frozen=True, slots=True)
class Filter:
    op: str
    left: PExpr
    right: PExpr
    literal: int


@dataclass(frozen=True, slots=True)
class Bind:
    """Append the value of `expr` as a new slot."""

    expr: PExpr
    literal: int


@dataclass(frozen=True, slots=True)
class AggregateStep:
    """Append `func` over the distinct rows of `body` for the row's group.

    `body` runs on rows that start with the group slots `group` (copied in
    that order); `term` is evaluated on its result rows.
    """

    func: str
    term: PExpr | None
    group: tuple[int, ...]
    body: tuple[Step, ...]
    width: int  # slots of the inner rows
    recursive: bool
    literal: int
    span: Span


Step = Union[Join, AntiJoin, Filter, Bind, AggregateStep]


@dataclass(frozen=True, slots=True)
class Premise:
    """How to rebuild one body literal's tuple from a row, for proofs."""

    kind: str  # atom | not | agg | cmp
    pred: str
    args: tuple[PExpr, ...]
    step: int = -1  # for aggregates: index of the AggregateStep


@dataclass(frozen=True, slots=True)
class RulePlan:
    rule_index: int
    head: str
    head_args: tuple[PExpr, ...]
    steps: tuple[Step, ...]
    slots: tuple[str, ...]
    delta_literal: int  # body literal reading the delta, -1 for none
    premises: tuple[Premise, ...] = field(default=())


@dataclass
class Placement:
    """A body being planned: its literals, the slots and steps so far, the literals not yet placed, and
    each aggregate's grouping variables."""

    head: n.Atom | None
    body: tuple[n.Literal, ...]
    slots: dict[str, int]
    order: list[str]
    steps: list[Step]
    pending: list[int]
    groups: dict[int, list[str]]

    def bound(self, e: n.Expr) -> bool:
        return all(v.name in self.slots for v in n.expr_vars(e))


class _Planner:
    def __init__(self, sizes: dict[str, int], recursive: set[str], keep_anon: bool, arity: dict[str, int],
                 const_keys: bool = False, grow: bool = True, statistics: Statistics | None = None) -> None:
        self.sizes = sizes
        self.statistics = statistics
        self.recursive = recursive
        # the plan is used while the recursive relations grow: size them as huge (else by `sizes`)
        self.grow = grow
        self.keep_anon = keep_anon
        self.arity = arity
        self.fresh = 0
        # A query runs once: its constants are looked up as keys (a probe of an
        # index any other query can share) rather than filtered in a scan.
        self.const_keys = const_keys

    def expr(self, e: n.Expr, slots: dict[str, int]) -> PExpr:
        if isinstance(e, n.Var):
            return Slot(slots[e.name])
        if isinstance(e, n.Const):
            return Lit(e.value)
        if isinstance(e, n.BinOp):
            return Op(e.op, self.expr(e.left, slots), self.expr(e.right, slots))
        if isinstance(e, n.Neg):
            return Minus(self.expr(e.operand, slots))
        raise AssertionError("aggregate in expression")

    def name_anon(self, body: tuple[n.Literal, ...]) -> tuple[n.Literal, ...]:
        """Give every `_` a unique name `_#k` (kept as a slot only where needed)."""

        def fix_expr(e: n.Expr) -> n.Expr:
            if isinstance(e, n.Var) and e.anonymous:
                self.fresh += 1
                return n.Var(f"_#{self.fresh}", e.span)
            if isinstance(e, n.BinOp):
                return n.BinOp(e.op, fix_expr(e.left), fix_expr(e.right), e.span)
            if isinstance(e, n.Neg):
                return n.Neg(fix_expr(e.operand), e.span)
            if isinstance(e, n.Aggregate):
                return n.Aggregate(e.func, fix_expr(e.term) if e.term else None, self.name_anon(e.body), e.span)
            return e

        def fix(lit: n.Literal) -> n.Literal:
            if isinstance(lit, n.Atom):
                return n.Atom(lit.pred, tuple(fix_expr(a) for a in lit.args), lit.span)
            if isinstance(lit, n.Negation):
                return n.Negation(n.Atom(lit.atom.pred, lit.atom.args, lit.atom.span), lit.span)
            return n.Comparison(lit.op, fix_expr(lit.left), fix_expr(lit.right), lit.span)

        return tuple(fix(x) for x in body)

    def atom_step(self, atom: n.Atom, index: int, slots: dict[str, int], order: list[str], delta: bool,
                  keep_anon: bool) -> Join:
        key_cols: list[int] = []
        key: list[PExpr] = []
        consts: list[tuple[int, Value]] = []
        eqs: list[tuple[int, int]] = []
        outs: list[int] = []
        first_col: dict[str, int] = {}
        for col, arg in enumerate(atom.args):
            if isinstance(arg, n.Const) and self.const_keys:
                key_cols.append(col)
                key.append(Lit(arg.value))
            elif isinstance(arg, n.Const):
                consts.append((col, arg.value))
            elif isinstance(arg, n.Var):
                name = arg.name
                if name.startswith("_#") and not keep_anon:
                    continue
                if name in slots:
                    key_cols.append(col)
                    key.append(Slot(slots[name]))
                elif name in first_col:
                    eqs.append((first_col[name], col))
                else:
                    first_col[name] = col
                    outs.append(col)
            else:
                # an expression over bound variables: a computed key
                key_cols.append(col)
                key.append(self.expr(arg, slots))
        for name, _col in sorted(first_col.items(), key=lambda kv: kv[1]):
            slots[name] = len(order)
            order.append(name)
        return Join(atom.pred, delta, tuple(key_cols), tuple(key), tuple(consts), tuple(eqs), tuple(outs),
                    len(atom.args), index)

    def anti_step(self, atom: n.Atom, index: int, slots: dict[str, int]) -> AntiJoin:
        key_cols: list[int] = []
        key: list[PExpr] = []
        consts: list[tuple[int, Value]] = []
        eqs: list[tuple[int, int]] = []
        local: dict[str, int] = {}
        for col, arg in enumerate(atom.args):
            if isinstance(arg, n.Const):
                consts.append((col, arg.value))
            elif isinstance(arg, n.Var) and arg.anonymous:
                continue
            elif isinstance(arg, n.Var) and arg.name not in slots:
                if arg.name in local:
                    eqs.append((local[arg.name], col))
                else:
                    local[arg.name] = col
            else:
                key_cols.append(col)
                key.append(self.expr(arg, slots))
        return AntiJoin(atom.pred, tuple(key_cols), tuple(key), tuple(consts), tuple(eqs), len(atom.args), index)

    def body(self, head: n.Atom | None, body: tuple[n.Literal, ...], slots: dict[str, int], order: list[str],
             delta_literal: int, keep_anon: bool, in_aggregate: bool = False) -> list[Step]:
        """The steps of a body: the delta atom first (if any), then, repeatedly, every literal whose
        variables are bound, and the best-scored atom of those left."""
        place = Placement(head, body, slots, order, [], list(range(len(body))),
                          {id(a): group_vars(a, aggregate_outside(head, body, a)) for a in n.body_aggregates(body)})
        if delta_literal >= 0:
            atom = body[delta_literal]
            assert isinstance(atom, n.Atom)
            place.steps.append(self.atom_step(atom, delta_literal, slots, order, True, keep_anon))
            place.pending.remove(delta_literal)
        while place.pending:
            while self.place_ready(place):
                pass
            atoms = [i for i in place.pending if isinstance(body[i], n.Atom)]
            if not atoms:
                break
            # (one atom left needs no estimate: its statistics would cost a pass over its relation)
            best = atoms[0] if len(atoms) == 1 else min(atoms, key=lambda i: self.score(body[i], slots))  # type: ignore[arg-type]
            atom = body[best]
            assert isinstance(atom, n.Atom)
            place.steps.append(self.atom_step(atom, best, slots, order, False, keep_anon))
            place.pending.remove(best)
        if place.pending:
            raise AssertionError(f"unplaceable literals {place.pending}")
        return place.steps

    def place_ready(self, place: Placement) -> bool:
        """Place every pending literal other than an atom whose inputs are bound; whether any was."""
        progress = False
        for i in list(place.pending):
            lit = place.body[i]
            if isinstance(lit, n.Negation):
                placed = self.place_negation(place, lit, i)
            elif isinstance(lit, n.Comparison):
                agg = lit.left if isinstance(lit.left, n.Aggregate) else (
                    lit.right if isinstance(lit.right, n.Aggregate) else None)
                placed = self.place_aggregate(place, lit, agg, i) if agg is not None else \
                    self.place_comparison(place, lit, i)
            else:
                placed = False
            if placed:
                place.pending.remove(i)
                progress = True
        return progress

    def place_negation(self, place: Placement, lit: n.Negation, i: int) -> bool:
        slots = place.slots
        if not all(v.name in slots or v.anonymous or v.name.startswith("_#") for v in n.literal_vars(lit)):
            return False
        place.steps.append(self.anti_step(lit.atom, i, slots))
        return True

    def place_aggregate(self, place: Placement, lit: n.Comparison, agg: n.Aggregate, i: int) -> bool:
        """`V = agg {...}` (or a comparison with one) once its group is bound: the aggregate's step, then its
        value bound to V or compared."""
        slots, order = place.slots, place.order
        other = lit.right if agg is lit.left else lit.left
        group = place.groups[id(agg)]
        if not all(g in slots for g in group):
            return False
        if not (place.bound(other) or (lit.op == "=" and isinstance(other, n.Var))):
            return False
        place.steps.append(self.aggregate(agg, group, slots, i, place.head, place.body))
        tmp = len(order)
        order.append(f"_agg{i}")
        if lit.op == "=" and isinstance(other, n.Var) and other.name not in slots:
            slots[other.name] = tmp
            order[tmp] = other.name
        else:
            left: PExpr = Slot(tmp)
            right: PExpr = self.expr(other, slots)
            if agg is not lit.left:
                left, right = right, left
            place.steps.append(Filter(lit.op, left, right, i))
        return True

    def place_comparison(self, place: Placement, lit: n.Comparison, i: int) -> bool:
        """A comparison of bound sides as a filter, or `V = expr` binding a new V."""
        slots, order, bound = place.slots, place.order, place.bound
        if bound(lit.left) and bound(lit.right):
            place.steps.append(Filter(lit.op, self.expr(lit.left, slots), self.expr(lit.right, slots), i))
            return True
        for var, e in ((lit.left, lit.right), (lit.right, lit.left)):
            if lit.op == "=" and isinstance(var, n.Var) and var.name not in slots and bound(e):
                place.steps.append(Bind(self.expr(e, slots), i))
                slots[var.name] = len(order)
                order.append(var.name)
                return True
        return False

    def score(self, atom: n.Atom, slots: dict[str, int]) -> tuple[int, float, int, int]:
        """How good `atom` is to join next, least first: (not connected, estimated fan-out, -bound columns,
        size). Connected atoms come first, so that no cross product is chosen while a join is possible."""
        bound = [col for col, a in enumerate(atom.args) if isinstance(a, n.Const) or (
            not isinstance(a, n.Var) and all(v.name in slots for v in n.expr_vars(a))) or (
            isinstance(a, n.Var) and a.name in slots)]
        connected = 0 if bound or not slots else 1
        size = self.sizes.get(atom.pred, 0)
        growing = atom.pred in self.recursive and self.grow
        if growing:
            size = max(size, 1 << 40)
        return (connected, self.fan_out(atom.pred, len(atom.args), bound, growing), -len(bound), size)

    def fan_out(self, pred: str, arity: int, bound: list[int], growing: bool) -> float:
        """The estimated rows a probe of `pred` on the `bound` columns yields.

        With distinct counts d: size / (the product of the bound columns' d, at most the size), taking
        the columns as independent. Without: size ** (unbound columns / arity), as if every column had
        size ** (1 / arity) values. A growing relation: GROWTH times its size now, with its columns'
        distinct values now; LARGE when it is scanned (no bound column) or nothing is known of it.
        """
        known = self.statistics(pred, tuple(bound)) if self.statistics is not None else None
        if growing and (not bound or known is None or known[0] == 0):
            size = LARGE
        elif known is not None:
            size = float(known[0]) * (GROWTH if growing else 1)
        else:
            size = float(self.sizes.get(pred, 0))
        if not bound or size == 0:
            return size
        if known is None or known[0] == 0:
            return float(size ** ((arity - len(bound)) / arity))
        keys = 1.0
        for d in known[1]:
            keys *= max(1, d)
        return size / min(keys, size)

    def aggregate(self, agg: n.Aggregate, group: list[str], slots: dict[str, int], index: int,
                  head: n.Atom | None, body: tuple[n.Literal, ...]) -> AggregateStep:
        inner_slots = {g: k for k, g in enumerate(group)}
        inner_order = list(group)
        inner = self.body(None, agg.body, inner_slots, inner_order, -1, True, in_aggregate=True)
        term = self.expr(agg.term, inner_slots) if agg.term is not None else None
        recursive = any(
            isinstance(lit, n.Atom) and lit.pred in self.recursive for lit in agg.body
        )
        return AggregateStep(agg.func, term, tuple(slots[g] for g in group), tuple(inner), len(inner_order), recursive,
                         index, agg.span)


def plan_rule(rule: n.Rule, rule_index: int, sizes: dict[str, int], recursive: set[str], keep_anon: bool,
              arity: dict[str, int], delta_literal: int = -1, grow: bool = True,
              statistics: Statistics | None = None) -> RulePlan:
    """Plan one rule; `delta_literal` names the body atom that reads the delta.

    `grow=False` for a plan run once, before the recursive relations grow: they are then
    ordered by their real sizes like the others. `statistics` tells the relations' distinct
    values per column where they are known (see `Statistics`): atoms are then ordered by
    their estimated fan-out.
    """
    p = _Planner(sizes, recursive, keep_anon, arity, grow=grow, statistics=statistics)
    body = p.name_anon(rule.body)
    slots: dict[str, int] = {}
    order: list[str] = []
    steps = p.body(rule.head, body, slots, order, delta_literal, keep_anon)
    head_args = tuple(p.expr(a, slots) for a in rule.head.args)
    premises: list[Premise] = []
    agg_steps = {s.literal: k for k, s in enumerate(steps) if isinstance(s, AggregateStep)}
    for i, lit in enumerate(body):
        if isinstance(lit, n.Atom):
            args = tuple(p.expr(a, slots) if not (isinstance(a, n.Var) and a.name not in slots) else Lit(None)  # type: ignore[arg-type]
                         for a in lit.args)
            premises.append(Premise("atom", lit.pred, args))
        elif isinstance(lit, n.Negation):
            args = tuple(Lit(None) if isinstance(a, n.Var) and (a.anonymous or a.name not in slots)  # type: ignore[arg-type]
                         else p.expr(a, slots) for a in lit.atom.args)
            premises.append(Premise("not", lit.atom.pred, args))
        elif i in agg_steps:
            premises.append(Premise("agg", "", (), agg_steps[i]))
        else:
            premises.append(Premise("cmp", "", ()))
    return RulePlan(rule_index, rule.head.pred, head_args, tuple(steps), tuple(order), delta_literal, tuple(premises))


@dataclass(frozen=True, slots=True)
class MatchPlan:
    """A body planned to list its matches: every variable kept in a slot, each `_` named `_#k`.

    The rows it runs on start with the values of `bound`, in that order.
    """

    body: tuple[n.Literal, ...]
    steps: tuple[Step, ...]
    slots: dict[str, int]
    bound: tuple[str, ...]
    names: tuple[str, ...]  # slot -> variable (an aggregate's value not bound to one: `_agg<literal>`)


def plan_match(body: tuple[n.Literal, ...], bound: tuple[str, ...], sizes: dict[str, int],
               head: n.Atom | None = None, const_keys: bool = False) -> MatchPlan:
    """Plan `body` to enumerate its matches from rows that bind `bound` (for witnesses and proofs).

    `head` is the rule's head when the body is a rule's, so that an aggregate's
    groups are the variables it shares with the head and the rest of the body.
    """
    p = _Planner(sizes, set(), True, {})
    fixed = p.name_anon(body)
    slots = {v: k for k, v in enumerate(bound)}
    order = list(bound)
    steps = p.body(head, fixed, slots, order, -1, True)
    return MatchPlan(fixed, tuple(steps), slots, tuple(bound), tuple(order))


def plan_expr(e: n.Expr, slots: dict[str, int]) -> PExpr:
    """An expression over named variables as one over the slots of a row."""
    return _Planner({}, set(), True, {}).expr(e, slots)


def plan_body(body: tuple[n.Literal, ...], names: list[str], sizes: dict[str, int]) -> tuple[tuple[Step, ...], tuple[int, ...]]:
    """Plan a query body; returns the steps and the slots of `names`."""
    p = _Planner(sizes, set(), False, {}, const_keys=True)
    fixed = p.name_anon(body)
    slots: dict[str, int] = {}
    order: list[str] = []
    steps = p.body(None, fixed, slots, order, -1, False)
    return tuple(steps), tuple(slots[x] for x in names)
