"""Bulk data: `.input` of CSV/TSV/JSON lines into declared predicates, `.output` of derived relations."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from golden_util import run_cli

import engine
from engine import String, SyllogError


def test_input_formats_and_types(tmp_path: Path) -> None:
    (tmp_path / "e.csv").write_text("1,2\n2,3\n3,4\n")
    (tmp_path / "names.tsv").write_text("id\tname\nturkey\tTürkiye\nrussia\tRussia\n")
    (tmp_path / "w.jsonl").write_text('["a", 2.5]\n["b", 3]\n')
    (tmp_path / "p.dl").write_text("""
.decl e(a: int, b: int)
.input e { file: "e.csv", format: csv }
.decl name(id: symbol, name: string)
.input name { file: "names.tsv", format: tsv, header: true }
.decl w(k: symbol, v: number)
.input w { file: "w.jsonl", format: jsonl }
path(X, Y) :- e(X, Y).
path(X, Z) :- path(X, Y), e(Y, Z).
""")
    m = engine.load(tmp_path / "p.dl").evaluate()
    assert m.size("path") == 6
    assert m.relation("name") == {("turkey", String("Türkiye")), ("russia", String("Russia"))}
    assert m.relation("w") == {("a", Decimal("2.5")), ("b", 3)}


def test_output_writes_sorted_relations(tmp_path: Path) -> None:
    (tmp_path / "p.dl").write_text("""
