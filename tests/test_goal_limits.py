"""A goal asked of a model obeys the limits the model was evaluated under (E601 at the goal).

Queries used to run their steps whole, outside any limit: `?- a(X), b(Y).`
over two relations of 3,000 tuples built nine million rows, ran for minutes
and took gigabytes, whatever `--max-tuples` said. Golden outputs of the
command are in tests/golden/query (`limit_*`).
"""

from __future__ import annotations

import time
from io import StringIO

import pytest
from rich.console import Console

import engine
from engine.errors import SyllogError
from engine.evaluation.fixpoint import Evaluator, Limits
from engine.repl import Repl
from engine.session import Session

FACTS = " ".join(f"a({i}). b({i})." for i in range(50))


@pytest.mark.parametrize("provenance", [True, False])
def test_a_cross_product_goal_stops_past_the_tuple_limit(provenance: bool) -> None:
    model = engine.load_text(FACTS).evaluate(provenance=provenance, max_tuples=1000)
    with pytest.raises(SyllogError) as got:
        model.query("a(X), b(Y)")
    (diag,) = got.value.diagnostics
    assert diag.code == "E601" and "the goal built more than 1,000 rows" in diag.message
    assert (diag.span.line, diag.span.col) == (1, 4)  # the goal, as `?- a(X), b(Y).` shows it


@pytest.mark.parametrize("provenance", [True, False])
def test_the_same_goal_answers_in_full_under_the_limit(provenance: bool) -> None:
    model = engine.load_text(FACTS).evaluate(provenance=provenance, max_tuples=5000)
    rows = model.query("a(X), b(Y)").rows
    assert len(rows) == 2500 and rows[0] == (0, 0) and rows[-1] == (49, 49)


def test_a_goal_that_joins_builds_few_rows_and_passes() -> None:
    text = FACTS + " c(X, Y) :- a(X), b(Y), X = Y."
    model = engine.load_text(text).evaluate(max_tuples=200)  # 100 facts and 50 derived tuples
    assert len(model.query("c(X, Y), a(X)").rows) == 50


def test_the_goal_time_limit_counts_from_the_goal() -> None:
    program = engine.load_text("a(1).").program
    ev = Evaluator(program, Limits(max_seconds=0.05))
    ev.run()
    time.sleep(0.1)  # the evaluation's own deadline has passed; a goal starts its clock again
    ev.restart_clock()
    assert ev.goal_limit(0) is None
    time.sleep(0.1)
    passed = ev.goal_limit(0)
    assert passed is not None and passed[1] == "--timeout" and "the goal ran past 0.05 seconds" in passed[0]


def test_the_repl_reports_the_limit_and_goes_on() -> None:
    out = StringIO()
    repl = Repl(Session(text=FACTS, max_tuples=1000), Console(file=out, width=100, color_system=None))
    repl.handle("?- a(X), b(Y).")
    assert "error[E601]: the goal built more than 1,000 rows" in out.getvalue()
    repl.handle("?- a(3).")
    assert "true" in out.getvalue().split("E601", 1)[1]
