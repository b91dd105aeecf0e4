"""Run the Syllog benchmark suite: `python benchmarks/run.py [--size smoke|full] ...`.

Every (workload, engine, repeat) runs in a fresh worker process (worker.py), so
that its peak RSS is that run's alone; the engines take turns run by run. Prints markdown tables of median time,
peak memory, tuple counts and Syllog's ratio against each other engine; flags
engines whose tuple counts disagree (and then exits 1).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from engines import ENGINES, ROOT, installed, not_applicable
from workloads import SUITE, WORKLOADS, Workload, workload, write_data

BENCH = Path(__file__).resolve().parent
WORKER = BENCH / "worker.py"


@dataclass
class Cell:
    """The runs of one engine on one workload."""

    workload: str
    engine: str
    status: str = "ok"  # ok | timeout | error | n/a
    seconds: list[float] = field(default_factory=list)
    rss_mb: float | None = None
    count: int | None = None
    message: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.seconds) if self.status == "ok" and self.seconds else None


def run_once(request: dict[str, Any], timeout: float) -> dict[str, Any]:
    """One worker process; killed (with its children) after `timeout` seconds."""
    with tempfile.TemporaryDirectory(prefix="syllog-run-") as tmp:
        result_file = Path(tmp) / "result.json"
        request = {**request, "result": str(result_file)}
        proc = subprocess.Popen([sys.executable, str(WORKER), json.dumps(request)], cwd=BENCH,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return {"status": "timeout"}
        if not result_file.exists():
            tail = err.strip().splitlines()[-1:] or [""]
            return {"status": "error", "message": f"worker died (exit {proc.returncode}) {tail[0]}".strip()}
        result: dict[str, Any] = json.loads(result_file.read_text())
        return result


def measure(w: Workload, engines: list[str], data: Path, args: argparse.Namespace) -> dict[str, Cell]:
    """Every engine on one workload, `args.repeat` times, the engines taking turns.

    Round-robin rather than one engine's runs back to back: on a machine whose
    speed drifts (a shared VM), each engine gets its share of slow and fast
    moments, so the medians compare fairly.
    """
    cells = {e: Cell(w.name, e) for e in engines}
    for engine, cell in cells.items():
        reason = not_applicable(engine, w)
        if reason is None and not installed(engine):
            reason = "not installed"
        if reason is None and w.family == "article" and not article_files():
            reason = "no .dl files under rules/ or facts/"
        if reason is not None:
            cell.status, cell.message = "n/a", reason
    requests = {e: {"engine": e, "workload": w.name, "size": args.size, "data": str(data),
                    "syllog_facts": args.syllog_facts} for e in engines}
    for engine, cell in cells.items():
        if cell.status == "ok" and engine.startswith("syllog"):
            requests[engine]["preimport"] = probe_imports(requests[engine], args.timeout)
    for i in range(args.repeat):
        for engine, cell in cells.items():
            if cell.status == "ok":
                run_into(cell, i, requests[engine], args)
    return cells


def probe_imports(request: dict[str, Any], timeout: float) -> list[str]:
    """The modules Syllog imports on first use in this run (numpy, pyarrow), from one untimed
    run: the timed runs import them before the clock, as every engine's modules are."""
    result = run_once(request, timeout)
    imported: list[str] = result.get("imported", [])
    if imported:
        log(f"  {request['engine']:<12} probe: imports {', '.join(imported)} before the clock")
    return imported


def run_into(cell: Cell, i: int, request: dict[str, Any], args: argparse.Namespace) -> None:
    """One run of the cell's engine, added to the cell (which is marked failed if it fails)."""
    engine = cell.engine
    result = run_once(request, args.timeout)
    if result["status"] != "ok":
        cell.status, cell.message = result["status"], result.get("message", "")
        cell.seconds.clear()
        log(f"  {engine:<12} run {i + 1}/{args.repeat}: {cell.status} {cell.message}")
        if result.get("traceback") and args.verbose:
            log(result["traceback"])
        return
    if cell.count is not None and cell.count != result["count"]:
        cell.status = "error"
        cell.message = f"tuple count changed between runs: {cell.count} then {result['count']}"
        return
    cell.count = result["count"]
    cell.seconds.append(result["seconds"])
    cell.rss_mb = max(cell.rss_mb or 0.0, result["rss_mb"])
    log(f"  {engine:<12} run {i + 1}/{args.repeat}: {result['seconds']:.3f} s, "
        f"{result['rss_mb']:.0f} MB, {result['count']:,} tuples")


