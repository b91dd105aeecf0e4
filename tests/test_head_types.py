"""A declared column holds values of its type only (engine.analysis.head_types, E604).

A rule whose head argument may be of its column's type or of another (a variable from an `any` column, a
quotient, `avg`) is checked at run time, in memory, in an incremental update, on demand and on the SQL
backends; the error is the same everywhere (the least value in value order, at the rule's argument).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import engine
from engine.analysis.head_types import head_checks
from engine.backends import evaluate_sql
from engine.evaluation.options import DEFAULT_OPTIONS, EvaluationOptions
from engine.session import Session

ROOT = Path(__file__).resolve().parents[1]

CASES = [
    # (program, the E604 message, or None when the data keeps to the types)
    (".decl r(x: any)\n.decl h(x: int)\nr(7). r(abc). r(\"s\"). r(2.5).\nh(X) :- r(X).\n",
     "this rule derived `2.5` (a decimal) for `h`'s `x: int`"),
    (".decl r(x: any)\n.decl s(x: symbol)\nr(zz). r(3). r(abc).\ns(X) :- r(X).\n",
     "this rule derived `3` (an integer) for `s`'s `x: symbol`"),
    (".decl v(x: int)\n.decl h(x: int)\nv(7). v(4).\nh(M) :- v(V), M = V / 2.\n",
     "this rule derived `3.5` (a decimal) for `h`'s `x: int`"),
    (".decl v(x: int)\n.decl a(x: int)\nv(7). v(4).\na(A) :- A = avg { X : v(X) }.\n",
     "this rule derived `5.5` (a decimal) for `a`'s `x: int`"),
    (".decl r(x: any)\n.decl h(x: int)\nr(7). r(12).\nh(X) :- r(X).\n", None),
    (".decl v(x: int)\n.decl h(x: int)\nv(8). v(4).\nh(M) :- v(V), M = V / 2.\n", None),
    # recursion: the bad value appears in a later round
    (".decl e(a: int, b: any)\n.decl p(a: int, b: int)\ne(1, 2). e(2, 3). e(3, x).\n"
     "p(A, B) :- e(A, B).\np(A, C) :- p(A, B), e(B, C).\n",
     "this rule derived `x` (a symbol) for `p`'s `b: int`"),
    # a string column through an `any` one into an `int` one (on SQL the column holds strings only)
    (".decl r(x: string)\n.decl h(x: any)\n.decl g(x: int)\nr(\"a\").\nh(X) :- r(X).\ng(X) :- h(X).\n",
     "this rule derived `\"a\"` (a string) for `g`'s `x: int`"),
    # two checked columns of one stratum, the later column's rule first: the same column reported everywhere
    (".decl r(a: any, b: any)\n.decl h(a: int, b: int)\nr(x, y).\nh(1, B) :- r(_, B).\nh(A, 2) :- r(A, _).\n",
     "this rule derived `x` (a symbol) for `h`'s `a: int`"),
]


def _error(run: object) -> str | None:
    try:
        run()  # type: ignore[operator]
    except engine.SyllogError as exc:
        assert [d.code for d in exc.diagnostics] == ["E604"], exc.diagnostics
        return exc.diagnostics[0].message
    return None


@pytest.mark.parametrize("options", [DEFAULT_OPTIONS, EvaluationOptions(vectorized="on", chain_strata=False),
                                     EvaluationOptions(closures=False, chain_strata=False)], ids=["default", "vector",
                                                                                                  "tuples"])
@pytest.mark.parametrize("text,message", CASES)
def test_in_memory(text: str, message: str | None, options: EvaluationOptions) -> None:
    loaded = engine.load_text(text)
    assert head_checks(loaded.program), "each case has a column to check"
    assert _error(lambda: loaded.evaluate(options=options)) == message


@pytest.mark.parametrize("backend", ["duckdb", "postgres"])
@pytest.mark.parametrize("text,message", [c for c in CASES if "avg" not in c[0]])  # (SQL has no `avg`: E905)
def test_sql_backends_as_in_memory(backend: str, text: str, message: str | None,
                                   request: pytest.FixtureRequest) -> None:
    database = request.getfixturevalue("postgres") if backend == "postgres" else None
    loaded = engine.load_text(text)
    assert _error(lambda: evaluate_sql(loaded.program, backend=backend, database=database).close()) == message


def test_the_error_points_at_the_argument() -> None:
    loaded = engine.load_text(CASES[2][0])
    with pytest.raises(engine.SyllogError) as got:
        loaded.evaluate()
    d = got.value.diagnostics[0]
    assert (d.span.line, d.span.col) == (4, 3) and "compute a value of that type" in (d.help or "")


def test_an_added_fact_is_checked_as_a_first_evaluation() -> None:
    session = Session(text=".decl r(x: any)\n.decl h(x: int)\nr(7).\nh(X) :- r(X).\n")
    assert session.model.relation("h") == {(7,)}
    with pytest.raises(engine.SyllogError) as got:
        session.add("r(abc).")
    assert got.value.diagnostics[0].message == "this rule derived `abc` (a symbol) for `h`'s `x: int`"
    assert session.model.relation("h") == {(7,)}  # the state before the change


def test_a_goal_on_demand_checks_what_it_derives() -> None:
    loaded = engine.load_text(CASES[0][0])
    assert _error(lambda: loaded.evaluate_for("h(abc)", demand="on")) == \
        "this rule derived `abc` (a symbol) for `h`'s `x: int`"


def test_programs_that_keep_to_their_types_check_nothing() -> None:
    """The article's knowledge base and the examples: no column to check, so no cost."""
    for paths in ([ROOT / "rules", ROOT / "facts"], [ROOT / "examples" / "ofac"]):
        loaded = engine.load(list(paths))
        assert head_checks(loaded.program) == []


