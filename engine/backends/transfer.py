"""SQL backends: a relation's `.output` file written by the database itself.

Stage: after a SQL evaluation (engine.backends.sql). Input: a predicate's
table, the representations of its columns (engine.backends.encoding) and
the file and format of an `.output`. Output: the file, written as
engine.evaluation.io.write_relation writes the same tuples, byte for byte:
one line a tuple in value order, fields quoted as Python's csv module
quotes them. Each line is computed in SQL (`line_sql`, the `any` encoding
decoded there) and the rows are sorted there (`order_sql`); DuckDB writes
them with `COPY ... TO` a temporary file, PostgreSQL streams them with
`COPY ... TO STDOUT`; the file is then renamed over the old one
(engine.files.replacing). No tuple passes through Python.

`write_by_database` says False, having written nothing, where the database
cannot give the same bytes: a format other than csv and tsv (jsonl and
Parquet are written from rows streamed in that order, engine.backends.sql),
a stream such as /dev/stdout, a relation of no columns, or a decimal below
10^-6, which Python writes with an exponent (`1E-7`).
"""

from __future__ import annotations

import csv
import functools
import io
import shutil
from pathlib import Path
from typing import Any

from .. import files
from ..formats import DataSpec
from .encoding import DIGITS, FINE, column_names
from .store import DuckDBStore, PostgresStore, Store

FORMATS = ("csv", "tsv")


@functools.lru_cache(maxsize=4)
def quoted_by_csv(delimiter: str) -> tuple[str, ...]:
    """The characters that make Python's csv writer quote a field (as engine.evaluation.io writes)."""
    def quoted(c: str) -> bool:
        out = io.StringIO()
        csv.writer(out, delimiter=delimiter, lineterminator="\n").writerow(["a" + c + "b"])
        return out.getvalue().startswith('"')

    return tuple(c for c in (delimiter, '"', "\n", "\r") if quoted(c))


def _chars(text: str) -> str:
    """A text as SQL, of chr() calls (no quoting of a literal to get wrong)."""
    return " || ".join(f"chr({ord(c)})" for c in text)


def _quoted(field: str, delimiter: str, alone: bool) -> str:
    """SQL for a text field as Python's csv writer writes it (`alone`: the row's only field, quoted when empty)."""
    tests = [f"strpos({field}, {_chars(c)}) > 0" for c in quoted_by_csv(delimiter)]
    if alone:
        tests.append(f"{field} = ''")
    return (f"CASE WHEN {' OR '.join(tests)} THEN chr(34) || replace({field}, chr(34), chr(34) || chr(34)) "
            f"|| chr(34) ELSE {field} END")


def _text(e: str, postgres: bool, numeric: bool = True) -> str:
    """An integer as text (PostgreSQL: a NUMERIC without its scale; `numeric` False for a BIGINT)."""
    if postgres:
        return f"CAST(trunc({e}) AS TEXT)" if numeric else f"CAST({e} AS TEXT)"
    return f"CAST({e} AS VARCHAR)"


def _number(n: str, d: str, x: str, postgres: bool) -> str:
    """SQL for the text of the number in the parts `n`, `d`, `x` of an `any` column, as engine.values shows it."""
    scale = 10 ** DIGITS

    def div(a: str, b: int) -> str:
        return f"div({a}, {b})" if postgres else f"({a} // {b})"

    whole = _text(div(n, scale), postgres)
    digits = (f"lpad({_text(f'mod(abs({n}), {scale})' if postgres else f'abs({n}) % {scale}', postgres)}, {DIGITS}, '0')"
              f" || lpad({_text(f'abs({x})', postgres)}, {FINE - DIGITS}, '0')")
    decimal = (f"CASE WHEN {n} < 0 OR {x} < 0 THEN '-' ELSE '' END || {_text(div(f'abs({n})', scale), postgres)} "
               f"|| '.' || coalesce(nullif(rtrim({digits}, '0'), ''), '0')")
    return f"CASE WHEN {d} THEN {decimal} ELSE {whole} END"


