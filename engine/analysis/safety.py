"""Analysis pass: safety (range restriction) and aggregate placement.

Every variable of the head, of a negated atom, of a comparison, or of an
arithmetic expression must be bound by a positive atom or by `X = expr`
(what is bound is engine.analysis.flow's `bound_vars`).
Aggregates stand alone on one side of a comparison; the variables they share
with the rest of the rule group them and must be bound outside the braces.
"""

from __future__ import annotations

from .. import nodes as n
from ..errors import Diagnostic, error
from .flow import bound_vars


def _all_vars(e: n.Expr) -> list[n.Var]:
    return n.expr_vars(e)


def _contains_aggregate(e: n.Expr) -> bool:
    if isinstance(e, n.Aggregate):
        return True
    if isinstance(e, n.BinOp):
        return _contains_aggregate(e.left) or _contains_aggregate(e.right)
    if isinstance(e, n.Neg):
        return _contains_aggregate(e.operand)
    return False


def group_vars(agg: n.Aggregate, outside: set[str]) -> list[str]:
    """The aggregate's grouping variables, in order of first occurrence."""
    out: list[str] = []
    for v in n.aggregate_vars(agg):
        if v.name in outside and v.name not in out:
            out.append(v.name)
    return out


def aggregate_outside(head: n.Atom | None, body: tuple[n.Literal, ...], agg: n.Aggregate) -> set[str]:
    """Variables occurring anywhere in the rule except inside `agg`."""
    names: set[str] = set()
    if head is not None:
        names |= {v.name for a in head.args for v in _all_vars(a)}
    for lit in body:
        if isinstance(lit, n.Comparison):
            for side in (lit.left, lit.right):
                if isinstance(side, n.Aggregate):
                    continue  # each aggregate's own variables are local to it
                else:
                    names |= {v.name for v in _all_vars(side)}
        else:
            names |= {v.name for v in n.literal_vars(lit)}
    names.discard("_")
    return names


class _Reporter:
    """Adds a diagnostic for a variable once per body: its first unbound occurrence."""

    def __init__(self, diags: list[Diagnostic]) -> None:
        self.diags = diags
        self.reported: set[str] = set()

    def __call__(self, code: str, msg: str, v: n.Var, help: str | None = None) -> None:
        if v.name in self.reported:
            return
        self.reported.add(v.name)
        self.diags.append(error(code, msg, v.span, help=help))


def _occurrences(head: n.Atom | None, body: tuple[n.Literal, ...]) -> dict[str, int]:
    """How often each variable occurs in the rule, head included."""
    counts: dict[str, int] = {}
    for lit in body:
        for v in n.literal_vars(lit):
            counts[v.name] = counts.get(v.name, 0) + 1
    if head is not None:
        for a in head.args:
            for v in _all_vars(a):
                counts[v.name] = counts.get(v.name, 0) + 1
    return counts


