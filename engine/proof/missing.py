"""Why an atom does not hold: for each rule that could derive it, the premise that fails.

Stage: after evaluation. The rule's body is planned with the head's
variables bound from the atom's constants, as evaluation would run it, and
run one step at a time against the finished relations; the first step that
leaves no match names the missing premise, shown with the values the
matches before it agreed on. When that premise tests an aggregate's value,
the value reached for each group is shown (`sum {...} = 30 for C = acme`),
and an aggregate with no value (a min or max over no match) says so.
"""

from __future__ import annotations

from typing import Any

from .. import nodes as n
from .. import plan as P
from ..analysis import Program
from ..errors import SyllogError
from ..evaluation.batches import run_steps
from ..evaluation.compile import compile_steps
from ..evaluation.dropped import ignore
from ..evaluation.relation import Relation, Row
from ..provenance import TOP
from ..syntax.pretty import atom as show_atom_node
from ..syntax.pretty import expr as show_expr
from ..syntax.pretty import literal as show_literal
from ..values import ArithmeticFault, Value, show
from .derivations import substitute, value_slot
from .tree import ProofNode

SHOWN_GROUPS = 3  # aggregate groups listed for a failed test


def explain_missing(program: Program, rels: dict[str, Relation], atom: n.Atom) -> ProofNode:
    """A `missing` node for an atom that does not hold, with a child per rule that could derive it."""
    node = ProofNode("missing", show_atom_node(atom), TOP, note="does not hold", pred=atom.pred)
    candidates = [i for i, r in enumerate(program.rules)
                  if r.head.pred == atom.pred and len(r.head.args) == len(atom.args)]
    for i in candidates:
        child = _rule_gap(program.rules[i], rels, atom)
        if child is not None:
            node.children.append(child)
    if not candidates:
        node.note = "does not hold: it is not among the facts, and no rule derives it"
    return node


def _head_binding(rule: n.Rule, atom: n.Atom) -> dict[str, Value] | None:
    """The head's variables bound by the atom's constants; None when the head cannot give the atom."""
    binding: dict[str, Value] = {}
    for h, g in zip(rule.head.args, atom.args):
        if not isinstance(g, n.Const):
            continue
        if isinstance(h, n.Var) and not h.anonymous:
            if binding.setdefault(h.name, g.value) != g.value:
                return None
        elif isinstance(h, n.Const) and h.value != g.value:
            return None
    return binding


def _rule_gap(rule: n.Rule, rels: dict[str, Relation], atom: n.Atom) -> ProofNode | None:
    binding = _head_binding(rule, atom)
    where = f"the rule at {rule.span}"
    if binding is None:
        return None  # its head has another constant there
    sizes = {p: len(r) for p, r in rels.items()}
    names = tuple(binding)
    try:
        plan = P.plan_match(rule.body, names, sizes, rule.head)
    except AssertionError:  # pragma: no cover - every checked rule can be planned
        return None
    rows: Any = [tuple(binding[v] for v in names)]
    for step, fn in zip(plan.steps, compile_steps(plan.steps, rels, False, ignore)):
        try:
            after = run_steps([fn], {}, ignore, rows)  # a row whose arithmetic is undefined fails, as in evaluation
        except (ArithmeticFault, SyllogError):
            after = []
        if not after:
            return _gap(rule, plan, step, list(rows), where)
        rows = after
    return ProofNode("missing", show_atom_node(atom), TOP, rule=rule, span=rule.span,
                     note=f"{where} matches, but computes another value for the head")


def _agreed(plan: P.MatchPlan, rows: list[Row]) -> dict[str, Value]:
    """The variables every row gives the same value (from the first thousand rows)."""
    sample = rows[:1000]
    out: dict[str, Value] = {}
    for k, name in enumerate(plan.names):
        if name.startswith("_") or not sample or k >= len(sample[0]):
            continue
        v = sample[0][k]
        if all(r[k] == v for r in sample):
            out[name] = v
    return out


