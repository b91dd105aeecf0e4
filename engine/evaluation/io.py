"""Bulk data: `.input` files read into relations without the grammar, `.output` written after.

Formats: csv, tsv (no quoting beyond the csv module's), and jsonl (one JSON
array per line). Columns are converted by the predicate's declared types; a
value that does not convert is a positioned error in the data file (E704, at
the line a record starts on and the column of its bad field, quoting the
line). Files go through `engine.files`: only regular files are read, in
blocks of lines (E703 for anything else, at the `.input`), and each output is
replaced whole (E705 at the `.output` when it cannot be). Large csv/tsv
files (`_columnar_files`) are read as columns: integers by numpy
(`_int_columns`), anything else dictionary-encoded by pyarrow
(engine.evaluation.coded); a file that cannot be read exactly as the csv
module would goes the careful way above, which reports its errors.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import InvalidOperation
from itertools import islice
from operator import methodcaller
from pathlib import Path
from typing import Any, TextIO

from .. import files
from .. import nodes as n
from ..analysis import Program
from ..column_types import reader
from ..errors import Diagnostic, SourceMap, Span, SyllogError, error, visible
from ..formats import DataSpec, file_name, spec_of
from ..loader import display_path
from ..values import String, Value, show, to_json
from .options import DEFAULT_OPTIONS, EvaluationOptions
from .relation import CodedColumns, Columns, Relation, Row

# Integer files are read as numpy columns when the options say so
# (engine.evaluation.options); larger files than this are read streaming.
COLUMNAR_MAX_BYTES = 1 << 30

def data_path(program: Program, io: n.IODirective) -> Path:
    """The file of an `.input` or `.output`, relative to the folder of the `.dl` file that names it."""
    base = program.base_dirs.get(io.span.file, Path.cwd())
    return base / file_name(io)


def load_inputs(program: Program, rels: dict[str, Relation], loaded: set[str] | None = None,
                options: EvaluationOptions = DEFAULT_OPTIONS) -> None:
    """Read every `.input` file into its relation (but those of the `loaded` predicates, read already);
    every unreadable file or bad line is a diagnostic."""
    diags: list[Diagnostic] = []
    sources = SourceMap()
    sources.update(program.text)
    columnar = _columnar_files(program, options)  # None, "int" or "coded" for each
    for io in program.io:
        if io.kind != "input" or (loaded and io.pred in loaded):
            continue
        path = data_path(program, io)
        spec = spec_of(io)  # its format one of FORMATS: analysis reported any other (E702)
        params = program.decls[io.pred].params
        rel = rels[io.pred]
        try:
            if not len(rel) and not rel.indexes and not rel.groups and columnar[io]:
                if columnar[io] == "int":
                    cols = _columns(path, spec, len(params))
                    if cols is not None:
                        rel.set_columns(cols)  # the usual case: the file is all there is
                        continue
                else:
                    coded = _coded(path, spec, params)
                    if coded is not None:
                        rel.set_coded(coded)
                        continue
            rows = READERS[spec.format](path, spec, params)
        except SyllogError as exc:
            diags.extend(exc.diagnostics)
            if exc.sources is not None:
                sources.update(exc.sources)
            continue
        except files.FileTrouble as exc:
            diags.append(_unreadable(exc, path, io))
            continue
        if not len(rel) and not rel.indexes and not rel.groups:
            rel.tuples = rows
        else:
            rel.add_new(rows - rel.tuples)
    if diags:
        raise SyllogError(diags, sources)


def input_rows(program: Program, io: n.IODirective) -> Iterator[Row]:
    """One `.input`'s rows in file order, duplicates kept, a file read a line (Parquet: a row group) at a time,
    converted and checked as load_inputs reads them (the careful reader: csv through the csv module); every
    problem a SyllogError, with its sources, as load_inputs reports it. For a database to load a file its own
    reader would read otherwise, never holding the relation whole (engine.backends.sql)."""
    path = data_path(program, io)
    spec = spec_of(io)
    params = program.decls[io.pred].params
    try:
        yield from _text_rows(path, spec, params) if spec.format != "parquet" else _parquet_rows(path, spec, params)
    except files.FileTrouble as exc:
        sources = SourceMap()
        sources.update(program.text)
        raise SyllogError([_unreadable(exc, path, io)], sources) from None


@contextmanager
def _text_file(path: Path) -> Iterator[TextIO]:
    """A data file open as UTF-8 text; a byte that is not UTF-8, or a read that fails half-way (a file on a
    disk that went away), raised as the FileTrouble that says where."""
    try:
        with files.open_text(path) as fh:
            yield fh
    except UnicodeDecodeError:
        raise files.first_bad_utf8(path) or files.FileTrouble(path, "this file is not UTF-8 text") from None
    except OSError as exc:
        raise files.trouble(path, exc) from None


def _numbered_lines(fh: TextIO, path: Path) -> Iterator[tuple[int, str]]:
    """The file's lines with their numbers (from 1); a line too long raised at its number."""
    lineno = 0
    try:
        for lineno, line in enumerate(files.bounded_lines(fh, path), 1):
            yield lineno, line
    except files.LineTooLong:
        raise files.LineTooLong(path, lineno + 1) from None


