"""Integer `.input` files held as numpy columns (engine.evaluation.io, relation.ColumnIndex).

The columnar way must give exactly what the tuple way gives: the same rows
from the same bytes (or step aside for the careful reader), the same models
from the same programs, before and after incremental changes.
"""

from __future__ import annotations

import random
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine.evaluation import EvaluationOptions, io
from engine.evaluation.relation import ColumnIndex, Index, Relation
from engine.session import Session

# Files of any size go the columnar way here (in use, only large ones do).
SMALL = EvaluationOptions(columnar_bytes=0, columnar_file_bytes=0)


def careful(data: bytes, arity: int) -> set[tuple[int, ...]] | None:
    """Rows by Python's own rules: non-empty lines of `arity` fields that `int` accepts, or None."""
    rows = set()
    for line in data.decode().splitlines():
        if not line:
            continue
        fields = line.split(",")
        if len(fields) != arity:
            return None
        try:
            rows.add(tuple(int(f) for f in fields))
        except ValueError:
            return None
    return rows


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["0", "1", "7", "42", "-", ",", "\n", "\r\n", " ", "x", "99999999999"]),
                max_size=40),
       st.integers(1, 3))
def test_any_bytes_give_python_rows_or_step_aside(parts: list[str], arity: int) -> None:
    data = "".join(parts).encode()
    got = io._int_columns(data, b",", arity)
    if got is None:
        return  # the careful reader takes the file and reports any bad line
    assert careful(data, arity) == set(zip(*[c.tolist() for c in got]))
    for c in got:
        assert (c[1:] >= c[:-1]).all() or c is not got[0]  # first column sorted
    rows = list(zip(*[c.tolist() for c in got]))
    assert rows == sorted(set(rows))  # distinct, in order


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(-(2**63), 2**63 - 2), st.integers(-5, 5)), max_size=60), st.booleans())
def test_integer_files_are_taken_whole(rows: list[tuple[int, int]], trailing: bool) -> None:
    data = "\n".join(f"{a},{b}" for a, b in rows) + ("\n" if trailing else "")
    got = io._int_columns(data.encode(), b",", 2)
    assert got is not None
    assert list(zip(*[c.tolist() for c in got])) == sorted(set(rows))


def test_too_long_or_odd_fields_step_aside() -> None:
    for data in (b"12345678901234567890,1\n", b"1,9223372036854775808\n", b"-9223372036854775809,1\n",
                 b"9223372036854775807,1\n", b"1,,2\n", b",1\n", b"1,\n", b"1-2,3\n", b"-,3\n", b"+1,2\n",
                 b"1_0,2\n", b"\xef\xbb\xbf1,2\n", b"1,2,3\n", b"1\n"):
        assert io._int_columns(data, b",", 2) is None, data


def write(path: Path, rows: list[tuple[int, ...]]) -> None:
    path.write_text("".join(",".join(map(str, r)) + "\n" for r in rows))


DECLS = """
.decl e(a: int, b: int)
.decl f(a: int, b: int, c: int)
.decl start(x: int)
.decl g(x: number)
.input e { file: "e.csv" }
.input f { file: "f.csv" }
.input start { file: "start.csv" }
g(2.0). g(5).
"""
# Each group alone (so that its relations are still columns when it runs), then all together.
GROUPS = [
    "join1(X, Z) :- e(X, Y), f(Y, Z, _).",
    "join0(X, C) :- f(X, _, C), e(X, 7).",
    "consts(Y) :- f(3, Y, _).",
    "loops(X) :- e(X, X).",
    "same(A) :- f(A, B, B).",
    "missing(X, Y) :- e(X, Y), not f(X, Y, _).",
    "fanout(X, N) :- e(X, _), N = count { Y : e(X, Y) }.",
    "weight(X, S) :- start(X), S = sum { C : f(X, _, C) }.",
    "reach(X) :- start(X).\nreach(Y) :- reach(X), e(X, Y).",
    "from_number(Y) :- g(X), e(X, Y).",
    "blocked(X) :- start(X).\nblocked(C) :- e(_, C), S = sum { P : f(O, C, P), blocked(O) }, S >= 50.",
]


def both_ways(path: Path, provenance: bool = False) -> tuple[dict[str, set[tuple[object, ...]]], ...]:
    out = []
    for columnar in (True, False):
        m = engine.load(path).evaluate(provenance=provenance, options=replace(SMALL, columnar=columnar))
        out.append({name: m.relation(name) for name in m.relations})
    return tuple(out)