@pytest.mark.parametrize("backend", ["memory", "duckdb", "postgres"])
@pytest.mark.parametrize("body", ["r(X), t(X)", "t(X), r(X)"])
def test_an_integral_decimal_joined_with_an_int_column_keeps_the_int_column_integers(
        backend: str, body: str, request: pytest.FixtureRequest) -> None:
    """50 = 50.0: joined with `t`'s 50, `r`'s 50.0 must not land in `h`'s `int` column as a decimal (it did
    when `r` came first, and the output `50.0` could not be read back by the same declaration). It is held as
    the integer it equals, whatever the order of the body, and so is what follows from it (`g`)."""
    text = (f".decl r(x: any)\n.decl t(x: int)\n.decl h(x: int)\n.decl g(x: int)\nr(50.0). r(2.5). r(7).\n"
            f"t(50). t(7).\nh(X) :- {body}.\ng(Y) :- h(X), Y = X + 1.\n")
    loaded = engine.load_text(text)
    if backend == "memory":
        model = loaded.evaluate()
        got = {p: set(model.relation(p)) for p in ("h", "g")}
    else:
        database = request.getfixturevalue("postgres") if backend == "postgres" else None
        with evaluate_sql(loaded.program, backend=backend, database=database) as sql_model:
            got = {p: set(sql_model.relation(p)) for p in ("h", "g")}
    assert got == {"h": {(50,), (7,)}, "g": {(51,), (8,)}}
    assert all(type(v) is int for rows in got.values() for (v,) in rows), got


def test_the_sql_backends_find_the_checked_columns_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """`head_checks` looks at every rule; called for every stratum it made a program of many strata quadratic
    (1,000 one-rule strata: 11 s of 36 on DuckDB, with no column to check)."""
    import engine.backends.sql as sql

    calls: list[int] = []
    whole = sql.checks_by_column
    monkeypatch.setattr(sql, "checks_by_column", lambda program: (calls.append(1), whole(program))[1])
    text = ".decl p0(x: int)\np0(1).\n" + "".join(f".decl p{i}(x: int)\np{i}(X) :- p{i - 1}(X).\n"
                                                  for i in range(1, 30))
    with evaluate_sql(engine.load_text(text).program, backend="duckdb") as model:
        assert model.relation("p29") == {(1,)}
    assert len(calls) <= 1


def test_a_model_kept_before_the_check_is_evaluated_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database kept by an engine without E604 (catalog format 1) may hold symbols in an `int` column; with
    `reuse` it was answered from as it stood, since the catalog's format (and so the fingerprint) was the same."""
    import engine.backends.catalog as catalog
    import engine.backends.sql as sql

    loaded = engine.load_text(CASES[0][0])
    database = str(tmp_path / "kept.duckdb")
    with monkeypatch.context() as before:  # the engine as it was: no column checked, catalog format 1
        before.setattr(catalog, "FORMAT", 1)
        before.setattr(sql, "checks_by_column", lambda program: {})
        with evaluate_sql(loaded.program, backend="duckdb", database=database) as model:
            assert ("abc",) in set(model.relation("h"))
    assert _error(lambda: evaluate_sql(loaded.program, backend="duckdb", database=database, reuse=True).close()) \
        == CASES[0][1]
