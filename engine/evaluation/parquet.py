"""Parquet files for `.input` and `.output`, through pyarrow (the `parquet` extra).

Reading: the file's columns, in order, become the predicate's columns; each
value is checked against the declared type as a CSV field is. An integer
column gives integers, a floating or decimal column exact decimals (a float
through its shortest repr: 2.5 stays 2.5), a string column symbols, strings
or (for `any` and `number`) what its text reads as in CSV. A null, a
boolean, a list or any other kind of value is E704 at the file, naming the
row and the column. Writing: one column per argument, named by the
declaration (`int` as int64, a `number` column of integers int64 and with a
decimal as decimal128, everything else as text, symbols and strings alike),
rows sorted; the file is replaced whole through engine.files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from .. import files
from .. import nodes as n
from ..column_types import type_ok
from ..errors import Span, SyllogError, error
from ..formats import DataSpec, LeftToReader, in_chunks
from ..loader import display_path
from ..optional import PARQUET_EXTRA, MissingDependency, as_diagnostic, require
from ..values import String, Value, row_key, show
from .relation import Row

INT64 = (-(2**63), 2**63 - 1)
ROW_GROUP = 65_536  # rows a row group, written and read


def _arrow(io: DataSpec) -> Any:
    """pyarrow and its parquet module, or E706 at the directive saying how to install them."""
    try:
        require("pyarrow", f"the Parquet file of `.{io.kind} {io.pred}`", PARQUET_EXTRA)
        return require("pyarrow.parquet", f"the Parquet file of `.{io.kind} {io.pred}`", PARQUET_EXTRA)
    except MissingDependency as exc:
        raise as_diagnostic(exc, "E706", io.span) from None


def read_parquet(path: Path, io: DataSpec, params: tuple[n.Param, ...], convert: list[Any]) -> set[Row]:
    """The rows of a Parquet file; `convert[k]` reads column k's text as a CSV field would."""
    return set(parquet_rows(path, io, params, convert))


def parquet_rows(path: Path, io: DataSpec, params: tuple[n.Param, ...], convert: list[Any]) -> Iterator[Row]:
    """The rows of a Parquet file in file order, duplicates kept, a row group of ROW_GROUP at a time."""
    pq = _arrow(io)
    name = display_path(path)
    try:
        with files.open_regular(path) as fh:
            table = pq.ParquetFile(fh)
            names = table.schema_arrow.names
            if len(names) != len(params):
                raise SyllogError([error("E704", f"expected {len(params)} columns, found {len(names)} "
                                                 f"({', '.join(names)})", Span(name, 0, 0, 0, 0))])
            done = 0
            for batch in table.iter_batches(batch_size=ROW_GROUP):
                columns = [_column(batch.column(k).to_pylist(), params[k], convert[k], name, k, done)
                           for k in range(len(params))]
                done += batch.num_rows
                yield from zip(*columns)
    except (files.FileTrouble, SyllogError):
        raise
    except OSError as exc:
        raise files.trouble(path, exc) from None
    except Exception as exc:  # pyarrow's ArrowInvalid: not a Parquet file
        raise SyllogError([error("E704", f"`{name}` is not a Parquet file Syllog can read: {exc}",
                                 Span(name, 0, 0, 0, 0))]) from None


def _column(values: list[Any], param: n.Param, convert: Any, name: str, k: int, before: int = 0) -> list[Value]:
    out: list[Value] = []
    for row, v in enumerate(values, before + 1):
        got = _value(v, param.type, convert)
        if got is None:
            shown = "null" if v is None else f"`{v!r}` ({type(v).__name__})"
            raise SyllogError([error("E704", f"row {row}, column {k + 1} (`{param.name}`): {shown} is not a valid "
                                             f"value for its declared type `{param.type}`", Span(name, 0, 0, 0, 0))])
        out.append(got)
    return out


