"""The vectorized path's joins and aggregates against the tuple path, on the cases its shortcuts depend on.

A join's sorted tuples are shared by the strata of an evaluation (`Encodings.sorted`), keyed by what
decides them (constants told by their type, filters by the columns they read); an aggregate skips
deduplicating its inner rows when its body keeps every tuple whole (`distinct_rows`) and reduces
sums, minima and maxima without sorting (`reduced`). Each test here would give another answer if
one of those were wrong.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

import engine
from engine import plan as P
from engine.evaluation import EvaluationOptions, Evaluator, Limits
from engine.evaluation.kernels import contains, positions, probe_table, range_table, ranges
from engine.evaluation.vector import distinct_rows, reduced
from engine.values import String

VECTOR = EvaluationOptions(vectorized="on", chain_strata=False)
TUPLES = EvaluationOptions(vectorized="off")


def both(text: str) -> tuple[dict[str, set[tuple[object, ...]]], dict[str, set[tuple[object, ...]]]]:
    program = engine.load_text(text, path="joins.dl")
    on, off = (program.evaluate(provenance=False, options=o) for o in (VECTOR, TUPLES))
    return ({p: set(on.relation(p)) for p in on.relations}, {p: set(off.relation(p)) for p in off.relations})


def vectorized_rules(text: str) -> set[int]:
    ev = Evaluator(engine.load_text(text, path="joins.dl").program, Limits(), options=VECTOR)
    ev.run()
    return ev.vectorized_rules


def join(cols: tuple[int, ...], out: tuple[int, ...], arity: int, consts: tuple[tuple[int, object], ...] = (),
         eqs: tuple[tuple[int, int], ...] = ()) -> P.Join:
    return P.Join("r", False, cols, tuple(P.Slot(i) for i in range(len(cols))), consts, eqs, out, arity, 0)  # type: ignore[arg-type]


def test_distinct_rows_only_when_every_join_keeps_its_tuples_whole() -> None:
    assert distinct_rows((join((1,), (0, 2), 3),))
    assert not distinct_rows((join((1,), (0,), 3),))  # column 2 dropped: two tuples, one row
    assert distinct_rows((join((1,), (0,), 3, consts=((2, 5),)),))
    assert distinct_rows((join((1,), (0,), 3, eqs=((0, 2),)),))
    assert distinct_rows((join((1,), (0, 2), 3), join((0,), (), 2)))  # a semi-join keeps or drops rows
    assert not distinct_rows((join((1,), (0, 2), 3), join((0,), (1,), 3)))


def test_aggregates_over_rows_that_repeat_count_each_once() -> None:
    text = """\
pair(1, 2). pair(1, 3). pair(2, 2). pair(2, 5).
firsts(N) :- N = count { X : pair(X, Y), pair(Y, _) }.
emp(1, d1, 10). emp(1, d1, 20). emp(2, d1, 10). emp(3, d2, -5). emp(4, d2, 7). emp(4, d2, -9).
dept(d1). dept(d2). dept(d3).
heads(D, N) :- dept(D), N = count { E : emp(E, D, _) }.
paid(D, S) :- dept(D), S = sum { P : emp(_, D, P) }.
each(D, S) :- dept(D), S = sum { P : emp(E, D, P) }.
least(D, M) :- dept(D), M = min { P : emp(_, D, P) }.
most(D, M) :- dept(D), M = max { P : emp(E, D, P) }.
"""
    on, off = both(text)
    assert on == off
    assert on["heads"] == {("d1", 3), ("d2", 3), ("d3", 0)}  # the body's matches (the `_` is one of them)
    assert on["paid"] == {("d1", 40), ("d2", -7), ("d3", 0)} == on["each"]
    assert on["least"] == {("d1", 10), ("d2", -9)} and on["most"] == {("d1", 20), ("d2", 7)}
    assert on["firsts"] == {(4,)}  # (X, Y, _): 1 2 2, 1 2 5, 2 2 2, 2 2 5
    assert vectorized_rules(text) == {0, 1, 2, 3, 4, 5}


def test_sorted_tuples_shared_by_strata_keep_each_join_its_own() -> None:
    """The same relation joined on the same column in strata whose dictionaries (and key radixes) differ,
    with constants a symbol and a string of the same text, and filters on other columns."""
    third = ("s", '"s"')
    rows = "".join(f"e({i}, {i % 7}, {third[i % 3 == 0]}).\n" for i in range(300))
    text = rows + """\
