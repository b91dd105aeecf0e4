"""Benchmark: the closure of a random DAG on DuckDB and PostgreSQL, past memory, with its `.output` written.

The DAG: `--nodes` nodes, from each node `--degree` edges to random nodes among the next `--window` (so paths
are long and the closure is dense: 4,000 nodes give 5,648,330 tuples, 12,000 nodes 55,100,501). The edges are
a CSV `.input` (read by the database). Each run is `syllog run` in a process of its own, as a user runs it:

    syllog run tc.dl --backend duckdb --database D --memory-limit 1GB
    syllog run tc.dl --backend postgres --database DSN --memory-limit 256MB     (PostgreSQL's work_mem)

and, with `--output`, the program also has `.output path` (a csv of every tuple, written by the database).
Reported per run: wall time, the client's peak resident memory, the database's size, the output's size.
PostgreSQL needs a server: `--postgres DSN` (e.g. `host=/tmp/pg dbname=postgres user=postgres`).

    python benchmarks/sql_scale.py --nodes 4000 --postgres "host=/tmp/pg dbname=postgres user=postgres"
    python benchmarks/sql_scale.py --nodes 4000 --backends duckdb --output
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

RULES = """
.decl e(a: int, b: int)
.input e { file: "e.csv" }
.decl path(a: int, b: int)
path(X, Y) :- e(X, Y).
path(X, Z) :- path(X, Y), e(Y, Z).
"""


def dag(nodes: int, degree: int, window: int, seed: int = 7) -> list[tuple[int, int]]:
    """Edges i -> j, j among the `window` nodes after i, `degree` tries a node."""
    rng = random.Random(seed)
    out: set[tuple[int, int]] = set()
    for i in range(nodes - 1):
        for _ in range(degree):
            out.add((i, rng.randrange(i + 1, min(nodes, i + 1 + window))))
    return sorted(out)


def database_size(backend: str, database: str) -> int:
    """Bytes the evaluation's tables take: the DuckDB file, or the PostgreSQL schema's relations."""
    if backend == "duckdb":
        return sum(p.stat().st_size for p in Path(database).parent.glob(Path(database).name + "*"))
    import psycopg

    with psycopg.connect(database) as con:
        row = con.execute("SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                          "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'syllog' "
                          "AND c.relkind = 'r'").fetchone()
    return int(row[0]) if row else 0


def run(folder: Path, backend: str, database: str, limit: str, output: bool) -> dict[str, float]:
    """One `syllog run` in a child process: seconds, the child's peak memory (MB), database and output (MB)."""
    prog = folder / "tc.dl"
    prog.write_text(RULES + ('.output path { file: "path.csv" }\n' if output else ""))
    cmd = ["/usr/bin/time", "-f", "peak %M KB", sys.executable, "-m", "engine", "run", str(prog), "--backend", backend, "--database", database,
           "--memory-limit", limit]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr}")
    peak = int(done.stderr.strip().splitlines()[-1].split()[1])  # GNU time's maximum resident set size
    out = folder / "path.csv"
    return {"seconds": seconds, "peak_mb": peak / 1024, "db_mb": database_size(backend, database) / 2**20,
            "output_mb": out.stat().st_size / 2**20 if output and out.exists() else 0.0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=4000)
    ap.add_argument("--degree", type=int, default=2)
    ap.add_argument("--window", type=int, default=100)
    ap.add_argument("--backends", nargs="+", default=["duckdb", "postgres"])
    ap.add_argument("--postgres", help="a PostgreSQL connection string")
    ap.add_argument("--duckdb-memory", default="1GB")
    ap.add_argument("--work-mem", default="256MB")
    ap.add_argument("--output", action="store_true", help="also write every tuple with `.output`")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="syllog-scale-") as tmp:
        folder = Path(tmp)
        edges = dag(args.nodes, args.degree, args.window)
        (folder / "e.csv").write_text("".join(f"{a},{b}\n" for a, b in edges))
        print(f"DAG: {args.nodes:,} nodes, {len(edges):,} edges (window {args.window}); load "
              f"{os.getloadavg()[0]:.1f}")
        for backend in args.backends:
            if backend == "postgres" and not args.postgres:
                raise SystemExit("--postgres DSN is needed for the postgres backend")
            database = str(folder / "x.duckdb") if backend == "duckdb" else str(args.postgres)
            limit = args.duckdb_memory if backend == "duckdb" else args.work_mem
            got = run(folder, backend, database, limit, args.output)
            lines = sum(1 for _ in open(folder / "path.csv")) if args.output else None
            print(f"{backend:9} limit {limit:6} {got['seconds']:8.1f} s  peak {got['peak_mb']:7.0f} MB  "
                  f"database {got['db_mb']:7.0f} MB" + (f"  output {got['output_mb']:.0f} MB, {lines:,} lines"
                                                       if lines is not None else ""))


if __name__ == "__main__":
    main()