def _text_rows(path: Path, spec: DataSpec, params: tuple[n.Param, ...]) -> Iterator[Row]:
    types = [p.type for p in params]
    convs = [reader(t) for t in types]
    with _text_file(path) as fh:
        if spec.format == "jsonl":
            yield from _jsonl_rows(fh, path, convs, types)
        else:
            yield from _csv_rows(fh, path, convs, types, spec.delimiter, spec.header)


def _parquet_rows(path: Path, spec: DataSpec, params: tuple[n.Param, ...]) -> Iterator[Row]:
    from .parquet import parquet_rows

    return parquet_rows(path, spec, params, [reader(p.type) for p in params])


def _unreadable(exc: files.FileTrouble, path: Path, io: n.IODirective) -> Diagnostic:
    """E703 at the `.input` for a file that cannot be read; E704 in the file for a byte or line that is wrong."""
    name = display_path(path)
    if isinstance(exc, files.NotUtf8):
        return error("E704", exc.reason, Span(name, exc.line, exc.col, exc.line, exc.col + 1))
    if isinstance(exc, files.LineTooLong):
        return error("E704", exc.reason, Span(name, exc.line, 1, exc.line, 2),
                     help="a line break is missing, or this is not a data file")
    return error("E703", f"cannot read `{name}`: {exc.reason}", io.span)


def _read_text(path: Path, spec: DataSpec, params: tuple[n.Param, ...]) -> set[Row]:
    """The rows of a csv, tsv or jsonl file, streamed; a bad line raises E704 at its place."""
    types = [p.type for p in params]
    convs = [reader(t) for t in types]
    header = spec.header
    with _text_file(path) as fh:
        if spec.format == "jsonl":
            return _read_jsonl(fh, path, convs, types)
        delim = spec.delimiter
        if all(c is int for c in convs) and len(delim) == 1 and convs:
            fast = _read_int_blocks(fh, path, delim, len(convs), header)
            if fast is not None:
                return fast
            fh.seek(0)
        return _read_csv(fh, path, convs, types, delim, header)


def _read_int_blocks(fh: TextIO, path: Path, delim: str, arity: int, header: bool) -> set[Row] | None:
    """A file of integers only, in blocks of lines, each split and converted flat; None at anything else."""
    out: set[Row] = set()
    first = True
    try:
        for text in files.line_blocks(fh, path):
            got = _int_rows(text, delim, arity, header and first)
            first = False
            if got is None:
                return None
            if out:
                out |= got
            else:
                out = got
    except files.LineTooLong:
        return None  # the careful way reports it, with its line
    return out


def _read_csv(fh: TextIO, path: Path, convs: list[Callable[[str], Value]], types: list[str], delim: str,
              header: bool) -> set[Row]:
    """Rows of a csv/tsv file through the csv module; a bad record is E704 at its line and field."""
    return set(_csv_rows(fh, path, convs, types, delim, header))