def article_files() -> list[Path]:
    return sorted(p for d in ("rules", "facts") for p in (ROOT / d).rglob("*.dl"))


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- checking and reporting ---------------------------------------------------

def mismatch(w: Workload, cells: list[Cell]) -> str | None:
    """A description of the disagreement among the engines' counts, if any."""
    counts = {c.engine: c.count for c in cells if c.status == "ok" and c.count is not None}
    expected = w.expected
    values = set(counts.values())
    if len(values) > 1 or (expected is not None and values and values != {expected}):
        found = ", ".join(f"{e}={n:,}" for e, n in counts.items())
        return f"{w.name}: {found}" + (f" (expected {expected:,})" if expected is not None else "")
    return None


def fmt_seconds(s: float) -> str:
    return f"{s:.0f}" if s >= 100 else f"{s:.1f}" if s >= 10 else f"{s:.2f}" if s >= 0.1 else f"{s:.3f}"


def fmt_time(c: Cell, timeout: float) -> str:
    if c.status == "ok" and c.median is not None:
        return fmt_seconds(c.median)
    return {"timeout": f"> {timeout:g}", "error": "error"}.get(c.status, "n/a")


def fmt_factor(x: float) -> str:
    return f"{x:.0f}x" if x >= 10 else f"{x:.1f}x" if x >= 1 else f"{x:.2f}x"


def fmt_ratio(other: Cell, syllog: Cell | None, timeout: float) -> str:
    if syllog is None or syllog.median is None or syllog.median <= 0:
        return "-"
    if other.median is not None:
        return fmt_factor(other.median / syllog.median)
    if other.status == "timeout":
        return "> " + fmt_factor(timeout / syllog.median)
    return "-"


