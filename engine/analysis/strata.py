"""Analysis pass: stratification by strongly connected components.

A predicate may not depend on itself through `not` (E501). Recursion through
an aggregate is accepted only where it is monotone (E502): count, sum or max
compared with `>=`/`>`, min with `<=`/`<`, against a bound that does not
depend on the recursion, and the result used nowhere else.
"""

from __future__ import annotations

from collections import deque

from .. import nodes as n
from ..aggregates import AGGREGATES
from ..errors import Diagnostic, Span, error
from ..graph import strongly_connected
from .safety import aggregate_outside, group_vars


def dependency_edges(rule: n.Rule) -> list[tuple[str, str, n.Literal | n.Aggregate]]:
    """The rule's head depends on each body predicate: (body predicate, kind, literal) with kind pos, neg
    (through `not`, inside braces too) or agg (inside an aggregate's braces)."""
    out: list[tuple[str, str, n.Literal | n.Aggregate]] = []
    for lit in rule.body:
        if isinstance(lit, n.Atom):
            out.append((lit.pred, "pos", lit))
        elif isinstance(lit, n.Negation):
            out.append((lit.atom.pred, "neg", lit))
        else:
            for agg in n.body_aggregates((lit,)):
                for inner in agg.body:
                    if isinstance(inner, n.Atom):
                        out.append((inner.pred, "agg", agg))
                    elif isinstance(inner, n.Negation):
                        out.append((inner.atom.pred, "neg", inner))
    return out


def stratify(rules: list[n.Rule], preds: list[str]) -> tuple[list[list[str]], list[bool], list[Diagnostic]]:
    diags: list[Diagnostic] = []
    succ: dict[str, list[str]] = {p: [] for p in preds}
    by_head: dict[str, list[n.Rule]] = {}
    for r in rules:
        by_head.setdefault(r.head.pred, []).append(r)
        for pred, _kind, _lit in dependency_edges(r):
            succ.setdefault(r.head.pred, []).append(pred)
            succ.setdefault(pred, [])
    comps = [sorted(c) for c in strongly_connected(succ, sorted(succ))[1]]
    recursive: list[bool] = []
    for comp in comps:
        members = set(comp)
        rec = len(comp) > 1 or comp[0] in succ.get(comp[0], ())
        recursive.append(rec)
        if not rec:
            continue
        for head in comp:
            for r in by_head.get(head, []):
                for pred, kind, lit in dependency_edges(r):
                    if pred not in members:
                        continue
                    if kind == "neg":
                        diags.append(_cycle_error(r, pred, lit, members, by_head))
                    elif kind == "agg":
                        assert isinstance(lit, n.Aggregate)
                        problem = _monotone_problem(r, lit, members)
                        if problem:
                            diags.append(problem)
    # de-duplicate (an aggregate with two recursive atoms is reported once)
    seen: set[tuple[str, Span]] = set()
    unique = []
    for d in diags:
        if (d.code, d.span) not in seen:
            seen.add((d.code, d.span))
            unique.append(d)
    return comps, recursive, unique


def _cycle_error(rule: n.Rule, target: str, lit: n.Literal | n.Aggregate, members: set[str],
                 by_head: dict[str, list[n.Rule]]) -> Diagnostic:
    head = rule.head.pred
    path = _path(target, head, members, by_head)
    steps = [f"`{head}` uses `not {target}` ({rule.span})"]
    notes: list[tuple[str, Span]] = [(f"`{head}` depends on `not {target}` in this rule", rule.span)]
    for src, dst, r in path:
        steps.append(f"`{src}` uses `{dst}` ({r.span})")
        notes.append((f"`{src}` depends on `{dst}` in this rule", r.span))
    cycle = " -> ".join([head, f"not {target}"] + [dst for _s, dst, _r in path])
    return Diagnostic(
        "E501",
        f"`{head}` depends on itself through negation: {cycle}",
        lit.span,
        "error",
        "a predicate cannot be defined by the absence of itself; break the cycle or split the predicate",
        tuple(notes),
    )