.decl path(a: int, b: int)
e(2, 3). e(1, 2).
path(X, Y) :- e(X, Y).
path(X, Z) :- path(X, Y), e(Y, Z).
.output path { file: "path.tsv", format: tsv }
.output path { file: "path.jsonl", format: jsonl }
""")
    code, _ = run_cli(["run", "p.dl"], tmp_path)
    assert code == 0
    assert (tmp_path / "path.tsv").read_text() == "1\t2\n1\t3\n2\t3\n"
    assert [json.loads(x) for x in (tmp_path / "path.jsonl").read_text().splitlines()] == [[1, 2], [1, 3], [2, 3]]


def test_bad_data_is_a_positioned_error(tmp_path: Path) -> None:
    (tmp_path / "e.csv").write_text("1,2\n2,x\n")
    (tmp_path / "p.dl").write_text('.decl e(a: int, b: int)\n.input e { file: "e.csv" }\n')
    with pytest.raises(SyllogError) as exc:
        engine.load(tmp_path / "p.dl").evaluate()
    assert "e.csv:2:3: error[E704]" in str(exc.value)  # the line and the column of the bad field
    (tmp_path / "q.dl").write_text('.decl e(a: int, b: int)\n.input e { file: "missing.csv" }\n')
    with pytest.raises(SyllogError, match="E703"):
        engine.load(tmp_path / "q.dl").evaluate()


def test_input_needs_a_declaration(tmp_path: Path) -> None:
    (tmp_path / "p.dl").write_text('.input e { file: "e.csv" }\n')
    with pytest.raises(SyllogError, match="E701"):
        engine.load(tmp_path / "p.dl")


@pytest.mark.parametrize(
    ("text", "header", "rows"),
    [
        ("1,2\n3,4\n", False, {(1, 2), (3, 4)}),
        ("1,2\r\n\n 3 , -4\n5,6", False, {(1, 2), (3, -4), (5, 6)}),  # CRLF, blank line, spaces, no final newline
        ("a,b\n1,2\n", True, {(1, 2)}),
        ("", False, set()),
    ],
)
def test_integer_files_read_fast_and_exactly(tmp_path: Path, text: str, header: bool, rows: set[tuple[int, int]]) -> None:
    from engine.evaluation.io import _int_rows

    assert _int_rows(text, ",", 2, header) == rows
    (tmp_path / "e.csv").write_text(text)
    (tmp_path / "p.dl").write_text(f'.decl e(a: int, b: int)\n.input e {{ file: "e.csv", format: csv, header: {str(header).lower()} }}\n')
    assert engine.load(tmp_path / "p.dl").evaluate().relation("e") == rows


@pytest.mark.parametrize("text", ["1,2\n3\n", "1,2,3\n4\n", "1,,2\n", "1 2,3\n,5\n", "1,x\n"])
def test_integer_files_with_a_bad_line_go_the_careful_way(tmp_path: Path, text: str) -> None:
    """The fast reader refuses anything irregular; the csv path then names the line."""
    from engine.evaluation.io import _int_rows

    assert _int_rows(text, ",", 2, False) is None
    (tmp_path / "e.csv").write_text(text)
    (tmp_path / "p.dl").write_text('.decl e(a: int, b: int)\n.input e { file: "e.csv", format: csv }\n')
    with pytest.raises(SyllogError) as err:
        engine.load(tmp_path / "p.dl").evaluate()
    assert "E704" in str(err.value) and "e.csv:" in str(err.value)


def test_a_bad_line_past_the_first_slice_is_still_found(tmp_path: Path) -> None:
    """Integer files are read in slices of 65,536 lines; a bad line in a later slice still names its line."""
    lines = [f"{i},{i + 1}" for i in range(70_000)]
    (tmp_path / "e.csv").write_text("src,dst\n" + "\n".join(lines) + "\n")
    (tmp_path / "p.dl").write_text('.decl e(a: int, b: int)\n.input e { file: "e.csv", format: csv, header: true }\n')
    assert engine.load(tmp_path / "p.dl").evaluate().size("e") == 70_000
    lines[68_000] = "68000,x"
    (tmp_path / "e.csv").write_text("src,dst\n" + "\n".join(lines) + "\n")
    with pytest.raises(SyllogError) as err:
        engine.load(tmp_path / "p.dl").evaluate()
    assert "e.csv:68002:" in str(err.value)


def _read(tmp_path: Path, decl: str, name: str, data: str, fmt: str = "csv") -> set[tuple[object, ...]]:
    (tmp_path / name).write_bytes(data.encode("utf-8"))
    (tmp_path / "p.dl").write_text(f'.decl {decl}\n.input e {{ file: "{name}", format: {fmt} }}\n')
    return engine.load(tmp_path / "p.dl").evaluate().relation("e")


def test_quoted_fields_may_hold_line_breaks_and_lines_may_end_in_cr(tmp_path: Path) -> None:
    got = _read(tmp_path, "e(a: string, b: int)", "q.csv", '"two\nlines",1\r"three\r\nlines",2\rplain,3\r')
    assert got == {(String("two\nlines"), 1), (String("three\r\nlines"), 2), (String("plain"), 3)}


@pytest.mark.parametrize("decl, data, fmt, message", [
    ("e(a: number)", "1\nNaN\n", "csv", "q.csv:2:1: error[E704]: column 1: `NaN` is not a valid value"),
    ("e(a: number)", "Infinity\n", "csv", "q.csv:1:1: error[E704]: column 1: `Infinity`"),
    ("e(a: number)", '["1"]\n[true]\n', "jsonl", "q.csv:2:1: error[E704]: value 1 is `true`: a value is a string or a number"),
    ("e(a: number)", "[1]\n[NaN]\n", "jsonl", "q.csv:2:1: error[E704]: bad JSON: `NaN` is not a number Syllog holds"),
    ("e(a: int, b: int)", "1,2\n3,4,5\n", "csv", "q.csv:2:5: error[E704]: expected 2 columns, found 3"),
    ("e(a: symbol, b: symbol)", 'a,"x"y\n', "csv", "q.csv:1:1: error[E704]: malformed line: ',' expected after '\"'"),
])
def test_values_that_are_not_values_of_the_language_are_refused(tmp_path: Path, decl: str, data: str, fmt: str,
                                                                 message: str) -> None:
    with pytest.raises(SyllogError) as exc:
        _read(tmp_path, decl, "q.csv", data, fmt)
    assert message in str(exc.value)


def test_nan_in_a_column_of_any_type_is_a_symbol(tmp_path: Path) -> None:
    assert _read(tmp_path, "e(a: any)", "q.csv", "NaN\n2.5\n7\n") == {("NaN",), (Decimal("2.5"),), (7,)}


def test_output_to_dev_stdout_comes_after_what_was_printed(tmp_path: Path) -> None:
    """A stream is written in place, through its descriptor: with stdout sent to a file, nothing is overwritten."""
    import os
    import subprocess
    import sys

    (tmp_path / "p.dl").write_text('e(1).\nf(X) :- e(X).\n.decl f(a: int)\n.output f { file: "/dev/stdout" }\n?- f(X).\n')
    root = Path(__file__).parent.parent
    with (tmp_path / "out.txt").open("w") as out:
        subprocess.run([sys.executable, "-m", "engine", "run", "p.dl"], cwd=tmp_path, stdout=out,
                       stderr=subprocess.STDOUT, env=dict(os.environ, PYTHONPATH=str(root)), check=True)
    lines = (tmp_path / "out.txt").read_text().splitlines()
    assert lines[0] == "?- f(X)." and "1 answer" in lines
    assert lines[-2:] == ["1", "wrote /dev/stdout"]
