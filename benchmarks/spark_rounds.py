"""Benchmark: the cost of a round on the Spark backend (Spark jobs and seconds), on chains.

The transitive closure of an N-node chain (`.input` CSV, N - 1 edges) takes
about N rounds, each adding a handful of tuples: what a round costs is then
Spark's own overhead (planning, jobs, stages, checkpoints), not data. The jobs
are counted with Spark's status tracker (every job of the evaluation runs in
one job group); jobs per round is the difference between two chain lengths
divided by the difference in rounds, so that loading, strata and reading back
are not counted in it.

    python benchmarks/spark_rounds.py                       # chains of 10 and 50 nodes, local[2]
    python benchmarks/spark_rounds.py --master 'local-cluster[2,1,1024]' --chain 10 50
    python benchmarks/spark_rounds.py --no-provenance --repeat 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sql_backends import RULES  # noqa: E402  (the same closure program as the other SQL benchmarks)

import engine  # noqa: E402
from engine.backends import evaluate_sql  # noqa: E402


def session(master: str, conf: list[str]) -> object:
    """The session syllog starts on `master` (engine.backends.store.spark_session), keeping every job's status (to
    count them), with the settings `conf` (`key=value`)."""
    from engine.backends.store import spark_session

    settings = dict(item.partition("=")[::2] for item in conf)
    return spark_session(master, settings={"spark.ui.retainedJobs": "1000000", **settings})


def one_run(spark: object, n: int, provenance: bool) -> tuple[float, int, int, float]:
    """(seconds, rounds, Spark jobs, median seconds of a round) for the closure of an n-node chain."""
    sc = spark.sparkContext  # type: ignore[attr-defined]
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "e.csv").write_text("".join(f"{i},{i + 1}\n" for i in range(n - 1)))
        (Path(tmp) / "tc.dl").write_text(RULES)
        loaded = engine.load(Path(tmp) / "tc.dl")
        group = f"syllog-{n}-{time.monotonic_ns()}"
        sc.setJobGroup(group, "benchmark")
        start = time.perf_counter()
        with evaluate_sql(loaded.program, backend="spark", spark=spark, provenance=provenance) as model:
            size = model.size("path")
            seconds = time.perf_counter() - start
            rounds = [s for _added, s in model.rounds]
        jobs = len(sc.statusTracker().getJobIdsForGroup(group))
        assert size == n * (n - 1) // 2, (size, n)
    return seconds, len(rounds), jobs, statistics.median(rounds)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--chain", type=int, nargs="+", default=[10, 50])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--no-provenance", action="store_true")
    ap.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE", help="a Spark setting")
    args = ap.parse_args()
    start = time.perf_counter()
    spark = session(args.master, args.conf)
    spark.sparkContext.setLogLevel("ERROR")  # type: ignore[attr-defined]
    print(f"session on {args.master}: {time.perf_counter() - start:.1f} s to start")
    one_run(spark, 5, not args.no_provenance)  # warm up: the first queries compile Spark's code
    found: dict[int, tuple[float, int, int, float]] = {}
    for n in args.chain:
        runs = [one_run(spark, n, not args.no_provenance) for _ in range(args.repeat)]
        seconds = statistics.median(r[0] for r in runs)
        _s, rounds, jobs, _m = runs[0]
        per_round = statistics.median(r[3] for r in runs)
        found[n] = (seconds, rounds, jobs, per_round)
        print(f"chain {n}: {seconds:.1f} s, {rounds} rounds, {jobs} jobs, "
              f"{jobs / rounds:.1f} jobs a round (all jobs / rounds), {per_round:.2f} s a round (median)")
    if len(found) > 1:
        (a, ra), (b, rb) = [(found[n][2], found[n][1]) for n in (min(found), max(found))]
        print(f"jobs per extra round: {(b - a) / (rb - ra):.1f}")


if __name__ == "__main__":
    main()
