"""One measured run in a fresh process: `python worker.py '<json request>'`.

The request names the engine, the workload, the size, the data folder and the
file to write the result to. Imports happen before the clock starts (for Syllog,
also the modules it imports on first use that a probe run reported, `preimport`);
loading the data, evaluating and counting are timed; the result names the lazy
modules imported while the clock ran (`imported`). Peak memory is this process's
ru_maxrss, or its child's for engines that run in a child (swipl).
"""

from __future__ import annotations

import json
import resource
import sys
import time
import traceback
from pathlib import Path
from typing import Any


def peak_rss_mb(children: bool) -> float:
    """Peak resident memory of this process (or of its children), in MB.

    For this process, Linux's VmHWM: the high-water mark of this program's
    own address space. ru_maxrss would do on a fresh process, but Linux
    carries it over from before exec, so a worker started by a runner that
    holds a large data set in memory would report the runner's size.
    """
    if not children:
        try:
            with open("/proc/self/status") as fh:
                for line in fh:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024  # KiB on Linux


def measure(request: dict[str, Any]) -> dict[str, Any]:
    import engines
    from workloads import workload

    w = workload(request["workload"], request["size"])
    runner = engines.prepare(request["engine"], request.get("syllog_facts"), request.get("preimport"))
    before = set(sys.modules)
    start = time.perf_counter()
    count, inner = runner(w, Path(request["data"]))
    elapsed = time.perf_counter() - start
    return {
        "status": "ok",
        "count": count,
        "imported": engines.lazy_imports(before),
        "seconds": inner if inner is not None else elapsed,
        "rss_mb": round(peak_rss_mb(children=request["engine"] == "swipl"), 1),
    }


def main() -> None:
    request = json.loads(sys.argv[1])
    try:
        result = measure(request)
    except Exception as exc:  # reported, not raised: the runner shows it in the table
        message = str(exc).strip().splitlines()
        result = {
            "status": "error",
            "message": f"{type(exc).__name__}: {message[0] if message else ''}".strip(),
            "traceback": traceback.format_exc(),
        }
    Path(request["result"]).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
