"""Answers, relations and proofs in notebooks and as dataframes (engine.frames, engine.html)."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import engine

ROOT = Path(__file__).parent.parent
GRADED = ROOT / "tests" / "golden" / "query" / "graded.dl"
TEXT = '.decl w(name: symbol, label: string, v: number)\nw(a, "Alpha", 2.5). w(b, "Beta", 3).\n?- w(X, L, V).\n'


def test_answers_as_pandas_polars_and_arrow_keep_kinds_and_grades() -> None:
    model = engine.load(GRADED).evaluate()
    answers = model.query("reaches(X, Y)")
    frame = answers.to_pandas()
    assert list(frame.columns) == ["X", "Y", "grade"] and frame.to_dict("records") == [
        {"X": "acme", "Y": "gamma", "grade": "B3"}]
    assert answers.to_polars().to_dicts() == [{"X": "acme", "Y": "gamma", "grade": "B3"}]
    assert answers.to_arrow().column_names == ["X", "Y", "grade"]
    ground = model.query("reaches(acme, gamma)").to_pandas()
    assert ground.to_dict("records") == [{"answer": "true", "grade": "B3"}]


def test_a_relation_as_a_table_has_the_declared_names_and_exact_numbers() -> None:
    table = engine.load_text(TEXT).evaluate().table("w")
    frame = table.to_pandas()
    assert list(frame.columns) == ["name", "label", "v"]
    assert frame["v"].tolist() == [Decimal("2.5"), Decimal("3.0")] and frame["label"].tolist() == ["Alpha", "Beta"]
    assert str(table.to_arrow().schema.field("v").type) == "decimal128(2, 1)"
    ints = engine.load_text("e(1, 2). e(2, 3).").evaluate().table("e").to_arrow()
    assert ints.column_names == ["arg1", "arg2"] and str(ints.schema.field("arg1").type) == "int64"


def test_html_views_for_notebooks() -> None:
    model = engine.load(GRADED).evaluate()
    table = model.query("reaches(X, Y)")._repr_html_()
    assert "<caption>?- reaches(X, Y).</caption>" in table and "<th>X</th><th>Y</th><th>grade</th>" in table
    assert "<td>acme</td><td>gamma</td><td><span class='grade g3'" in table
    proof = model.why("reaches(acme, gamma)")[0]._repr_html_()
    assert "<mark class='quote'>Acme owns Beta outright.</mark>" in proof and "href=" not in proof
    strings = engine.load_text(TEXT).evaluate().table("w")._repr_html_()
    assert "<td>&quot;Alpha&quot;</td>" in strings  # a string as the language writes it, escaped


def test_without_pandas_the_message_says_what_to_install(tmp_path: Path) -> None:
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text("import sys\nsys.modules['pandas'] = None\n")
    code = "import engine\nengine.load_text('e(1).').evaluate().table('e').to_pandas()\n"
    proc = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": f"{blocker}:{ROOT}"},
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        "engine.optional.MissingDependency: to_pandas() needs the Python package `pandas`, which is not installed; "
        "install it with: pip install 'syllog[dataframes]'")
