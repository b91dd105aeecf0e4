"""Bulk data formats: the one table of what `.input` and `.output` read and write.

Input: an `.input` / `.output` directive. `spec_of` resolves it into the
one `DataSpec` that every reader and writer reads, in memory and on the SQL
backends: the file it names (`file:`, else `<pred>.<format>`), its format
(`format:`, else the file's suffix, else csv), its field delimiter
(`delimiter:`, else a tab for tsv and a comma otherwise) and whether a first
line holds column names (`header: true`: skipped when read, written on
output). `check_formats` is the analysis pass that reports an unknown format
(E702) and an option that cannot be honoured (E707: a delimiter that is not
one character, or is a quote or a line break; a header other than true or
false), for both directions, so `syllog check` refuses them before anything
is read or written. The readers and writers, registered by format, are
engine.evaluation.io's READERS and WRITERS (text formats there, Parquet in
engine.evaluation.parquet through pyarrow).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import PurePath
from typing import TypeVar

from . import nodes as n
from .errors import Diagnostic, Span, error
from .values import String

FORMATS = ("csv", "tsv", "jsonl", "parquet")
T = TypeVar("T")


class LeftToReader(Exception):
    """Raised by a reader of text fields (engine.evaluation.io.FIELD_READERS) for a file it cannot give as the
    text a csv field would be (a Parquet column of floats or nulls): the format's full reader then reads it."""


def in_chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """The items in lists of `size` (the last one shorter), taken as they come."""
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk

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


@dataclass(frozen=True)
class DataSpec:
    """An `.input` or `.output` resolved: what its readers and writers read (see the module's docstring)."""

    kind: str  # "input" or "output"
    pred: str
    file: str  # as named: relative to the folder of its `.dl` file, or a URL
    format: str
    delimiter: str
    header: bool
    span: Span


def spec_of(io: n.IODirective) -> DataSpec:
    """The directive resolved (checked by `check_formats`).

    >>> spec_of(n.IODirective("output", "p", (n.Field("file", String("p.tsv")),))).delimiter
    '\\t'
    """
    fmt = format_of(io)
    delimiter = field_text(io, "delimiter", "\t" if fmt == "tsv" else ",") or ","
    return DataSpec(io.kind, io.pred, file_name(io), fmt, delimiter, field_text(io, "header", "false") == "true",
                    io.span)


def check_formats(directives: list[n.IODirective]) -> list[Diagnostic]:
    """E702 for every `.input` or `.output` whose format is not one of FORMATS; E707 for an option it cannot honour."""
    out = []
    for io in directives:
        if format_of(io) not in FORMATS:
            out.append(error("E702", f"unknown format `{format_of(io)}` for `.{io.kind} {io.pred}`", io.span,
                             help="formats: " + ", ".join(FORMATS)))
        out += _option_errors(io)
    return out


def _option_errors(io: n.IODirective) -> list[Diagnostic]:
    delimiter = field_text(io, "delimiter")
    header = field_text(io, "header")
    out = []
    if delimiter is not None and (len(delimiter) != 1 or delimiter in '"\r\n'):
        out.append(error("E707", f"`.{io.kind} {io.pred}`: the delimiter `{delimiter}` is not one character other "
                         "than a quote or a line break", io.span,
                         help="a csv or tsv field delimiter is one character, such as `,`, `;`, `|` or a tab"))
    if header not in (None, "true", "false"):
        out.append(error("E707", f"`.{io.kind} {io.pred}`: `header` is true or false, not `{header}`", io.span))
    return out
