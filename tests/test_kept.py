"""The kept model of the SQL backends (engine.backends.catalog): a run records which program and inputs the
database holds and whether evaluation completed; `query`, `why`, `test` and `snapshot` answer from it without
evaluating, evaluate again when the program or an input changed, and refuse an incomplete one (E906); runs at
once on one database never interfere (E907 for one that cannot wait); a client that dies leaves no statement
running on the server. DuckDB and PostgreSQL (the `postgres` fixture of tests/conftest.py: a fresh database
per test)."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import engine
from engine.backends import evaluate_sql
from engine.backends.catalog import fingerprint
from engine.errors import SyllogError
from engine.model import Model, ModelLike

ROOT = Path(__file__).resolve().parent.parent
TC = """.decl edge(a: int, b: int)
.input edge { file: "edges.csv" }
path(X, Y) :- edge(X, Y).
path(X, Z) :- path(X, Y), edge(Y, Z).
"""
# a loop that never ends on its own (a round a number): killed, or stopped by --timeout
COUNTER = "n(0).\nn(Y) :- n(X), X < 100000000, Y = X + 1.\n"
# one INSERT that runs for minutes on PostgreSQL: a billion triples
CUBE = """.decl d(x: int)
.input d { file: "d.csv" }
t(A, B, C) :- d(A), d(B), d(C).
"""
_numbers = itertools.count()


@pytest.fixture(params=["duckdb", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A DuckDB file, or a fresh PostgreSQL database of the throwaway cluster."""
    if backend == "duckdb":
        return str(tmp_path / "kept.duckdb")
    return fresh_postgres(request.getfixturevalue("postgres"))


def fresh_postgres(server: str) -> str:
    import psycopg

    name = f"kept_{os.getpid()}_{next(_numbers)}"
    with psycopg.connect(server, autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name}")
    return server.replace("dbname=postgres", f"dbname={name}")


