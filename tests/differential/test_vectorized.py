"""The vectorized path (engine.evaluation.vector) derives what the tuple path and the naive oracle derive.

Generated programs (recursion, negation, aggregates, comparisons, arithmetic)
are evaluated with the vectorized path forced on, every stratum it can run
going through it however small, and with it off; both must be the oracle's
relations. Values of every kind share one dictionary: a second test draws
facts of integers, decimals equal to integers or not, symbols and strings
(some with the same text) over fixed programs, so that an encoding that
merged or split values would change an answer.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from unittest.mock import patch

from hypothesis import given
from hypothesis import strategies as st

import engine
from engine.evaluation import EvaluationOptions, Evaluator, Limits, fixpoint, vector
from engine.values import String, show

from .generator import Program, programs
from .harness import diff_settings, norm, report, syllog_relations
from .oracle import evaluate

VECTOR = EvaluationOptions(vectorized="on")
TUPLES = EvaluationOptions(vectorized="off")
# chain strata too (on the tuple path they go set-at-a-time): here they go vectorized as well
VECTOR_ONLY = EvaluationOptions(vectorized="on", chain_strata=False)
# every join of more than 3 rows cut into pieces (in use, of a million rows)
PIECES = EvaluationOptions(vectorized="on", chain_strata=False, vector_piece_rows=3)


@diff_settings(200)
@given(programs())
def test_vectorized_path_agrees_with_the_tuple_path_and_the_oracle(program: Program) -> None:
    expected = evaluate(program)
    vector = syllog_relations(program, provenance=False, options=VECTOR_ONLY)
    tuples = syllog_relations(program, provenance=False, options=TUPLES)
    in_pieces = syllog_relations(program, provenance=False, options=PIECES)
    assert all(expected.get(p, set()) == vector[p] for p in program.preds), report(program, expected, vector)
    assert vector == tuples, report(program, tuples, vector, "tuple path", "vectorized")
    assert in_pieces == vector, report(program, vector, in_pieces, "vectorized", "joins in pieces")


VALUES = [0, 1, 2, 3, Decimal("1.0"), Decimal("2.5"), Decimal("-0.5"), "a", "b", "c", String("a"), String("b"),
          String("1"), "s1"]

PROGRAM = """\
reach(X, Y) :- e(X, Y).
reach(X, Z) :- reach(X, Y), e(Y, Z).
both(X) :- e(X, _), e(_, X).
loose(X, Y) :- e(X, Y), not reach(Y, X).
same(X) :- e(X, X).
kinded(X, Y) :- e(X, Y), tag(X, sym).
kinded(X, Y) :- e(X, Y), tag(Y, "str").
less(X, Y) :- e(X, Y), X < Y.
upto(X, Y) :- reach(X, Y), Y <= 2.
out(X, N) :- node(X), N = count { Y : e(X, Y) }.
total(X, S) :- node(X), S = sum { W : w(X, W) }.
low(X, M) :- node(X), M = min { W : w(X, W) }.
high(X, M) :- node(X), M = max { Y : reach(X, Y) }.
node(X) :- e(X, _).
node(Y) :- e(_, Y).
"""


def facts(rows: list[tuple[object, ...]], pred: str) -> str:
    return "".join(f"{pred}({', '.join(show(v) for v in row)}).\n" for row in rows)  # type: ignore[arg-type]


@diff_settings(150)
@given(st.lists(st.tuples(st.sampled_from(VALUES), st.sampled_from(VALUES)), max_size=14),
       st.lists(st.tuples(st.sampled_from(VALUES), st.sampled_from([1, 2, 5, Decimal("0.5"), Decimal("2.0")])),
                max_size=8),
       st.lists(st.tuples(st.sampled_from(VALUES), st.sampled_from(["sym", String("str")])), max_size=6))
def test_values_of_every_kind_keep_their_answers(edges: list[tuple[object, object]], weights: list[tuple[object, object]],
                                                 tags: list[tuple[object, object]]) -> None:
    text = PROGRAM + facts(edges, "e") + facts(weights, "w") + facts(tags, "tag") + "e(0, 0).\nw(0, 1).\ntag(0, sym).\n"
    program = engine.load_text(text, path="kinds.dl")
    got = [program.evaluate(provenance=False, options=o) for o in (TUPLES, VECTOR_ONLY, PIECES)]
    for pred in got[0].relations:
        tuples, vector, in_pieces = ({tuple(map(norm, r)) for r in m.relation(pred)} for m in got)
        assert vector == tuples, f"{pred}:\n{text}\nvectorized {sorted(vector, key=repr)}\ntuples {sorted(tuples, key=repr)}"
        assert in_pieces == vector, f"{pred}:\n{text}\nin pieces {sorted(in_pieces, key=repr)}"


def test_the_fixed_programs_do_go_vectorized() -> None:
    """(So that the test above compares two paths, not one path with itself.)"""
    text = PROGRAM + 'e(1, a). e(a, "a"). e("a", 2.5). e(2.5, 1). w(1, 2). w(a, 0.5). tag(1, sym).\n'
    program = engine.load_text(text, path="kinds.dl").program
    ev = Evaluator(program, Limits(), options=VECTOR_ONLY)
    ev.run()
    assert ev.vectorized_rules == set(range(len(program.rules)))
    off = Evaluator(program, Limits(), options=TUPLES)
    off.run()
    assert not off.vectorized_rules
    assert ev.rels["reach"].tuples == off.rels["reach"].tuples and len(off.rels["reach"]) == 16


def test_auto_leaves_small_programs_on_the_tuple_path() -> None:
    program = engine.load_text(PROGRAM + "e(1, 2). e(2, 3). w(1, 2).\n", path="small.dl").program
    ev = Evaluator(program, Limits())
    ev.run()
    assert not ev.vectorized_rules


def test_proofs_and_grades_of_a_vectorized_model(tmp_path: Path) -> None:
    """The evaluator records nothing for proofs: `why` and grades work over the relations it leaves."""
    text = ('.source s { title: "t", publisher: "p", date: "2024-01-01", document: "d.txt", reliability: b }\n'
            "@cite(s, line: 1, credibility: 2) { e(1, 2). e(2, 3). }\n"
            "@cite(s, line: 2, credibility: 3) { e(3, 1). }\n"
            "reach(X, Y) :- e(X, Y).\nreach(X, Z) :- reach(X, Y), e(Y, Z).\n"
            "gap(X, Y) :- e(X, _), e(_, Y), not e(X, Y).\n")
    (tmp_path / "d.txt").write_text("one\ntwo\n")
    (tmp_path / "why.dl").write_text(text)
    program = engine.load(tmp_path / "why.dl")
    vector = program.evaluate(options=VECTOR_ONLY)
    tuples = program.evaluate(options=TUPLES)
    for pred, row in (("reach", (1, 1)), ("gap", (1, 3))):
        assert vector.relation(pred) == tuples.relation(pred) and row in vector.relation(pred)
        goal = f"{pred}({row[0]}, {row[1]})"
        assert repr(vector.why(goal)) == repr(tuples.why(goal))
        assert vector.grade(pred, row) == tuples.grade(pred, row) and vector.grade(pred, row) is not None


CHAIN = """\
path(X, Y) :- edge(X, Y).
path(X, Z) :- path(X, Y), edge(Y, Z).
"""
AUTO_SMALL = EvaluationOptions(vector_rows=1)  # `auto`, as if every stratum were large


def chain_stratum(edges: list[tuple[int, int]]) -> tuple[Evaluator, Evaluator]:
    text = CHAIN + "".join(f"edge({a}, {b}).\n" for a, b in edges)
    program = engine.load_text(text, path="chain.dl").program
    auto, off = Evaluator(program, Limits(), options=AUTO_SMALL), Evaluator(program, Limits(), options=TUPLES)
    auto.run()
    off.run()
    return auto, off


def test_a_shallow_chain_stratum_goes_vectorized_within_its_budget() -> None:
    auto, off = chain_stratum([(i, 100 + i % 7) for i in range(50)] + [(100 + j, 200 + j % 3) for j in range(7)])
    assert auto.vectorized_rules == {0, 1}  # three rounds, a few more rows than read
    assert auto.rels["path"].tuples == off.rels["path"].tuples and len(off.rels["path"]) == 107


def test_a_deep_chain_stratum_past_its_budget_is_handed_back() -> None:
    deep = fixpoint.CHAIN_ROUNDS + 5
    auto, off = chain_stratum([(i, i + 1) for i in range(deep)])  # a round a node: past the rounds
    assert not auto.vectorized_rules
    assert auto.rels["path"].tuples == off.rels["path"].tuples and len(off.rels["path"]) == deep * (deep + 1) // 2
    dense = [(a, b) for a in range(12) for b in range(12)]  # a closure of 144 pairs from 144: within
    auto, off = chain_stratum(dense)
    assert auto.vectorized_rules == {0, 1} and auto.rels["path"].tuples == off.rels["path"].tuples
    cycle = [(i, (i + 1) % 20) for i in range(20)]  # 400 pairs from 20 edges, in 20 rounds: past the rows
    auto, off = chain_stratum(cycle)
    assert not auto.vectorized_rules and auto.rels["path"].tuples == off.rels["path"].tuples
    assert len(off.rels["path"]) == 400


COMPLEMENT = CHAIN + "unreach(X, Y) :- node(X), node(Y), not path(X, Y).\n"
CYCLE = [(i, (i + 1) % 20) for i in range(20)]  # 400 pairs from 20 edges: past the chain budget, in closed form


def complement_models(edges: list[tuple[object, object]], nodes: list[object]) -> tuple[engine.Model, engine.Model]:
    """The complement of a closure with `auto` as if every stratum were large (the closure in closed
    form, held grouped, read by the vectorized stratum above it), and on the tuple path."""
    text = COMPLEMENT + facts(CYCLE + edges, "edge") + facts([(v,) for v in nodes], "node")
    program = engine.load_text(text, path="complement.dl")
    with patch.object(vector, "grouped_codes", wraps=vector.grouped_codes) as spy:
        auto = program.evaluate(provenance=False, options=AUTO_SMALL)
    assert spy.called, "the closure's grouping was not what the vectorized stratum read"
    return auto, program.evaluate(provenance=False, options=TUPLES)


@diff_settings(60)
@given(st.lists(st.tuples(st.sampled_from(VALUES), st.sampled_from(VALUES)), max_size=10),
       st.lists(st.sampled_from(VALUES + [7, 19, 25]), max_size=8))
def test_a_closure_held_grouped_is_read_by_a_vectorized_stratum(edges: list[tuple[object, object]],
                                                                nodes: list[object]) -> None:
    auto, tuples = complement_models(edges, list(range(0, 20, 3)) + nodes)
    for pred in ("path", "unreach"):
        got, want = ({tuple(map(norm, r)) for r in m.relation(pred)} for m in (auto, tuples))
        assert got == want, f"{pred}: {edges} {nodes}\nauto {sorted(got, key=repr)}\ntuples {sorted(want, key=repr)}"


def held_columns(model: engine.Model, pred: str) -> list[tuple[int, ...]]:
    """A relation's rows as it holds them in integer columns (engine.evaluation.relation.set_columns)."""
    cols = model.relations[pred].int_columns()
    assert cols is not None, f"{pred} is not held as integer columns"
    return list(zip(*[c.tolist() for c in cols]))


