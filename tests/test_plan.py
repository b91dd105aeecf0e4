"""The planner's join order (engine.plan) and the statistics it reads (Relation.statistics)."""

from __future__ import annotations

import random

import engine
from engine import plan as P
from engine.evaluation.relation import SAMPLE, Relation, distinct_in

POINTSTO = """\
.decl alloc(v: symbol, h: symbol)
.decl assign(a: symbol, b: symbol)
.decl load(a: symbol, b: symbol, f: symbol)
.decl store(a: symbol, f: symbol, b: symbol)
pts(V, H) :- alloc(V, H).
pts(V, H) :- assign(V, W), pts(W, H).
hpts(H, F, G) :- store(V, F, W), pts(V, H), pts(W, G).
pts(V, G) :- load(V, W, F), pts(W, H), hpts(H, F, G).
"""


def order(plan: P.RulePlan) -> list[tuple[str, tuple[int, ...]]]:
    return [(s.pred, s.key_cols) for s in plan.steps if isinstance(s, P.Join)]


def given(stats: dict[str, tuple[int, tuple[int, ...]]]) -> P.Statistics:
    """Statistics from a table of (size, distinct values of every column)."""
    def ask(pred: str, cols: tuple[int, ...]) -> tuple[int, tuple[int, ...]] | None:
        if pred not in stats:
            return None
        size, counts = stats[pred]
        return size, tuple(counts[c] for c in cols)
    return ask


def pointsto_plan(statistics: P.Statistics | None) -> P.RulePlan:
    prog = engine.load_text(POINTSTO).program
    sizes = {"alloc": 24_000, "assign": 48_000, "load": 12_000, "store": 12_000, "pts": 24_000, "hpts": 0}
    return P.plan_rule(prog.rules[3], 3, sizes, {"pts", "hpts"}, False, prog.arity, 2, statistics=statistics)


def test_a_growing_relation_keyed_on_a_selective_column_beats_a_field_of_four_values() -> None:
    # issue 20: with the delta on hpts(H, F, G), load keyed on F alone (4 values) meets a quarter of
    # load per tuple; pts keyed on H (a few variables point to each heap object) meets a few
    stats = {"alloc": (24_000, (24_000, 9_000)), "load": (12_000, (10_000, 10_000, 4)),
             "pts": (24_000, (24_000, 9_000)), "hpts": (1_000, (800, 4, 800))}
    assert order(pointsto_plan(given(stats))) == [("hpts", ()), ("pts", (1,)), ("load", (1, 2))]


def test_without_statistics_the_call_still_plans() -> None:
    # the SQL backends plan from sizes alone; the delta atom stays first, every atom placed once
    got = order(pointsto_plan(None))
    assert got[0] == ("hpts", ()) and sorted(p for p, _k in got) == ["hpts", "load", "pts"]


def test_connected_atoms_come_before_a_cross_product() -> None:
    prog = engine.load_text("r(X, Z) :- a(X, Y), b(Y, Z), c(W).").program
    stats = {"a": (10, (10, 10)), "b": (1_000_000, (10, 2)), "c": (100, (100,))}
    plan = P.plan_rule(prog.rules[0], 0, {p: s[0] for p, s in stats.items()}, set(), False, prog.arity,
                       statistics=given(stats))
    # once `a` is placed, `b` (sharing Y, 100,000 rows a probe) comes before `c` (100 rows, no shared variable)
    assert order(plan) == [("a", ()), ("b", (0,)), ("c", ())]


def test_least_fan_out_first_among_connected_atoms() -> None:
    prog = engine.load_text("r(X, Z, W) :- a(X), b(X, Z), c(X, W).").program
    # keyed on X: b has 1,000 rows per value, c has 2
    stats = {"a": (10, (10,)), "b": (100_000, (100, 1_000)), "c": (2_000, (1_000, 50))}
    plan = P.plan_rule(prog.rules[0], 0, {p: s[0] for p, s in stats.items()}, set(), False, prog.arity,
                       statistics=given(stats))
    assert [p for p, _k in order(plan)] == ["a", "c", "b"]


def test_statistics_are_exact_and_follow_changes() -> None:
    rel = Relation("e", 2)
    rel.tuples = {(i, i % 3) for i in range(30)}
    assert rel.statistics((0, 1)) == (30, (30, 3))
    assert rel.statistics((1,)) == (30, (3,))
    rel.add_new({(100, 7)})
    assert rel.statistics((0, 1)) == (31, (31, 4))
    rel.set_grouped({1: {2, 3}, 4: {3}}, 3)
    assert rel.statistics((0, 1)) == (3, (2, 2))


def test_statistics_of_integer_columns() -> None:
    import numpy as np

    rel = Relation("e", 2)
    rel.set_columns((np.array([1, 1, 2, 5]), np.array([7, 8, 7, 7])))
    assert rel.statistics((0, 1)) == (4, (3, 2))


def test_distinct_values_of_a_large_set_are_estimated_closely() -> None:
    rng = random.Random(1)
    n = 4 * SAMPLE
    ts = {(i, rng.randrange(50), rng.randrange(n)) for i in range(n)}
    assert distinct_in(ts, 0) > 0.5 * n  # all distinct: far more than the sample's
    assert distinct_in(ts, 1) == 50
    exact = len({t[2] for t in ts})
    assert 0.5 * exact < distinct_in(ts, 2) < 2 * exact
