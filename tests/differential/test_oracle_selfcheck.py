"""The oracle on hand-written programs with known answers, and the generator's invariants.

If these fail, the differential tests prove nothing: fix the oracle first.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given

from .generator import (
    Agg,
    Anon,
    Atom,
    BodyLit,
    Cmp,
    Const,
    Kind,
    Neg,
    Pred,
    Program,
    Rule,
    Term,
    Var,
    lit_vars,
    programs,
    render,
)
from .harness import diff_settings
from .oracle import evaluate, strata

_anon = itertools.count(1000)
ANY: Kind = "any"


def t(x: int | str) -> Term:
    """1 -> integer, `a` -> symbol, `X` / `_X` -> variable, `_` -> a fresh anonymous one."""
    if isinstance(x, int):
        return Const(x)
    if x == "_":
        return Anon(next(_anon))
    if x[0].isupper() or x[0] == "_":
        return Var(x)
    return Const(x)


def A(pred: str, *args: int | str) -> Atom:
    return Atom(pred, tuple(t(a) for a in args))


def R(head: Atom, *body: BodyLit) -> Rule:
    return Rule(head, tuple(body))


def C(left: int | str, op: str, right: int | str) -> Cmp:
    lt, rt = t(left), t(right)
    assert not isinstance(lt, Anon) and not isinstance(rt, Anon)
    return Cmp(op, lt, rt)


def G(result: str, func: str, term: str | None, body: Atom) -> Agg:
    return Agg(Var(result), func, None if term is None else Var(term), body)


def prog(*items: Atom | Rule) -> Program:
    """A program of facts and rules; its predicates listed in order of appearance."""
    p = Program()
    for i in items:
        if isinstance(i, Atom):
            p.facts.append(i)
        else:
            p.rules.append(i)
    atoms = [a for i in items for a in ([i] if isinstance(i, Atom) else [i.head, *i.body])]
    atoms = [a.atom if isinstance(a, Neg) else a.body if isinstance(a, Agg) else a for a in atoms]
    derived = {r.head.pred for r in p.rules}
    for a in atoms:
        if isinstance(a, Atom) and a.pred not in p.preds:
            kinds = tuple(ANY for _ in a.args)
            p.preds[a.pred] = Pred(a.pred, kinds, 0 if a.pred in derived else -1)
    return p


def test_transitive_closure_with_a_cycle() -> None:
    p = prog(
        A("edge", 1, 2), A("edge", 2, 3), A("edge", 3, 4), A("edge", 4, 2), A("edge", 5, 1),
        R(A("path", "X", "Y"), A("edge", "X", "Y")),
        R(A("path", "X", "Z"), A("path", "X", "Y"), A("edge", "Y", "Z")),
    )
    inner = {(x, y) for x in (2, 3, 4) for y in (2, 3, 4)}
    assert evaluate(p)["path"] == inner | {(1, y) for y in (2, 3, 4)} | {(5, y) for y in (1, 2, 3, 4)}


def test_same_generation() -> None:
    p = prog(
        A("par", "r", "a"), A("par", "r", "b"), A("par", "a", "c"), A("par", "b", "d"),
        R(A("person", "X"), A("par", "X", "_")),
        R(A("person", "X"), A("par", "_", "X")),
        R(A("sg", "X", "X"), A("person", "X")),
        R(A("sg", "X", "Y"), A("par", "XP", "X"), A("sg", "XP", "YP"), A("par", "YP", "Y")),
    )
    people = {"r", "a", "b", "c", "d"}
    assert evaluate(p)["person"] == {(x,) for x in people}
    assert evaluate(p)["sg"] == {(x, x) for x in people} | {("a", "b"), ("b", "a"), ("c", "d"), ("d", "c")}


def test_mutual_recursion() -> None:
    p = prog(
        A("even", 0), *(A("succ", i, i + 1) for i in range(5)),
        R(A("odd", "Y"), A("even", "X"), A("succ", "X", "Y")),
        R(A("even", "Y"), A("odd", "X"), A("succ", "X", "Y")),
    )
    rels = evaluate(p)
    assert rels["even"] == {(0,), (2,), (4,)}
    assert rels["odd"] == {(1,), (3,), (5,)}


def test_negation_and_anonymous_variables() -> None:
    p = prog(
        *(A("node", i) for i in (1, 2, 3, 4)), A("edge", 1, 2), A("edge", 2, 3), A("start", 1),
        R(A("reach", "X"), A("start", "X")),
        R(A("reach", "Y"), A("reach", "X"), A("edge", "X", "Y")),
        R(A("unreached", "X"), A("node", "X"), Neg(A("reach", "X"))),
        R(A("sink", "X"), A("node", "X"), Neg(A("edge", "X", "_"))),
        R(A("isolated", "X"), A("node", "X"), Neg(A("edge", "X", "_")), Neg(A("edge", "_", "X"))),
        R(A("no_loop"), Neg(A("edge", 1, 1))),
        R(A("no_self_edge"), Neg(A("edge", "_", 3))),
    )
    rels = evaluate(p)
    assert rels["reach"] == {(1,), (2,), (3,)}
    assert rels["unreached"] == {(4,)}
    assert rels["sink"] == {(3,), (4,)}
    assert rels["isolated"] == {(4,)}
    assert rels["no_loop"] == {()}
    assert rels["no_self_edge"] == set()


def test_zero_arity() -> None:
    p = prog(
        A("raining"),
        R(A("wet"), A("raining")),
        R(A("dry"), Neg(A("raining"))),
        R(A("sunny"), Neg(A("cloudy"))),
        R(A("cloudy"), A("overcast")),
        R(A("tagged", "X"), A("n", "X"), A("wet")),
        A("n", 1), A("n", "a"),
    )
    rels = evaluate(p)
    assert rels["wet"] == {()}
    assert rels["dry"] == set()
    assert rels["sunny"] == {()}
    assert rels["cloudy"] == set()
    assert rels["tagged"] == {(1,), ("a",)}


def test_count_sum_min_max_with_empty_groups() -> None:
    p = prog(
        A("dept", "x"), A("dept", "y"), A("dept", "z"),
        A("sal", "e1", "x", 5), A("sal", "e2", "x", 5), A("sal", "e3", "y", 7), A("sal", "e3", "x", 1),
        R(A("size", "D", "N"), A("dept", "D"), G("N", "count", None, A("sal", "_", "D", "_"))),
        R(A("total", "D", "T"), A("dept", "D"), G("T", "sum", "S", A("sal", "_", "D", "S"))),
        R(A("lo", "D", "M"), A("dept", "D"), G("M", "min", "S", A("sal", "_", "D", "S"))),
        R(A("hi", "D", "M"), G("M", "max", "S", A("sal", "_", "D", "S")), A("dept", "D")),
        # distinct bindings of the local variables: e1 and e2 both earn 5 in x
        R(A("levels", "N"), G("N", "count", None, A("sal", "_E", "x", "S"))),
        R(A("pay_levels", "N"), G("N", "count", None, A("sal", "e3", "_", "_"))),
        R(A("nobody", "N"), G("N", "count", None, A("sal", "_", "w", "_"))),
        R(A("nothing", "N"), G("N", "sum", "S", A("sal", "_", "w", "S"))),
        R(A("no_min", "N"), G("N", "min", "S", A("sal", "_", "w", "S"))),
        R(A("big", "D"), A("dept", "D"), G("N", "count", None, A("sal", "_", "D", "_")), C("N", ">=", 2)),
    )
    rels = evaluate(p)
    assert rels["size"] == {("x", 3), ("y", 1), ("z", 0)}
    assert rels["total"] == {("x", 11), ("y", 7), ("z", 0)}
    assert rels["lo"] == {("x", 1), ("y", 7)}
    assert rels["hi"] == {("x", 5), ("y", 7)}
    assert rels["levels"] == {(3,)}
    assert rels["pay_levels"] == {(2,)}
    assert rels["nobody"] == {(0,)}
    assert rels["nothing"] == {(0,)}
    assert rels["no_min"] == set()
    assert rels["big"] == {("x",)}


def test_repeated_variables_constants_and_comparisons() -> None:
    p = prog(
        A("e", 1, 1), A("e", 1, 2), A("e", 2, 2), A("e", 3, "a"), A("e", "a", "a"),
        R(A("loop", "X"), A("e", "X", "X")),
        R(A("from1", "Y"), A("e", 1, "Y")),
        R(A("up", "X", "Y"), A("e", "X", "Y"), C("X", "!=", "a"), C("Y", "!=", "a"), C("X", "<", "Y")),
        R(A("differ", "X", "Y"), A("e", "X", "Y"), C("X", "!=", "Y")),
        R(A("same", "X"), A("e", "X", "Y"), C("X", "=", "Y"), C("X", "!=", "a")),
        R(A("k", "X", 7, "X"), A("e", "X", 2)),
    )
    rels = evaluate(p)
    assert rels["loop"] == {(1,), (2,), ("a",)}
    assert rels["from1"] == {(1,), (2,)}
    assert rels["up"] == {(1, 2)}
    assert rels["differ"] == {(1, 2), (3, "a")}
    assert rels["same"] == {(1,), (2,)}
    assert rels["k"] == {(1, 7, 1), (2, 7, 2)}


def test_values_are_totally_ordered() -> None:
    # numbers (by value) before symbols (by code point), also in min and max
    p = prog(
        A("e", 1), A("e", "a"), A("e", 5), A("e", "b"),
        R(A("below", "X"), A("e", "X"), C("X", "<", 3)),
        R(A("above", "X"), A("e", "X"), C("X", ">=", "b")),
        R(A("past_numbers", "X"), A("e", "X"), C(7, "<", "X")),
        R(A("lo", "M"), G("M", "min", "X", A("e", "X"))),
        R(A("hi", "M"), G("M", "max", "X", A("e", "X"))),
    )
    rels = evaluate(p)
    assert rels["below"] == {(1,)}
    assert rels["above"] == {("b",)}
    assert rels["past_numbers"] == {("a",), ("b",)}
    assert rels["lo"] == {(1,)}
    assert rels["hi"] == {("b",)}


def test_integers_and_symbols_differ() -> None:
    p = prog(A("v", 1), A("v", "b"), R(A("w", "X"), A("v", "X"), C("X", "=", 1)))
    assert evaluate(p)["w"] == {(1,)}


def test_unstratified_is_refused() -> None:
    p = prog(A("n", 1), R(A("p", "X"), A("n", "X"), Neg(A("q", "X"))), R(A("q", "X"), A("n", "X"), Neg(A("p", "X"))))
    with pytest.raises(ValueError):
        strata(p)


def test_render() -> None:
    p = prog(
        A("e", 1, "a"), A("z"),
        R(A("p", "X", "N"), A("e", "X", "_"), Neg(A("q", "X")), C("X", "<", 3),
          G("N", "sum", "Y", A("e", "X", "Y"))),
        R(A("w"), A("z")),
    )
    assert render(p) == (
        "e(1, a).\nz.\np(X, N) :- e(X, _), not q(X), X < 3, N = sum { Y : e(X, Y) }.\nw :- z.\n"
    )


# ------------------------------------------------------------ the generator


def _positive_vars(rule: Rule) -> set[Var]:
    return {v for b in rule.body if isinstance(b, Atom) for v in lit_vars(b)}


@diff_settings(100)
@given(programs())
def test_generated_programs_are_safe_and_stratified(program: Program) -> None:
    level = strata(program)  # raises if not stratified
    for r in program.rules:
        bound = _positive_vars(r) | {b.result for b in r.body if isinstance(b, Agg)}
        for _ in r.body:  # and what `B = t` binds, t bound or a constant
            for b in r.body:
                if isinstance(b, Cmp) and b.op == "=":
                    sides = {b.left, b.right}
                    if any(isinstance(s, Const) or s in bound for s in sides):
                        bound |= {s for s in sides if isinstance(s, Var)}
        head = {a for a in r.head.args if isinstance(a, Var)}
        assert not any(isinstance(a, Anon) for a in r.head.args)
        assert head <= bound, render(program)
        for b in r.body:
            if isinstance(b, (Neg, Cmp)):
                assert set(lit_vars(b)) <= bound, render(program)
            if isinstance(b, Agg):
                local = set(lit_vars(b)) - {b.result}
                shared = {v for v in local if any(v in lit_vars(o) for o in r.body if o is not b) or v in head}
                assert shared <= _positive_vars(r), render(program)
                assert b.term is None or b.term in local - shared
                assert level[b.body.pred] < level[r.head.pred]
            if isinstance(b, Neg):
                assert level[b.atom.pred] < level[r.head.pred]
            if isinstance(b, Atom):
                assert level[b.pred] <= level[r.head.pred]
    for f in program.facts:
        assert all(isinstance(a, Const) for a in f.args)