def test_integer_results_are_held_in_the_order_of_their_values_whatever_their_codes() -> None:
    auto, tuples = complement_models([], list(range(20, 0, -1)))  # codes in the order of the values
    assert held_columns(auto, "unreach") == sorted(tuples.relation("unreach")) and len(tuples.relation("unreach")) == 39
    # codes not in the order of the values (a column's values get theirs in order, 5 after 1, then 3)
    text = "a(5). a(1). b(3).\nc(X, Y) :- a(X), b(Y).\nc(Y, X) :- a(X), b(Y).\nd(X) :- a(X).\nd(X) :- b(X).\n"
    program = engine.load_text(text, path="order.dl")
    vector_model = program.evaluate(provenance=False, options=VECTOR)
    for pred, rows in (("c", [(1, 3), (3, 1), (3, 5), (5, 3)]), ("d", [(1,), (3,), (5,)])):
        assert held_columns(vector_model, pred) == rows


# Facts a column of one kind each (a relation held as tuples is encoded a column at a time, an integer column
# of int64 in one array): ids, negative and at int64's ends; integers past int64; symbols and strings; any.
WIDE = [1 << 63, -(1 << 63) - 1, 1 << 70]
COLUMN_KINDS = {
    "ids": st.one_of(st.integers(-3, 3), st.sampled_from([-(1 << 63), (1 << 63) - 1])),
    "wide": st.one_of(st.integers(-3, 3), st.sampled_from(WIDE)),
    "text": st.sampled_from(["a", "b", String("a"), String("b"), "s1", String("1")]),
    "any": st.sampled_from(VALUES + WIDE + [Decimal("3.00"), Decimal("-10.0"), -10, Decimal("10000000000000000000.0"),
                            10**19]),
}
KINDS_PROGRAM = """\
reach(X, Y) :- e(X, Y).
reach(X, Z) :- reach(X, Y), f(Y, Z).
both(X, Y) :- e(X, Y), f(X, Y).
loose(X, Y) :- e(X, Y), not f(Y, X).
same(X) :- e(X, X).
less(X, Y) :- f(X, Y), X < Y.
out(X, N) :- e(X, _), N = count { Y : f(X, Y) }.
"""


@st.composite
def kinded_rows(draw: st.DrawFn) -> list[tuple[object, object]]:
    first, second = draw(st.sampled_from(sorted(COLUMN_KINDS))), draw(st.sampled_from(sorted(COLUMN_KINDS)))
    return draw(st.lists(st.tuples(COLUMN_KINDS[first], COLUMN_KINDS[second]), max_size=12))


@diff_settings(150)
@given(kinded_rows(), kinded_rows())
def test_facts_a_column_of_one_kind_each_keep_their_answers(e: list[tuple[object, object]],
                                                            f: list[tuple[object, object]]) -> None:
    text = KINDS_PROGRAM + facts(e, "e") + facts(f, "f") + "e(0, 0).\nf(0, 0).\n"
    program = engine.load_text(text, path="column_kinds.dl")
    got = [program.evaluate(provenance=False, options=o) for o in (TUPLES, VECTOR_ONLY)]
    for pred in got[0].relations:
        tuples, vector = ({tuple(map(norm, r)) for r in m.relation(pred)} for m in got)
        assert vector == tuples, f"{pred}:\n{text}\nvectorized {sorted(vector, key=repr)}\ntuples {sorted(tuples, key=repr)}"
