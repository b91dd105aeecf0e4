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

from decimal import Decimal
from pathlib import Path
from typing import Any

from .. import files
from .. import nodes as n
from ..column_types import type_ok
from ..errors import Span, SyllogError, error
from ..formats import DataSpec
from ..loader import display_path
from ..optional import PARQUET_EXTRA, MissingDependency, as_diagnostic, require
from ..values import String, Value, row_key, show
from .relation import Row

INT64 = (-(2**63), 2**63 - 1)


def _arrow(io: DataSpec) -> Any:
    """pyarrow and its parquet module, or E706 at the directive saying how to install them."""
    try:
        require("pyarrow", f"the Parquet file of `.{io.kind} {io.pred}`", PARQUET_EXTRA)
        return require("pyarrow.parquet", f"the Parquet file of `.{io.kind} {io.pred}`", PARQUET_EXTRA)
    except MissingDependency as exc:
        raise as_diagnostic(exc, "E706", io.span) from None


def read_parquet(path: Path, io: DataSpec, params: tuple[n.Param, ...], convert: list[Any]) -> set[Row]:
    """The rows of a Parquet file; `convert[k]` reads column k's text as a CSV field would."""
    pq = _arrow(io)
    name = display_path(path)
    try:
        with files.open_regular(path) as fh:
            table = pq.read_table(fh)
    except files.FileTrouble:
        raise
    except OSError as exc:
        raise files.trouble(path, exc) from None
    except Exception as exc:  # pyarrow's ArrowInvalid: not a Parquet file
        raise SyllogError([error("E704", f"`{name}` is not a Parquet file Syllog can read: {exc}",
                                 Span(name, 0, 0, 0, 0))]) from None
    if table.num_columns != len(params):
        raise SyllogError([error("E704", f"expected {len(params)} columns, found {table.num_columns} "
                                         f"({', '.join(table.column_names)})", Span(name, 0, 0, 0, 0))])
    columns = [_column(table.column(k).to_pylist(), params[k], convert[k], name, k) for k in range(len(params))]
    return set(zip(*columns)) if columns else set()


def _column(values: list[Any], param: n.Param, convert: Any, name: str, k: int) -> list[Value]:
    out: list[Value] = []
    for row, v in enumerate(values, 1):
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


def write_parquet(rows: Any, path: Path, io: DataSpec, params: tuple[n.Param, ...]) -> None:
    """Write tuples sorted to a Parquet file, one typed column per declared argument, replacing it whole."""
    pq = _arrow(io)
    pa = require("pyarrow", "Parquet", PARQUET_EXTRA)
    ordered = sorted(rows, key=row_key)
    arrays = [column_array(pa, [r[k] for r in ordered], p.type) for k, p in enumerate(params)]
    table = pa.table(arrays, names=[p.name for p in params])
    with files.replacing(path) as fh:
        pq.write_table(table, fh.buffer)


def column_array(pa: Any, values: list[Value], typ: str) -> Any:
    """One column as a pyarrow array: int64 when every value is an integer that fits (and the type is not
    `symbol`), decimal128 for numbers with a decimal, text (symbols and strings alike) otherwise."""
    if values and all(isinstance(v, int) and INT64[0] <= v <= INT64[1] for v in values) and typ != "symbol":
        return pa.array(values, type=pa.int64())
    if typ in ("number", "int") and values and all(isinstance(v, (int, Decimal)) for v in values):
        decimals = [v if isinstance(v, Decimal) else Decimal(int(v)) for v in values if not isinstance(v, (str, String))]
        scale = max(max(-int(d.as_tuple().exponent), 0) for d in decimals)
        whole = max(max(len(d.as_tuple().digits) + int(d.as_tuple().exponent), 1) for d in decimals)
        if whole + scale <= 38:
            return pa.array(decimals, type=pa.decimal128(whole + scale, scale))
    return pa.array([v.text if isinstance(v, String) else show(v) for v in values], type=pa.string())
