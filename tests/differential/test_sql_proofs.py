"""Proofs and grades on the SQL backends against the in-memory engine, on generated programs with cited facts.

For a generated program and goal (tests/differential/test_demand.py's goals:
constants, repeated variables, `_`, a second literal), the SQL model's answers
and grades are the in-memory model's, and, for a one-atom goal, `why` gives
the same proof trees (grades, heights, premises, order), or the same `missing`
node when it does not hold; `explain` and `grade` of every derived tuple too.
DuckDB, and PostgreSQL on the session's throwaway cluster (tests/conftest.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import engine
from engine import nodes as n
from engine.backends import evaluate_sql
from engine.model import parse_goal
from engine.proofs import to_json

from . import oracle
from .generator import GenConfig
from .harness import diff_settings
from .test_demand import goal_for
from .test_proof_search import DOC, cited_programs

# the SQL backends do not compute `avg` (E905)
SQL_PROGRAMS = GenConfig(aggregate_funcs=("count", "sum", "min", "max"))


def _proofs(nodes: list[Any]) -> list[str]:
    return [json.dumps(to_json(p), sort_keys=True) for p in nodes]


def _agree(data: st.DataObject, tmp: Path, **sql: Any) -> None:
    prog, text, _base = data.draw(cited_programs(SQL_PROGRAMS))
    goal = data.draw(goal_for(prog))
    (tmp / "doc.txt").write_text(DOC)
    loaded = engine.load_text(text, path="gen.dl", base=tmp)
    mem = loaded.evaluate()
    where = f"{text}?- {goal}."
    with evaluate_sql(loaded.program, **sql) as model:
        want, got = mem.query(goal), model.query(goal)
        assert (got.rows, got.grades) == (want.rows, want.grades), where
        body, _sources = parse_goal(goal)
        if len(body) == 1 and isinstance(body[0], n.Atom):
            assert _proofs(model.why(goal)) == _proofs(mem.why(goal)), f"why {goal}\n{where}"
        rels = oracle.evaluate(prog)
        for pred in prog.idb:
            for row in sorted(mem.relation(pred), key=repr)[:4]:
                assert model.grade(pred, row) == mem.grade(pred, row), f"grade {pred}{row}\n{where}"
                assert _proofs([model.explain(pred, row)]) == _proofs([mem.explain(pred, row)]), \
                    f"explain {pred}{row}\n{where}"
            assert len(rels[pred]) == model.size(pred)


@diff_settings(60)
@given(data=st.data())
def test_duckdb_why_and_grades_are_the_in_memory_ones(tmp_path_factory: pytest.TempPathFactory,
                                                        data: st.DataObject) -> None:
    _agree(data, tmp_path_factory.mktemp("sql"))


@diff_settings(25)
@given(data=st.data())
def test_postgres_why_and_grades_are_the_in_memory_ones(tmp_path_factory: pytest.TempPathFactory, postgres: str,
                                                          data: st.DataObject) -> None:
    _agree(data, tmp_path_factory.mktemp("pg"), backend="postgres", database=postgres)