def table(header: list[str], rows: list[list[str]], left: int = 1) -> str:
    """A markdown table; the first `left` columns are text, the others numbers."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    def line(r: list[str]) -> str:
        return "| " + " | ".join(v.ljust(w) if i < left else v.rjust(w) for i, (v, w) in enumerate(zip(r, widths, strict=True))) + " |"
    sep = "|" + "|".join("-" * (w + 1) + (":" if i >= left else "-") for i, w in enumerate(widths)) + "|"
    return "\n".join([line(header), sep, *(line(r) for r in rows)])


def report(results: dict[str, dict[str, Cell]], wls: list[Workload], engines: list[str],
           problems: dict[str, str], args: argparse.Namespace) -> str:
    out = [f"## Syllog benchmarks, size={args.size}, median of {args.repeat} run(s), timeout {args.timeout:g} s",
           "", "Wall-clock seconds, data loading included, interpreter start-up and imports excluded "
           "(for Syllog, numpy and pyarrow too when a probe run shows it imports them).", ""]
    rows = []
    for w in wls:
        cells = results[w.name]
        ok = [c.count for c in cells.values() if c.status == "ok" and c.count is not None]
        tuples = "MISMATCH" if w.name in problems else f"{ok[0]:,}" if ok else "-"
        rows.append([w.name, w.describe(), tuples, *(fmt_time(cells[e], args.timeout) for e in engines)])
    out += [table(["workload", "data", "tuples", *engines], rows, left=2), ""]

    out += ["Peak memory (MB, max RSS of the run's process):", ""]
    rows = [[w.name, *(f"{c.rss_mb:.0f}" if (c := results[w.name][e]).status == "ok" and c.rss_mb else "-"
                       for e in engines)] for w in wls]
    out += [table(["workload", *engines], rows), ""]

    others = [e for e in engines if not e.startswith("syllog")]
    if "syllog" in engines and others:
        out += ["Time of each engine over Syllog's (higher: Syllog is faster):", ""]
        rows = [[w.name, *(fmt_ratio(results[w.name][e], results[w.name]["syllog"], args.timeout)
                           for e in ["syllog-noprov", *others] if e in engines)] for w in wls]
        heads = [f"{e}/syllog" for e in ["syllog-noprov", *others] if e in engines]
        out += [table(["workload", *heads], rows), ""]

    notes: dict[tuple[str, str, str], list[str]] = {}
    for w in wls:
        for e in engines:
            c = results[w.name][e]
            if c.status in ("error", "n/a") and c.message:
                notes.setdefault((e, c.status, c.message), []).append(w.name)
    if notes:
        out += ["Notes:", ""]
        out += [f"- {e}, {status} on {', '.join(names)}: {msg}" for (e, status, msg), names in notes.items()]
        out.append("")
    if problems:
        out += ["!!! TUPLE COUNTS DISAGREE !!!", *(f"!!! {p}" for p in problems.values()), ""]
    return "\n".join(out)


def versions(engines: list[str]) -> dict[str, str]:
    found = {"python": platform.python_version()}
    for engine, dist in (("pydatalog", "pyDatalog"), ("clingo", "clingo"), ("duckdb", "duckdb")):
        if engine in engines:
            try:
                found[engine] = importlib.metadata.version(dist)
            except importlib.metadata.PackageNotFoundError:
                pass
    if "swipl" in engines and shutil.which("swipl"):
        proc = subprocess.run(["swipl", "--version"], capture_output=True, text=True)
        found["swipl"] = proc.stdout.strip()
    return found


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", choices=("smoke", "full"), default="full")
    p.add_argument("--engines", help=f"comma-separated, of {','.join(ENGINES)} (default: all installed)")
    p.add_argument("--workloads", help=f"comma-separated, of {','.join(WORKLOADS)} "
                                       f"(default: all but {', '.join(w for w in WORKLOADS if w not in SUITE)})")
    p.add_argument("--repeat", type=int, default=3, help="runs per cell; the median is reported")
    p.add_argument("--timeout", type=float, default=150, help="seconds per run")
    p.add_argument("--json", type=Path, help="also write the results here")
    p.add_argument("--syllog-facts", choices=("input", "inline"),
                   help="give Syllog its data by .input of CSV files, or as facts in the program text "
                        "(default: .input for the graph workloads, facts.dl for the inline ones)")
    p.add_argument("--keep-data", action="store_true", help="keep the generated data folder")
    p.add_argument("-v", "--verbose", action="store_true", help="print the tracebacks of errors")
    args = p.parse_args(argv)
    args.engine_list = pick(p, args.engines, ENGINES) if args.engines else [e for e in ENGINES if installed(e)]
    args.workload_list = pick(p, args.workloads, WORKLOADS) if args.workloads else list(SUITE)
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    return args


def pick(p: argparse.ArgumentParser, text: str, known: tuple[str, ...]) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown:
        p.error(f"unknown: {', '.join(unknown)} (known: {', '.join(known)})")
    return names


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    engines, wls = args.engine_list, [workload(n, args.size) for n in args.workload_list]
    data_root = Path(tempfile.mkdtemp(prefix="syllog-bench-"))
    results: dict[str, dict[str, Cell]] = {}
    problems: dict[str, str] = {}
    started = time.time()
    try:
        for w in wls:
            t0 = time.perf_counter()
            write_data(w, data_root / w.name)
            log(f"{w.name}: {w.describe()} (data written in {time.perf_counter() - t0:.1f} s)")
            results[w.name] = measure(w, engines, data_root / w.name, args)
            problem = mismatch(w, list(results[w.name].values()))
            if problem:
                problems[w.name] = problem
                log(f"!!! TUPLE COUNT MISMATCH: {problem}")
    finally:
        if args.keep_data:
            log(f"data kept in {data_root}")
        else:
            shutil.rmtree(data_root, ignore_errors=True)
    print(report(results, wls, engines, problems, args))
    if args.json:
        args.json.write_text(json.dumps({
            "size": args.size, "repeat": args.repeat, "timeout": args.timeout, "engines": engines,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
            "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
            "versions": versions(engines),
            "workloads": {w.name: {"data": w.describe(), "params": w.params, "expected": w.expected} for w in wls},
            "results": [{**asdict(c), "median": c.median} for w in wls for c in results[w.name].values()],
            "mismatches": list(problems.values()),
        }, indent=2) + "\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
