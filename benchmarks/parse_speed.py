"""Parse speed: lines per second for a 20,000-fact `.dl` file (parse, then parse + check).

    python benchmarks/parse_speed.py [N]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    import engine
    from engine.syntax import parse

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    text = "".join(f"owns(company_{i}, company_{i + 1}, {i % 100}).\n" for i in range(n))
    parse("warm(up).", "warm.dl")  # build (or load) the parser tables once
    best_parse = best_load = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        parse(text, "facts.dl")
        best_parse = min(best_parse, time.perf_counter() - t0)
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "facts.dl"
            path.write_text(text)
            t0 = time.perf_counter()
            engine.load(path)
            best_load = min(best_load, time.perf_counter() - t0)
    print(f"{n:,} facts: parse {best_parse:.2f} s ({n / best_parse:,.0f} lines/s); "
          f"parse + check {best_load:.2f} s ({n / best_load:,.0f} lines/s)")


if __name__ == "__main__":
    main()