def models(tmp: Path, scale: int, seed: int, dense: bool) -> list[tuple[dict[str, set[tuple[object, ...]]], ...]]:
    rng = random.Random(seed)
    spread = 1 if dense else 1000
    e = [(rng.randrange(scale) * spread, rng.randrange(scale) * spread) for _ in range(2 * scale)]
    e += [(x, x) for x, _ in e[:5]] + [(0, 7 * spread), (2, 3), (5, 5)] + e[:20]  # loops, duplicates
    f = [(rng.randrange(scale) * spread, rng.randrange(scale) * spread, rng.randrange(60)) for _ in range(2 * scale)]
    f += [(3, 1, 1), (3, 4, 4), (-6, 2, 2)]
    write(tmp / "e.csv", e)
    write(tmp / "f.csv", f)
    write(tmp / "start.csv", [(x,) for x, _ in e[:3]])
    out = []
    for rules in [*GROUPS, "\n".join(GROUPS)]:
        (tmp / "p.dl").write_text(DECLS + rules + "\n")
        out.append(both_ways(tmp / "p.dl"))
    return out


@pytest.mark.parametrize("scale, dense", [(3000, True), (3000, False), (40, True)])
def test_columnar_and_tuple_relations_give_the_same_model(tmp_path: Path, scale: int, dense: bool,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    held: list[str] = []
    set_columns = Relation.set_columns

    def spy(self: Relation, cols: tuple[object, ...]) -> None:
        held.append(self.name)
        set_columns(self, cols)

    monkeypatch.setattr(Relation, "set_columns", spy)
    pairs = models(tmp_path, scale, seed=scale + dense, dense=dense)
    assert {"e", "f", "start"} <= set(held)  # the columnar way was taken
    for col, tup in pairs:
        assert col == tup
    col = pairs[-1][0]
    assert col["reach"] and col["join1"] and col["consts"] and col["missing"]
    assert col["from_number"] == {(y,) for x, y in col["e"] if x in (2, 5)}


def test_column_relation_keeps_tuples_for_when_they_are_needed(tmp_path: Path) -> None:
    write(tmp_path / "e.csv", [(i % 5000, i) for i in range(10000)] + [(1, 1)])
    (tmp_path / "p.dl").write_text('.decl e(a: int, b: int)\n.input e { file: "e.csv" }\n'
                                   'q(Y) :- s(X), e(X, Y).\ns(7). s(4999).\n')
    s = Session(paths=[tmp_path / "p.dl"], options=SMALL)
    assert s.model.relation("q") == {(7,), (5007,), (4999,), (9999,)}
    # a change to a column relation: it becomes tuples, its indexes are kept up to date
    s.add("e(7, -1).")
    s.add("s(1).")
    s.retract("s(4999)")
    assert s.model.relation("q") == {(7,), (5007,), (-1,), (1,), (5001,)}


def contents(data: object) -> object:
    if isinstance(data, ColumnIndex):
        data = data.thaw()
    if isinstance(data, dict):
        return {k: set(v) for k, v in data.items()}
    return data


@pytest.mark.parametrize("sig", [((0,), (), (), (1, 2)), ((1,), (), (), (0,)), ((2,), (), (), (0, 1)),
                                 ((1,), (), (), (2,)), ((0,), ((2, 4),), (), (1,)), ((0,), (), ((1, 2),), (1,)),
                                 ((0, 1), (), (), (2,)), ((), (), (), (0,)), ((0,), (), (), ()), ((0, 2), (), (), ())])
def test_column_index_answers_as_the_dict_index(sig: object) -> None:
    rng = random.Random(3)
    rows = {(rng.randrange(3000), rng.randrange(50), rng.randrange(9)) for _ in range(9000)}
    expected = Index(sig, 3)  # type: ignore[arg-type]
    expected.add(rows)
    rel = Relation("r", 3)
    rel.set_columns(io._distinct_sorted(np.array(list(rows), dtype=np.int64)))
    assert len(rel) == len(rows)
    got = rel.index(sig)  # type: ignore[arg-type]
    keys = list(expected.data)[:300] + [-1, 10**6, "a", Decimal("2.5"), Decimal(7)]
    for k in keys:
        if expected.exists:
            assert (k in got.data) == (k in expected.data)
        else:
            want, have = expected.data.get(k), got.data.get(k)
            assert (None if want is None else set(want)) == (None if have is None else set(have)), k
    # kept up to date once the relation changes
    rel.add_new({(5000, 1, 2), (7, 7, 7)})
    expected.add({(5000, 1, 2), (7, 7, 7)})
    assert contents(rel.index(sig).data) == contents(expected.data)  # type: ignore[arg-type]
    assert len(rel) == len(rows) + 2


def test_column_index_builds_its_dict_after_many_probes() -> None:
    rel = Relation("r", 2)
    rel.set_columns((np.arange(8000, dtype=np.int64) // 2, np.arange(8000, dtype=np.int64)))
    idx = rel.index(((0,), (), (), (1,)))
    data = idx.data
    assert isinstance(data, ColumnIndex) and data.d is None
    assert data.get(3) == [(6,), (7,)]
    for k in range(4000):
        assert data.get(k) == [(2 * k,), (2 * k + 1,)]
    assert data.d is not None and data.d[3999] == [(7998,), (7999,)]


def test_column_set_answers_membership_then_builds_its_set() -> None:
    rel = Relation("r", 2)
    keys = np.arange(0, 16000, 2, dtype=np.int64)  # even numbers: dense enough for a table of offsets
    rel.set_columns((keys, keys + 1))
    data = rel.index(((0,), (), (), ())).data
    assert isinstance(data, ColumnIndex) and data.exists  # the lazy existence index
    assert 6 in data and 7 not in data and -2 not in data and 16000 not in data
    assert data.d is None
    assert Decimal(6) in data and data.d is not None  # equal to an int key: the set answers
    assert 14 in data and 15 not in data and "a" not in data


def test_small_programs_do_not_import_numpy(tmp_path: Path) -> None:
    """numpy costs some 0.1 s to import: only programs with large integer files pay it."""
    import subprocess
    import sys

    write(tmp_path / "e.csv", [(i, i + 1) for i in range(2000)])
    (tmp_path / "p.dl").write_text('.decl e(a: int, b: int)\n.input e { file: "e.csv" }\nq(X) :- e(X, 5).\n')
    code = ("import sys, engine; m = engine.load(sys.argv[1]).evaluate(); "
            "print(m.relation('q'), 'numpy' in sys.modules)")
    small = subprocess.run([sys.executable, "-c", code, str(tmp_path / "p.dl")], capture_output=True, text=True)
    assert small.stdout.split() == ["{(4,)}", "False"], small.stderr
    write(tmp_path / "e.csv", [(i, i + 1) for i in range(200_000)])
    large = subprocess.run([sys.executable, "-c", code, str(tmp_path / "p.dl")], capture_output=True, text=True)
    assert large.stdout.split() == ["{(4,)}", "True"], large.stderr


@pytest.mark.parametrize("data", [b"a,b\r1,2\n3,4\n", b"a,b\r1,2\r\n3,4\r\n", b"h\x0c1,2\n3,4\n", b"a,b\n1,2\n",
                                  b"a,b\r\n1,2\r\n", b"a,b", b"a,b\n"])
def test_header_lines_end_where_the_careful_reader_ends_them(tmp_path: Path, data: bytes) -> None:
    (tmp_path / "e.csv").write_bytes(data)
    (tmp_path / "p.dl").write_text('.decl e(a: int, b: int)\n.input e { file: "e.csv", header: true }\n')
    col, tup = both_ways(tmp_path / "p.dl")
    assert col == tup


def test_bad_header_is_an_error_both_ways(tmp_path: Path) -> None:
    (tmp_path / "e.csv").write_bytes(b"a,b\rx,y\n1,2\n")
    (tmp_path / "p.dl").write_text('.decl e(a: int, b: int)\n.input e { file: "e.csv", header: true }\n')
    with pytest.raises(engine.SyllogError, match="E704"):
        engine.load(tmp_path / "p.dl").evaluate(options=SMALL)


def test_a_file_that_is_not_utf8_is_a_positioned_error(tmp_path: Path) -> None:
    (tmp_path / "e.csv").write_bytes(b"1,2\n3,\xe94\n")
    (tmp_path / "p.dl").write_text('.decl e(a: int, b: int)\n.input e { file: "e.csv" }\n')
    with pytest.raises(engine.SyllogError) as exc:
        engine.load(tmp_path / "p.dl").evaluate(options=SMALL)
    assert "e.csv:2:3: error[E704]: this file is not UTF-8 text (byte 0xe9)" in str(exc.value)


def test_columns_do_not_outlive_a_chain_stratum(tmp_path: Path) -> None:
    """`.input p` then derived by a chain rule: the grouped form replaces the columns (review finding)."""
    (tmp_path / "p.csv").write_text("1,2\n")
    (tmp_path / "p.dl").write_text("""
.decl p(a: int, b: int)
.input p { file: "p.csv" }
e(2, 3). e(3, 4).
q(X, Y) :- p(X, Y).
p(X, Z) :- q(X, Y), e(Y, Z).
r(Y) :- p(1, Y).
s(X) :- p(X, 4).
n(C) :- C = count { X : p(X, _) }.
""")
    for prov in (False, True):
        col, tup = both_ways(tmp_path / "p.dl", prov)
        assert col == tup
        assert col["r"] == {(2,), (3,), (4,)} and col["s"] == {(1,)} and col["n"] == {(3,)}


def test_an_empty_column_file_is_one_set_for_the_plans(tmp_path: Path) -> None:
    """An empty `.input` relation that rules then derive into (review finding)."""
    (tmp_path / "cand.csv").write_text("\n\n")
    (tmp_path / "p.dl").write_text("""
.decl blocked(e: int)
.decl cand(c: int)
.input cand { file: "cand.csv" }
designated(1).
owns(1, 3, 10). owns(1, 5, 60). owns(5, 2, 60). owns(2, 3, 50).
blocked(E) :- designated(E).
cand(C) :- owns(O, C, _), blocked(O).
blocked(C) :- cand(C), S = sum { P : owns(O, C, P), blocked(O) }, S >= 50.
""")
    for prov in (False, True):
        col, tup = both_ways(tmp_path / "p.dl", prov)
        assert col == tup
        assert col["blocked"] == {(1,), (2,), (3,), (5,)}
