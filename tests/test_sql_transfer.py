"""SQL backends in bulk: `.output` written by the database, byte for byte as in memory; rows streamed, never
pulled whole; `.input` files and facts loaded by the database (engine.backends.transfer, engine.backends.sql).

The PostgreSQL cases use the session fixture `postgres` of tests/conftest.py (they fail, not skip, under CI=1).
"""

from __future__ import annotations

import csv
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import engine
from engine.backends import evaluate_sql
from engine.backends.store import DuckDBStore, PostgresStore, Store
from engine.evaluation.io import write_outputs
from engine.values import String, quote

WEIRD = ["", "a,b", 'say "hi"', "two\nlines", "tab\there", "cr\rx", "back\\slash", "é ü", "日本", "  pad ",
         "#x", "'q'", "a;b", "x" * 40, "\\.", "\\N", "null", "1", "-2.5"]


def _decimal(rng: random.Random) -> Decimal:
    """A decimal as the SQL backends hold it (at most 10 digits after the point, no trailing zeros but one)."""
    places = rng.randint(1, 10)
    d = Decimal(rng.randint(-10**12, 10**12)).scaleb(-places)
    text = format(d.normalize(), "f")
    return Decimal(text if "." in text else text + ".0")


def _value(rng: random.Random, kinds: str) -> str:
    """A value as written in a fact: of one of `kinds` (i: integer, d: decimal, s: symbol, t: string)."""
    k = rng.choice(kinds)
    if k == "i":
        return str(rng.choice([0, 1, -1, 7, 2**40, -(2**62), rng.randint(-10**6, 10**6)]))
    if k == "d":
        return str(_decimal(rng))
    if k == "s":
        return rng.choice(["a", "b", "zz", "x_1", "north_korea", "b2"])
    return quote(rng.choice(WEIRD))


def _program(rng: random.Random, folder: Path, small: bool) -> str:
    """Facts of mixed kinds, an input of symbols with any characters, rules that mix them, outputs of each format."""
    lines = []
    for pred, arity, kinds in [("f", 2, "idst"), ("g", 1, "st"), ("h", 3, "id"), ("k", 1, "t")]:
        for _ in range(rng.randint(1, 30)):
            lines.append(f"{pred}({', '.join(_value(rng, kinds) for _ in range(arity))}).")
    if small:
        lines.append("h(1, 0.0000001, -0.00000025).")  # written with an exponent in Python: not by the database
    with open(folder / "sym.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        for _ in range(rng.randint(1, 20)):
            # (not a carriage return: Python's csv module writes it unquoted, and reads it as a line break)
            w.writerow([rng.choice([t for t in WEIRD if "\r" not in t] + ["plain"]), rng.randint(-5, 5)])
    lines += [
        ".decl s(name: symbol, n: int)", '.input s { file: "sym.csv" }',
        "m(X, Y) :- f(X, Y).", "m(X, N) :- s(X, N).", "m(X, X) :- g(X).", "one(X) :- g(X).", "one(X) :- k(X).",
        "num(X, Y, Z) :- h(X, Y, Z).", "sy(X) :- s(X, _).", ".decl m(a: any, b: any)", ".decl one(a: any)",
        ".decl num(a: number, b: number, c: number)", ".decl sy(a: symbol)",
    ]
    for pred in ["m", "one", "num", "sy"]:
        for fmt in ["csv", "tsv", "jsonl", "parquet"]:
            lines.append(f'.output {pred} {{ file: "{pred}.{fmt}" }}')
    # the options every writer reads from the one spec (engine.formats.DataSpec): a delimiter, a header line
    lines += ['.output m { file: "m_semi.csv", delimiter: ";", header: true }',
              '.output one { file: "one_pipe.tsv", delimiter: "|" }']
    return "\n".join(lines) + "\n"


def _outputs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())
            if p.suffix in (".csv", ".tsv", ".jsonl", ".parquet")
            and p.name != "sym.csv"}


def _backend(backend: str, request: pytest.FixtureRequest) -> str | None:
    return request.getfixturevalue("postgres") if backend == "postgres" else None