n(X) :- e(X, _, _).
big(X, S) :- n(X), S = sum { Y : e(X, Y, _) }.
sym(X) :- e(X, Y, s), Y < 3.
str(X) :- e(X, Y, "s"), Y < 3.
late(X, S) :- big(X, S), e(X, Y, s), Y > 4.
lots(X, T) :- late(X, S), T = sum { Y : e(X, Y, "s"), Y >= 1 }.
"""
    on, off = both(text)
    assert on == off
    assert on["sym"] and on["str"] and on["sym"].isdisjoint(on["str"])
    assert on["lots"]


def test_reduced_is_each_groups_sum_min_and_max() -> None:
    at = np.array([2, 0, 2, 2, 0], dtype=np.int64)
    vals = np.array([5, -1, 7, -3, 4], dtype=np.int64)
    assert reduced("sum", at, vals, 4)[[0, 2]].tolist() == [3, 9]
    assert reduced("min", at, vals, 4)[[0, 2]].tolist() == [-1, -3]
    assert reduced("max", at, vals, 4)[[0, 2]].tolist() == [4, 7]


@pytest.mark.parametrize("span", [10, 1 << 18, 1 << 22, 1 << 40])
def test_probes_by_table_or_search_agree_with_numpy(span: int) -> None:
    rng = np.random.default_rng(span)
    sk = np.unique(rng.integers(0, span, 5000))
    keys = np.concatenate([rng.choice(sk, 3000), rng.integers(-5, span + 5, 3000)])
    assert contains(sk, keys).tolist() == np.isin(keys, sk).tolist()
    start, counts = ranges(keys, np.sort(np.concatenate([sk, sk[::3]])))
    assert counts.tolist() == [int(c) for c in (np.searchsorted(np.sort(np.concatenate([sk, sk[::3]])), keys, "right")
                                                - np.searchsorted(np.sort(np.concatenate([sk, sk[::3]])), keys))]
    if span <= 1 << 22:  # a kept table gives what a table made for the call, or a search, gives
        rk = np.sort(np.concatenate([sk, sk[::3]]))
        kept_start, kept_counts = ranges(keys, rk, range_table(rk))
        assert kept_counts.tolist() == counts.tolist()
        assert kept_start[counts > 0].tolist() == start[counts > 0].tolist()
    inside = keys[np.isin(keys, sk)]
    assert positions(sk, inside).tolist() == np.searchsorted(sk, inside).tolist()


def test_probe_tables_span_more_than_sorting_tables_but_are_bounded() -> None:
    assert probe_table(20 * 100_000, 100_000, "membership") and probe_table(20 * 100_000, 100_000, "ranges")
    assert not probe_table(1 << 30, 1_000_000, "membership")
    assert not probe_table(1 << 23, 1_000_000, "ranges") and probe_table(1 << 23, 1_000_000, "membership")


def test_a_symbol_and_a_string_constant_stay_two_joins() -> None:
    on, off = both('t(1, s). t(2, "s"). a(X) :- t(X, s). b(X) :- t(X, "s").\n')
    assert on == off and on["a"] == {(1,)} and on["b"] == {(2,)}
    assert String("s") != "s"


def test_auto_takes_a_small_stratum_whose_relations_are_encoded_already() -> None:
    """`auto`: a stratum reading fewer than `vector_rows` tuples goes vectorized when a stratum below that
    went vectorized holds them encoded (`vector_rows_encoded` of them or more), else it stays on the tuple
    path, and both give the tuple path's answers."""
    edges = "".join(f"e({i}, {i % 97}).\n" for i in range(60_000))
    text = edges + """\
hub(Y, X) :- e(X, Y), X < 6000.
count_of(N) :- N = count { : hub(Y, X) }.
few(X) :- e(X, 3), X < 400.
tiny(N) :- N = count { X : few(X) }.
"""
    program = engine.load_text(text, path="auto.dl").program
    auto = Evaluator(program, Limits())
    auto.run()
    assert {0, 1, 2} <= auto.vectorized_rules  # hub: 60,000 read; count_of: its 6,000, encoded already
    assert 3 not in auto.vectorized_rules  # tiny reads the 5 of few
    off = Evaluator(program, Limits(), options=TUPLES)
    off.run()
    for p in ("hub", "count_of", "few", "tiny"):
        assert auto.rels[p].tuples == off.rels[p].tuples
    assert auto.rels["count_of"].tuples == {(6000,)}
    small = EvaluationOptions(vector_rows_encoded=7000)
    ev = Evaluator(program, Limits(), options=small)
    ev.run()
    assert 1 not in ev.vectorized_rules


