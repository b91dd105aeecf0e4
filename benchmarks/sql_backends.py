"""Benchmark: Syllog on DuckDB against DuckDB's own recursive CTE, and a closure past the memory limit.

Workloads (edges written to CSV and loaded with `.input`, so DuckDB reads them
with read_csv):

* chain: transitive closure of a 2,000-node chain (1,999,000 tuples, 1,999 rounds);
* random: transitive closure of a random graph, 2,000 nodes and 6,000 edges;
* big (with --big): one run of a transitive closure with tens of millions of
  tuples, DuckDB's memory limit set well below the size of the data, spilling
  to a temporary directory.

A linear recursive stratum such as this one runs as one recursive CTE (see
docs/backends.md), with provenance off (the default here) or on (--provenance:
evaluation records nothing for proofs, so the two should take the same time).
Each figure is the median of --repeat runs (3 by default). The recursive CTE
is `WITH RECURSIVE path AS (SELECT * FROM e UNION SELECT p.a, e.b FROM path p
JOIN e ON p.b = e.a)`, DuckDB's own semi-naive evaluation with deduplication.

    python benchmarks/sql_backends.py            # chain and random
    python benchmarks/sql_backends.py --big      # and the large run
    python benchmarks/sql_backends.py --chain 1000 2000 --repeat 1
    python benchmarks/sql_backends.py --chain 1000 2000 --repeat 1 --provenance   # the same, proofs on
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import duckdb  # noqa: E402

import engine  # noqa: E402
from engine.backends import evaluate_sql  # noqa: E402

RULES = """
.decl e(a: int, b: int)
.input e { file: "e.csv", format: csv }
path(X, Y) :- e(X, Y).
path(X, Z) :- path(X, Y), e(Y, Z).
"""


def chain(n: int) -> list[tuple[int, int]]:
    return [(i, i + 1) for i in range(n - 1)]


def random_graph(nodes: int, edges: int, seed: int = 7) -> list[tuple[int, int]]:
    rng = random.Random(seed)
    out: set[tuple[int, int]] = set()
    while len(out) < edges:
        a, b = rng.randrange(nodes), rng.randrange(nodes)
        if a != b:
            out.add((a, b))
    return sorted(out)


def write(folder: Path, edges: list[tuple[int, int]]) -> Path:
    (folder / "e.csv").write_text("".join(f"{a},{b}\n" for a, b in edges))
    (folder / "tc.dl").write_text(RULES)
    return folder / "tc.dl"


def syllog_duckdb(program: Path, provenance: bool = False, **kwargs: object) -> tuple[float, int, int]:
    loaded = engine.load(program)
    start = time.perf_counter()
    model = evaluate_sql(loaded.program, provenance=provenance, **kwargs)  # type: ignore[arg-type]
    took = time.perf_counter() - start
    size, rounds = model.size("path"), len(model.rounds)
    model.close()
    return took, size, rounds


def duckdb_cte(csv: Path) -> tuple[float, int]:
    con = duckdb.connect()
    start = time.perf_counter()
    con.execute("CREATE TABLE e AS SELECT * FROM read_csv(?, header = false, columns = {'a': 'BIGINT', 'b': 'BIGINT'})",
                [str(csv)])
    con.execute("""CREATE TABLE path AS WITH RECURSIVE path(a, b) AS (
                       SELECT a, b FROM e UNION SELECT p.a, e.b FROM path p JOIN e ON p.b = e.a)
                   SELECT * FROM path""")
    took = time.perf_counter() - start
    size = con.execute("SELECT count(*) FROM path").fetchone()[0]  # type: ignore[index]
    con.close()
    return took, int(size)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--chain", type=int, nargs="+", default=[2000], help="chain lengths (default: 2000)")
    ap.add_argument("--big", action="store_true", help="also the run past the memory limit")
    ap.add_argument("--big-nodes", type=int, default=10_000)
    ap.add_argument("--big-degree", type=float, default=2.0)
    ap.add_argument("--memory-limit", default="256MB")
    ap.add_argument("--only-big", action="store_true")
    ap.add_argument("--provenance", action="store_true",
                    help="evaluate with provenance (proofs and grades asked for later)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="syllog-bench-") as tmp:
        root = Path(tmp)
        if not args.only_big:
            work = [(f"chain {k:,} nodes", chain(k)) for k in args.chain]
            work.append(("random 2,000 nodes / 6,000 edges", random_graph(2000, 6000)))
            for name, edges in work:
                folder = root / "_".join(name.split()[:2]).replace(",", "")
                folder.mkdir()
                prog = write(folder, edges)
                runs = [syllog_duckdb(prog, args.provenance) for _ in range(args.repeat)]
                t_s, size, rounds = statistics.median(r[0] for r in runs), runs[0][1], runs[0][2]
                ctes = [duckdb_cte(folder / "e.csv") for _ in range(args.repeat)]
                t_c, size_c = statistics.median(r[0] for r in ctes), ctes[0][1]
                assert size == size_c, (size, size_c)
                print(f"{name}: {size:,} tuples, {rounds} rounds | Syllog on DuckDB {t_s:.2f} s | "
                      f"DuckDB recursive CTE {t_c:.2f} s | median of {args.repeat}", flush=True)
        if args.big or args.only_big:
            folder = root / "big"
            folder.mkdir()
            edges = random_graph(args.big_nodes, int(args.big_nodes * args.big_degree), seed=11)
            prog = write(folder, edges)
            db = folder / "big.duckdb"
            spill = folder / "spill"
            took, size, rounds = syllog_duckdb(prog, args.provenance, database=str(db), memory_limit=args.memory_limit,
                                               temp_directory=str(spill), threads=2)
            on_disk = os.path.getsize(db)
            raw = size * 3 * 8  # two BIGINT columns and the round column `_r`
            print(f"big: {args.big_nodes:,} nodes / {len(edges):,} edges: {size:,} tuples in {rounds} rounds, "
                  f"{took:.1f} s with memory_limit={args.memory_limit}; the relation is {raw / 1e6:,.0f} MB "
                  f"uncompressed (3 x 64-bit columns), the database file {on_disk / 1e6:,.0f} MB", flush=True)


if __name__ == "__main__":
    main()
