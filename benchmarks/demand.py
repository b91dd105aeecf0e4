"""Questions on demand: `python benchmarks/demand.py [--size smoke|full] [--repeat 3] ...`.

Each question is a goal with constants asked of a workload (workloads.py).
Every run is a whole process, start-up included (with the bytecode cached, as an
installed package runs): `python -m engine query
PROGRAM GOAL --format csv --demand off|auto|on`, and SWI-Prolog with
tabling (`swipl` asking the same goal, facts loaded from the workload's
facts.pl). The engines take turns run by run; the median is reported. The
answers are counted and must agree between the engines (else MISMATCH and
exit 1). `full / auto` is what the `--demand auto` rule saves (below 1: costs),
by wall clock and by CPU time (user + system of the process, less noisy on
a shared machine).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from engines import PROLOG_OFAC, ROOT, syllog_program
from run import fmt_factor, fmt_seconds, log, table
from workloads import Workload, rule_text, workload, write_data

# (workload, goal): the goals of the suite's workloads, then the two of issue 17
QUESTIONS: tuple[tuple[str, str], ...] = (
    ("tc_chain_1000", "path(0, X)"),
    ("tc_chain_1000", "path(X, 999)"),
    ("tc_chain_2000", "path(0, X)"),
    ("tc_random_2000", "path(0, X)"),
    ("sg_tree_8", "sg(300, X)"),
    ("sg_tree_10", "sg(1500, X)"),
    ("ofac_100k", "blocked(123)"),
    ("graded_kb", "exposed(17)"),
    ("article", "sanctions_bypass_risk(north_korea, turkey)"),
    ("ofac_1m", "blocked(123)"),
    ("tc_random_100k", "path(0, X)"),
)
SMOKE_GOALS = {"tc_chain_1000": "path(X, 49)", "sg_tree_8": "sg(20, X)", "sg_tree_10": "sg(40, X)"}
ENGINES = ("full", "auto", "on", "swipl")
MAX_TUPLES = "100000000"  # the closure of tc_random_100k has 21 million pairs: past the default limit


@dataclass
class Cell:
    engine: str
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # user + system seconds of the process (less noisy when shared)
    inner: list[float] = field(default_factory=list)  # SWI-Prolog's own time, facts loaded
    answers: int | None = None
    status: str = "ok"
    message: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.seconds) if self.status == "ok" and self.seconds else None

    @property
    def cpu_median(self) -> float | None:
        return statistics.median(self.cpu) if self.status == "ok" and self.cpu else None


def program_file(w: Workload, data: Path) -> Path:
    """The Syllog program of a workload, as a file `syllog query` reads."""
    if w.family == "graded":
        return data / "kb.dl"
    path = data / "bench.dl"
    path.write_text(syllog_program(w, data, inline=False))
    return path


def syllog_args(w: Workload, data: Path, goal: str, mode: str) -> list[str]:
    paths = [str(ROOT / "rules"), str(ROOT / "facts")] if w.family == "article" else [str(program_file(w, data))]
    # (program_file writes the program each run: the same text, and a file like any the user has)
    return [sys.executable, "-m", "engine", "query", *paths, goal, "--format", "csv", "--demand", mode,
            "--max-tuples", MAX_TUPLES]


def swipl_script(w: Workload, data: Path, goal: str) -> str | None:
    """Tabled rules and the goal, counted; None where SWI-Prolog has no such program (the article:
    evidence). Tabling has no recursion through `sum`: OFAC is the semi-naive loop of engines.py over
    the whole graph, then the goal."""
    if w.family not in ("tc", "sg", "ofac"):
        return None
    lines = [":- set_prolog_flag(table_space, 16_000_000_000)."]
    if w.family == "ofac":
        lines.append(PROLOG_OFAC)
        asked = f"(ofac(_), aggregate_all(count, {goal}, N))"
    else:
        pred, arity = w.output
        lines.append(f":- table {pred}/{arity}.")
        lines += [rule_text(r) for r in w.rules]
        asked = f"aggregate_all(count, {goal}, N)"
    facts = str(data / "facts.pl").replace("'", "\\'")
    lines.append(f"""
main :-
    get_time(T0),
    load_files('{facts}', [silent(true)]),
    {asked},
    get_time(T1),
    T is T1 - T0,
    format("~d ~6f~n", [N, T]).
:- initialization(main, main).
""")
    return "\n".join(lines)


def process_env() -> dict[str, str]:
    """The environment of a measured process: as an installed package runs, with its bytecode cached.

    A sandbox may set PYTHONDONTWRITEBYTECODE, which would make every run
    compile the package's sources again (about 0.13 s here); an installed
    package has its `.pyc` files written at install time.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPATH": str(ROOT), "LANG": "C.UTF-8"}


