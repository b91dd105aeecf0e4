"""Bulk data: `.input` files read into relations without the grammar, `.output` written after.

Formats: csv, tsv (no quoting beyond the csv module's), and jsonl (one JSON
array per line). Columns are converted by the predicate's declared types; a
value that does not convert is a positioned error in the data file.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from itertools import islice
from operator import methodcaller
from pathlib import Path
from typing import Any

from .. import nodes as n
from ..analysis import Program
from ..errors import Diagnostic, Span, SyllogError, error
from ..loader import display_path
from ..values import MAX_INT_DIGITS, String, Value, show, to_json
from .relation import Columns, Relation, Row

# Integer files are read as numpy columns when together they reach COLUMNAR_BYTES
# (numpy takes some 0.1 s to import: small programs start without it), each
# of them from COLUMNAR_FILE_BYTES up.
COLUMNAR_BYTES = 1 << 20
COLUMNAR_FILE_BYTES = 1 << 16
COLUMNAR = True
# A predicate's facts written in the program, when all integers, are held as
# columns from this many values on (engine.evaluation.facts).
COLUMNAR_VALUES = 1 << 16

FORMATS = ("csv", "tsv", "jsonl")


def _field_text(io: n.IODirective, key: str, default: str | None = None) -> str | None:
    f = io.get(key)
    if f is None:
        return default
    v = f.value
    return v.text if isinstance(v, String) else str(v)


def _converter(t: str) -> Callable[[str], Value]:
    if t == "int":
        return int
    if t == "number":
        def num(s: str) -> Value:
            try:
                return int(s)
            except ValueError:
                return Decimal(s)
        return num
    if t == "string":
        return String
    if t == "symbol":
        return lambda s: s

    def anything(s: str) -> Value:
        try:
            return int(s)
        except ValueError:
            pass
        try:
            return Decimal(s)
        except InvalidOperation:
            return s
    return anything


def _path(program: Program, io: n.IODirective) -> Path:
    name = _field_text(io, "file", f"{io.pred}.{_field_text(io, 'format', 'csv')}")
    assert name is not None
    base = program.base_dirs.get(io.span.file, Path.cwd())
    return base / name


def _format(io: n.IODirective, path: Path) -> str:
    fmt = _field_text(io, "format")
    if fmt is None:
        fmt = {".tsv": "tsv", ".jsonl": "jsonl"}.get(path.suffix, "csv")
    return fmt


def load_inputs(program: Program, rels: dict[str, Relation]) -> None:
    diags: list[Diagnostic] = []
    columnar = _columnar_files(program)
    for io in program.io:
        if io.kind != "input":
            continue
        path = _path(program, io)
        fmt = _format(io, path)
        if fmt not in FORMATS:
            diags.append(error("E702", f"unknown format `{fmt}`", io.span, help="formats: csv, tsv, jsonl"))
            continue
        decl = program.decls[io.pred]
        convs = [_converter(p.type) for p in decl.params]
        rel = rels[io.pred]
        try:
            if not len(rel) and not rel.indexes and not rel.groups and rel.ann is None:
                cols = _columns(path, io, len(convs)) if columnar[io] else None
                if cols is not None:
                    rel.set_columns(cols)  # the usual case: the file is all there is
                    continue
            rows = _read(path, fmt, convs, io)
        except SyllogError as exc:
            diags.extend(exc.diagnostics)
            continue
        except OSError as exc:
            diags.append(error("E703", f"cannot read `{path}`: {exc.strerror}", io.span))
            continue
        except UnicodeDecodeError:
            diags.append(_not_utf8(path))
            continue
        if not len(rel) and not rel.indexes and not rel.groups:
            rel.tuples = rows
        else:
            rel.add_new(rows - rel.tuples)
        if rel.ann is not None:
            from ..provenance import TOP

            for t in rows:
                rel.ann.setdefault(t, (TOP, -1, (), 0, 0))
    if diags:
        raise SyllogError(diags, program.text)


def _not_utf8(path: Path) -> Diagnostic:
    """E704 at the first byte of `path` that is not UTF-8."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
        at = 0
    except UnicodeDecodeError as exc:
        at = exc.start
    line = data.count(b"\n", 0, at) + 1
    col = at - (data.rfind(b"\n", 0, at) + 1) + 1
    return error("E704", f"this file is not UTF-8 text (byte 0x{data[at]:02x})" if at < len(data)
                 else "this file is not UTF-8 text", Span(display_path(path), line, col, line, col + 1))