def syllog(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "engine", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def start(*args: str, cwd: Path) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
    return subprocess.Popen([sys.executable, "-m", "engine", *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def closure_files(folder: Path, edges: list[tuple[int, int]]) -> None:
    (folder / "tc.dl").write_text(TC)
    (folder / "edges.csv").write_text("".join(f"{a},{b}\n" for a, b in edges))


def chain(k: int) -> list[tuple[int, int]]:
    return [(i, i + 1) for i in range(k - 1)]


def catalog(backend: str, database: str) -> tuple[Any, ...]:
    """The kept model's row: (fingerprint, state, started, finished)."""
    sql = "SELECT fingerprint, state, started, finished FROM syllog._model"
    if backend == "duckdb":
        import duckdb

        con = duckdb.connect(database, read_only=True)
        try:
            return tuple(con.execute(sql.replace("syllog._model", "kept.syllog._model")).fetchone() or ())
        finally:
            con.close()
    import psycopg

    with psycopg.connect(database, autocommit=True) as pg:
        return tuple(pg.execute(sql).fetchone() or ())


def assert_clear(proc: subprocess.CompletedProcess[str] | tuple[int, str, str], code: str) -> None:
    rc, err = (proc.returncode, proc.stderr) if isinstance(proc, subprocess.CompletedProcess) else (proc[0], proc[2])
    assert rc == 1, err
    assert f"error[{code}]" in err and "Traceback" not in err, err


# -- a model you keep -------------------------------------------------------------------
def test_query_why_test_snapshot_answer_from_the_kept_model(backend: str, database: str, tmp_path: Path) -> None:
    closure_files(tmp_path, chain(40))
    db = ["--backend", backend, "--database", database]
    first = syllog("run", "tc.dl", *db, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "780" in first.stdout  # 40 * 39 / 2 paths
    row = catalog(backend, database)
    assert row[1] == "complete"
    got = syllog("query", "tc.dl", "path(3, X)", "--format", "csv", *db, cwd=tmp_path)
    assert got.returncode == 0, got.stderr
    assert "answered from the model kept in" in got.stderr
    assert got.stdout.splitlines()[1:] == [str(x) for x in range(4, 40)]
    why = syllog("why", "tc.dl", "path(0, 5)", *db, cwd=tmp_path)
    assert why.returncode == 0 and "answered from the model kept in" in why.stderr, why.stderr
    assert "edge(4, 5)" in why.stdout
    test = syllog("test", "tc.dl", *db, cwd=tmp_path)
    assert test.returncode == 0 and "answered from the model kept in" in test.stderr, test.stderr
    snap = syllog("snapshot", "tc.dl", "--out", "kept.snap", *db, cwd=tmp_path)
    assert snap.returncode == 0 and "answered from the model kept in" in snap.stderr, snap.stderr
    assert syllog("snapshot", "tc.dl", "--out", "memory.snap", cwd=tmp_path).returncode == 0
    assert (tmp_path / "kept.snap").read_text() == (tmp_path / "memory.snap").read_text()
    assert catalog(backend, database) == row  # nothing was evaluated again: the catalog's row is the run's
    # --rebuild evaluates again
    rebuilt = syllog("query", "tc.dl", "path(3, X)", "--rebuild", *db, cwd=tmp_path)
    assert rebuilt.returncode == 0 and "answered from" not in rebuilt.stderr, rebuilt.stderr
    assert catalog(backend, database)[1] == "complete"


def test_a_changed_input_or_program_is_evaluated_again(backend: str, database: str, tmp_path: Path) -> None:
    closure_files(tmp_path, chain(10))
    db = ["--backend", backend, "--database", database]
    assert syllog("run", "tc.dl", *db, cwd=tmp_path).returncode == 0
    before = catalog(backend, database)
    with (tmp_path / "edges.csv").open("a") as fh:
        fh.write("9,10\n")
    got = syllog("query", "tc.dl", "path(0, X)", "--format", "csv", *db, cwd=tmp_path)
    assert got.returncode == 0 and "answered from" not in got.stderr, got.stderr
    assert got.stdout.splitlines()[-1] == "10"  # the new edge's path
    after = catalog(backend, database)
    assert after[0] != before[0] and after[1] == "complete"
    again = syllog("query", "tc.dl", "path(0, X)", "--format", "csv", *db, cwd=tmp_path)
    assert "answered from the model kept in" in again.stderr and again.stdout == got.stdout
    (tmp_path / "tc.dl").write_text(TC + "far(X) :- path(0, X), X > 5.\n")
    changed = syllog("query", "tc.dl", "far(X)", "--format", "csv", *db, cwd=tmp_path)
    assert changed.returncode == 0 and "answered from" not in changed.stderr, changed.stderr
    assert changed.stdout.splitlines()[1:] == ["6", "7", "8", "9", "10"]


def test_the_api_answers_from_the_kept_model(backend: str, database: str, tmp_path: Path) -> None:
    closure_files(tmp_path, chain(30))
    loaded = engine.load(tmp_path / "tc.dl")
    first = evaluate_sql(loaded.program, backend=backend, database=database)
    try:
        assert first.evaluations == 1 and first.kept is None
        expected = set(first.relation("path"))  # read now: a SqlRelation reads the database when iterated
    finally:
        first.close()
    again = evaluate_sql(loaded.program, backend=backend, database=database, reuse=True, log=True)
    try:
        assert again.evaluations == 0 and again.kept is not None and again.kept.state == "complete"
        assert again.relation("path") == expected == loaded.evaluate().relation("path")
        assert again.size("path") == len(expected)
        assert not [s for s in again.log if s.lstrip().upper().startswith(("INSERT", "CREATE", "DROP"))]
        assert again.query("path(0, 29)").rows == [()]
        assert again.why("path(0, 3)")[0].kind != "missing"
    finally:
        again.close()


def test_a_process_never_waits_for_its_own_earlier_model(backend: str, database: str, tmp_path: Path) -> None:
    """A model left open holds the schema's lock; a later evaluation in the same process takes it over at once
    (it used to wait --wait seconds for itself), and the earlier model, whose tables were rebuilt, is refused."""
    closure_files(tmp_path, chain(12))
    loaded = engine.load(tmp_path / "tc.dl")
    first = evaluate_sql(loaded.program, backend=backend, database=database, wait=5)
    start = time.monotonic()
    second = evaluate_sql(loaded.program, backend=backend, database=database, wait=5)
    try:
        assert time.monotonic() - start < 5  # no wait for the lock `first` holds
        assert second.size("path") == 66 and second.evaluations == 1
        with pytest.raises(SyllogError) as got:
            first.relation("path")
        assert got.value.diagnostics[0].code == "E907" and "later model of this process" in str(got.value)
        reader = evaluate_sql(loaded.program, backend=backend, database=database, reuse=True, wait=5)
        assert reader.evaluations == 0 and second.size("path") == 66  # both only read now: neither gives way
        reader.close()
    finally:
        second.close()
        first.close()


def test_the_fingerprint_follows_the_program_and_its_inputs(tmp_path: Path) -> None:
    closure_files(tmp_path, chain(5))
    fp = fingerprint(engine.load(tmp_path / "tc.dl").program)
    assert fp == fingerprint(engine.load(tmp_path / "tc.dl").program)
    (tmp_path / "edges.csv").write_text("0,1\n1,2\n2,3\n3,5\n")
    assert fingerprint(engine.load(tmp_path / "tc.dl").program) != fp
    base = engine.load_text("e(1). e(2). p(X) :- e(X).").program
    assert fingerprint(base) != fingerprint(engine.load_text("e(1). e(3). p(X) :- e(X).").program)
    assert fingerprint(base) != fingerprint(engine.load_text("e(1). e(2). p(X) :- e(X), X > 1.").program)
    assert fingerprint(base) != fingerprint(engine.load_text('e(1). e("2"). p(X) :- e(X).').program)
    assert fingerprint(base) == fingerprint(engine.load_text("e(1).\ne(2).\n\np(X) :- e(X).  % a comment").program)


def kill_while_evaluating(backend: str, database: str, folder: Path) -> None:
    """Start a run of the never-ending counter, kill -9 it once its evaluation is under way."""
    (folder / "count.dl").write_text(COUNTER)
    proc = start("run", "count.dl", "--backend", backend, "--database", database, "--max-growing-rounds", "none",
                 cwd=folder)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not evaluating(backend, database):
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    time.sleep(1.0)  # some rounds in
    proc.kill()
    proc.communicate()


def evaluating(backend: str, database: str) -> bool:
    """Whether a run has marked its evaluation as started and begun its rounds."""
    if backend == "duckdb":  # the file is locked by the run: its write-ahead log shows the catalog's row
        wal = Path(database + ".wal")
        return wal.exists() and b"incomplete" in wal.read_bytes()
    try:
        return catalog(backend, database)[1:2] == ("incomplete",)
    except Exception:  # no catalog yet
        return False


def test_a_killed_run_is_refused_until_rebuilt(backend: str, database: str, tmp_path: Path) -> None:
    kill_while_evaluating(backend, database, tmp_path)
    db = ["--backend", backend, "--database", database]
    got = syllog("query", "count.dl", "n(5)", *db, cwd=tmp_path)
    assert_clear(got, "E906")
    assert "is incomplete" in got.stderr and "did not finish" in got.stderr and "--rebuild" in got.stderr
    assert catalog(backend, database)[1] == "incomplete"
    # a rebuild that stops with an error leaves the model `failed`, and says why
    stopped = syllog("query", "count.dl", "n(5)", "--rebuild", "--timeout", "2", "--max-growing-rounds", "none", *db,
                     cwd=tmp_path)
    assert_clear(stopped, "E601")
    again = syllog("why", "count.dl", "n(5)", *db, cwd=tmp_path)
    assert_clear(again, "E906")
    assert "stopped with an error (error[E601]" in again.stderr
    # another program on the same database is evaluated: the incomplete model is not its own
    (tmp_path / "small.dl").write_text("n(0). n(1).\n")
    other = syllog("query", "small.dl", "n(X)", *db, cwd=tmp_path)
    assert other.returncode == 0, other.stderr


# -- concurrency --------------------------------------------------------------------------
def run_all(procs: list[subprocess.Popen[str]]) -> list[tuple[int, str, str]]:
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=600)
        out.append((p.returncode, stdout, stderr))
    return out


def test_runs_at_once_on_one_database_give_right_answers(backend: str, database: str, tmp_path: Path) -> None:
    closure_files(tmp_path, chain(1000))
    (tmp_path / "other.dl").write_text(TC.replace("path", "reach"))
    db = ["--backend", backend, "--database", database]
    runs = [start("run", "tc.dl", *db, cwd=tmp_path) for _ in range(3)]
    runs += [start("run", "other.dl", *db, cwd=tmp_path)]
    runs += [start("query", "tc.dl", "path(0, 999)", *db, cwd=tmp_path)]
    results = run_all(runs)
    for rc, _stdout, stderr in results:
        assert rc == 0, stderr  # each waited for the other runs (--wait, 600 s by default)
        assert "Traceback" not in stderr
    for _rc, stdout, _err in results[:4]:
        assert "499500" in stdout  # 1000 * 999 / 2
    assert "true" in results[4][1]


def test_a_run_that_cannot_wait_is_refused_clearly(backend: str, database: str, tmp_path: Path) -> None:
    (tmp_path / "count.dl").write_text(COUNTER)
    kill = start("run", "count.dl", "--backend", backend, "--database", database, "--max-growing-rounds", "none",
                 cwd=tmp_path)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not evaluating(backend, database):
            assert kill.poll() is None, kill.communicate()
            time.sleep(0.2)
        (tmp_path / "small.dl").write_text("n(0).\n")
        got = syllog("run", "small.dl", "--backend", backend, "--database", database, "--wait", "0", cwd=tmp_path)
        assert_clear(got, "E907")
        assert "is in use by another run" in got.stderr
        waited = syllog("query", "small.dl", "n(X)", "--backend", backend, "--database", database, "--wait", "1",
                        cwd=tmp_path)
        assert_clear(waited, "E907")
        assert "after waiting" in waited.stderr
    finally:
        kill.kill()
        kill.communicate()


# -- a client that dies ---------------------------------------------------------------------
def statements_of_syllog(database: str) -> list[tuple[Any, ...]]:
    """The sessions of syllog on the test's database, with their state and statement."""
    import psycopg

    name = database.split("dbname=")[1].split()[0]
    with psycopg.connect(database.replace(f"dbname={name}", "dbname=postgres"), autocommit=True) as pg:
        return list(pg.execute("SELECT pid, state, query FROM pg_stat_activity WHERE datname = %s "
                               "AND application_name = 'syllog'", [name]).fetchall())


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_a_killed_client_leaves_no_statement_running(how: signal.Signals, postgres: str, tmp_path: Path) -> None:
    database = fresh_postgres(postgres)
    (tmp_path / "cube.dl").write_text(CUBE)
    (tmp_path / "d.csv").write_text("".join(f"{i}\n" for i in range(1000)))
    proc = start("run", "cube.dl", "--backend", "postgres", "--database", database, cwd=tmp_path)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(
            state == "active" and "INSERT" in query for _pid, state, query in statements_of_syllog(database)):
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    time.sleep(0.5)
    proc.send_signal(how)
    _out, err = proc.communicate(timeout=60)
    if how == signal.SIGTERM:
        assert proc.returncode == 143 and "terminated" in err and "Traceback" not in err, err
    # SIGTERM: the statement is cancelled and the session closed; SIGKILL: the server sees the client gone
    # within a second (client_connection_check_interval) and ends the session
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and statements_of_syllog(database):
        time.sleep(0.2)
    assert statements_of_syllog(database) == []


# -- one protocol -----------------------------------------------------------------------------
def test_both_models_are_model_like(tmp_path: Path) -> None:
    loaded = engine.load_text("e(1). p(X) :- e(X).")
    memory: Model = loaded.evaluate()
    sql = loaded.evaluate(backend="duckdb")
    try:
        assert isinstance(memory, ModelLike) and isinstance(sql, ModelLike)
        assert set(sql.relation("p")) == set(memory.relation("p")) == {(1,)}
    finally:
        sql.close()


def test_an_unknown_database_error_is_not_a_kept_model(tmp_path: Path) -> None:
    with pytest.raises(SyllogError) as got:
        evaluate_sql(engine.load_text("e(1).").program, backend="duckdb", database=str(tmp_path / "no" / "x.duckdb"))
    assert got.value.diagnostics[0].code == "E903"
