"""Benchmark: a `query` answered from the model a database keeps, against evaluating again; runs at once.

The transitive closure of a random DAG (`--nodes`, `--edges`; edges from a
lower to a higher node, seed 7) loaded from a CSV `.input`. Whole processes,
as a user runs them (`python -m engine ...`), so the figures include starting
Python and importing the drivers:

With `--span`, edges go at most that many nodes higher: a band, whose closure
is close to nodes² / 2 (`--nodes 12000 --edges 36000 --span 30`: the issue's
scale, tens of millions of tuples).

* `run --database D` once (the evaluation that is kept);
* `query "path(0, X)"` on D: answered from the kept model (median of --repeat);
* the same with `--rebuild`: evaluated again (median of --repeat);
* the same in memory, for scale (median of --repeat);
* --concurrent K: K `run`s at once on D (they wait for each other: the wall
  time of all, and the answers checked), against one run.

Every answer count is checked against the first run's (`path(0, X)` from
Python sets).

    python benchmarks/kept_model.py --nodes 3000 --edges 9000
    python benchmarks/kept_model.py --nodes 3000 --edges 9000 --postgres "host=/tmp/pg dbname=postgres user=postgres"
    python benchmarks/kept_model.py --nodes 1000 --edges 3000 --concurrent 4 --postgres "host=..."
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = """.decl edge(a: int, b: int)
.input edge { file: "edges.csv" }
path(X, Y) :- edge(X, Y).
path(X, Z) :- path(X, Y), edge(Y, Z).
"""


def dag(nodes: int, edges: int, span: int | None = None, seed: int = 7) -> list[tuple[int, int]]:
    """`edges` distinct edges from a lower to a higher node; with `span`, at most `span` nodes higher (a band:
    most nodes then reach most of the nodes above them, so the closure is close to nodes² / 2)."""
    rng = random.Random(seed)
    found: set[tuple[int, int]] = set()
    while len(found) < edges:
        a = rng.randrange(nodes - 1)
        b = rng.randrange(a + 1, min(nodes, a + 1 + span)) if span else rng.randrange(nodes)
        if a != b:
            found.add((min(a, b), max(a, b)))
    return sorted(found)


def reach(edges: list[tuple[int, int]], start: int) -> int:
    succ: dict[int, list[int]] = {}
    for a, b in edges:
        succ.setdefault(a, []).append(b)
    seen: set[int] = set()
    todo = [start]
    while todo:
        for y in succ.get(todo.pop(), []):
            if y not in seen:
                seen.add(y)
                todo.append(y)
    return len(seen)


def syllog(folder: Path, *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
    start = time.perf_counter()
    got = subprocess.run([sys.executable, "-m", "engine", *args], cwd=folder, env=env, capture_output=True, text=True)
    took = time.perf_counter() - start
    if got.returncode != 0:
        raise SystemExit(f"syllog {' '.join(args)} failed:\n{got.stderr}")
    return took, got


def answers(got: subprocess.CompletedProcess[str]) -> int:
    return len(got.stdout.splitlines()) - 1  # csv: a header, then a line an answer


def median_of(repeat: int, folder: Path, *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    runs = [syllog(folder, *args) for _ in range(repeat)]
    return statistics.median(t for t, _ in runs), runs[-1][1]


def kept_query(folder: Path, backend: str, database: str, expected: int, repeat: int, limit: list[str]) -> None:
    db = ["--backend", backend, "--database", database, "--max-tuples", "none", *limit]
    took, run = syllog(folder, "run", "tc.dl", *db)
    print(f"{backend}: run (evaluated, kept): {took:.2f} s", flush=True)
    query = ["query", "tc.dl", "path(0, X)", "--format", "csv", *db]
    kept, got = median_of(repeat, folder, *query)
    assert "answered from the model kept" in got.stderr and answers(got) == expected, got.stderr
    print(f"{backend}: query from the kept model: {kept:.2f} s ({expected:,} answers)", flush=True)
    again, got = median_of(repeat, folder, *query, "--rebuild")
    assert "answered from" not in got.stderr and answers(got) == expected
    print(f"{backend}: query --rebuild (evaluated again): {again:.2f} s ({again / kept:.1f}x)", flush=True)


def in_process(folder: Path, backend: str, database: str, expected: int, repeat: int, limit: str | None) -> None:
    """The same in this process (no start-up, no imports): opening the kept model and answering, against
    evaluating and answering."""
    sys.path.insert(0, str(ROOT))
    import engine
    from engine.backends import evaluate_sql

    program = engine.load(folder / "tc.dl").program
    options = {"memory_limit": limit} if limit and backend == "duckdb" else {}

    def once(reuse: bool) -> float:
        start = time.perf_counter()
        with evaluate_sql(program, backend=backend, database=database, reuse=reuse, max_tuples=None,
                          **options) as model:
            assert len(model.query("path(0, X)").rows) == expected and (model.kept is not None) == reuse
        return time.perf_counter() - start

    kept = statistics.median(once(True) for _ in range(repeat))
    again = statistics.median(once(False) for _ in range(repeat))
    print(f"{backend}: in process: kept model + query {kept:.3f} s; evaluate + query {again:.2f} s "
          f"({again / kept:.0f}x)", flush=True)


def concurrent(folder: Path, backend: str, database: str, k: int, total: int) -> None:
    db = ["--backend", backend, "--database", database, "--max-tuples", "none"]
    one, _ = syllog(folder, "run", "tc.dl", *db)
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
    start = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-m", "engine", "run", "tc.dl", *db], cwd=folder, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(k)]
    outs = [p.communicate() for p in procs]
    wall = time.perf_counter() - start
    ok = sum(1 for p, (out, _err) in zip(procs, outs) if p.returncode == 0 and f"{total}" in out.replace(",", ""))
    print(f"{backend}: {k} runs at once: {wall:.2f} s wall, {ok} of {k} right (one run alone: {one:.2f} s)",
          flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=3000)
    ap.add_argument("--edges", type=int, default=9000)
    ap.add_argument("--span", type=int, default=None, help="edges reach at most this many nodes higher")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--postgres", metavar="CONNINFO", default=None, help="also on this PostgreSQL database")
    ap.add_argument("--concurrent", type=int, default=0, metavar="K", help="K runs at once on one database")
    ap.add_argument("--no-memory", action="store_true", help="skip the in-memory query")
    ap.add_argument("--memory-limit", default=None, metavar="SIZE", help="DuckDB's memory limit (it spills past it)")
    a = ap.parse_args()
    edges = dag(a.nodes, a.edges, a.span)
    expected = reach(edges, 0)
    with tempfile.TemporaryDirectory(prefix="syllog-kept-") as tmp:
        folder = Path(tmp)
        (folder / "tc.dl").write_text(PROGRAM)
        (folder / "edges.csv").write_text("".join(f"{x},{y}\n" for x, y in edges))
        print(f"random DAG: {a.nodes:,} nodes, {len(edges):,} edges; path(0, X): {expected:,} answers", flush=True)
        if not a.no_memory:
            took, got = median_of(a.repeat, folder, "query", "tc.dl", "path(0, X)", "--format", "csv",
                                  "--demand", "off", "--max-tuples", "none")
            assert answers(got) == expected
            print(f"memory: query (--demand off, evaluated whole): {took:.2f} s", flush=True)
        targets = [("duckdb", str(folder / "kept.duckdb"))] + ([("postgres", a.postgres)] if a.postgres else [])
        for backend, database in targets:
            limit = ["--memory-limit", a.memory_limit] if a.memory_limit and backend == "duckdb" else []
            kept_query(folder, backend, database, expected, a.repeat, limit)
            in_process(folder, backend, database, expected, a.repeat, a.memory_limit)
            if a.concurrent:
                total = int(syllog(folder, "query", "tc.dl", "path(X, Y)", "--format", "csv", "--backend", backend,
                                   "--database", database, "--max-tuples", "none")[1].stdout.count("\n")) - 1
                concurrent(folder, backend, database, a.concurrent, total)


if __name__ == "__main__":
    main()