def _read(path: Path, fmt: str, convs: list[Callable[[str], Value]], io: n.IODirective) -> set[Row]:
    arity = len(convs)
    out: set[Row] = set()
    name = display_path(path)
    header = _field_text(io, "header", "false") == "true"
    with path.open(encoding="utf-8", newline="") as fh:
        if fmt == "jsonl":
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    items = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise SyllogError([error("E704", f"bad JSON: {exc.msg}", Span(name, lineno, exc.colno, lineno, exc.colno + 1))]) from None
                except ValueError:  # Python's int-to-text limit, which is Syllog's too (values.MAX_INT_DIGITS)
                    raise SyllogError([error("E704", f"a number of more than {MAX_INT_DIGITS:,} digits",
                                             Span(name, lineno, 1, lineno, 2))]) from None
                if not isinstance(items, list) or len(items) != arity:
                    raise SyllogError([error("E704", f"expected a JSON array of {arity} values", Span(name, lineno, 1, lineno, 2))])
                out.add(tuple(_convert(c, str(v) if not isinstance(v, str) else v, name, lineno, k) for k, (c, v) in enumerate(zip(convs, items))))
            return out
        delim = _delimiter(io, fmt)
        if all(c is int for c in convs) and len(delim) == 1 and arity > 0:
            # in slices of lines, so that the strings in between stay small
            fast: set[Row] = set()
            first = True
            while True:
                text = "".join(islice(fh, 1 << 16))
                if not text:
                    return fast
                got = _int_rows(text, delim, arity, header and first)
                first = False
                if got is None:
                    break
                if fast:
                    fast |= got
                else:
                    fast = got
            fh.seek(0)
        reader = csv.reader(fh, delimiter=delim)
        if header:
            next(reader, None)
        same = convs[0] if all(c is convs[0] for c in convs) else None
        for lineno, rec in enumerate(reader, 1 + header):
            if len(rec) != arity:
                if not rec:
                    continue
                raise SyllogError([error("E704", f"expected {arity} columns, found {len(rec)}", Span(name, lineno, 1, lineno, 2))])
            try:
                out.add(tuple(map(same, rec)) if same is not None else tuple(c(v) for c, v in zip(convs, rec)))
            except (ValueError, InvalidOperation):
                for k, (c, v) in enumerate(zip(convs, rec)):
                    _convert(c, v, name, lineno, k)
    return out


def _delimiter(io: n.IODirective, fmt: str) -> str:
    return _field_text(io, "delimiter", "\t" if fmt == "tsv" else ",") or ","


def _columnar_files(program: Program) -> dict[n.IODirective, bool]:
    """Which `.input` files to read as columns: integers only, large enough, numpy there."""
    sizes: dict[n.IODirective, int] = {}
    for io in program.io:
        if io.kind != "input" or not COLUMNAR:
            continue
        path = _path(program, io)
        fmt = _format(io, path)
        delim = _delimiter(io, fmt)
        params = program.decls[io.pred].params
        if (fmt == "jsonl" or not params or any(p.type != "int" for p in params)
                or len(delim) != 1 or not delim.isascii() or delim in "0123456789-\r\n"):
            continue
        try:
            size = path.stat().st_size
        except OSError:
            continue  # reported when read
        if COLUMNAR_FILE_BYTES <= size <= 1 << 30:
            sizes[io] = size
    if sum(sizes.values()) < COLUMNAR_BYTES:
        return dict.fromkeys(program.io, False)
    try:
        import numpy  # noqa: F401
    except ImportError:  # pragma: no cover - a dependency; without it files are read as tuples
        return dict.fromkeys(program.io, False)
    return {io: io in sizes for io in program.io}


def _columns(path: Path, io: n.IODirective, arity: int) -> Columns | None:
    """A csv/tsv file of integers as numpy columns of distinct rows in lexicographic order.

    None when the file is not plainly integers (see `_int_columns`): the tuple way reads it then,
    and reports any bad line.
    """
    data = path.read_bytes()
    if _field_text(io, "header", "false") == "true":
        head, _, data = data.partition(b"\n")
        if head.translate(None, bytes(range(32, 127)) + b"\t"):
            return None  # another line break (CR, form feed...) or non-ASCII: the careful way decides
    return _int_columns(data, _delimiter(io, _format(io, path)).encode(), arity)


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
    if not COLUMNAR or not arity or any(set(map(type, col)) != {int} for cols in tables for col in cols):
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


def _convert(c: Callable[[str], Value], v: str, name: str, lineno: int, col: int) -> Value:
    try:
        return c(v)
    except (ValueError, InvalidOperation):
        raise SyllogError([error("E704", f"column {col + 1}: `{v}` is not a valid value for its declared type",
                                 Span(name, lineno, 1, lineno, 2))]) from None


def write_outputs(program: Program, relation: Callable[[str], Any]) -> list[Path]:
    """Write every `.output` relation; `relation(name)` gives its tuples."""
    written = []
    for io in program.io:
        if io.kind != "output":
            continue
        path = _path(program, io)
        write_relation(relation(io.pred), path, _format(io, path))
        written.append(path)
    return written


def write_relation(rows: Any, path: Path, fmt: str) -> None:
    from ..values import row_key

    ordered = sorted(rows, key=row_key)
    with path.open("w", encoding="utf-8", newline="") as fh:
        if fmt == "jsonl":
            for r in ordered:
                fh.write(json.dumps([to_json(v) for v in r]) + "\n")
            return
        w = csv.writer(fh, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n")
        for r in ordered:
            w.writerow([v.text if isinstance(v, String) else show(v) for v in r])
