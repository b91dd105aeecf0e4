"""Decimal arithmetic on the SQL backends: what exact quotients and products cost.

    python benchmarks/sql_decimals.py [--items 100000] [--repeat 3] [--postgres "host=... dbname=..."]

`items` facts `item(I, P)` with prices of two digits after the point, loaded once; then one goal
per kind of arithmetic, answered in SQL (SqlModel.query) and in memory (Model.query):

- `plain`:    P + 2.5 and P * 3, computed on the scaled integers on every backend;
- `product`:  P * 1.19, a product of two decimals (kind `quo`: the exact domain on DuckDB and
              PostgreSQL since issue 22, in SQL on the scaled integers before);
- `quotient4`: P / 4, a quotient that ends within 10 digits (exact domain since issue 22; SQL before);
- `quotient3`: P / 3, 34 digits (refused with E902 before issue 22);
- `chain`:    (P / 3) * 1.19 + P / 7, three exact operations in one expression.

- `compare`:  P / 3 > 1000, a quotient compared (its parts, and the refusal checks).

On DuckDB in memory (and PostgreSQL with --postgres), the median of `repeat` runs, and the in-memory
engine for comparison. A refused program prints its error code. Run it with
PYTHONPATH pointing at the checkout to measure (before: a commit before issue 22's change).
"""

from __future__ import annotations

import argparse
import statistics
import time

import engine
from engine import SyllogError
from engine.backends import evaluate_sql

GOALS = {
    "plain": "item(I, P), Y = P + 2.5, Z = P * 3",
    "product": "item(I, P), Y = P * 1.19",
    "quotient4": "item(I, P), Y = P / 4",
    "quotient3": "item(I, P), Y = P / 3",
    "chain": "item(I, P), Y = (P / 3) * 1.19 + P / 7",
    "compare": "item(I, P), P / 3 > 1000",
}


def facts(items: int) -> str:
    return " ".join(f"item({i}, {i % 9973 + 1}.{i % 97 + 1:02d})." for i in range(items))


def timed(fn: object, repeat: int) -> tuple[float, str]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        try:
            fn()  # type: ignore[operator]
        except SyllogError as exc:
            return 0.0, exc.diagnostics[0].code
        times.append(time.perf_counter() - t)
    return statistics.median(times), ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--postgres", default=None, help="a libpq connection string")
    args = ap.parse_args()
    loaded = engine.load_text(facts(args.items))
    mem = loaded.evaluate(provenance=False)
    models = {"duckdb": evaluate_sql(loaded.program, provenance=False)}
    if args.postgres:
        models["postgres"] = evaluate_sql(loaded.program, backend="postgres", database=args.postgres,
                                          provenance=False)
    print(f"{args.items:,} items; median of {args.repeat}; each goal's answers computed and read back")
    print(f"{'goal':<10} {'memory':>9} " + " ".join(f"{b:>9}" for b in models))
    for name, goal in GOALS.items():
        t, _ = timed(lambda goal=goal: mem.query(goal), args.repeat)
        cells = [f"{t:8.3f}s"]
        for model in models.values():
            t, code = timed(lambda goal=goal, model=model: model.query(goal), args.repeat)
            cells.append(f"{code:>9}" if code else f"{t:8.3f}s")
        print(f"{name:<10} " + " ".join(cells), flush=True)
    for model in models.values():
        model.close()


if __name__ == "__main__":
    main()