def line_sql(reps: list[str], delimiter: str, postgres: bool) -> str:
    """SQL for a tuple's line (without its line break), from its table's columns."""
    fields = []
    alone = len(reps) == 1
    for i, rep in enumerate(reps):
        cols = [f'"{c}"' for c in column_names(i, rep)]
        if rep == "int":
            fields.append(_text(cols[0], postgres, numeric=False))
        elif rep in ("sym", "str"):
            fields.append(_quoted(cols[0], delimiter, alone))
        else:
            n, t, d, x = cols
            text = _quoted(f"substr({t}, 2)", delimiter, alone)
            fields.append(f"CASE WHEN {t} = '' THEN {_number(n, d, x, postgres)} ELSE {text} END")
    return f" || {_chars(delimiter)} || ".join(f"({f})" for f in fields)


def order_sql(reps: list[str], postgres: bool = False) -> str:
    """ORDER BY's columns for value order (engine.values.row_key): an `any` column by tag, number, more digits;
    text in code point order (PostgreSQL: the "C" collation)."""
    collate = ' COLLATE "C"' if postgres else ""
    keys = []
    for i, rep in enumerate(reps):
        if rep == "any":
            keys += [f'"c{i}t"{collate}', f'"c{i}n"', f'"c{i}x"']
        else:
            keys.append(f'"c{i}"' + (collate if rep != "int" else ""))
    return ", ".join(keys)


def exponent_sql(reps: list[str]) -> str | None:
    """A condition true of a row holding a decimal Python writes with an exponent (below 10^-6); None if none can."""
    tests = [f'("c{i}d" AND abs("c{i}n") < {10 ** (DIGITS - 6)} AND NOT ("c{i}n" = 0 AND "c{i}x" = 0))'
             for i, rep in enumerate(reps) if rep == "any"]
    return " OR ".join(tests) if tests else None


def write_by_database(store: Store, table: str, reps: list[str], path: Path, spec: DataSpec,
                      names: list[str]) -> bool:
    """Write a relation's csv/tsv `.output` by the database (see the module docstring), after a line of the
    column `names` when the spec has a header; False if it cannot."""
    postgres = isinstance(store, PostgresStore)
    if spec.format not in FORMATS or not reps or not isinstance(store, (DuckDBStore, PostgresStore)):
        return False
    if files.writes_in_place(path):
        return False
    small = exponent_sql(reps)
    if small is not None and store.fetch(f"SELECT 1 FROM {table} WHERE {small} LIMIT 1"):
        return False
    select = f"SELECT {line_sql(reps, spec.delimiter, postgres)} FROM {table} ORDER BY {order_sql(reps, postgres)}"
    with files.replacing(path) as fh:
        if spec.header:
            csv.writer(fh, delimiter=spec.delimiter, lineterminator="\n").writerow(names)
        fh.flush()
        if isinstance(store, PostgresStore):
            store.copy_to(select, fh.buffer)
        elif not spec.header:
            store.copy_to(select, fh.name)  # the temporary file, renamed when done
        else:
            _copy_after_header(store, select, fh)
    return True


def _copy_after_header(store: DuckDBStore, select: str, fh: Any) -> None:
    """DuckDB's COPY writes a file of its own: written beside, then appended to the open file in blocks."""
    rows = Path(fh.name).with_name(Path(fh.name).name + ".rows")
    try:
        store.copy_to(select, str(rows))
        with rows.open("rb") as src:
            shutil.copyfileobj(src, fh.buffer, 1 << 20)
    finally:
        rows.unlink(missing_ok=True)


def sorted_select(columns: list[str], table: str, reps: list[str], postgres: bool) -> str:
    """A table's value columns, in value order."""
    cols = ", ".join(f'"{c}"' for c in columns)
    return f"SELECT {cols} FROM {table} ORDER BY {order_sql(reps, postgres)}"


__all__ = ["line_sql", "order_sql", "quoted_by_csv", "sorted_select", "write_by_database"]