def compile_package() -> None:
    """Write the package's bytecode once, before any run is timed."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "engine")], check=True, env=process_env())


def run_one(cmd: list[str], timeout: float) -> tuple[str, float, float, str]:
    """Status, wall-clock seconds, CPU seconds (user + system) and standard output of one process."""
    env = process_env()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return "timeout", timeout, timeout, ""
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0,):
        return "error", elapsed, cpu, (proc.stderr or proc.stdout).strip()[:300]
    return "ok", elapsed, cpu, proc.stdout


def measure(w: Workload, goal: str, data: Path, engines: list[str], args: argparse.Namespace) -> dict[str, Cell]:
    cells = {e: Cell(e) for e in engines}
    script = swipl_script(w, data, goal) if "swipl" in engines else None
    if "swipl" in cells and (script is None or shutil.which("swipl") is None):
        cells["swipl"].status = "n/a"
        cells["swipl"].message = "not installed" if script is not None else "no tabled program for this workload"
    for i in range(args.repeat):
        for engine, cell in cells.items():
            if cell.status != "ok":
                continue
            if engine == "swipl":
                assert script is not None
                path = data / "question.pl"
                path.write_text(script)
                status, secs, cpu, out = run_one(["swipl", "--stack-limit=16g", "-q", str(path)], args.timeout)
                m = re.search(r"^(\d+) ([0-9.]+)$", out, re.MULTILINE) if status == "ok" else None
                count = int(m.group(1)) if m else None
                if m:
                    cell.inner.append(float(m.group(2)))
            else:
                status, secs, cpu, out = run_one(syllog_args(w, data, goal, "off" if engine == "full" else engine),
                                                 args.timeout)
                lines = out.splitlines()
                count = (len(lines) - 1 if lines and lines[0] else 0) if status == "ok" else None
                if status == "ok" and lines == ["answer", "true"]:
                    count = 1
                elif status == "ok" and lines == ["answer", "false"]:
                    count = 0
            if status != "ok" or count is None:
                cell.status, cell.message = status if status != "ok" else "error", out
                log(f"  {engine:<6} run {i + 1}: {cell.status} {cell.message[:200]}")
                continue
            cell.seconds.append(secs)
            cell.cpu.append(cpu)
            cell.answers = count
            log(f"  {engine:<6} run {i + 1}/{args.repeat}: {secs:.3f} s ({cpu:.3f} s CPU), {count:,} answers")
    return cells


def report(rows: list[tuple[str, str, str, dict[str, Cell]]], engines: list[str], args: argparse.Namespace) -> str:
    out = [f"## Questions, size={args.size}, median of {args.repeat} whole-process run(s), seconds", ""]
    body = []
    for name, data, goal, cells in rows:
        counts = {c.answers for c in cells.values() if c.status == "ok"}
        answers = "MISMATCH" if len(counts) > 1 else f"{counts.pop():,}" if counts else "-"
        times = [fmt_seconds(c.median) if c.median is not None else c.status for c in cells.values()]
        full, auto = cells.get("full"), cells.get("auto")
        ratio = fmt_factor(full.median / auto.median) if full and auto and full.median and auto.median else "-"
        cpu = fmt_factor(full.cpu_median / auto.cpu_median) if full and auto and full.cpu_median \
            and auto.cpu_median else "-"
        swi = cells.get("swipl")
        inner = fmt_seconds(statistics.median(swi.inner)) if swi and swi.inner else "-"
        body.append([name, data, f"`{goal}`", answers, *times, inner, ratio, cpu])
    out.append(table(["workload", "data", "goal", "answers", *engines, "swipl (inside)", "full / auto",
                      "full / auto (CPU)"], body, left=3))
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", choices=("smoke", "full"), default="full")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--timeout", type=float, default=300)
    p.add_argument("--workloads", help="comma-separated workload names (default: every question)")
    p.add_argument("--engines", default=",".join(ENGINES), help=f"comma-separated, of {','.join(ENGINES)}")
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    engines = [e for e in args.engines.split(",") if e]
    wanted = set(args.workloads.split(",")) if args.workloads else None
    root = Path(tempfile.mkdtemp(prefix="syllog-demand-"))
    rows = []
    compile_package()
    try:
        written: set[str] = set()
        for name, goal in QUESTIONS:
            if wanted is not None and name not in wanted:
                continue
            w = workload(name, args.size)
            if args.size == "smoke":
                goal = SMOKE_GOALS.get(name, goal) if goal != "path(0, X)" else goal
            if name not in written:
                write_data(w, root / name)
                written.add(name)
            log(f"{name}: {w.describe()}, ?- {goal}.")
            rows.append((name, w.describe(), goal, measure(w, goal, root / name, engines, args)))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(report(rows, engines, args))
    if args.json:
        args.json.write_text(json.dumps([{"workload": n, "goal": g, "cells": {e: c.__dict__ for e, c in cells.items()}}
                                         for n, _d, g, cells in rows], indent=2) + "\n")
    mismatch = any(len({c.answers for c in cells.values() if c.status == "ok"}) > 1 for *_x, cells in rows)
    return 1 if mismatch else 0


if __name__ == "__main__":
    sys.exit(main())
