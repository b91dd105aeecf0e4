"""jsonl and Parquet `.input` files loaded by the SQL backends (engine.backends.sql, text fields or DuckDB's
read_parquet) give the relations, and the errors, of the in-memory reader: Unicode digits and spaces in an
`any` column, Parquet columns whose names repeat or differ in case only, a file name with glob characters."""

from __future__ import annotations

from pathlib import Path

import pytest

import engine
from engine.backends import evaluate_sql


def _both(path: Path, backend: str, request: pytest.FixtureRequest) -> tuple[object, object]:
    """What memory and the backend give for every declared predicate: the relations, or the diagnostics' text."""
    database = request.getfixturevalue("postgres") if backend == "postgres" else None
    loaded = engine.load(str(path))
    preds = sorted(loaded.program.decls)
    try:
        model = loaded.evaluate()
        mem: object = {p: set(model.relation(p)) for p in preds}
    except engine.SyllogError as exc:
        mem = [str(d) for d in exc.diagnostics]
    try:
        with evaluate_sql(loaded.program, backend=backend, database=database) as sql:
            got: object = {p: set(sql.relation(p)) for p in preds}
    except engine.SyllogError as exc:
        got = [str(d) for d in exc.diagnostics]
    return mem, got


@pytest.mark.parametrize("backend", ["duckdb", "postgres"])
def test_unicode_digits_in_an_any_column_read_as_numbers(backend: str, tmp_path: Path,
                                                         request: pytest.FixtureRequest) -> None:
    """Python's int and Decimal read `١`, `２`, a no-break space before a digit: the database took them for
    symbols."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "u.jsonl").write_text('["\\u0661"]\n["\\uff12"]\n["\\u00a03"]\n["\\u0664.5"]\n["abc"]\n',
                                      encoding="utf-8")
    pq.write_table(pa.table({"a": ["\u0661", "\uff12", "\u00a03", "abc"]}), tmp_path / "u.parquet")
    (tmp_path / "p.dl").write_text('.decl u(x: any)\n.input u { file: "u.jsonl" }\n'
                                   '.decl v(x: any)\n.input v { file: "u.parquet" }\n', encoding="utf-8")
    mem, got = _both(tmp_path / "p.dl", backend, request)
    assert isinstance(mem, dict) and (1,) in mem["u"] and (3,) in mem["v"]
    assert got == mem


@pytest.mark.parametrize("backend", ["duckdb", "postgres"])
@pytest.mark.parametrize("names", [["c", "c"], ["C", "c"]])
def test_parquet_columns_named_alike_are_read_by_position(backend: str, names: list[str], tmp_path: Path,
                                                          request: pytest.FixtureRequest) -> None:
    """DuckDB picked a column by its name (case-insensitively), so both columns were the first one; a file
    with a repeated name, which the in-memory reader refuses (E704), was read on the SQL backends."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table([pa.array(["a", "b"]), pa.array(["x", "y"])], names=names), tmp_path / "d.parquet")
    (tmp_path / "p.dl").write_text('.decl d(a: symbol, b: symbol)\n.input d { file: "d.parquet" }\n',
                                   encoding="utf-8")
    mem, got = _both(tmp_path / "p.dl", backend, request)
    assert got == mem


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_file_name_with_glob_characters_is_that_file_only(fmt: str, tmp_path: Path,
                                                            request: pytest.FixtureRequest) -> None:
    """DuckDB's read_parquet and read_csv take `s*.parquet` as a pattern: they read `sX.parquet` too."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    for name, value in [("s*", "star"), ("sX", "other")]:
        if fmt == "parquet":
            pq.write_table(pa.table({"a": [value]}), tmp_path / f"{name}.parquet")
        else:
            (tmp_path / f"{name}.csv").write_text(value + "\n", encoding="utf-8")
    (tmp_path / "p.dl").write_text(f'.decl s(a: symbol)\n.input s {{ file: "s*.{fmt}" }}\n', encoding="utf-8")
    mem, got = _both(tmp_path / "p.dl", "duckdb", request)
    assert mem == {"s": {("star",)}}
    assert got == mem
