"""Answers and relations as dataframes: Arrow tables, and pandas and polars frames made from them.

Input: columns (names), rows of language values and their grades. Output:
a `pyarrow.Table` with one typed column per variable (engine.evaluation.parquet's
typing: integers int64, numbers with a decimal decimal128, symbols and
strings as text) and a `grade` column (`B3`, null when ungraded) in a graded
program; `to_pandas` and `to_polars` convert it. pyarrow, pandas and polars
are optional (the `dataframes` extra): each is imported on first use, and a
missing one raises `engine.optional.MissingDependency` saying how to install it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .optional import DATAFRAMES_EXTRA, require
from .values import Value


def to_arrow(columns: Sequence[str], rows: Sequence[tuple[Value, ...]], grades: Sequence[str | None],
             types: Sequence[str] | None = None) -> Any:
    """A `pyarrow.Table` of the rows (and their grades when there are any)."""
    from .evaluation.parquet import typed_array

    pa = require("pyarrow", "to_arrow()", DATAFRAMES_EXTRA)
    kinds = list(types) if types is not None else ["any"] * len(columns)
    arrays = [typed_array(pa, [r[k] for r in rows], kinds[k]) for k in range(len(columns))]
    names = list(columns)
    if grades:
        arrays.append(pa.array(list(grades), type=pa.string()))
        names.append("grade")
    return pa.table(arrays, names=names)


def to_pandas(columns: Sequence[str], rows: Sequence[tuple[Value, ...]], grades: Sequence[str | None],
              types: Sequence[str] | None = None) -> Any:
    """A pandas DataFrame of the rows, through `to_arrow` (pandas is asked for first: pyarrow reaches for it)."""
    require("pandas", "to_pandas()", DATAFRAMES_EXTRA)
    return to_arrow(columns, rows, grades, types).to_pandas()


def to_polars(columns: Sequence[str], rows: Sequence[tuple[Value, ...]], grades: Sequence[str | None],
              types: Sequence[str] | None = None) -> Any:
    """A polars DataFrame of the rows, through `to_arrow`."""
    pl = require("polars", "to_polars()", DATAFRAMES_EXTRA)
    return pl.from_arrow(to_arrow(columns, rows, grades, types))