class _Safety:
    def __init__(self) -> None:
        self.diags: list[Diagnostic] = []

    def body(self, head: n.Atom | None, body: tuple[n.Literal, ...], bound0: set[str], is_fact: bool = False) -> None:
        report = _Reporter(self.diags)
        if is_fact and head is not None:
            self.fact(head, report)
            return
        self.atom_aggregates(body)
        aggregates = n.body_aggregates(body)
        # grouping variables of each aggregate
        groups = {id(a): group_vars(a, aggregate_outside(head, body, a)) for a in aggregates}
        bound = bound_vars(body, bound0)
        if head is not None:
            self.head(head, bound, report)
        counts = _occurrences(head, body)
        for lit in body:
            if isinstance(lit, n.Atom):
                self.atom_expressions(lit, bound, report)
            elif isinstance(lit, n.Negation):
                self.negation(lit, bound, counts, report)
            else:
                self.comparison(head, body, lit, groups, bound, report)

    def fact(self, head: n.Atom, report: _Reporter) -> None:
        for a in head.args:
            if _contains_aggregate(a):
                self.diags.append(error("E208", "an aggregate cannot stand in a fact", a.span))
            for v in _all_vars(a):
                report(
                    "E206",
                    f"fact has a variable `{v.name}`; facts must be ground",
                    v,
                    help="use a constant, or write a rule with a body that binds it",
                )

    def atom_aggregates(self, body: tuple[n.Literal, ...]) -> None:
        """E208 for an aggregate as an argument of a positive atom."""
        for lit in body:
            if isinstance(lit, n.Atom):
                for a in lit.args:
                    if _contains_aggregate(a):
                        self.diags.append(error("E208", "an aggregate cannot be an argument of an atom", a.span))

    def head(self, head: n.Atom, bound: set[str], report: _Reporter) -> None:
        for a in head.args:
            if _contains_aggregate(a):
                self.diags.append(
                    error("E208", "an aggregate cannot stand in the head", a.span, help="write `V = agg {...}` in the body")
                )
            for v in _all_vars(a):
                if v.anonymous:
                    self.diags.append(
                        error("E207", "`_` in the head is never bound", v.span, help="name the value in the body")
                    )
                elif v.name not in bound:
                    import difflib  # for a hint only: not imported by a clean program's check

                    near = difflib.get_close_matches(v.name, sorted(bound), n=1, cutoff=0.75)
                    hint = f" (did you mean `{near[0]}`?)" if near else ""
                    report(
                        "E201",
                        f"variable `{v.name}` occurs in the head but in no positive body literal",
                        v,
                        help=f"bind `{v.name}` in a positive literal{hint}",
                    )

    def atom_expressions(self, lit: n.Atom, bound: set[str], report: _Reporter) -> None:
        for a in lit.args:
            if not isinstance(a, (n.Var, n.Const)):
                for v in _all_vars(a):
                    if v.anonymous or v.name not in bound:
                        report(
                            "E203",
                            f"variable `{v.name}` in an expression is not bound by a positive literal",
                            v,
                            help=f"bind `{v.name}` in a positive literal before computing with it",
                        )

    def negation(self, lit: n.Negation, bound: set[str], counts: dict[str, int], report: _Reporter) -> None:
        for a in lit.atom.args:
            for v in _all_vars(a):
                if v.anonymous or v.name in bound:
                    continue
                only_here = counts.get(v.name, 0) == sum(
                    1 for w in n.literal_vars(lit) if w.name == v.name
                )
                report(
                    "E202",
                    f"variable `{v.name}` in a negated atom is not bound by a positive literal",
                    v,
                    help=(
                        f"write `_` for `{v.name}` where \"no such value\" is meant"
                        if only_here
                        else f"bind `{v.name}` in a positive literal"
                    ),
                )

    def comparison(self, head: n.Atom | None, body: tuple[n.Literal, ...], lit: n.Comparison,
                   groups: dict[int, list[str]], bound: set[str], report: _Reporter) -> None:
        for side in (lit.left, lit.right):
            if isinstance(side, n.Aggregate):
                self.aggregate(head, body, side, groups[id(side)], bound, report)
                continue
            if _contains_aggregate(side):
                self.diags.append(
                    error(
                        "E208",
                        "an aggregate must stand alone on one side of a comparison",
                        side.span,
                        help="write `V = agg { ... }` and compute with `V`",
                    )
                )
                continue
            for v in _all_vars(side):
                if v.anonymous:
                    self.diags.append(
                        error("E203", "`_` in a comparison is never bound", v.span, help="name the value")
                    )
                elif v.name not in bound:
                    report(
                        "E203",
                        f"variable `{v.name}` in a comparison is not bound by a positive literal",
                        v,
                        help=f"bind `{v.name}` in a positive literal or with `{v.name} = ...`",
                    )

    def aggregate(self, head: n.Atom | None, body: tuple[n.Literal, ...], agg: n.Aggregate, group: list[str],
                  bound: set[str], report: _Reporter) -> None:
        for v in n.aggregate_vars(agg):
            if v.name in group and v.name not in bound:
                self.diags.append(
                    error(
                        "E204",
                        f"grouping variable `{v.name}` of this aggregate is not bound outside the braces",
                        v.span,
                        help=f"bind `{v.name}` in a positive literal of the rule, outside `{agg.func} {{ ... }}`",
                    )
                )
                break
        for lit in agg.body:
            if isinstance(lit, n.Comparison) and n.body_aggregates((lit,)):
                self.diags.append(error("E208", "aggregates cannot be nested", lit.span))
                return
        inner = _Safety()
        pseudo_head = None
        inner.body(pseudo_head, agg.body, set(group))
        self.diags.extend(inner.diags)
        inner_bound = set(group)
        for lit in agg.body:
            if isinstance(lit, n.Atom):
                inner_bound |= {a.name for a in lit.args if isinstance(a, n.Var)}
        for lit in agg.body:
            if isinstance(lit, n.Comparison) and lit.op == "=":
                for s in (lit.left, lit.right):
                    if isinstance(s, n.Var):
                        inner_bound.add(s.name)
        if agg.term is not None:
            for v in _all_vars(agg.term):
                if v.anonymous or v.name not in inner_bound:
                    self.diags.append(
                        error(
                            "E205",
                            f"variable `{v.name}` of the aggregated term is not bound inside the braces",
                            v.span,
                            help=f"bind `{v.name}` in a positive literal inside `{agg.func} {{ ... }}`",
                        )
                    )


def check_safety(rules: list[n.Rule], goals: list[tuple[n.Literal, ...]]) -> list[Diagnostic]:
    """Every rule, and every body with no head (queries, expectations, constraints)."""
    s = _Safety()
    for r in rules:
        s.body(r.head, r.body, set(), is_fact=not r.body)
    for goal in goals:
        s.body(None, goal, set())
    return s.diags
