"""Encoding speed: a relation held as Python tuples encoded into the vectorized path's codes.

    python benchmarks/encode_speed.py [N] [--repeat R]

Times `Stratum.encoded` (engine.evaluation.vector) on relations of N distinct
pairs (default 1,000,000), as a vectorized stratum reads the tuple path's
relations and a `.dl` file's facts: pairs of integers (ids below 200,000),
pairs of a symbol (100,000 of them) and an integer, and pairs of a symbol and
a string. Each run starts from an empty dictionary; the median of R runs
(default 5) is printed, and the least.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

from engine.evaluation.relation import Relation, Row
from engine.evaluation.vector import Encodings, Stratum
from engine.values import String, Value


def pairs(n: int, first: Callable[[], Value], second: Callable[[], Value]) -> set[Row]:
    out: set[Row] = set()
    while len(out) < n:
        out.add((first(), second()))
    return out


def encode_times(ts: set[Row], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        rel = Relation("r", 2)
        rel.tuples = ts
        stratum = Stratum({"r": rel}, Encodings(), 2, 1 << 20)
        t0 = time.perf_counter()
        stratum.encoded(rel)
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", nargs="?", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    rnd = random.Random(1)
    names = [f"n{i}" for i in range(100_000)]
    texts = [String(f"t{i}") for i in range(1_000)]
    cases = {
        "(int, int)": pairs(args.n, lambda: rnd.randrange(200_000), lambda: rnd.randrange(200_000)),
        "(symbol, int)": pairs(args.n, lambda: rnd.choice(names), lambda: rnd.randrange(1_000_000)),
        "(symbol, string)": pairs(args.n, lambda: rnd.choice(names), lambda: rnd.choice(texts)),
    }
    for name, ts in cases.items():
        times = encode_times(ts, args.repeat)
        print(f"{name:18s} {len(ts):>9,} pairs: median {statistics.median(times):.3f} s, least {min(times):.3f} s")


if __name__ == "__main__":
    main()