def _csv_rows(fh: TextIO, path: Path, convs: list[Callable[[str], Value]], types: list[str], delim: str,
              header: bool) -> Iterator[Row]:
    """The rows of a csv/tsv file through the csv module, in file order, duplicates kept."""
    arity = len(convs)
    same = convs[0] if all(c is convs[0] for c in convs) else None
    # strict: a quote left open at the end, or text after a closing quote, is an error, not a guess
    reader = csv.reader(files.bounded_lines(fh, path), delimiter=delim, strict=True)
    end = 0  # the last line of the record before (a quoted field may hold line breaks)
    try:
        if header:
            next(reader, None)
            end = reader.line_num
        for rec in reader:
            if len(rec) == arity:
                try:
                    row = tuple(map(same, rec)) if same is not None else tuple(c(v) for c, v in zip(convs, rec))
                except (ValueError, InvalidOperation):
                    k = next(k for k, (c, v) in enumerate(zip(convs, rec)) if not _converts(c, v))
                    raise _bad_record(path, end + 1, reader.line_num, delim, k,
                                      _bad_value_message(k, rec[k], types[k])) from None
                yield row
            elif rec:
                raise _bad_record(path, end + 1, reader.line_num, delim, min(arity, len(rec) - 1),
                                  f"expected {arity} columns, found {len(rec)}")
            end = reader.line_num
    except files.LineTooLong:
        raise files.LineTooLong(path, reader.line_num + 1) from None
    except csv.Error as exc:
        raise _bad_record(path, end + 1, end + 1, delim, -1, _csv_message(exc)) from None


def _csv_message(exc: csv.Error) -> str:
    """The csv module's complaint about the record that starts on a line, as a diagnostic says it."""
    text = str(exc)
    if "field larger than field limit" in text:
        return f"a field longer than {csv.field_size_limit():,} characters starts on this line: is a quote left open?"
    if text == "unexpected end of data":
        return "a quote opened on this line is never closed"
    return f"malformed line: {text}"


def _bad_record(path: Path, first: int, last: int, delim: str, field: int, message: str) -> SyllogError:
    """E704 at a field of the record on lines `first`..`last` of a data file (-1: the record as a whole)."""
    name = display_path(path)
    lines = _lines_of(path, first, last)
    line, col, width = _field_place("".join(lines), delim, field)
    text = lines[line].rstrip("\r\n") if line < len(lines) else ""
    sources = SourceMap()
    sources.add_line(name, first + line, text)
    return SyllogError([error("E704", message, Span(name, first + line, col, first + line, col + width))], sources)


def _lines_of(path: Path, first: int, last: int) -> list[str]:
    """Lines `first` to `last` (1-based) of a data file, read again for a diagnostic."""
    try:
        with files.open_text(path) as fh:
            return list(islice(files.bounded_lines(fh, path), first - 1, last))
    except (OSError, UnicodeDecodeError):
        return []


def _field_place(record: str, delim: str, field: int) -> tuple[int, int, int]:
    """Where field `field` of a csv record starts: (line within the record, 1-based column, width on that line).

    The csv module's reading: a quote opens a quoted field only first in a
    field, `""` inside one is a quote, a delimiter or line break outside
    quotes ends a field.
    """
    bounds: list[tuple[int, int]] = []
    start = i = 0
    quoted = False
    while i < len(record):
        c = record[i]
        if quoted:
            if c == '"':
                if record.startswith('"', i + 1):
                    i += 1
                else:
                    quoted = False
        elif c == '"' and i == start:
            quoted = True
        elif c == delim:
            bounds.append((start, i))
            start = i + 1
        elif c in "\r\n":
            break
        i += 1
    bounds.append((start, i))
    if field < 0 or field >= len(bounds):
        begin, end = 0, len(record.partition("\n")[0].rstrip("\r"))
    else:
        begin, end = bounds[field]
    line = record.count("\n", 0, begin)
    col = begin - (record.rfind("\n", 0, begin) + 1) + 1
    stop = record.find("\n", begin, end)
    width = (end if stop < 0 else stop) - begin
    return line, col, max(width, 1)


def _read_jsonl(fh: TextIO, path: Path, convs: list[Callable[[str], Value]], types: list[str]) -> set[Row]:
    """Rows of a file of JSON arrays, one a line, of strings and numbers."""
    return set(_jsonl_rows(fh, path, convs, types))


