"""Limits that act in seconds: a rule making new numbers without end is stopped, a long recursion is not.

The runaway `n(X + 1) :- n(X).` runs as `syllog run` in a child process with
the default limits, in memory and on DuckDB; the test measures how long it
takes to stop and the child's peak resident memory (`os.wait4`). The rule
that tells it apart from a long recursion (engine.evaluation.growth) is
checked with small limits, on the shapes docs/evaluation.md names: a counter
bounded by a constant, a path length over a long chain and over a cycle,
Fibonacci to a bound, 2,000 counters climbing together.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import engine
from engine import SyllogError
from engine.backends import evaluate_sql
from engine.evaluation import Evaluator, Limits
from engine.evaluation.incremental import update
from engine.evaluation.limits import BY_BACKEND, SQL_GROWING_ROUNDS, SQL_MAX_ROWS, for_backend
from engine.session import Session

ROOT = Path(__file__).resolve().parents[1]
RUNAWAY = "n(0).\nn(X + 1) :- n(X).\n"


# A small Python between the test and the child: a child forked from the test process would count
# the test process's own pages (the whole suite's, shared until exec) in its peak resident memory.
MEASURE = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_pid, status, usage = os.wait4(child.pid, 0)
print(usage.ru_maxrss * 1024)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_child(args: list[str], cwd: Path) -> tuple[int, str, float, int]:
    """`syllog ARGS` in a child process: exit code, stderr, seconds, peak resident memory in bytes."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", MEASURE, sys.executable, "-m", "engine", *args], cwd=cwd, env=env,
                          capture_output=True, text=True)
    return proc.returncode, proc.stderr, time.monotonic() - start, int(proc.stdout.strip())


@pytest.mark.parametrize("backend", ["memory", "duckdb"])
def test_the_runaway_stops_within_ten_seconds_with_bounded_memory(backend: str, tmp_path: Path) -> None:
    (tmp_path / "p.dl").write_text(RUNAWAY, encoding="utf-8")
    code, err, seconds, peak = run_child(["run", "p.dl", "--backend", backend], tmp_path)
    assert code == 1
    assert "p.dl:2:1: error[E601]: this rule has made nothing but new numbers" in err, err
    assert "add a bound (`X < 1000`)" in err and "Traceback" not in err
    print(f"{backend}: stopped in {seconds:.1f} s, peak RSS {peak / 2**20:.0f} MiB")
    assert seconds < 10
    assert peak < 400 * 2**20


def test_a_counter_bounded_by_a_constant_finishes() -> None:
    """300,000 rounds of a new number each: all within the range the program's 300000 sets."""
    model = engine.load_text("n(0).\nn(X + 1) :- n(X), X < 300000.\n").evaluate()
    assert model.size("n") == 300_001


@pytest.mark.parametrize("backend", ["memory", "duckdb", "postgres"])
def test_growth_is_told_from_a_long_recursion(backend: str, request: pytest.FixtureRequest) -> None:
    """With a limit of 50 rounds: what stays in the range or reaches new data finishes, what only grows stops."""
    sql = {"database": request.getfixturevalue("postgres")} if backend == "postgres" else {}

    def evaluate(text: str) -> object:
        return engine.load_text(text, "p.dl").evaluate(backend=backend, max_growing_rounds=50, **sql)

    chain = "".join(f"e(n{i}, n{i + 1}). " for i in range(200))
    length = "len(n0, 0).\nlen(Y, L + 1) :- len(X, L), e(X, Y).\n"
    finishing = [
        ("n(0).\nn(X + 1) :- n(X), X < 300.\n", "n", 301),  # bounded by a number of the program
        (chain + length, "len", 201),  # each round reaches a new node
        ("f(0, 0, 1).\nf(N + 1, B, A + B) :- f(N, A, B), N < 80.\n", "f", 81),  # N owes the novelty (in 64 bits)
    ]
    for text, pred, size in finishing:
        model = evaluate(text)
        assert model.size(pred) == size, text  # type: ignore[attr-defined]
    runaways = [
        (RUNAWAY, "n(X + 1) :- n(X)."),
        ("e(a, b). e(b, c). e(c, a).\n" + length.replace("n0", "a"), "len(Y, L + 1)"),  # a cycle
        ("n(1).\nn(X * 2 + 1) :- n(X), X > 0.\n", "n(X * 2 + 1)"),
    ]
    for text, rule in runaways:
        with pytest.raises(SyllogError) as exc:
            evaluate(text)
        (d,) = exc.value.diagnostics
        assert d.code == "E601" and "for 51 rounds in a row" in d.message, d.message
        assert str(exc.value).splitlines()[1].split("| ", 1)[1].startswith(rule.split(" :-")[0])