def _substituted(lit: n.Literal, binding: dict[str, Value]) -> n.Literal:
    if isinstance(lit, n.Atom):
        return n.Atom(lit.pred, tuple(substitute(a, binding) for a in lit.args), lit.span)
    if isinstance(lit, n.Negation):
        return n.Negation(n.Atom(lit.atom.pred, tuple(substitute(a, binding) for a in lit.atom.args)), lit.span)
    if isinstance(lit, n.Comparison) and not n.body_aggregates((lit,)):
        return n.Comparison(lit.op, substitute(lit.left, binding), substitute(lit.right, binding), lit.span)
    return lit


def _gap(rule: n.Rule, plan: P.MatchPlan, step: P.Step, rows: list[Row], where: str) -> ProofNode:
    """The node for the step that left no match."""
    lit = rule.body[step.literal]
    agreed = _agreed(plan, rows)
    done = plan.steps[:plan.steps.index(step)]
    tested = [j for j in (_aggregates_tested(rule, step.literal) if isinstance(step, P.Filter) else [])
              if any(isinstance(s, P.AggregateStep) and s.literal == j for s in done)]  # values the rows hold
    for j in tested:  # an aggregate's value is shown beside its test, not in it
        other = _result_var(rule.body[j])
        if other is not None:
            agreed.pop(other, None)
    shown = show_literal(_substituted(lit, agreed))
    node = ProofNode("missing", shown, TOP, rule=rule, span=rule.span,
                     note=f"{where} needs this, and it does not hold")
    if isinstance(step, P.AggregateStep):
        agg = n.body_aggregates((lit,))[0]
        groups = _groups(plan, step, rows)
        node.note = f"{where} needs this, and `{show_expr(agg)}` has no value: no match" + (
            f" for {groups[0]}" if len(groups) == 1 else "")
        return node
    if isinstance(step, P.Filter):
        for j in tested:
            agg = n.body_aggregates((rule.body[j],))[0]
            slot = value_slot(plan, j)
            seen: dict[tuple[Value, ...], Value] = {}
            agg_step = next(s for s in plan.steps if isinstance(s, P.AggregateStep) and s.literal == j)
            for r in rows:
                seen.setdefault(tuple(r[s] for s in agg_step.group), r[slot])
            names = [plan.names[s] for s in agg_step.group]
            for group, value in list(seen.items())[:SHOWN_GROUPS]:
                label = f"{show_expr(agg)} = {show(value)}"
                if names:
                    label += " for " + ", ".join(f"{k} = {show(v)}" for k, v in zip(names, group))
                node.children.append(ProofNode("aggregate", label, TOP, note="the value reached"))
            if len(seen) > SHOWN_GROUPS:
                node.children.append(ProofNode("aggregate", f"... and {len(seen) - SHOWN_GROUPS} more group(s)",
                                               TOP, note="the value reached"))
    return node


def _groups(plan: P.MatchPlan, step: P.AggregateStep, rows: list[Row]) -> list[str]:
    names = [plan.names[s] for s in step.group]
    out = []
    for r in rows[:SHOWN_GROUPS + 1]:
        out.append(", ".join(f"{k} = {show(r[s])}" for k, s in zip(names, step.group)))
    return [g for g in out if g]


def _result_var(lit: n.Literal) -> str | None:
    """`S` of `S = agg`; None for an aggregate compared directly."""
    if not isinstance(lit, n.Comparison) or lit.op != "=":
        return None
    other = lit.right if isinstance(lit.left, n.Aggregate) else lit.left
    return other.name if isinstance(other, n.Var) else None


def _aggregates_tested(rule: n.Rule, j: int) -> list[int]:
    """The aggregate literals whose value literal `j` tests (itself, or through `S = agg`)."""
    lit = rule.body[j]
    if n.body_aggregates((lit,)):
        return [j]
    used = {v.name for v in n.literal_vars(lit)}
    out = []
    for k, x in enumerate(rule.body):
        if not (isinstance(x, n.Comparison) and n.body_aggregates((x,))):
            continue
        other = x.right if isinstance(x.left, n.Aggregate) else x.left
        if x.op == "=" and isinstance(other, n.Var) and other.name in used:
            out.append(k)
    return out