def test_a_vectorized_stratums_symbols_are_held_encoded_until_asked_for() -> None:
    """New rows with symbols or strings are written encoded (`vector.coded_rows`, `Relation.set_coded`):
    no tuple is built until something reads them, and then they are the tuple path's, through an
    incremental update too."""
    from engine.session import Session

    text = 'e(1, a). e(2, "a"). e(2, b). e(3, 2.5). e(4, 7).\nlabel(X, Y) :- e(X, Y), X > 1.\n' \
        "pair(Y, X) :- label(X, Y).\n"
    program = engine.load_text(text, path="coded.dl").program
    ev = Evaluator(program, Limits(), options=VECTOR)
    ev.run()
    assert {0, 1} <= ev.vectorized_rules
    held = ev.rels["pair"].coded_columns()
    assert held is not None and len(ev.rels["pair"]) == 4 and not ev.rels["pair"]._tuples
    off = Evaluator(program, Limits(), options=TUPLES)
    off.run()
    assert ev.rels["pair"].tuples == off.rels["pair"].tuples == {(String("a"), 2), ("b", 2), (Decimal("2.5"), 3),
                                                                  (7, 4)}
    for options in (VECTOR, TUPLES):
        s = Session(text=text, options=options)
        s.add('e(5, "a").')
        assert set(s.model.relation("pair")) == {(String("a"), 2), ("b", 2), (Decimal("2.5"), 3), (7, 4),
                                                 (String("a"), 5)}


ARITHMETIC = """\
spread(D) :- low(D, L), high(D, H), H - L >= 9500.
close(D) :- low(D, L), high(D, H), H - 2 * L < -(L - 3).
same(D) :- low(D, L), high(D, H), L + 5 = H.
"""


@pytest.mark.parametrize("highs", [
    [("a", 10_000), ("b", 20), ("c", 1 << 52)],  # integers: vectorized
    [("a", 10_000), ("b", Decimal("20.5"))],  # a decimal: the tuple path's arithmetic
    [("a", 10_000), ("b", "x")],  # a symbol: undefined (W104), on the tuple path
    [("a", (1 << 62) + 1), ("b", 20)],  # past a moderate size
])
def test_comparisons_of_integer_arithmetic_agree_with_the_tuple_path(highs: list[tuple[str, object]]) -> None:
    from engine.values import show

    lows = [("a", 1), ("b", 15), ("c", 7), ("d", 3)]
    text = ARITHMETIC + "".join(f"low({d}, {show(v)}).\n" for d, v in lows) + \
        "".join(f"high({d}, {show(v)}).\n" for d, v in highs)  # type: ignore[arg-type]
    program = engine.load_text(text, path="arith.dl")
    on, off = (program.evaluate(provenance=False, options=o) for o in (VECTOR, TUPLES))
    for p in ("spread", "close", "same"):
        assert set(on.relation(p)) == set(off.relation(p)), p
    assert [str(w) for w in on.warnings] == [str(w) for w in off.warnings]
    if type(highs[1][1]) is int and highs[0][1] == 10_000:
        assert set(on.relation("spread")) == {("a",), ("c",)} and set(on.relation("same")) == {("b",)}
        assert vectorized_rules(text) == {0, 1, 2}


