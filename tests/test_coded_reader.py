"""Large csv/tsv files read as dictionary-encoded columns (engine.evaluation.coded) against the csv module.

The fast reader must give exactly the rows the csv-module reader gives, with
the same kinds of value (ints, decimals, symbols, strings kept apart), or
step aside (None) so that the csv-module reader reads the file and reports
its errors at their places. These tests generate files of awkward fields and
compare the two readers on each.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine import files
from engine import nodes as n
from engine.evaluation import EvaluationOptions, io
from engine.formats import DataSpec
from engine.values import String

pytest.importorskip("pyarrow")

SMALL = EvaluationOptions(columnar_bytes=0, columnar_file_bytes=0)
TYPES = ("int", "symbol", "string", "number", "any")
FIELDS = ["0", "7", "007", "-0", "-12", "+5", " 5", "5 ", "1_000", "99999999999999999999999", "1.0", "1.00",
          "2.5", "1e3", "NaN", "inf", "x", "x y", "", " ", "héllo", "日本", "a;b", "\t", "'q'", "\\", "crimea_bank",
          "\u2028", "\x0c", "\x85", "é", "\"a\"", "a\"b", "\"a,b\""]
BREAKS = ["\n", "\r\n"]


def kinds(rows: set[tuple[object, ...]]) -> set[tuple[tuple[str, str], ...]]:
    """Rows with each value's kind beside it: 1, Decimal('1.0') and the symbol '1' are three values."""
    return {tuple((type(v).__name__, v.text if isinstance(v, String) else str(v)) for v in r) for r in rows}


def spec(fmt: str, delim: str, header: bool) -> DataSpec:
    return DataSpec("input", "p", "p.csv", fmt, delim, header, n.Span("p.dl", 1, 1, 1, 2))  # type: ignore[attr-defined]


def both(path: Path, sp: DataSpec, types: tuple[str, ...]) -> tuple[object, object]:
    """(the fast reader's rows or None, the csv-module reader's rows or its error)."""
    params = tuple(n.Param(f"c{k}", t) for k, t in enumerate(types))
    fast = io._coded(path, sp, params)
    try:
        slow: object = kinds(io._read_text(path, sp, params))
    except (engine.SyllogError, files.FileTrouble) as exc:
        slow = exc
    return (None if fast is None else kinds(fast.rows())), slow


# fields each type reads (most lines are made of these), then any field
READS = {"int": ["0", "7", "007", "-0", "-12", "+5", " 5", "1_000", "99999999999999999999999"],
         "number": ["1.0", "1.00", "2.5", "1e3", "7", "-0.0"], "symbol": FIELDS, "string": FIELDS, "any": FIELDS}


@settings(max_examples=300, deadline=None)
@given(st.data(), st.lists(st.sampled_from(TYPES), min_size=1, max_size=3),
       st.sampled_from([",", "\t", ";", "|", "§"]), st.sampled_from(BREAKS), st.booleans(), st.booleans(),
       st.booleans())
def test_the_fast_reader_gives_the_csv_modules_rows_or_steps_aside(
        tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, types: list[str], delim: str, brk: str,
        header: bool, blank: bool, last_break: bool) -> None:
    line = st.one_of(st.tuples(*[st.sampled_from(READS[t]) for t in types]),
                     st.lists(st.sampled_from(FIELDS), min_size=1, max_size=3).map(tuple))
    lines = data.draw(st.lists(line, max_size=12))
    tmp = tmp_path_factory.mktemp("coded")
    text = brk.join(delim.join(f) for f in lines)
    if blank:
        text = text.replace(brk, brk + brk, 1)
    if header:
        text = "a" + delim + "b" + brk + text
    if last_break and text:
        text += brk
    path = tmp / "p.csv"
    path.write_bytes(text.encode())
    fast, slow = both(path, spec("csv", delim, header), tuple(types))
    if fast is not None:
        assert fast == slow, (text, types)