def test_many_counters_climbing_together_stop_on_their_tuples() -> None:
    text = "".join(f"n({k}, 0). " for k in range(500)) + "\nn(K, X + 1) :- n(K, X).\n"
    with pytest.raises(SyllogError) as exc:
        engine.load_text(text).evaluate(max_growing_rounds=10_000)
    (d,) = exc.value.diagnostics
    assert d.code == "E601" and "1,000,500 tuples" in d.message


def test_e601_s_help_names_the_cause() -> None:
    closure = "".join(f"e({i}, {i + 1}). " for i in range(100)) + "p(X, Y) :- e(X, Y). p(X, Z) :- p(X, Y), e(Y, Z)."
    with pytest.raises(SyllogError) as exc:
        engine.load_text(closure).evaluate(max_tuples=1000)
    assert exc.value.diagnostics[0].help == (
        "no rule is making new values: the result is simply large (a closure or a join); raise --max-tuples, or "
        "evaluate past memory on a SQL backend (--backend duckdb --database FILE)")
    with pytest.raises(SyllogError) as exc:
        engine.load_text(RUNAWAY).evaluate(max_tuples=1000)
    assert exc.value.diagnostics[0].help is not None
    assert exc.value.diagnostics[0].help.startswith("a rule that computes new values from its own results")
    assert exc.value.diagnostics[0].help.endswith("raise --max-tuples")
    with pytest.raises(SyllogError) as exc:  # growth not stopped (none), the tuple limit is; the help still knows
        engine.load_text(RUNAWAY).evaluate(max_tuples=5000, max_growing_rounds=None)
    assert "more than 5,000 tuples" in exc.value.diagnostics[0].message
    assert exc.value.diagnostics[0].help is not None and "add a bound" in exc.value.diagnostics[0].help
    with pytest.raises(SyllogError) as exc:
        evaluate_sql(engine.load_text(closure).program, max_tuples=1000)
    assert exc.value.diagnostics[0].help == ("no rule is making new values: the result is simply large (a closure "
                                             "or a join); raise --max-tuples")


def test_the_sql_backends_have_limits_for_data_past_memory() -> None:
    assert for_backend("memory", BY_BACKEND, BY_BACKEND) == (20_000_000, 100_000)
    assert for_backend("duckdb", BY_BACKEND, BY_BACKEND) == (SQL_MAX_ROWS, SQL_GROWING_ROUNDS) == (10**9, 1000)
    assert for_backend("postgres", None, 7) == (None, 7)


# ---- a single round that explodes (issue 23): the limits act within it -------------------------------------

CUBE = "n(0).\nn(Y) :- n(X), n(Z), n(W), Y = X + Z + W + 1.\n"


def _facts(pred: str, count: int) -> str:
    return "".join(f"{pred}({i}). " for i in range(count)) + "\n"


def _stops(tmp_path: Path, text: str, args: list[str], where: str, message: str, help: str) -> None:
    """`syllog run p.dl ARGS` stops with E601 at `where` within 10 s and 400 MiB, its message and help as given."""
    (tmp_path / "p.dl").write_text(text, encoding="utf-8")
    code, err, seconds, peak = run_child(["run", "p.dl", *args], tmp_path)
    assert code == 1 and "Traceback" not in err, err
    first, *_rest, last = err.strip().splitlines()
    assert first.startswith(f"p.dl:{where}: error[E601]: ") and message in first, err
    assert last.startswith("  = help: ") and help in last, err
    print(f"stopped in {seconds:.1f} s, peak RSS {peak / 2**20:.0f} MiB: {first}")
    assert seconds < 10
    assert peak < 400 * 2**20