@pytest.mark.parametrize("backend", ["duckdb", "postgres"])
@pytest.mark.parametrize("seed", range(6))
def test_output_bytes_are_the_in_memory_writer_s(backend: str, seed: int, tmp_path: Path,
                                                  request: pytest.FixtureRequest) -> None:
    database = _backend(backend, request)
    rng = random.Random(seed)
    mem_dir, sql_dir = tmp_path / "mem", tmp_path / "sql"
    mem_dir.mkdir()
    sql_dir.mkdir()
    text = _program(rng, mem_dir, small=seed % 3 == 2)
    for d in (mem_dir, sql_dir):
        (d / "p.dl").write_text(text, encoding="utf-8")
    (sql_dir / "sym.csv").write_bytes((mem_dir / "sym.csv").read_bytes())
    mem = engine.load(str(mem_dir / "p.dl"))
    write_outputs(mem.program, mem.evaluate().relation)
    loaded = engine.load(str(sql_dir / "p.dl"))
    with evaluate_sql(loaded.program, backend=backend, database=database, log=True) as model:
        write_outputs(loaded.program, model.relation, model.write_output)
        copies = [s for s in model.log if s.startswith("COPY (")]
    assert _outputs(sql_dir) == _outputs(mem_dir)
    # every csv and tsv file is written by the database, but where a decimal needs an exponent (`small`)
    assert len(copies) == 10 - (2 if seed % 3 == 2 else 0)
    assert (mem_dir / "m_semi.csv").read_text(encoding="utf-8").startswith("a;b\n")


class Counting:
    """Counts the rows a store hands to Python (through `fetch` and `stream`)."""

    def __init__(self, store: Store) -> None:
        self.rows = 0
        fetch, stream = store.fetch, store.stream

        def counted_fetch(e: Any) -> list[tuple[Any, ...]]:
            got = fetch(e)
            self.rows += len(got)
            return got

        def counted_stream(e: Any, batch: int = 10_000) -> Any:
            for row in stream(e, batch):
                self.rows += 1
                yield row

        store.fetch = counted_fetch  # type: ignore[method-assign]
        store.stream = counted_stream  # type: ignore[method-assign]


@pytest.mark.parametrize("backend", ["duckdb", "postgres"])
def test_a_large_output_never_passes_through_python(backend: str, tmp_path: Path,
                                                    request: pytest.FixtureRequest) -> None:
    database = _backend(backend, request)
    digits = " ".join(f"d({k})." for k in range(450))
    (tmp_path / "p.dl").write_text(f'{digits}\n.decl p(a: int, b: int, c: string)\n'
                                   'p(X, Y, "s") :- d(X), d(Y).\n.output p { file: "p.csv" }\n', encoding="utf-8")
    loaded = engine.load(str(tmp_path / "p.dl"))
    with evaluate_sql(loaded.program, backend=backend, database=database, provenance=False) as model:
        seen = Counting(model.store)
        write_outputs(loaded.program, model.relation, model.write_output)
        assert seen.rows < 100
    lines = (tmp_path / "p.csv").read_text().splitlines()
    assert len(lines) == 450 * 450 and lines[:2] == ["0,0,s", "0,1,s"] and lines[-1] == "449,449,s"


@pytest.mark.parametrize("backend", ["duckdb", "postgres"])
def test_relation_and_answers_come_in_batches(backend: str, request: pytest.FixtureRequest) -> None:
    database = _backend(backend, request)
    loaded = engine.load_text(" ".join(f"d({k})." for k in range(160)) + " n(X * 1000 + Y) :- d(X), d(Y)."
                              " m(X, a) :- n(X). m(X, \"s\") :- n(X).")
    with evaluate_sql(loaded.program, backend=backend, database=database, provenance=False) as model:
        rel = model.relation("m")
        batches: list[int] = []
        stream = model.store.stream

        def watched(e: Any, batch: int = 10_000) -> Any:
            batches.append(batch)
            return stream(e, batch)

        model.store.stream = watched  # type: ignore[method-assign]
        assert len(rel) == 2 * 160 * 160 and (7, "a") in rel and (7, String("s")) in rel and (7, "b") not in rel
        rows = list(rel)
        assert len(rows) == 2 * 160 * 160 and set(rows) == rel and rel == set(rows)
        assert (rel - {(7, "a")}) == set(rows) - {(7, "a")} and isinstance(rel | set(), set)
        answers = model.query("m(X, Y), X > 159150")
        assert answers.rows == sorted(answers.rows, key=engine.values.row_key) and len(answers.rows) == 18
        assert batches and all(b == 10_000 for b in batches)
    with pytest.raises(AttributeError):
        rel.add((1, "a"))  # type: ignore[attr-defined]