@pytest.mark.parametrize("data, types", [
    (b"1,a\n2,b\n1,a\n", ("int", "symbol")),
    (b"1,a\r\n2,b\r\n", ("int", "symbol")),
    (b"\xef\xbb\xbf1,a\n2,b", ("int", "symbol")),
    (b"x,y\n1,a\n\n2,b\n", ("int", "symbol")),
    (b"1,a\n2,b\n", ("number", "string")),
    (b"1.5,a\n-2,1\n", ("number", "any")),
    (b"  3,\xc3\xa9\n", ("int", "symbol")),
    (b"1,\n2,b\n", ("int", "string")),
    (b"5\n\n7\n", ("any",)),
])
def test_plain_files_are_read_the_fast_way(tmp_path: Path, data: bytes, types: tuple[str, ...]) -> None:
    """Could the fast reader step aside always and pass the test above? Not on these plain files."""
    path = tmp_path / "p.csv"
    path.write_bytes(data)
    fast, slow = both(path, spec("csv", ",", data.startswith(b"x,y")), types)
    assert fast is not None and fast == slow


@pytest.mark.parametrize("data, types", [
    (b'1,"a,b"\n', ("int", "symbol")),  # quotes: the csv module's strict quoting decides
    (b"1,a\r2,b\r", ("int", "symbol")),  # a lone CR ends a line for the csv module
    (b"1,a\n2\n", ("int", "symbol")),  # a line of another number of fields
    (b"1,a\nx,b\n", ("int", "symbol")),  # a value its type does not read
    (b"1.0,a\n1.00,a\n", ("number", "symbol")),  # two texts of one value: which stays is the csv reader's
    (b"1,a\x00\n", ("int", "symbol")),
    (b"1,\xe9\n", ("int", "symbol")),  # not UTF-8
])
def test_what_is_not_plain_goes_the_careful_way(tmp_path: Path, data: bytes, types: tuple[str, ...]) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(data)
    assert both(path, spec("csv", ",", False), types)[0] is None