@pytest.mark.parametrize("args", [["--max-tuples", "1000"], []])
def test_a_join_of_a_rule_with_its_own_results_three_times_stops_within_its_round(
        args: list[str], tmp_path: Path) -> None:
    """Each round makes three times the numbers of the last, from the cube of them: its sixth round
    alone built tens of millions of rows. The streak's rows stop it, with or without a tuple limit."""
    _stops(tmp_path, CUBE, args, "2:1", "this rule has made nothing but new numbers", "add a bound (`X < 1000`)")


def test_a_cross_product_stops_at_the_tuple_limit_within_its_one_round(tmp_path: Path) -> None:
    """100,000 x 100,000 tuples in a non-recursive rule: the pending head tuples pass --max-tuples."""
    text = _facts("a", 100_000) + _facts("b", 100_000) + "big(X, Y) :- a(X), b(Y).\n"
    _stops(tmp_path, text, ["--max-tuples", "1000000"], "3:1", "more than 1,000,000 tuples were derived",
           "the result is simply large (a closure or a join)")


def test_an_aggregate_over_an_exploding_join_stops_on_the_matches_it_holds(tmp_path: Path) -> None:
    text = _facts("a", 100_000) + _facts("b", 100_000) + "c(N) :- N = count { : a(X), b(Y) }.\n"
    _stops(tmp_path, text, ["--max-tuples", "1000000"], "3:1", "of them matches of an aggregate",
           "an aggregate ranges over a large join")


def test_a_closure_in_closed_form_stops_before_its_components_fill_memory(tmp_path: Path) -> None:
    """The square closure of a chain of 20,000 nodes: 200 million pairs, all in the components' sets."""
    text = "".join(f"e({i}, {i + 1}). " for i in range(20_000)) + "\np(X, Y) :- e(X, Y).\np(X, Z) :- p(X, Y), p(Y, Z).\n"
    _stops(tmp_path, text, ["--max-tuples", "1000000"], "3:1", "more than 1,000,000 tuples were derived",
           "the result is simply large")


def test_a_long_join_that_makes_few_tuples_stops_at_the_timeout_and_memory_stays_bounded(tmp_path: Path) -> None:
    """400^3 rows for 400 tuples: no tuple limit is near, the deadline is looked at between batches."""
    text = _facts("a", 400) + "r(X) :- a(X), a(Y), a(Z).\n"
    _stops(tmp_path, text, ["--timeout", "2"], "2:1", "evaluation ran past 2.0 seconds", "raise --timeout")


def test_an_incremental_update_that_explodes_stops_within_its_round() -> None:
    """New facts seed the stratum (engine.evaluation.incremental): 100,000 new b x 100,000 a, in one round."""
    rules = "big(X, Y) :- a(X), b(Y).\n"
    before = engine.load_text(_facts("a", 100_000) + "b(0).\n" + rules).program
    after = engine.load_text(_facts("a", 100_000) + _facts("b", 100_000) + rules).program
    ev = Evaluator(before, Limits(max_tuples=1_000_000))
    ev.run()
    added, removed = after.facts.changes(before.facts)
    start = time.monotonic()
    with pytest.raises(SyllogError) as exc:
        update(ev, after, added, removed)
    assert time.monotonic() - start < 10
    (d,) = exc.value.diagnostics
    assert d.code == "E601" and "more than 1,000,000 tuples were derived" in d.message, d.message


def test_incremental_updates_keep_the_tuple_count_true() -> None:
    """A stratum recomputed from its inputs is counted once, and an added fact counts."""
    text = "e(1, 2). e(2, 3).\np(X, Y) :- e(X, Y).\np(X, Z) :- p(X, Y), e(Y, Z).\nc(N) :- N = count { : p(_, _) }.\n"
    session = Session(text=text)
    for i in range(3, 30):
        session.add(f"e({i}, {i + 1}).")
    session.retract("e(1, 2)")
    ev = session.evaluator
    assert ev.total == sum(len(r) for r in ev.rels.values()) == 435
