"""Every benchmark workload at smoke size: Syllog's tuple count against an independent computation.

The count is checked against the workload's closed form when it has one, else
SQLite (the benchmark's `sqlite` engine: the rules translated to SQL,
benchmarks/translate.py), else the plain Python evaluator or Python sets.
Smoke sizes only: the whole file takes a few seconds.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))

import engines  # noqa: E402
import plain_seminaive  # noqa: E402
import translate  # noqa: E402
import workloads  # noqa: E402


def independent(w: workloads.Workload, data: Path) -> int:
    if w.expected is not None:
        return w.expected
    if engines.not_applicable("sqlite", w) is None:
        count, _ = engines.prepare("sqlite")(w, data)
        return count
    facts = workloads.read_data(w, data)
    if w.family == "pointsto":
        rules = translate.plain_rules(translate.parse(workloads.PROGRAMS["pointsto"]))
        return len(plain_seminaive.evaluate(rules, facts)["pts"])
    if w.family == "graded":
        closure = plain_seminaive.evaluate(workloads.TC_RULES, {"edge": facts["controls"]})
        return len(closure["path"])
    if w.family == "facts":
        return len(set(facts["owns"]))
    raise AssertionError(f"no independent count for {w.name}")


CHECKED = [name for name in workloads.SUITE if name != "article"]


@pytest.mark.parametrize("name", CHECKED)
def test_smoke_count(name: str, tmp_path: Path) -> None:
    w = workloads.workload(name, "smoke")
    workloads.write_data(w, tmp_path)
    got, _ = engines.prepare("syllog")(w, tmp_path)
    assert got == independent(w, tmp_path)
    assert got > 0


def test_every_shape_is_checked() -> None:
    shapes = {name for name in workloads.SUITE if workloads.workload(name, "smoke").shape}
    assert shapes <= set(CHECKED)
    assert {"pointsto_96k", "triangles", "complement", "kg_100k", "aggregates", "cspa"} <= shapes


def test_triangles_by_hand(tmp_path: Path) -> None:
    w = workloads.workload("triangles", "smoke")
    edges = set(w.generate()["e"])
    succ: dict[int, set[int]] = {}
    for a, b in edges:
        succ.setdefault(a, set()).add(b)
    expected = sum(1 for x, y in edges if x < y for z in succ.get(y, ()) if y < z and (x, z) in edges)
    workloads.write_data(w, tmp_path)
    assert engines.prepare("syllog")(w, tmp_path)[0] == expected


def test_complement_by_hand(tmp_path: Path) -> None:
    w = workloads.workload("complement", "smoke")
    data = w.generate()
    nodes = [x for (x,) in data["node"]]
    succ: dict[int, set[int]] = {x: set() for x in nodes}
    for a, b in data["e"]:
        succ[a].add(b)
    unreachable = 0
    for x in nodes:
        seen: set[int] = set()
        todo = list(succ[x])
        while todo:
            y = todo.pop()
            if y not in seen:
                seen.add(y)
                todo.extend(succ[y])
        unreachable += len(nodes) - len(seen)
    workloads.write_data(w, tmp_path)
    assert engines.prepare("syllog")(w, tmp_path)[0] == unreachable


def test_translations() -> None:
    """The clingo, Prolog and SQL writers on an aggregate and a negation."""
    (agg,) = translate.parse("payroll(D, T) :- dept(D, _), T = sum { S : emp(_, D, S) }.")
    assert translate.clingo_rule(agg) == "payroll(D, T) :- dept(D, _), T = #sum { S, Anon0 : emp(Anon0, D, S) }."
    assert translate.prolog_rule(agg) == "payroll(D, T) :- dept(D, _), aggregate_all(sum(S), (emp(_, D, S)), T)."
    (neg,) = translate.parse("u(X, Y) :- node(X), node(Y), not reach(X, Y).")
    assert translate.prolog_rule(neg) == "u(X, Y) :- node(X), node(Y), \\+ reach(X, Y)."
    assert "NOT EXISTS (SELECT 1 FROM reach AS n2 WHERE n2.c0 = t0.c0 AND n2.c1 = t1.c0)" in translate.rule_sql(
        neg, lambda p, _: p)


def test_lazy_imports_names_only_what_came_since() -> None:
    import numpy  # noqa: F401  (imported here, so it is in sys.modules)

    assert "numpy" in engines.lazy_imports(set(sys.modules) - {"numpy"})
    assert engines.lazy_imports(set(sys.modules)) == []


def test_probe_then_preimport_keeps_imports_off_the_clock(tmp_path: Path) -> None:
    """A worker run reports the lazy modules Syllog imported while timed (the full complement's
    second stratum goes vectorized, so numpy); with them imported before the clock (`preimport`,
    what run.py's probe run passes on) it reports none."""
    import run

    w = workloads.workload("complement", "full")
    workloads.write_data(w, tmp_path)
    request = {"engine": "syllog", "workload": w.name, "size": "full", "data": str(tmp_path),
               "syllog_facts": None}
    probe = run.run_once(request, timeout=120)
    assert probe["status"] == "ok" and probe["imported"] == ["numpy"], probe
    timed = run.run_once({**request, "preimport": probe["imported"]}, timeout=120)
    assert timed["status"] == "ok" and timed["imported"] == [], timed
    assert timed["count"] == probe["count"]