# Relations read from files (or made by a vectorized stratum) are held as columns, and encoded a column at
# a time when a step first reads it (`vector.Table`): the tests below fail if a constant is looked up, or
# a key made, before the column it is compared with is encoded, or if a column nothing reads is encoded.
COLUMNAR = EvaluationOptions(vectorized="on", chain_strata=False, columnar_bytes=0, columnar_file_bytes=0)
COLUMNS_OFF = EvaluationOptions(vectorized="off", columnar=False)
LAZY = """\
.decl a(x: int, y: int, z: int)
.input a { file: "a.csv" }
.decl t(x: int, k: symbol)
.input t { file: "t.csv" }
q(1, 2). q(2, 3). q(2, 7). q(3, 1004). q(4, 1004). q(39, 1039). q(5, 1).
"""
LAZY_RULES = {  # each alone, so that no stratum before it has encoded the columns it reads
    "pick(X, Y) :- q(X, Y), a(X, Y, _).": {(1, 2), (2, 3), (4, 1004), (39, 1039)},
    "banks(X) :- t(X, bank).": {(x,) for x in range(0, 3000, 2)},
    "unowned(X, Y) :- q(X, Y), not a(X, Y, 7).": {(2, 3), (2, 7), (3, 1004), (39, 1039), (5, 1)},
    "alone(X, Y, Z) :- q(X, Y), q(Y, Z), not a(X, Y, Z).": {(1, 2, 3), (2, 3, 1004), (5, 1, 2)},
    "heads(N) :- N = count { X : a(X, _, _) }.": {(3002,)},  # a tuple each: `_` tells them apart
}
A_ROWS = [(i % 40, 1000 + i, 7 if i % 3 else i % 5) for i in range(3000)] + [(1, 2, 7), (2, 3, 4)]


def lazy_files(tmp: Path, rules: str) -> Path:
    """`a`'s columns hold values no other relation has, thousands of them (more than the keys' radix leaves
    room for); `q`'s few facts are encoded first (tuples)."""
    (tmp / "a.csv").write_text("".join(f"{x},{y},{z}\n" for x, y, z in A_ROWS))
    (tmp / "t.csv").write_text("".join(f"{i},{('bank', 'firm')[i % 2]}\n" for i in range(3000)))
    (tmp / "p.dl").write_text(LAZY + rules)
    return tmp / "p.dl"


@pytest.mark.parametrize("rule", LAZY_RULES)
def test_columns_encoded_when_first_read_keep_the_tuple_paths_answers(tmp_path: Path, rule: str) -> None:
    path = lazy_files(tmp_path, rule + "\n")
    on, off = (engine.load(path).evaluate(provenance=False, options=o) for o in (COLUMNAR, COLUMNS_OFF))
    head = rule.split("(")[0]
    assert set(on.relation(head)) == set(off.relation(head)) == LAZY_RULES[rule]


def test_a_column_no_step_reads_is_never_encoded(tmp_path: Path) -> None:
    """`a(X, _, Z)` in an aggregate: each tuple counts once (the rows are `distinct_rows`), and its middle
    column, read by nothing, is neither taken by the join nor encoded."""
    path = lazy_files(tmp_path, "per(X, S) :- t(X, firm), S = sum { Z : a(X, _, Z) }.\n")
    ev = Evaluator(engine.load(path).program, Limits(), options=COLUMNAR)
    ev.run()
    off = Evaluator(engine.load(path).program, Limits(), options=COLUMNS_OFF)
    off.run()
    sums = {x: sum(z for x2, _y, z in A_ROWS if x2 == x) for x in range(1, 3000, 2)}  # (0: none)
    assert ev.rels["per"].tuples == off.rels["per"].tuples == set(sums.items())
    dictionary = ev.encodings.dictionary
    assert dictionary.find(3500) is None and dictionary.find(3999) is None  # only in `a`'s middle column
    assert dictionary.find(39) is not None
