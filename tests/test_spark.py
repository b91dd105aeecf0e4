"""The Spark backend on a multi-process cluster: the golden corpus as in memory, inputs read by Spark, the master.

The cluster is Spark's `local-cluster[2,1,1024]`: a master and two executor
processes (one core, 1 GB each) on this machine, started once for the module
through `engine.backends.store.spark_session`, the function that starts the
commands' session. It runs under CI=1 (where it fails, saying why, if Spark
cannot start: pyspark or Java missing) or SYLLOG_TEST_SPARK=1, and is skipped
otherwise (starting the cluster takes about 40 s). Its SQL text is checked in
tests/test_backends.py always.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_backends import GOLDEN, same_as_memory

import engine
from engine import SyllogError
from engine.backends import evaluate_sql

ROOT = Path(__file__).resolve().parents[1]
CLUSTER = "local-cluster[2,1,1024]"
# the golden programs Spark refuses, with the code it gives (never skipped: the refusal is checked)
REFUSED = {"aggregates_avg": "E905"}
WANTED = os.environ.get("CI") or os.environ.get("SYLLOG_TEST_SPARK") == "1"


def _cannot_start(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"Spark cannot start: {reason}")  # in CI a real component must run, not skip
    pytest.skip(reason)


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """A Spark session on a cluster of two executor processes."""
    if not WANTED:
        pytest.skip("set SYLLOG_TEST_SPARK=1 to run Spark on a local cluster (slow); CI runs it")
    try:
        import pyspark  # noqa: F401
    except ImportError:
        _cannot_start("pyspark is not installed (pip install -e '.[spark]'; .ci/run installs it)")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        _cannot_start("no Java runtime (apt-get install -y default-jre-headless; .ci/run installs it)")
    from engine.backends.store import spark_session

    try:
        session = spark_session(CLUSTER)
    except Exception as exc:  # noqa: BLE001 - whatever stops the JVM or the cluster is the reason
        _cannot_start(f"{type(exc).__name__}: {str(exc).strip()[:2000]}")
    deadline = time.monotonic() + 120
    while _executors(session) < 2:  # they register with the driver as they start
        if time.monotonic() > deadline:
            _cannot_start(f"only {_executors(session)} of the cluster's 2 executors started within 120 s")
        time.sleep(0.5)
    try:
        yield session
    finally:
        session.stop()


def _executors(session: Any) -> int:
    """The executors registered with the driver (the driver's own block manager is listed too)."""
    return int(session.sparkContext._jsc.sc().getExecutorMemoryStatus().size()) - 1


def test_the_session_is_a_cluster_of_two_executors(spark: Any) -> None:
    assert spark.sparkContext.master == CLUSTER and _executors(spark) == 2


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: Path(p).stem)
def test_golden_corpus_same_as_memory(path: str, spark: Any) -> None:
    loaded = engine.load(path)
    refused = REFUSED.get(Path(path).stem)
    if refused is not None:
        with pytest.raises(SyllogError) as got:
            evaluate_sql(loaded.program, backend="spark", spark=spark)
        assert f"error[{refused}]" in str(got.value) and f"{Path(path).name}:" in str(got.value)
        return
    with evaluate_sql(loaded.program, backend="spark", spark=spark) as model:
        same_as_memory(loaded, model)


INPUTS = """
.decl t(i: int, n: number, s: symbol, q: string, a: any)
.input t { file: "t.csv", format: csv }
.decl e(a: int, b: int)
.input e { file: "E_FILE", format: tsv }
path(X, Y) :- e(X, Y).
path(X, Z) :- path(X, Y), e(Y, Z).
big(I, N) :- t(I, N, _, _, _), N > 2.
kinds(A, S, Q) :- t(_, _, S, Q, A).
"""
ROWS = "1,2.5,turkey,Turkey,7\n-3,4,a b,x,2.50\n12,0.0000000001,s,\u00e9t\u00e9,sym\n1,2.5,turkey,Turkey,7\n"


def _inputs(tmp: Path, rows: str, edges: str = "e.tsv", name: str = "p.dl") -> engine.Loaded:
    """The program INPUTS in `tmp`, reading `rows` as t.csv and a 13-node chain as `edges`."""
    (tmp / "t.csv").write_text(rows)
    (tmp / "e.tsv").write_text("".join(f"{i}\t{i + 1}\n" for i in range(12)))
    (tmp / name).write_text(INPUTS.replace("E_FILE", edges))
    return engine.load(tmp / name)


