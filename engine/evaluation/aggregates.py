"""Aggregates in proofs and grades: the tuples one group of an aggregate ranged over."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import nodes as n
from .. import plan as P
from ..provenance import TOP
from ..values import Value
from .compile import compile_steps, run_steps
from .relation import Relation, Row

if TYPE_CHECKING:
    from .fixpoint import Evaluator


def _aggregate_node(rule: n.Rule, literal: int) -> n.Aggregate:
    lit = rule.body[literal]
    assert isinstance(lit, n.Comparison)
    agg = lit.left if isinstance(lit.left, n.Aggregate) else lit.right
    assert isinstance(agg, n.Aggregate)
    return agg


def aggregate_matches(rules: list[n.Rule], rels: dict[str, Relation], plan: P.RulePlan, step_index: int,
                      row: Row) -> tuple[n.Aggregate, dict[str, Value], list[list[tuple[str, Row]]]]:
    """For one row of `plan`, the aggregate's group and, per distinct match, its positive atoms' tuples."""
    step = plan.steps[step_index]
    assert isinstance(step, P.Aggregate)
    rule = rules[plan.rule_index]
    agg = _aggregate_node(rule, step.literal)
    group = {plan.slots[s]: row[s] for s in step.group}
    # re-plan the braces' body as a query with the group bound, keeping every variable
    names: list[str] = []
    for v in n.aggregate_vars(agg):
        if not v.anonymous and v.name not in names and v.name not in group:
            names.append(v.name)
    bound = tuple(n.Comparison("=", n.Var(k), n.Const(v)) for k, v in group.items())
    body = bound + agg.body
    from ..plan import _Planner

    p = _Planner({}, set(), True, {})
    fixed = p.name_anon(body)
    slots: dict[str, int] = {}
    order: list[str] = []
    steps = p.body(None, fixed, slots, order, -1, True)
    fns = compile_steps(tuple(steps), rels, True)
    rows = set(run_steps(fns, {}))
    out: list[list[tuple[str, Row]]] = []
    for r in sorted(rows, key=repr):
        atoms: list[tuple[str, Row]] = []
        for lit in fixed:
            if isinstance(lit, n.Atom):
                atoms.append((lit.pred, tuple(_arg(a, slots, r) for a in lit.args)))
        out.append(atoms)
    return agg, group, out


def _arg(a: n.Expr, slots: dict[str, int], r: Row) -> Value:
    if isinstance(a, n.Var):
        return r[slots[a.name]]
    if isinstance(a, n.Const):
        return a.value
    from ..plan import _Planner
    from .compile import expr_fn

    return expr_fn(_Planner({}, set(), True, {}).expr(a, slots))(r)  # type: ignore[no-any-return]


def aggregate_grade(ev: Evaluator, plan: P.RulePlan, step_index: int, row: Row) -> int:
    """The weakest grade among the tuples the aggregate ranged over for this row's group."""
    _agg, _group, matches = aggregate_matches(ev.program.rules, ev.rels, plan, step_index, row)
    g = TOP
    for atoms in matches:
        for pred, t in atoms:
            ann = ev.rels[pred].ann
            got = ann.get(t) if ann is not None else None
            if got is not None and got[0] < g:
                g = got[0]
    return g


__all__ = ["aggregate_matches", "aggregate_grade", "Any"]