def test_stores_stream_with_their_own_cursor(postgres: str) -> None:
    for store in (DuckDBStore(None, None, None, None, "syllog"), PostgresStore(postgres, "syllog", None)):
        rows = store.stream("SELECT 1 AS v UNION ALL SELECT 2 ORDER BY v", batch=1)  # (UNION ALL alone has no order)
        assert next(rows) == (1,)
        assert store.fetch("SELECT 3") == [(3,)]  # a statement between two batches
        assert list(rows) == [(2,)]
        store.close()



INPUTS = {
    "e.csv": "1,2\n2,3\n3,4\n3,4\n-7,9\n",
    "names.tsv": "id\tname\nturkey\tTürkiye\nrussia\tRus, sia\nback\t\\N\nslash\t\\.x\n",
    "quoted.csv": 'a,"Rus, sia"\nb,"say ""hi"""\nc,plain\n',
    "w.csv": "a,2.5\nb,3\nc,50.0\nc,50\nd,-0.125\n",
    "any.csv": "1\n2.5\nhello\n-3\n",
    "blank.csv": "1\n\n2\n",
    "odd.csv": "+1,2\n 3,4\n",
}
DECLS = """
.decl e(a: int, b: int)
.input e { file: "e.csv" }
.decl name(id: symbol, name: string)
.input name { file: "names.tsv", header: true }
.decl quoted(id: symbol, name: string)
.input quoted { file: "quoted.csv" }
.decl w(k: symbol, v: number)
.input w { file: "w.csv" }
.decl anything(x: any)
.input anything { file: "any.csv" }
.decl blank(x: int)
.input blank { file: "blank.csv" }
.decl odd(x: int, y: int)
.input odd { file: "odd.csv" }
e(1, 2). e(100, 200).
"""


@pytest.mark.parametrize("backend", ["duckdb", "postgres"])
def test_inputs_loaded_by_the_database_as_in_memory(backend: str, tmp_path: Path,
                                                    request: pytest.FixtureRequest) -> None:
    database = _backend(backend, request)
    for name, text in INPUTS.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "p.dl").write_text(DECLS, encoding="utf-8")
    loaded = engine.load(str(tmp_path / "p.dl"))
    mem = loaded.evaluate()
    with evaluate_sql(loaded.program, backend=backend, database=database, log=True) as model:
        for pred in ["e", "name", "quoted", "w", "anything", "blank", "odd"]:
            assert set(model.relation(pred)) == mem.relation(pred), pred
            assert model.size(pred) == len(mem.relation(pred)), pred
        staged = [s for s in model.log if "FROM STDIN (FORMAT csv" in s or "READ_CSV" in s.upper()]
    # every file is given to the database first; what it would read otherwise than Python (PostgreSQL: a quote;
    # both: the blank line, `+1`, ` 3`) is then read by Python, with the same relations
    assert len(staged) == 7


FIELD_INPUTS = {
    # symbol, int: duplicates, a blank line, numbers as JSON numbers or strings, awkward text
    "j.jsonl": '["a", 1]\n["b", "2"]\n["a", 1]\n\n["\\u00e9,\\"q\\"", -3]\n["tab\\there", 40000000000]\n',
    # an integral decimal beside its integer: the in-memory reader keeps the first, so Python reads this file
    "jn.jsonl": '["x", 2.5]\n["y", 50.0]\n["y", 50]\n',
}
FIELD_DECLS = """
.decl j(a: symbol, b: int)
.input j { file: "j.jsonl" }
.decl jn(a: symbol, b: number)
.input jn { file: "jn.jsonl" }
.decl p(a: symbol, b: int, c: any)
.input p { file: "p.parquet" }
.decl pf(a: symbol, b: number)
.input pf { file: "pf.parquet" }
j(a, 1). p(zz, 0, 1).
"""