def _path(start: str, goal: str, members: set[str], by_head: dict[str, list[n.Rule]]) -> list[tuple[str, str, n.Rule]]:
    """Shortest dependency path start -> ... -> goal inside one component."""
    if start == goal:
        return []
    prev: dict[str, tuple[str, n.Rule]] = {}
    q = deque([start])
    seen = {start}
    while q:
        p = q.popleft()
        for r in by_head.get(p, []):
            for pred, _kind, _lit in dependency_edges(r):
                if pred in members and pred not in seen:
                    seen.add(pred)
                    prev[pred] = (p, r)
                    if pred == goal:
                        out = []
                        cur = goal
                        while cur != start:
                            src, rule = prev[cur]
                            out.append((src, cur, rule))
                            cur = src
                        return list(reversed(out))
                    q.append(pred)
    return []


def _monotone_problem(rule: n.Rule, agg: n.Aggregate, members: set[str]) -> Diagnostic | None:
    """Why this recursive aggregate is not monotone, or None if it is."""
    def bad(msg: str, span: Span) -> Diagnostic:
        return error(
            "E502",
            f"recursion through `{agg.func}` is not monotone here: {msg}",
            span,
            help="recursive aggregates may only be compared against a fixed bound: "
            "count/sum/max with `>=` or `>`, min with `<=` or `<`",
        )

    owner = None
    for lit in rule.body:
        if isinstance(lit, n.Comparison) and (lit.left is agg or lit.right is agg):
            owner = lit
    if owner is None:
        return bad("the aggregate is not bound to a variable", agg.span)
    other = owner.right if owner.left is agg else owner.left
    if owner.op != "=" or not isinstance(other, n.Var):
        # a direct comparison: agg op bound
        return _check_use(agg, owner.op if owner.left is agg else _flip(owner.op), other, rule, members, bad, owner.span)
    var = other.name
    outside = aggregate_outside(rule.head, rule.body, agg)
    if var in group_vars(agg, outside):
        return bad(f"`{var}` is also a grouping variable", other.span)
    for a in rule.head.args:
        for v in n.expr_vars(a):
            if v.name == var:
                return bad(f"its result `{var}` is in the head, where it would change as the recursion grows", v.span)
    uses = 0
    for lit in rule.body:
        if lit is owner:
            continue
        names = [v.name for v in n.literal_vars(lit)]
        if var not in names:
            continue
        if not isinstance(lit, n.Comparison):
            return bad(f"its result `{var}` is used in `{_short(lit)}`", lit.span)
        if isinstance(lit.left, n.Var) and lit.left.name == var:
            prob = _check_use(agg, lit.op, lit.right, rule, members, bad, lit.span)
        elif isinstance(lit.right, n.Var) and lit.right.name == var:
            prob = _check_use(agg, _flip(lit.op), lit.left, rule, members, bad, lit.span)
        else:
            prob = bad(f"its result `{var}` is computed with", lit.span)
        if prob:
            return prob
        uses += 1
    return None


def _short(lit: n.Literal) -> str:
    from ..syntax.pretty import literal

    return literal(lit)


def _flip(op: str) -> str:
    return {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "=": "=", "!=": "!="}[op]


def _check_use(agg: n.Aggregate, op: str, bound: n.Expr, rule: n.Rule, members: set[str], bad: object,
               span: Span) -> Diagnostic | None:
    ok_ops = AGGREGATES[agg.func].recursive_tests
    assert callable(bad)
    if not ok_ops:
        return bad("its value may go down as well as up as matches are added", span)  # type: ignore[no-any-return]
    if op not in ok_ops:
        return bad(f"`{agg.func}` compared with `{op}` can turn false as the recursion grows", span)  # type: ignore[no-any-return]
    recursive_vars: set[str] = set()
    for lit in rule.body:
        if isinstance(lit, n.Atom) and lit.pred in members:
            recursive_vars |= {v.name for v in n.literal_vars(lit)}
    for v in n.expr_vars(bound):
        if v.name in recursive_vars:
            return bad(f"the bound `{v.name}` depends on the recursion", v.span)  # type: ignore[no-any-return]
    return None
