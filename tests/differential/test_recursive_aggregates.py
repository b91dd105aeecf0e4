"""Recursion through monotone aggregates against a from-scratch fixpoint.

The evaluator keeps running values for recursive aggregates: started from
every match before the first round and brought up to date from each round's
new matches only (Evaluator.group_finders), with rules re-run for the groups
that changed (Evaluator.seeded_plan). The oracle here recomputes every
aggregate from scratch until nothing changes: the least fixpoint by
definition, for these monotone programs.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

import engine

from .harness import diff_settings

Edge = tuple[int, int, int]


def oracle(nodes: int, start: set[int], edges: list[Edge], func: str, bound: int) -> set[int]:
    """Nodes marked by: start, or `func` over in-edges from marked nodes passing the bound."""
    marked = set(start)
    while True:
        nxt = set(start)
        for c in range(nodes):
            vals = {(o, p) for o, cc, p in edges if cc == c and o in marked}
            if func == "sum" and sum(p for _o, p in vals) >= bound:
                nxt.add(c)
            # distinct bindings of the braces' variables, `_` included (docs/language.md)
            if func == "count" and len(vals) >= bound:
                nxt.add(c)
            if func == "max" and vals and max(p for _o, p in vals) >= bound:
                nxt.add(c)
            if func == "min" and vals and min(p for _o, p in vals) <= bound:
                nxt.add(c)
        if nxt == marked:
            return marked
        marked = nxt


TERM = {"sum": "P : w(O, C, P), m(O)", "count": "O : w(O, C, _), m(O)",
        "max": "P : w(O, C, P), m(O)", "min": "P : w(O, C, P), m(O)"}
TEST = {"sum": ">=", "count": ">=", "max": ">=", "min": "<="}
FLIP = {">=": "<=", "<=": ">="}
# The aggregate bound to a variable then tested, or tested against the bound
# directly, on either side: the evaluator skips groups with no matches only
# when the test rejects the empty value (Evaluator.empty_rejected).
FORMS = ("var", "right", "left")


@st.composite
def cases(draw: st.DrawFn) -> tuple[int, set[int], list[Edge], str, int, bool, str]:
    nodes = draw(st.integers(2, 9))
    node = st.integers(0, nodes - 1)
    edges = draw(st.lists(st.tuples(node, node, st.integers(0, 60)), max_size=30))
    start = draw(st.sets(node, max_size=3))
    func = draw(st.sampled_from(sorted(TERM)))
    bound = draw(st.integers(0, 100 if func == "sum" else 3 if func == "count" else 60))
    extra = draw(st.booleans())  # a second rule for m, through plain recursion
    return nodes, start, edges, func, bound, extra, draw(st.sampled_from(FORMS))


def program(nodes: int, start: set[int], edges: list[Edge], func: str, bound: int, extra: bool,
            form: str = "var") -> str:
    lines = [".decl w(o: int, c: int, p: int)", ".decl s(x: int)", ".decl node(x: int)"]
    lines += [f"node({c})." for c in range(nodes)] + [f"s({x})." for x in sorted(start)]
    lines += [f"w({o}, {c}, {p})." for o, c, p in edges]
    lines.append("m(X) :- s(X).")
    agg = f"{func} {{ {TERM[func]} }}"
    test = {"var": f"V = {agg}, V {TEST[func]} {bound}", "right": f"{agg} {TEST[func]} {bound}",
            "left": f"{bound} {FLIP[TEST[func]]} {agg}"}[form]
    lines.append(f"m(C) :- node(C), {test}.")
    if extra:
        lines.append("m(X) :- m(X), node(X).")
    return "\n".join(lines) + "\n"


@diff_settings(200)
@given(cases())
def test_recursive_aggregates_reach_the_least_fixpoint(case: tuple[int, set[int], list[Edge], str, int, bool, str]) -> None:
    nodes, start, edges, func, bound, extra, _form = case
    text = program(*case)
    expected = {(x,) for x in oracle(nodes, start, edges, func, bound)}
    loaded = engine.load_text(text)
    for prov in (False, True):
        got = loaded.evaluate(provenance=prov).relation("m")
        assert got == expected, f"provenance={prov}\n{text}\nexpected {sorted(expected)}\ngot {sorted(got)}"


def test_cycle_does_not_support_itself() -> None:
    """Two companies owning 60 percent of each other block nothing without an outside reason."""
    text = program(3, {2}, [(0, 1, 60), (1, 0, 60), (2, 0, 40)], "sum", 50, False)
    assert engine.load_text(text).evaluate(provenance=False).relation("m") == {(2,)}
    text = program(3, {2}, [(0, 1, 60), (1, 0, 60), (2, 0, 50)], "sum", 50, False)
    assert engine.load_text(text).evaluate(provenance=False).relation("m") == {(0,), (1,), (2,)}
