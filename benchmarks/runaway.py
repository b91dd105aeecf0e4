"""How soon a runaway program stops, and what watching an evaluation costs.

    python benchmarks/runaway.py [--repeat 3]

Runs `n(X + 1) :- n(X).` (one new tuple a round, forever) and a wide
runaway (2,000 counters climbing together) under each limit: the default
ones (the growth of a rule making new numbers, engine.evaluation.growth),
in memory and on DuckDB; the tuple limit and the memory limit (--max-memory)
with the growth limit lifted; and, for the cost of the watches in
`Evaluator.check_limits` (memory read and progress callback every 0.1 s) and
of the growth check, the same bounded program with and without them.
Seconds are the median of `--repeat` runs in this process (imports
excluded).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent))

import engine  # noqa: E402
from engine.errors import SyllogError  # noqa: E402
from engine.evaluation.memory import resident_bytes, show_size  # noqa: E402

NARROW = "n(0).\nn(X + 1) :- n(X).\n"
WIDE = "".join(f"n({k}, 0).\n" for k in range(2000)) + "n(K, X + 1) :- n(K, X).\n"
BOUNDED = "n(0).\nn(X + 1) :- n(X), X < 300000.\n"


def stop_time(text: str, **limits: object) -> tuple[float, str]:
    loaded = engine.load_text(text, "p.dl")
    start = time.perf_counter()
    try:
        model = loaded.evaluate(**limits)  # type: ignore[arg-type]
        what = "finished"
        if hasattr(model, "close"):
            model.close()
    except SyllogError as exc:
        what = exc.diagnostics[0].message.split(";")[0]
    return time.perf_counter() - start, what


def median(repeat: int, text: str, **limits: object) -> tuple[float, str]:
    runs = [stop_time(text, **limits) for _ in range(repeat)]
    return statistics.median(t for t, _ in runs), runs[-1][1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(f"resident memory before: {show_size(resident_bytes() or 0)}")
    free = {"max_growing_rounds": None}
    # a memory limit is given above the resident memory when the case starts (`above`)
    cases = [
        ("narrow runaway, default limits", NARROW, {}),
        ("narrow runaway, default limits, DuckDB", NARROW, {"backend": "duckdb"}),
        ("narrow runaway, --max-tuples 1,000,000", NARROW, {"max_tuples": 1_000_000, "max_memory": None, **free}),
        ("narrow runaway, --max-memory +200 MB", NARROW, {"max_tuples": None, "above": 200_000_000, **free}),
        ("bounded 300,000 rounds, no watch callback, no growth check", BOUNDED, {"max_memory": None, **free}),
        ("bounded 300,000 rounds, default limits", BOUNDED, {}),
        ("bounded 300,000 rounds, memory limit and progress callback", BOUNDED,
         {"max_memory": 10**12, "progress": lambda rule, tuples, rounds: None}),
        ("wide runaway, default limits", WIDE, {}),
        ("wide runaway, --max-memory +1 GB", WIDE, {"max_tuples": None, "above": 1_000_000_000, **free}),
        ("wide runaway, default --max-tuples (20,000,000)", WIDE, {"max_memory": None, **free}),
    ]
    print("| case | seconds | stopped by |\n| --- | ---: | --- |")
    for name, text, limits in cases:
        if "above" in limits:
            limits = dict(limits, max_memory=(resident_bytes() or 0) + limits.pop("above"))  # type: ignore[operator]
        seconds, what = median(args.repeat, text, **limits)
        print(f"| {name} | {seconds:.2f} | {what} |")


if __name__ == "__main__":
    main()
