"""Parquet for `.input` and `.output` (engine.evaluation.parquet, through pyarrow)."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from golden_util import run_cli

import engine
from engine.values import String

ROOT = Path(__file__).parent.parent
PROGRAM = """
.decl owns(owner: symbol, asset: string, pct: number)
.decl big(owner: symbol, asset: string, pct: number)
.input owns { file: "owns.parquet" }
.output big { file: "out/big.parquet" }
big(O, A, P) :- owns(O, A, P), P > 10.
"""


def write_input(tmp_path: Path, **columns: list[object]) -> None:
    pq.write_table(pa.table(columns), tmp_path / "owns.parquet")
    (tmp_path / "out").mkdir(exist_ok=True)
    (tmp_path / "p.dl").write_text(PROGRAM)


def test_parquet_in_and_out_keep_kinds_and_exact_decimals(tmp_path: Path) -> None:
    write_input(tmp_path, owner=["a", "b", "c"], asset=["X Co", "Y Co", "Z"], pct=[50.0, 5.5, 12.25])
    model = engine.load(tmp_path / "p.dl").evaluate()
    assert model.relation("owns") == {("a", String("X Co"), Decimal("50.0")), ("b", String("Y Co"), Decimal("5.5")),
                                      ("c", String("Z"), Decimal("12.25"))}
    assert run_cli(["run", "p.dl"], tmp_path)[0] == 0
    table = pq.read_table(tmp_path / "out" / "big.parquet")
    assert table.column_names == ["owner", "asset", "pct"]
    assert table.to_pylist() == [{"owner": "a", "asset": "X Co", "pct": Decimal("50.00")},
                                 {"owner": "c", "asset": "Z", "pct": Decimal("12.25")}]
    assert str(table.schema.field("pct").type) == "decimal128(4, 2)"


def test_integer_columns_stay_integers(tmp_path: Path) -> None:
    write_input(tmp_path, owner=["a", "b"], asset=["X", "Y"], pct=[50, 5])
    assert run_cli(["run", "p.dl"], tmp_path)[0] == 0
    table = pq.read_table(tmp_path / "out" / "big.parquet")
    assert table.to_pylist() == [{"owner": "a", "asset": "X", "pct": 50}]
    assert str(table.schema.field("pct").type) == "int64"


def test_a_null_or_a_wrong_kind_is_e704_naming_row_and_column(tmp_path: Path) -> None:
    write_input(tmp_path, owner=["a", "b"], asset=["X", None], pct=[1, 2])
    code, out = run_cli(["run", "p.dl"], tmp_path)
    assert (code, out) == (1, "owns.parquet:0:0: error[E704]: row 2, column 2 (`asset`): null is not a valid value "
                              "for its declared type `string`\n")
    write_input(tmp_path, owner=["a"], asset=["X"], pct=["lots"])
    assert "row 1, column 3 (`pct`): `'lots'` (str) is not a valid value for its declared type `number`" in \
        run_cli(["run", "p.dl"], tmp_path)[1]
    write_input(tmp_path, owner=["a"], asset=["X"])
    assert "error[E704]: expected 3 columns, found 2 (owner, asset)" in run_cli(["run", "p.dl"], tmp_path)[1]
    (tmp_path / "owns.parquet").write_text("not parquet\n")
    assert "error[E704]: `owns.parquet` is not a Parquet file Syllog can read" in run_cli(["run", "p.dl"], tmp_path)[1]


def test_a_missing_parquet_file_is_e703_at_the_input(tmp_path: Path) -> None:
    (tmp_path / "p.dl").write_text(PROGRAM)
    code, out = run_cli(["run", "p.dl"], tmp_path)
    assert code == 1 and out.startswith("p.dl:4:1: error[E703]: cannot read `owns.parquet`")


def test_without_pyarrow_parquet_is_e706_with_the_install_command(tmp_path: Path) -> None:
    write_input(tmp_path, owner=["a"], asset=["X"], pct=[50])
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text("import sys\nsys.modules['pyarrow'] = None\n")
    env = {**os.environ, "PYTHONPATH": f"{blocker}:{ROOT}"}
    proc = subprocess.run([sys.executable, "-m", "engine", "run", "p.dl"], cwd=tmp_path, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[0] == ("p.dl:4:1: error[E706]: The Parquet file of `.input owns` needs the Python "
                                           "package `pyarrow`, which is not installed")
    assert "  = help: pip install 'syllog[parquet]'" in proc.stderr
