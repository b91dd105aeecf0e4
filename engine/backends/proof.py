"""SQL backends: proofs rebuilt from the rounds in which tuples were first derived.

The SQL fixpoint keeps no derivations, only each tuple's first round `_r`
(and grade `_g`). A proof of a tuple first derived in round r is found by
searching the bodies of the rules for its predicate, with the head bound to
the tuple and every positive premise required to come from a round before r
(so the search cannot go round in circles); the premises are explained the
same way, down to facts (round 0). In a graded program the best-graded such
body is taken.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from .. import nodes as n
from .. import plan as P
from ..evaluation.compile import head_fn
from ..proof.tree import ProofNode
from ..provenance import TOP
from ..values import Value, show_atom
from .compile import Builder, to_rep
from .encoding import PARTS, decode, width

if TYPE_CHECKING:
    from .sql import SqlModel

Row = tuple[Value, ...]


def explain(model: SqlModel, pred: str, row: Row) -> ProofNode:
    """The proof tree of a tuple that holds (a `missing` node if it does not)."""
    memo: dict[tuple[str, Row], ProofNode] = {}
    return _explain(model, pred, tuple(row), memo)


def _explain(model: SqlModel, pred: str, row: Row, memo: dict[tuple[str, Row], ProofNode]) -> ProofNode:
    key = (pred, row)
    if key in memo:
        return memo[key]
    text = show_atom(pred, row)
    meta = model._meta(pred, row)
    if meta is None:
        return ProofNode("missing", text, TOP, note="does not hold", pred=pred, row=row)
    first, grade = meta
    program = model.program
    if first == 0:
        citations: list[tuple[n.Citation, object]] = []
        span = None
        for fact in program.facts:
            if fact.pred == pred and fact.row == row:
                span = span or fact.span
                citations.extend((c, program.sources.get(c.source)) for c in fact.cites)
        node = ProofNode("fact", text, grade, citations=citations, span=span, pred=pred, row=row)
        memo[key] = node
        return node
    found = _derivation(model, pred, row, first)
    if found is None:  # cannot happen for a tuple the fixpoint derived
        return ProofNode("missing", text, grade, note="no derivation found", pred=pred, row=row)
    rule_index, plan, slots = found
    rule = program.rules[rule_index]
    node = ProofNode("rule", text, grade, rule=rule, span=rule.span, pred=pred, row=row)
    memo[key] = node
    for prem in plan.premises[: len(rule.body)]:
        if prem.kind == "atom":
            t = head_fn(prem.args, -1)(slots)
            node.children.append(_explain(model, prem.pred, t, memo))
        elif prem.kind == "not":
            t = head_fn(prem.args, -1)(slots)
            shown = show_atom(prem.pred, t).replace("None", "_")
            node.children.append(ProofNode("absent", f"not {shown}", TOP, note=f"absence of {shown}",
                                           pred=prem.pred))
        elif prem.kind == "agg":
            node.children.append(ProofNode("aggregate", "aggregate", TOP,
                                           note="computed in SQL over tuples of earlier rounds"))
    return node


def _derivation(model: SqlModel, pred: str, row: Row, before: int) -> tuple[int, P.RulePlan, Row] | None:
    ev = model._ev
    for i, rule in enumerate(model.program.rules):
        if rule.head.pred != pred:
            continue
        binding = tuple(n.Comparison("=", a, n.Const(v)) for a, v in zip(rule.head.args, row))
        bound = n.Rule(rule.head, rule.body + binding, rule.cites, rule.span)
        plan = P.plan_rule(bound, i, dict(ev.sizes), set(), True, model.program.arity)
        span = rule.span
        b = Builder(ev.d, ev.schema, lambda _lit, span=span: span, before=before)  # type: ignore[misc]
        b.run(plan.steps)
        cols: list[exp.Expr] = []
        for k, v in enumerate(b.slots):
            cols.extend(p.copy().as_(f"s{k}{c}") for p, c in zip(to_rep(v, "any", ev.d).parts, PARTS))
        if ev.graded:
            cols.append(b.grade().as_("_g"))
        q = b.select(cols)
        if ev.graded:
            q = q.order_by(exp.Ordered(this=exp.column("_g"), desc=True))
        recs = model.store.fetch(q.limit(1))
        if recs:
            rec = recs[0]
            w = width("any")
            slots = tuple(decode(tuple(rec[w * k:w * k + w]), "any") for k in range(len(b.slots)))
            return i, plan, slots
    return None
