"""Bulk data formats: the one table of what `.input` and `.output` read and write.

Input: an `.input` / `.output` directive. `file_name` is the file it names
(`file:`, else `<pred>.<format>`); `format_of` its format (`format:`, else
the file's suffix, else csv); `check_formats` is the analysis pass that
reports an unknown format (E702) for both directions, so `syllog check`
refuses `format: xlsx` before anything is read or written. The readers and
writers are engine.evaluation.io (text formats) and
engine.evaluation.parquet (Parquet, through pyarrow).
"""

from __future__ import annotations

import re
from pathlib import PurePath

from . import nodes as n
from .errors import Diagnostic, error
from .values import String

FORMATS = ("csv", "tsv", "jsonl", "parquet")
SUFFIXES = {".tsv": "tsv", ".jsonl": "jsonl", ".parquet": "parquet"}


def field_text(io: n.IODirective, key: str, default: str | None = None) -> str | None:
    """A field of the directive as text (a string's text, else the value as written); `default` when absent."""
    f = io.get(key)
    if f is None:
        return default
    v = f.value
    return v.text if isinstance(v, String) else str(v)


def file_name(io: n.IODirective) -> str:
    """The file a directive names, relative to its `.dl` file: `file:`, else `<pred>.<format>`."""
    return field_text(io, "file") or f"{io.pred}.{field_text(io, 'format', 'csv')}"


def is_url(name: str) -> bool:
    """A file named by a URL (`hdfs://nn/e.csv`, `s3a://bucket/e.csv`), which only a backend such as Spark reads.

    >>> is_url("s3a://bucket/e.csv"), is_url("data/e.csv"), is_url("C:/data/e.csv")
    (True, False, False)
    """
    return re.match(r"^[A-Za-z][A-Za-z0-9+.-]+://", name) is not None


def format_of(io: n.IODirective) -> str:
    """`format:`, else by the file's suffix (`.tsv`, `.jsonl`, `.parquet`), else `csv`.

    >>> format_of(n.IODirective("output", "p", (n.Field("file", String("p.parquet")),)))
    'parquet'
    """
    given = field_text(io, "format")
    if given is not None:
        return given
    return SUFFIXES.get(PurePath(file_name(io)).suffix, "csv")


def check_formats(directives: list[n.IODirective]) -> list[Diagnostic]:
    """E702 for every `.input` or `.output` whose format is not one of FORMATS."""
    return [error("E702", f"unknown format `{format_of(io)}` for `.{io.kind} {io.pred}`", io.span,
                  help="formats: " + ", ".join(FORMATS))
            for io in directives if format_of(io) not in FORMATS]
