"""Memory of the running process, for the evaluation's memory limit (`Limits.max_memory`).

`resident_bytes()` is the process's resident set now (Linux: /proc/self/statm;
elsewhere the peak, from `resource`); `physical_bytes()` the machine's memory;
`default_max_memory()` the limit used when none is given: half the machine's
memory, so a runaway program stops with E601 naming its rule long before the
machine starts to swap or the kernel kills it. `parse_size` reads `2GB`,
`500MB`, `1.5GiB` or a number of bytes, as `--max-memory` takes them.
"""

from __future__ import annotations

import os
import re
import sys

_UNITS = {"": 1, "B": 1, "K": 1000, "KB": 1000, "M": 1000**2, "MB": 1000**2, "G": 1000**3, "GB": 1000**3,
          "T": 1000**4, "TB": 1000**4, "KIB": 1024, "MIB": 1024**2, "GIB": 1024**3, "TIB": 1024**4}
_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*$")


def parse_size(text: str) -> int | None:
    """Bytes in `2GB`, `500MB`, `1.5GiB` or `1000000`; None when it is not a size.

    >>> parse_size("2GB"), parse_size("1.5 GiB"), parse_size("12"), parse_size("lots")
    (2000000000, 1610612736, 12, None)
    """
    m = _SIZE.match(text)
    if m is None or m.group(2).upper() not in _UNITS:
        return None
    return int(float(m.group(1)) * _UNITS[m.group(2).upper()])


def show_size(n: int) -> str:
    """>>> show_size(12_000_000_000), show_size(500_000_000)
    ('12.0 GB', '500 MB')
    """
    if n >= 1000**3:
        return f"{n / 1000**3:.1f} GB"
    return f"{n / 1000**2:.0f} MB"


def resident_bytes() -> int | None:
    """The process's resident memory now (its peak where only that is known); None if unknown."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB elsewhere


def physical_bytes() -> int | None:
    """The machine's physical memory; None if unknown."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return None


def default_max_memory() -> int | None:
    """Half the machine's memory (None where that is unknown: no limit)."""
    total = physical_bytes()
    return total // 2 if total else None