def test_inputs_are_read_by_spark_with_the_in_memory_values(spark: Any, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.backends.store import SparkStore

    def no_rows(*_args: Any) -> None:
        raise AssertionError("input rows went through the driver")

    monkeypatch.setattr(SparkStore, "insert_rows", no_rows)  # facts and Python-read rows would come this way
    loaded = _inputs(tmp_path, ROWS)
    with evaluate_sql(loaded.program, backend="spark", spark=spark) as model:
        same_as_memory(loaded, model)
        assert model.size("t") == 3 and model.size("path") == 78


def test_a_file_named_by_url_is_read_by_spark(spark: Any, tmp_path: Path) -> None:
    """A URL (`file:///...` here; `hdfs://`, `s3a://` on a cluster that has them) goes to Spark as it is."""
    plain = _inputs(tmp_path, ROWS)
    by_url = _inputs(tmp_path, ROWS, (tmp_path / "e.tsv").absolute().as_uri(), "url.dl")
    with evaluate_sql(by_url.program, backend="spark", spark=spark) as model:
        assert model.relation("path") == plain.evaluate().relation("path") and model.size("path") == 78


def test_a_file_spark_may_read_otherwise_goes_to_the_python_reader(spark: Any, tmp_path: Path) -> None:
    """Quotes, an empty field, forms such as `1_000`: the Python reader, so values and errors are the in-memory ones."""
    rows = ROWS + '5,1_000,"q ""x""",,+5\n6,-0.5,"two\nlines",y, 5\n'
    loaded = _inputs(tmp_path, rows)
    with evaluate_sql(loaded.program, backend="spark", spark=spark) as model:
        same_as_memory(loaded, model)
    bad = _inputs(tmp_path, ROWS + "x,1,a,b,c\n")
    with pytest.raises(SyllogError) as want:
        bad.evaluate()
    with pytest.raises(SyllogError) as got:
        evaluate_sql(bad.program, backend="spark", spark=spark)
    assert str(got.value) == str(want.value) and "t.csv:5:1: error[E704]" in str(got.value)


def test_a_bad_file_by_url_is_refused_at_its_input(spark: Any, tmp_path: Path) -> None:
    loaded = _inputs(tmp_path, ROWS, (tmp_path / "e.tsv").absolute().as_uri())
    (tmp_path / "e.tsv").write_text("1\t2\nx\t3\n")
    with pytest.raises(SyllogError) as got:
        evaluate_sql(loaded.program, backend="spark", spark=spark)
    assert "p.dl:5:1: error[E704]" in str(got.value) and "1 records" in str(got.value)


def test_rounds_take_three_jobs(spark: Any, tmp_path: Path) -> None:
    """A round of a chain's closure: one job for its new tuples (checkpointed and counted together) and one
    for each table broadcast to it (the edges, the relation); no job to count or append."""
    sc = spark.sparkContext
    _inputs(tmp_path, ROWS)
    found = []
    for n in (6, 12):
        (tmp_path / "e.tsv").write_text("".join(f"{i}\t{i + 1}\n" for i in range(n)))
        group = f"rounds-{n}"
        sc.setJobGroup(group, "test")
        with evaluate_sql(engine.load(tmp_path / "p.dl").program, backend="spark", spark=spark) as model:
            rounds = len(model.rounds)
            assert model.size("path") == n * (n + 1) // 2
        found.append((len(sc.statusTracker().getJobIdsForGroup(group)), rounds))
    (jobs_a, rounds_a), (jobs_b, rounds_b) = found
    assert rounds_b - rounds_a == 6
    assert (jobs_b - jobs_a) / (rounds_b - rounds_a) <= 3, found


# ---- the master: --spark-master, $SPARK_MASTER, Spark's own configuration ----------------------------


def _run(tmp: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    (tmp / "p.dl").write_text("e(1, 2). p(X) :- e(X, _).\n")
    full = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "engine", "run", str(tmp / "p.dl"), "--backend", "spark",
                           *extra], capture_output=True, text=True, env=full, timeout=300)


@pytest.mark.parametrize("how", ["flag over the environment", "environment", "spark-defaults.conf"])
def test_the_master_comes_from_the_flag_the_environment_or_spark_defaults(how: str, spark: Any,
                                                                          tmp_path: Path) -> None:
    """A master URL Spark cannot parse shows which one was used: the command fails with E903 naming it."""
    conf = tmp_path / "conf"
    conf.mkdir()
    env = {"SPARK_CONF_DIR": str(conf)}
    extra: list[str] = []
    if how == "spark-defaults.conf":
        (conf / "spark-defaults.conf").write_text("spark.master   local[from-conf]\n")
    else:
        env["SPARK_MASTER"] = "local[from-env]"
    if how == "flag over the environment":
        extra = ["--spark-master", "local[from-flag]"]
    got = _run(tmp_path, *extra, env=env)
    want = {"flag over the environment": "from-flag", "environment": "from-env", "spark-defaults.conf": "from-conf"}
    assert got.returncode != 0 and "Traceback" not in got.stderr, got.stderr
    assert f"error[E903]: cannot start Spark on `local[{want[how]}]`" in got.stderr, got.stderr