def _jsonl_rows(fh: TextIO, path: Path, convs: list[Callable[[str], Value]], types: list[str]) -> Iterator[Row]:
    """The rows of a JSON lines file, in file order, duplicates kept."""
    name = display_path(path)
    for lineno, line in _numbered_lines(fh, path):
        row = _json_row(name, lineno, line, convs, types)
        if row is not None:
            yield row


def _json_row(name: str, lineno: int, line: str, convs: list[Callable[[str], Value]], types: list[str]) -> Row | None:
    """The row of one line of a JSON lines file (None for a blank line)."""
    items = json_items(name, lineno, line, len(convs))
    if items is None:
        return None
    for k, (c, v) in enumerate(zip(convs, items)):
        _require_text(name, lineno, line, k, v)
        if not _converts(c, v):
            raise _json_error(name, lineno, line, _bad_value_message(k, v, types[k]))
    return tuple(c(v) for c, v in zip(convs, items))


def json_items(name: str, lineno: int, line: str, arity: int) -> list[Any] | None:
    """The items of one line of a JSON lines file, a number as the text it is written in (so that it reads as
    the same field of a csv file would); None for a blank line; E704 at the line for anything but an array of
    `arity` items (each of which `_require_text` then holds to a string or a number)."""
    if not line.strip():
        return None
    if _nested(line):
        raise _json_error(name, lineno, line, f"expected a JSON array of {arity} strings or numbers, "
                                              "found nested arrays or objects")
    try:
        items = json.loads(line, parse_float=str, parse_int=str, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise _json_error(name, lineno, line, f"bad JSON: {exc.msg}", exc.colno) from None
    except ValueError as exc:
        raise _json_error(name, lineno, line, f"bad JSON: {exc}") from None
    if not isinstance(items, list) or len(items) != arity:
        raise _json_error(name, lineno, line, f"expected a JSON array of {arity} values")
    return items


def _require_text(name: str, lineno: int, line: str, k: int, v: Any) -> None:
    """E704 at the line unless item k is a string or a number (which json_items gives as text)."""
    if not isinstance(v, str):
        raise _json_error(name, lineno, line, f"value {k + 1} is `{json.dumps(v)}`: a value is a string or a number")


def jsonl_field_rows(path: Path, spec: DataSpec, params: tuple[n.Param, ...]) -> Iterator[tuple[str, ...]]:
    """A JSON lines file's rows as text fields, in file order, duplicates kept, one line in memory at a time
    (for a database to load and convert: engine.backends.sql); E704 at a line that is not a row."""
    name = display_path(path)
    with _text_file(path) as fh:
        for lineno, line in _numbered_lines(fh, path):
            items = json_items(name, lineno, line, len(params))
            if items is not None:
                for k, v in enumerate(items):
                    _require_text(name, lineno, line, k, v)
                yield tuple(items)


def _json_error(name: str, lineno: int, line: str, message: str, col: int = 1) -> SyllogError:
    """E704 at a line of a JSON lines file, which the diagnostic quotes."""
    sources = SourceMap()
    sources.add_line(name, lineno, line.rstrip("\r\n"))
    return SyllogError([error("E704", message, Span(name, lineno, col, lineno, col + 1))], sources)


def _nested(line: str) -> bool:
    """Does a JSON line hold more than one array, or an object? (Tested before parsing: deep nesting exhausts the stack.)"""
    if line.count("[") + line.count("{") <= 1:
        return False
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', line)
    return bare.count("[") + bare.count("{") > 1


def _no_constant(name: str) -> Value:
    raise ValueError(f"`{name}` is not a number Syllog holds")


def _columnar_files(program: Program, options: EvaluationOptions) -> dict[n.IODirective, str | None]:
    """Which `.input` files to read as columns, large enough and numpy there: "int" for a file of integers
    only (`_columns`), "coded" for any other csv or tsv file when pyarrow is there too (`_coded`)."""
    kinds: dict[n.IODirective, str] = {}
    sizes = 0
    for io in program.io:
        kind = _columnar_kind(program, io) if io.kind == "input" and options.columnar else None
        if kind is None:
            continue
        try:
            size = data_path(program, io).stat().st_size
        except (OSError, ValueError):
            continue  # reported when read
        if options.columnar_file_bytes <= size <= COLUMNAR_MAX_BYTES:
            kinds[io] = kind
            sizes += size
    if sizes < options.columnar_bytes or not _importable("numpy"):
        return dict.fromkeys(program.io, None)
    if not _importable("pyarrow"):
        kinds = {io: k for io, k in kinds.items() if k == "int"}
    return {io: kinds.get(io) for io in program.io}


def _columnar_kind(program: Program, io: n.IODirective) -> str | None:
    """"int", "coded" or None (see `_columnar_files`) by the file's format and declared types."""
    spec = spec_of(io)
    fmt, delim = spec.format, spec.delimiter
    params = program.decls[io.pred].params
    if fmt in ("jsonl", "parquet") or not params or len(delim) != 1 or not delim.isascii() or delim in '"\r\n':
        return None
    if all(p.type == "int" for p in params):
        return "int" if delim not in "0123456789-" else "coded"
    return "coded"


def _importable(module: str) -> bool:
    """Is this (optional) module installed? Found without importing it."""
    from importlib.util import find_spec

    return find_spec(module) is not None


def _coded(path: Path, spec: DataSpec, params: tuple[n.Param, ...]) -> CodedColumns | None:
    """A large csv/tsv file as dictionary-encoded columns of distinct rows (engine.evaluation.coded, in C);
    None when it is not plainly so: the tuple way reads it then, and reports any bad line."""
    from .coded import coded_columns

    got = coded_columns(files.read_bytes(path, COLUMNAR_MAX_BYTES), spec.delimiter, [p.type for p in params],
                        spec.header)
    if got is None:
        return None
    codes, values = got
    import numpy as np

    rows = _distinct_sorted(np.stack(codes, axis=1)) if len(codes[0]) else tuple(codes)
    return CodedColumns(tuple(rows), tuple(values))


def _columns(path: Path, spec: DataSpec, arity: int) -> Columns | None:
    """A csv/tsv file of integers as numpy columns of distinct rows in lexicographic order.

    None when the file is not plainly integers (see `_int_columns`): the tuple way reads it then,
    and reports any bad line.
    """
    data = files.read_bytes(path, COLUMNAR_MAX_BYTES)
    if spec.header:
        head, _, data = data.partition(b"\n")
        if head.translate(None, bytes(range(32, 127)) + b"\t"):
            return None  # another line break (CR, form feed...) or non-ASCII: the careful way decides
    return _int_columns(data, spec.delimiter.encode(), arity)


def _int_columns(data: bytes, delim: bytes, arity: int) -> Columns | None:
    """Lines of `arity` integers separated by `delim`, parsed and deduplicated in C; None if not only that.

    Accepted: digits, a leading minus, the delimiter and newlines (CRLF too),
    empty lines skipped, every other line exactly `arity` non-empty fields
    that fit an int64. Anything else goes the careful way, which gives
    Python's `int` its say and reports the line. Few arrays the size of the
    file are made: in a fresh process, touching new memory costs about as
    much as the parsing.
    """
    import numpy as np

    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n")
    if data.translate(None, b"0123456789-\n" + delim):
        return None
    if not data.strip(b"\n"):
        return tuple(np.empty(0, dtype=np.int64) for _ in range(arity))
    if not data.endswith(b"\n"):
        data += b"\n"
    b = np.frombuffer(data, dtype=np.uint8)
    d = delim[0]
    if d < 45:  # below "-" and the digits, as the newline is: one comparison finds both
        sep = b < 45
    else:
        sep = b == d
        sep |= b == 10
    if sep[0] or (sep[1:] & sep[:-1]).any():  # an empty field, or empty lines
        if b"\n\n" in data or data.startswith(b"\n"):
            return _int_columns(b"\n".join(filter(None, data.split(b"\n"))), delim, arity)
        return None
    # the separators in order: `arity - 1` delimiters then a newline, line after line
    kinds = np.compress(sep, b)
    if len(kinds) % arity:
        return None
    kinds = kinds.reshape(-1, arity)
    if (kinds[:, -1] != 10).any() or (arity > 1 and (kinds[:, :-1] != d).any()):
        return None
    if b"-" in data:  # a minus sign only first in a field and before a digit
        minus = np.flatnonzero(b == 45)
        nxt = b[minus + 1]  # there is one: the data ends with a newline
        inner = minus[minus > 0]
        if ((nxt < 48) | (nxt > 57)).any() or not sep[inner - 1].all():
            return None
    try:
        values = np.fromstring(data.replace(b"\n", delim), dtype=np.int64, count=len(kinds) * arity,
                               sep=delim.decode())
    except ValueError:
        return None
    if (values == np.iinfo(np.int64).max).any():
        return None  # numpy gives the largest int64 for a number past it (or that number itself)
    return _distinct_sorted(values.reshape(-1, arity))


def int_columns(tables: list[tuple[list[Value], ...]]) -> Columns | None:
    """Tables of one predicate's values by column as numpy columns of distinct rows, sorted.

    None (the tuple way then) when a value is not an int or does not fit an
    int64, or without numpy.
    """
    arity = len(tables[0])
    if not arity or any(set(map(type, col)) != {int} for cols in tables for col in cols):
        return None
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - a dependency; without it facts are held as tuples
        return None
    try:
        columns = [np.concatenate([np.array(cols[j], dtype=np.int64) for cols in tables]) for j in range(arity)]
    except OverflowError:
        return None
    return _distinct_sorted(np.stack(columns, axis=1))


def _distinct_sorted(rows: Any) -> Columns:
    """The distinct rows of an int64 matrix in lexicographic order, as columns."""
    import numpy as np
    arity = rows.shape[1]
    if arity == 1:
        v = rows[:, 0]
        if not (v[1:] > v[:-1]).all():
            v = np.sort(v)
            v = v[np.concatenate(([True], v[1:] != v[:-1]))]
        return (v,)
    cols = [np.ascontiguousarray(rows[:, j]) for j in range(arity)]
    lows = [int(c.min()) for c in cols]
    spans = [int(c.max()) - lo + 1 for c, lo in zip(cols, lows)]
    total = 1
    for s in spans:
        total *= s
    if total < 1 << 62:
        # one int64 per row, ordered as the rows are: a flat sort
        key = cols[0] - lows[0]
        for j in range(1, arity):
            key *= spans[j]
            key += cols[j]
            key -= lows[j]
        if (key[1:] > key[:-1]).all():
            return tuple(cols)  # already in order, no row twice (a file written sorted)
        order = np.argsort(key, kind="stable")
        k = key[order]
        keep = np.ones(len(k), dtype=bool)
        keep[1:] = k[1:] != k[:-1]
    else:
        order = np.lexsort(rows.T[::-1])
        s = rows[order]
        keep = np.ones(len(s), dtype=bool)
        keep[1:] = (s[1:] != s[:-1]).any(axis=1)
    picked = order[keep]
    return tuple(c[picked] for c in cols)


def _int_rows(text: str, delim: str, arity: int, header: bool) -> set[Row] | None:
    """Rows of a file of integers only, as one flat split and zip; None when any line is not `arity` integers.

    No quoting can matter in such a file. Every non-empty line must hold
    exactly `arity - 1` delimiters and every field must be an integer;
    anything else goes the careful way (the csv module), which reports the line.
    """
    lines = text.splitlines()
    if header:
        lines = lines[1:]
    lines = list(filter(None, lines))
    if not lines:
        return set()
    if arity > 1 and set(map(methodcaller("count", delim), lines)) != {arity - 1}:
        return None
    fields = "\n".join(lines)
    if arity > 1:
        fields = fields.replace(delim, "\n")
    try:
        values = iter(list(map(int, fields.split("\n"))))
    except ValueError:
        return None
    if arity == 1:
        return {(v,) for v in values}
    return set(zip(*([values] * arity)))


def _converts(c: Callable[[str], Value], v: str) -> bool:
    try:
        c(v)
    except (ValueError, InvalidOperation):
        return False
    return True


def _bad_value_message(k: int, v: str, t: str) -> str:
    return f"column {k + 1}: `{visible(v)}` is not a valid value for its declared type `{t}`"


def write_outputs(program: Program, relation: Callable[[str], Any],
                  write: Callable[[DataSpec, Path, tuple[n.Param, ...]], bool] | None = None) -> list[Path]:
    """Write every `.output` relation, each file whole or not at all; `relation(name)` gives its tuples,
    unless `write(spec, path, params)` writes the file itself (a SQL backend's database: True when it did).

    Raises `SyllogError` with an E705 for every file that cannot be written
    (after writing the others); the old content of such a file is left as it was.
    """
    written = []
    diags: list[Diagnostic] = []
    for io in program.io:
        if io.kind != "output":
            continue
        path = data_path(program, io)
        spec, params = spec_of(io), program.decls[io.pred].params
        try:
            if write is None or not write(spec, path, params):
                WRITERS[spec.format](relation(io.pred), path, spec, params)
        except SyllogError as exc:  # pyarrow is not installed: E706; a database's error writing it: at the `.output`
            diags.extend(d if d.span.line else dataclasses.replace(d, span=io.span) for d in exc.diagnostics)
            continue
        except files.FileTrouble as exc:
            diags.append(error("E705", f"cannot write `{display_path(path)}`: {exc.reason}", io.span,
                               help=_write_help(exc)))
            continue
        written.append(path)
    if diags:
        raise SyllogError(diags, program.text)
    return written


def _write_help(exc: files.FileTrouble) -> str | None:
    if exc.missing:
        return "create the folder first, or name another file with `file:`"
    return None


def write_relation(rows: Any, path: Path, spec: DataSpec, params: tuple[n.Param, ...], ordered: bool = False) -> None:
    """Write tuples sorted (or, `ordered`, as they come: sorted already) to a csv, tsv or jsonl file, replacing
    it whole (`files.replacing`): fields split by the spec's delimiter, after a line of the declared column
    names when the spec has a header (csv and tsv)."""
    from ..values import row_key

    in_order = rows if ordered else sorted(rows, key=row_key)
    with files.replacing(path) as fh:
        if spec.format == "jsonl":
            for r in in_order:
                fh.write(json.dumps([to_json(v) for v in r]) + "\n")
            return
        w = csv.writer(fh, delimiter=spec.delimiter, lineterminator="\n")
        if spec.header:
            w.writerow([p.name for p in params])
        for r in in_order:
            w.writerow([v.text if isinstance(v, String) else show(v) for v in r])


def _read_parquet(path: Path, spec: DataSpec, params: tuple[n.Param, ...]) -> set[Row]:
    from .parquet import read_parquet

    return read_parquet(path, spec, params, [reader(p.type) for p in params])


def _parquet_field_rows(path: Path, spec: DataSpec, params: tuple[n.Param, ...]) -> Iterator[tuple[str, ...]]:
    from .parquet import field_rows

    return field_rows(path, spec, params)


def _write_parquet(rows: Any, path: Path, spec: DataSpec, params: tuple[n.Param, ...]) -> None:
    from .parquet import write_parquet

    write_parquet(rows, path, spec, params)


# The readers and writers of every format of engine.formats.FORMATS (tests/test_formats.py holds them to it).
Reader = Callable[[Path, DataSpec, tuple[n.Param, ...]], set[Row]]
Writer = Callable[[Any, Path, DataSpec, tuple[n.Param, ...]], None]
READERS: dict[str, Reader] = {"csv": _read_text, "tsv": _read_text, "jsonl": _read_text, "parquet": _read_parquet}
WRITERS: dict[str, Writer] = {"csv": write_relation, "tsv": write_relation, "jsonl": write_relation,
                              "parquet": _write_parquet}
# Rows as text fields, for a database to load (engine.backends.sql): the formats a database does not read itself.
# A reader raises engine.formats.LeftToReader for a file it cannot give as text alike (the full reader then
# reads it, and reports what is wrong with it).
FieldReader = Callable[[Path, DataSpec, tuple[n.Param, ...]], Iterator[tuple[str, ...]]]
FIELD_READERS: dict[str, FieldReader] = {"jsonl": jsonl_field_rows, "parquet": _parquet_field_rows}
