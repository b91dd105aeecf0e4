"""Parquet `.output` files written in two streamed passes (engine.evaluation.parquet.write_parquet_ordered) are
the bytes pyarrow's write_table gave before for a relation that fits one row group, an empty one included, in
memory and on the SQL backends alike."""

from __future__ import annotations

from pathlib import Path

import pytest

import engine
from engine.backends import evaluate_sql
from engine.evaluation.io import write_outputs


@pytest.mark.parametrize("backend", ["memory", "duckdb", "postgres"])
def test_an_empty_parquet_output_is_the_file_write_table_gave(backend: str, tmp_path: Path,
                                                              request: pytest.FixtureRequest) -> None:
    """An empty relation was written as one empty row group of text columns; the streamed writer wrote none."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "p.dl").write_text(".decl e(x: number, y: symbol)\n.decl r(x: int)\nr(1).\n"
                                   "e(X, a) :- r(X), X > 1.\n.output e { file: \"e.parquet\" }\n", encoding="utf-8")
    loaded = engine.load(str(tmp_path / "p.dl"))
    if backend == "memory":
        write_outputs(loaded.program, loaded.evaluate().relation)
    else:
        database = request.getfixturevalue("postgres") if backend == "postgres" else None
        with evaluate_sql(loaded.program, backend=backend, database=database) as model:
            write_outputs(loaded.program, model.relation, model.write_output)
    pq.write_table(pa.table({"x": pa.array([], pa.string()), "y": pa.array([], pa.string())}), tmp_path / "w.parquet")
    assert (tmp_path / "e.parquet").read_bytes() == (tmp_path / "w.parquet").read_bytes()
