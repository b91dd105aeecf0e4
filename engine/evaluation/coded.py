"""Bulk data, the fast way in: a large csv/tsv file as dictionary-encoded columns, parsed in C by pyarrow.

Input: the bytes of a data file, its delimiter and the declared column types;
imported (with pyarrow) only for a large file (engine.evaluation.io decides).
Output: per column, an int64 code for each line and the distinct values those
codes stand for, each read by the column type's own reader
(engine.column_types) from the distinct field texts, so every value is what
the csv-module reader makes of its field: ints, decimals, symbols and strings
stay apart. Rows may repeat (io deduplicates them).

Only a plain file is read here: no quote character (the csv module's strict
quoting decides quoted fields), line ends `\\n` or `\\r\\n`, no NUL, fields
within the csv module's field limit. A file that is not plain, a line of
another number of fields, bad UTF-8, a field its type does not read, or two
texts of a column that read as equal values (`1.0` and `1.00` in a `number`
column) give None: the csv-module reader then reads the file and reports any
bad line at its place, as it always has.
"""

from __future__ import annotations

import csv
from decimal import InvalidOperation
from typing import Any

from .. import files
from ..column_types import column_type

BOM = b"\xef\xbb\xbf"


def plain(data: bytes) -> bool:
    """Is this file's text split by its delimiters and line ends alone (what `coded_columns` reads)?"""
    return b'"' not in data and b"\0" not in data and data.count(b"\r") == data.count(b"\r\n")


def coded_columns(data: bytes, delim: str, types: list[str], header: bool) -> tuple[list[Any], list[Any]] | None:
    """(codes per column: int64 numpy arrays, one code per line; values per column: numpy object arrays
    by code) of a plain file, or None for the csv-module reader to read it (see the module's docstring)."""
    if not plain(data) or not types or len(delim) != 1 or not delim.isascii():  # (pyarrow's: one byte)
        return None
    if data.startswith(BOM):
        data = data[len(BOM):]  # as the text reader's utf-8-sig does
    if header:
        data = data.partition(b"\n")[2]  # without quotes, the first record is the first line
    table = _parse(data, delim, len(types))
    if table is None:
        return None
    pool = _pool()
    cols = [c.combine_chunks(memory_pool=pool) if c.num_chunks != 1 else c.chunk(0) for c in table.columns]
    widths = [_widest(c) for c in cols]
    if max(widths) > csv.field_size_limit() or sum(widths) + len(widths) > files.MAX_LINE_CHARS:
        return None  # a line or field the csv-module reader refuses: it says where
    codes, values = [], []
    for col, t in zip(cols, types):
        got = _column(col, t)
        if got is None:
            return None
        codes.append(got[0])
        values.append(got[1])
    return codes, values


def _widest(col: Any) -> int:
    """The most characters of a field of a text column."""
    import pyarrow.compute as pc

    pool = _pool()
    return int(pc.max(pc.utf8_length(col, memory_pool=pool), memory_pool=pool).as_py()) if len(col) else 0


def _parse(data: bytes, delim: str, arity: int) -> Any:
    """The file as a pyarrow table of text columns; None when pyarrow is missing or the file does not parse
    (a line of another number of fields, bad UTF-8)."""
    try:
        import pyarrow as pa
        import pyarrow.csv as pcsv
    except ImportError:  # pragma: no cover - a dependency; without it the csv module reads every file
        return None
    names = [f"c{k}" for k in range(arity)]
    try:
        return pcsv.read_csv(
            pa.py_buffer(data), memory_pool=_pool(),
            read_options=pcsv.ReadOptions(column_names=names),
            parse_options=pcsv.ParseOptions(delimiter=delim, quote_char=False, double_quote=False,
                                            escape_char=False, newlines_in_values=False, ignore_empty_lines=True),
            convert_options=pcsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                                strings_can_be_null=False, check_utf8=True))
    except (pa.ArrowInvalid, pa.ArrowException):
        return None


def _pool() -> Any:
    """The C library's allocator for pyarrow's buffers: pyarrow's own (mimalloc) keeps what it freed,
    which raised the peak memory of reading the knowledge graph's two files by some 35 MB more."""
    import pyarrow as pa

    return pa.system_memory_pool()


def _column(col: Any, typ: str) -> tuple[Any, Any] | None:
    """One text column as (codes, values): the distinct texts read by the type's reader; None when one
    does not read, or reads as a value another text of the column does."""
    import numpy as np
    import pyarrow.compute as pc

    kind = column_type(typ).name
    if kind == "int":
        got = _canonical_ints(col)
        if got is not None:
            return got
    enc = pc.dictionary_encode(col, memory_pool=_pool())
    texts = enc.dictionary.to_pylist()  # distinct
    try:
        vals = texts if kind == "symbol" else list(map(column_type(typ).read, texts))
    except (ValueError, InvalidOperation, ArithmeticError):
        return None
    if kind not in ("symbol", "string") and len(set(vals)) != len(vals):
        return None  # two texts, one value: which stays is the csv reader's to say
    values = np.empty(len(vals), dtype=object)
    values[:] = vals
    return _int64(enc.indices), values


def _canonical_ints(col: Any) -> tuple[Any, Any] | None:
    """A text column of integers each written as `str` writes an int (no sign but a minus, no leading
    zero, no space) as (codes, values), read in C: pyarrow's cast reads each text, and the cast back
    writes each as it was, so `int` reads it as the same integer, and two texts are two integers. None
    for any other column (each distinct text is then read by `int`, as for any type)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from .kernels import unique_inverse

    pool = _pool()
    try:
        ints = pc.cast(col, pa.int64(), memory_pool=pool)
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    if len(col) and not pc.all(pc.equal(pc.cast(ints, pa.string(), memory_pool=pool), col, memory_pool=pool),
                               memory_pool=pool).as_py():
        return None
    distinct, codes = unique_inverse(_int64(ints))
    return codes, distinct.astype(object)


def _int64(ints: Any) -> Any:
    """A pyarrow integer array without nulls as an int64 numpy array (read from its buffer: pyarrow's own
    to_numpy imports pandas, some 0.3 s)."""
    import numpy as np

    width = ints.type.bit_width // 8
    kind = np.dtype(f"<i{width}")
    return np.frombuffer(ints.buffers()[1], dtype=kind, count=len(ints), offset=ints.offset * width).astype(np.int64)