def write_kg(tmp: Path, rows: int, bad: str | None = None) -> Path:
    lines = [f"{i},{('person', 'company', 'bank', 'vessel')[i % 4]}" for i in range(rows)]
    if bad is not None:
        lines[rows // 2] = bad
    (tmp / "type.csv").write_text("\n".join(lines) + "\n")
    (tmp / "name.tsv").write_text("".join(f"{i}\t\"n{i % 97}\"\t{i % 7}.5\r\n" if i == 3 else f"{i}\tn{i % 97}\t{i % 7}.5\r\n"
                                          for i in range(rows)))
    (tmp / "owns.csv").write_text("".join(f"{i},{(i * 7) % rows}\n" for i in range(rows)))
    (tmp / "p.dl").write_text(
        ".decl type(x: int, t: symbol)\n.input type { file: \"type.csv\" }\n"
        ".decl name(x: int, s: string, w: number)\n.input name { file: \"name.tsv\" }\n"
        ".decl owns(x: int, y: int)\n.input owns { file: \"owns.csv\" }\n"
        "controls(X, Y) :- owns(X, Y), type(Y, company).\n"
        "controls(X, Z) :- controls(X, Y), owns(Y, Z), type(Z, company).\n"
        "banker(X, S, W) :- owns(X, B), type(B, bank), name(X, S, W).\n"
        "odd(T, N) :- type(_, T), N = count { X : type(X, T), name(X, _, W), W > 3 }.\n")
    return tmp / "p.dl"


def models(path: Path) -> list[dict[str, set[tuple[object, ...]]]]:
    out = []
    for columnar in (True, False):
        for vectorized in ("on", "off"):
            m = engine.load(path).evaluate(options=replace(SMALL, columnar=columnar, vectorized=vectorized))
            out.append({p: kinds(m.relation(p)) for p in m.relations})
    return out


def test_coded_relations_give_the_models_tuples_give(tmp_path: Path) -> None:
    got = models(write_kg(tmp_path, 3000))
    assert all(m == got[-1] for m in got)
    assert len(got[0]["banker"]) and len(got[0]["controls"])


@pytest.mark.parametrize("bad", ["12,fund,x", "x1,bank", "7"])
def test_a_bad_line_is_the_same_positioned_error_both_ways(tmp_path: Path, bad: str) -> None:
    path = write_kg(tmp_path, 3000, bad)
    errors = []
    for columnar in (True, False):
        with pytest.raises(engine.SyllogError) as exc:
            engine.load(path).evaluate(options=replace(SMALL, columnar=columnar))
        errors.append(str(exc.value))
    assert errors[0] == errors[1] and "type.csv:1501:" in errors[0]


def test_the_relation_is_held_coded_until_tuples_are_needed(tmp_path: Path) -> None:
    write_kg(tmp_path, 3000)
    (tmp_path / "q.dl").write_text((tmp_path / "p.dl").read_text().split("controls")[0])
    prog = engine.load(tmp_path / "q.dl")
    m = prog.evaluate(options=SMALL)
    assert m.size("type") == 3000 and m.size("name") == 3000
    assert ("type", 2) in {(p, len(next(iter(m.relation(p))))) for p in ("type",)}
    assert (1, "company") in m.relation("type") and (2, "company") not in m.relation("type")


def test_small_programs_do_not_import_pyarrow(tmp_path: Path) -> None:
    """pyarrow costs some 0.1 s to import (after numpy): only programs with large files of symbols pay it."""
    import subprocess
    import sys

    (tmp_path / "p.dl").write_text('.decl t(x: int, k: symbol)\n.input t { file: "t.csv" }\nq(X) :- t(X, bank).\n')
    code = ("import sys, engine; m = engine.load(sys.argv[1]).evaluate(); "
            "print(m.size('q'), 'pyarrow' in sys.modules, 'pandas' in sys.modules)")
    for rows, imported in ((2000, "False"), (200_000, "True")):
        (tmp_path / "t.csv").write_text("".join(f"{i},{('bank', 'fund')[i % 2]}\n" for i in range(rows)))
        got = subprocess.run([sys.executable, "-c", code, str(tmp_path / "p.dl")], capture_output=True, text=True)
        assert got.stdout.split() == [str(rows // 2), imported, "False"], got.stderr


def test_a_delimiter_pyarrow_cannot_take_goes_the_careful_way(tmp_path: Path) -> None:
    """pyarrow's delimiter is one byte: a non-ASCII one is the csv module's (it raised ValueError once)."""
    (tmp_path / "t.csv").write_text("".join(f"{i}§k{i % 3}\n" for i in range(3000)))
    (tmp_path / "p.dl").write_text('.decl t(x: int, k: symbol)\n.input t { file: "t.csv", delimiter: "§" }\n'
                                   "q(X) :- t(X, k1).\n")
    got = [engine.load(tmp_path / "p.dl").evaluate(options=replace(SMALL, columnar=c)).size("q") for c in (True, False)]
    assert got == [1000, 1000]


def test_without_pyarrow_the_csv_module_reads_every_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pyarrow is a dependency, but a program must read the same without it (an install that lacks it)."""
    path = write_kg(tmp_path, 3000)
    with_it = models(path)[0]
    for name in ("pyarrow", "pyarrow.csv", "pyarrow.compute"):
        monkeypatch.setitem(__import__("sys").modules, name, None)  # `import pyarrow` raises ImportError
    assert io._coded(tmp_path / "type.csv", spec("csv", ",", False), (n.Param("x", "int"), n.Param("t", "symbol"))) \
        is None
    assert models(path)[0] == with_it


def test_integers_written_plainly_are_read_in_c_and_others_by_int() -> None:
    """An int column of texts `str` would write (`-12`, `0`) is cast by pyarrow; any other writing
    (`007`, `+5`, `-0`, ` 5`, `1_000`, past int64) leaves it to `int`, text by text."""
    import pyarrow as pa

    from engine.evaluation import coded

    got = coded._canonical_ints(pa.array(["30", "-12", "0", "30", str(1 << 62)]))
    assert got is not None
    codes, values = got
    assert [values[c] for c in codes.tolist()] == [30, -12, 0, 30, 1 << 62]
    assert {type(v) for v in values} == {int}
    for odd in ("007", "+5", "-0", " 5", "1_000", "99999999999999999999999", "x", ""):
        assert coded._canonical_ints(pa.array(["1", odd])) is None, odd
