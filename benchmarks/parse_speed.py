"""Parse speed: facts a second for a `.dl` file of N facts (default 20,000), best of 3.

    python benchmarks/parse_speed.py [N] [--lark] [--cited]

Prints the time to parse, to parse and check (`engine.load`), and to load
them into relations (`evaluate`, without and with provenance; there are no
rules); with `--lark`, lark alone (the
reader before the fast path); with clingo installed, clingo reading the same
facts (`Control.add`, then grounding). `--cited` puts every fifth thousand
facts in a cite block, as the facts_1m benchmark does.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def best(f: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def facts_text(n: int, cited: bool) -> str:
    lines = [f"owns(company_{i}, company_{i + 1}, {i % 100}).\n" for i in range(n)]
    if not cited:
        return "".join(lines)
    out = ['.source r { title: "T", publisher: "P", date: "d", document: "r.txt", reliability: b }\n']
    for k, start in enumerate(range(0, n, 1000), 1):
        block = lines[start : start + 1000]
        out += (["@cite(r, line: 1, credibility: 2) {\n", *block, "}\n"] if k % 5 == 0 else block)
    return "".join(out)


def main() -> None:
    import engine
    from engine.syntax import parse
    from engine.syntax.parser import parse_by_grammar

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("n", nargs="?", type=int, default=20_000)
    p.add_argument("--lark", action="store_true", help="also time lark alone")
    p.add_argument("--cited", action="store_true", help="a fifth of the facts in cite blocks")
    args = p.parse_args()
    n = args.n
    text = facts_text(n, args.cited)
    parse("warm(up).", "warm.dl")  # build (or load) the parser tables once

    def line(what: str, seconds: float) -> None:
        print(f"{what:<42} {seconds:7.3f} s  {n / seconds:>12,.0f} facts/s")

    print(f"{n:,} facts, {len(text) / 1e6:.1f} MB{', a fifth cited' if args.cited else ''}; best of 3")
    line("syllog: parse", best(lambda: parse(text, "facts.dl")))
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "facts.dl"
        path.write_text(text)
        (Path(d) / "r.txt").write_text("A sentence.\n")
        line("syllog: parse + check", best(lambda: engine.load(path)))
        line("syllog: + into relations, --no-provenance", best(lambda: engine.load(path).evaluate(provenance=False)))
        line("syllog: + into relations, as syllog run", best(lambda: engine.load(path).evaluate()))
    if args.lark:
        line("lark alone: parse", best(lambda: parse_by_grammar(text, "facts.dl"), 1))
    try:
        import clingo
    except ImportError:
        print("clingo: not installed (pip install clingo)")
        return
    plain = "".join(x for x in text.splitlines(keepends=True) if not x.startswith(("@", "}", ".")))

    def clingo_read(ground: bool) -> None:
        ctl = clingo.Control(["--warn=none"])
        ctl.add("base", [], plain)
        if ground:
            ctl.ground([("base", [])])

    line("clingo: add (parse)", best(lambda: clingo_read(False)))
    line("clingo: add + ground", best(lambda: clingo_read(True)))


if __name__ == "__main__":
    main()