def _value(v: Any, typ: str, convert: Any) -> Value | None:
    """A Parquet value as a value of the declared type; None when it is not one."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int):
        return v if type_ok(typ, v) else None
    if isinstance(v, (float, Decimal)):
        d = Decimal(repr(v)) if isinstance(v, float) else v
        return d if type_ok(typ, d) and d.is_finite() else None
    if isinstance(v, str):
        try:
            return convert(v)  # type: ignore[no-any-return]
        except (ValueError, ArithmeticError):
            return None
    return None


def field_rows(path: Path, io: DataSpec, params: tuple[n.Param, ...]) -> Iterator[tuple[str, ...]]:
    """A Parquet file's rows as text fields, a row group at a time (for a database to load and convert, as it
    converts a csv file's fields: engine.backends.sql). Only text columns, and integer columns of a declared
    `int`, `number` or `any`, read alike as text; anything else (floats, decimals, nulls, booleans) raises
    LeftToReader, and read_parquet reads the file."""
    pq = _arrow(io)
    try:
        with files.open_regular(path) as fh:
            table = pq.ParquetFile(fh)
            check_text_schema(table.schema_arrow, params)
            for batch in table.iter_batches(batch_size=ROW_GROUP):
                columns = [batch.column(k).to_pylist() for k in range(len(params))]
                if any(v is None for col in columns for v in col):
                    raise LeftToReader(f"a null in {display_path(path)}")
                yield from zip(*[[v if isinstance(v, str) else str(v) for v in col] for col in columns])
    except (files.FileTrouble, LeftToReader):
        raise
    except Exception as exc:  # not a Parquet file, or unreadable: the full reader says what
        raise LeftToReader(str(exc)) from None


def text_fields_of(path: Path, io: DataSpec, params: tuple[n.Param, ...]) -> list[str]:
    """The names of the file's columns, read from its footer, when every one reads as text alike (see
    field_rows): for a database that reads the file itself (DuckDB's read_parquet); LeftToReader otherwise."""
    pq = _arrow(io)
    try:
        with files.open_regular(path) as fh:
            schema = pq.read_schema(fh)
    except (files.FileTrouble, OSError):
        raise
    except Exception as exc:  # not a Parquet file: the full reader says so
        raise LeftToReader(str(exc)) from None
    check_text_schema(schema, params)
    return list(schema.names)


def check_text_schema(schema: Any, params: tuple[n.Param, ...]) -> None:
    """LeftToReader unless every column reads as text alike: strings, or integers where numbers may be; and
    unless no two columns' names differ in case only (a database picks a column by its name)."""
    pa = require("pyarrow", "Parquet", PARQUET_EXTRA)
    if len(schema) != len(params) or not params:
        raise LeftToReader("the columns are not the declaration's")
    if len({name.lower() for name in schema.names}) != len(schema):  # DuckDB names columns case-insensitively
        raise LeftToReader("two columns have one name")
    for field, p in zip(schema, params):
        t = field.type.value_type if pa.types.is_dictionary(field.type) else field.type
        text = pa.types.is_string(t) or pa.types.is_large_string(t)
        if not (text or (pa.types.is_integer(t) and p.type in ("int", "number", "any"))):
            raise LeftToReader(f"column `{field.name}` is {field.type}")


def write_parquet(rows: Any, path: Path, io: DataSpec, params: tuple[n.Param, ...]) -> None:
    """Write tuples sorted to a Parquet file, one typed column per declared argument, replacing it whole."""
    ordered = sorted(rows, key=row_key)
    write_parquet_ordered(lambda: iter(ordered), path, io, params)


def write_parquet_ordered(rows: Callable[[], Iterator[Row]], path: Path, io: DataSpec,
                          params: tuple[n.Param, ...]) -> None:
    """Write tuples given in value order, read twice (`rows()` starts them again): once to find each column's
    type, once to write them a row group of ROW_GROUP at a time; so a database's relation is streamed, never
    held whole (engine.backends.sql). The file is replaced whole through engine.files."""
    pq = _arrow(io)
    pa = require("pyarrow", "Parquet", PARQUET_EXTRA)
    shapes = [ColumnShape() for _ in params]
    for row in rows():
        for shape, v in zip(shapes, row):
            shape.add(v)
    schema = pa.schema([pa.field(p.name, shape.arrow_type(pa, p.type)) for shape, p in zip(shapes, params)])
    with files.replacing(path) as fh, pq.ParquetWriter(fh.buffer, schema) as writer:
        written = False
        for chunk in in_chunks(rows(), ROW_GROUP):
            arrays = [column_array(pa, [r[k] for r in chunk], schema.field(k).type) for k in range(len(params))]
            writer.write_table(pa.table(arrays, schema=schema))
            written = True
        if not written:  # one empty row group, as write_table writes an empty table
            writer.write_table(schema.empty_table())


class ColumnShape:
    """What a column's values need in Parquet, seen one value at a time: int64 when every value is an integer
    that fits (and the type is not `symbol`), decimal128 for numbers with a decimal (of at most 38 digits),
    text (symbols and strings alike) otherwise, an empty column included."""

    def __init__(self) -> None:
        self.count = 0
        self.int64 = True
        self.numeric = True
        self.scale = 0
        self.whole = 1

    def add(self, v: Value) -> None:
        self.count += 1
        if not (isinstance(v, int) and INT64[0] <= v <= INT64[1]):
            self.int64 = False
        if not isinstance(v, (int, Decimal)):
            self.numeric = False
            return
        digits, exponent = Decimal(v).as_tuple()[1:]
        self.scale = max(self.scale, -int(exponent))
        self.whole = max(self.whole, len(digits) + int(exponent))

    def arrow_type(self, pa: Any, typ: str) -> Any:
        if self.count and self.int64 and typ != "symbol":
            return pa.int64()
        if self.count and self.numeric and typ in ("number", "int") and self.whole + self.scale <= 38:
            return pa.decimal128(self.whole + self.scale, self.scale)
        return pa.string()


def typed_array(pa: Any, values: list[Value], typ: str) -> Any:
    """One column as a pyarrow array, of the type ColumnShape chooses for these values of a declared `typ`."""
    shape = ColumnShape()
    for v in values:
        shape.add(v)
    return column_array(pa, values, shape.arrow_type(pa, typ))


def column_array(pa: Any, values: list[Value], arrow_type: Any) -> Any:
    """One column's values as a pyarrow array of the type its ColumnShape chose."""
    if pa.types.is_decimal(arrow_type):
        return pa.array([v if isinstance(v, Decimal) else Decimal(cast(int, v)) for v in values], type=arrow_type)
    if pa.types.is_integer(arrow_type):
        return pa.array(values, type=arrow_type)
    return pa.array([v.text if isinstance(v, String) else show(v) for v in values], type=arrow_type)