def _parquet_inputs(folder: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = ["a", "b", "a", "say \"hi\"", "two\nlines", "日本"] * 50
    table = pa.table({"a": pa.array(names).dictionary_encode(), "b": list(range(300)),
                      "c": ["1", "x", "2.5", "-4", "hello", "7"] * 50})
    pq.write_table(table, folder / "p.parquet", row_group_size=64)
    pq.write_table(pa.table({"a": ["u", "v"], "b": [2.5, 0.125]}), folder / "pf.parquet")  # floats: Python reads


@pytest.mark.parametrize("backend", ["duckdb", "postgres"])
def test_jsonl_and_parquet_inputs_are_streamed_to_the_database(backend: str, tmp_path: Path,
                                                               request: pytest.FixtureRequest,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.backends.sql as sql
    import engine.evaluation.io as io

    database = _backend(backend, request)
    for name, text in FIELD_INPUTS.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    _parquet_inputs(tmp_path)
    (tmp_path / "p.dl").write_text(FIELD_DECLS, encoding="utf-8")
    loaded = engine.load(str(tmp_path / "p.dl"))
    mem = loaded.evaluate()
    by_python: list[str] = []
    streamed = io.input_rows
    monkeypatch.setattr(io, "input_rows", lambda program, d: (by_python.append(d.pred), streamed(program, d))[1])
    monkeypatch.setattr(sql, "STAGE_ROWS", 40)
    staged: list[tuple[str, int]] = []
    store_class = DuckDBStore if backend == "duckdb" else PostgresStore
    insert = store_class.insert_rows

    def watched(self: Store, name: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        staged.append((name, len(rows)))
        insert(self, name, columns, rows)  # type: ignore[arg-type]

    monkeypatch.setattr(store_class, "insert_rows", watched)
    with evaluate_sql(loaded.program, backend=backend, database=database, log=True) as model:
        for pred in ["j", "jn", "p", "pf"]:
            assert set(model.relation(pred)) == mem.relation(pred), pred
            assert model.size(pred) == len(mem.relation(pred)), pred
        read_by_duckdb = [s for s in model.log if "READ_PARQUET(" in s.upper()]
    assert sorted(by_python) == ["jn", "pf"]  # j and p went to the database
    if backend == "duckdb":  # DuckDB reads the Parquet file itself
        assert len(read_by_duckdb) == 1 and not [n for name, n in staged if name == "_in_p"]
    else:  # 40 rows a statement
        assert [n for name, n in staged if name == "_in_p"] == [40] * 7 + [20] and not read_by_duckdb
    assert [n for name, n in staged if name == "_in_j"] == [5]
    # what Python reads is streamed too, a batch at a time, deduplicated there: jn's 50 and 50.0 are one row
    # (jn was staged as text first, 3 rows, and left to Python when the checks found the integral decimal)
    assert [n for name, n in staged if name == "_in_jn"] == [3, 2]
    assert [n for name, n in staged if name == "_in_pf"] == [2]
    assert len(mem.relation("p")) == 301 and ("two\nlines", 4, "hello") in mem.relation("p")


@pytest.mark.parametrize("backend", ["duckdb", "postgres"])
def test_a_bad_jsonl_or_parquet_input_is_reported_as_in_memory(backend: str, tmp_path: Path,
                                                               request: pytest.FixtureRequest) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    database = _backend(backend, request)
    (tmp_path / "a.jsonl").write_text('["a", 1]\n["b", true]\n', encoding="utf-8")
    pq.write_table(pa.table({"a": ["u", None]}), tmp_path / "b.parquet")
    for decl in ['.decl a(x: symbol, n: int)\n.input a { file: "a.jsonl" }\n',
                 '.decl b(x: symbol)\n.input b { file: "b.parquet" }\n']:
        (tmp_path / "p.dl").write_text(decl, encoding="utf-8")
        loaded = engine.load(str(tmp_path / "p.dl"))
        with pytest.raises(engine.SyllogError) as in_memory:
            loaded.evaluate()
        with pytest.raises(engine.SyllogError) as in_sql:
            evaluate_sql(loaded.program, backend=backend, database=database).close()
        assert [str(d) for d in in_sql.value.diagnostics] == [str(d) for d in in_memory.value.diagnostics]
        assert in_sql.value.diagnostics[0].code == "E704"


def test_facts_go_in_one_statement_a_predicate(postgres: str) -> None:
    text = " ".join(f"e({k}, {k + 1})." for k in range(2000)) + ' s("x\ty"). s("a\\\\b"). p(X) :- e(X, _).'
    loaded = engine.load_text(text)
    for backend, database in (("duckdb", None), ("postgres", postgres)):
        with evaluate_sql(loaded.program, backend=backend, database=database, log=True) as model:
            assert model.size("e") == 2000 and model.size("p") == 2000
            assert set(model.relation("s")) == {(String("x\ty"),), (String("a\\b"),)}
            inserts = [s for s in model.log if s.startswith(("INSERT INTO", "COPY")) and '"e"' in s.split("(")[0]]
            assert len(inserts) == 1, inserts


def test_postgres_rounds_keep_statistics_and_index_the_relation(postgres: str,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.backends.sql as sql

    monkeypatch.setattr(sql, "INDEX_ROWS", 5000)  # (10,000,000 by default)
    chain = " ".join(f"e({k}, {k + 1})." for k in range(150))
    loaded = engine.load_text(chain + " path(X, Y) :- e(X, Y). path(X, Z) :- path(X, Y), e(Y, Z).")
    # a work_mem: the loop runs (not one recursive CTE), as it does past memory
    with evaluate_sql(loaded.program, backend="postgres", database=postgres, memory_limit="64MB",
                      provenance=False, log=True) as model:
        assert model.size("path") == 150 * 151 // 2
        log = model.log
    index = [k for k, s in enumerate(log) if s.startswith("CREATE INDEX") and '"path"' in s]
    delta_stats = [s for s in log if s.startswith("ANALYZE") and ('"_d_path"' in s or '"_e_path"' in s)]
    rel_stats = [s for s in log if s == 'ANALYZE "syllog"."path"']
    rounds = [k for k, s in enumerate(log) if s.startswith('INSERT INTO "syllog"."path"')]
    # indexed once, after the round it reaches 5,000 tuples in (round 39 of the chain: 150 + 149 + ... + 112)
    assert len(index) == 1 and rounds[38] < index[0] < rounds[39]
    assert len(delta_stats) >= 140  # every round's delta, for the next round's plan
    assert 3 <= len(rel_stats) < 20  # the relation each time it has grown by half (and at the stratum's end)
    # the deltas are truncated, not left full of dead rows (the kept model's one-row catalog is deleted: no matter)
    assert not any(s.startswith("DELETE") and '"_model"' not in s for s in log)


def test_a_model_past_memory_is_not_read_back_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """`syllog test` and `syllog snapshot` read a SQL model back into memory; past IN_MEMORY_TUPLES that is E908
    (at the database), not a MemoryError; under it, the in-memory model is the database's."""
    import engine.backends.sql as sql

    loaded = engine.load_text(" ".join(f"e({k}, {k + 1})." for k in range(4)) +
                              " p(X, Y) :- e(X, Y). p(X, Z) :- p(X, Y), e(Y, Z).")
    with evaluate_sql(loaded.program, backend="duckdb") as model:
        assert model.in_memory().relation("p") == loaded.evaluate().relation("p")
        monkeypatch.setattr(sql, "IN_MEMORY_TUPLES", 9)
        with pytest.raises(engine.SyllogError) as got:
            model.in_memory()
    d = got.value.diagnostics[0]
    assert d.code == "E908" and "holds 14 tuples (more than 9)" in d.message and d.span.file == "<database>"


@pytest.mark.parametrize("backend", ["duckdb", "postgres"])
@pytest.mark.parametrize("first", ["50", "50.0"])
def test_a_file_python_reads_is_streamed_and_keeps_the_first_of_equal_values(
        backend: str, first: str, tmp_path: Path, request: pytest.FixtureRequest,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A file the database's checks leave to Python (`+1`) is read by the in-memory reader a batch at a time,
    never whole; as in memory, of `50` and `50.0` (equal) the first in the file is kept, across batches too."""
    import engine.backends.sql as sql

    database = _backend(backend, request)
    second = "50.0" if first == "50" else "50"
    lines = [f"k{i},{i}" for i in range(7)] + [f"a,{first}", "b,+1"] + [f"m{i},{i}" for i in range(7)] + [f"a,{second}"]
    (tmp_path / "w.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "p.dl").write_text('.decl w(k: symbol, v: number)\n.input w { file: "w.csv" }\n', encoding="utf-8")
    loaded = engine.load(str(tmp_path / "p.dl"))
    mem = loaded.evaluate().relation("w")
    monkeypatch.setattr(sql, "STAGE_ROWS", 4)
    with evaluate_sql(loaded.program, backend=backend, database=database) as model:
        got = set(model.relation("w"))
        assert model.size("w") == len(mem) == 16
    assert got == mem
    kept = next(v for k, v in got if k == "a")
    assert str(kept) == first and type(kept) is type(next(v for k, v in mem if k == "a"))
