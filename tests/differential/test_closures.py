"""Linear recursion in closed form (engine.evaluation.closure) against the oracle and the rounds.

Programs are made to have the shapes the closure takes: one binary derived
predicate with base rules (an edge, an edge reversed, a two-step path, a
fact) and one recursive rule, right-linear, left-linear or square, its edge
written either way round and its atoms in either order; graphs over a small
domain, with self-loops and cycles. A second stratum reads the result.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.evaluation import closure, fixpoint

from .generator import Atom, Const, Pred, Program, Rule, Var
from .harness import diff_settings, relations_without, report, syllog_relations
from .oracle import evaluate

X, Y, Z = Var("X"), Var("Y"), Var("Z")


@st.composite
def closure_programs(draw: st.DrawFn) -> tuple[Program, str]:
    domain = draw(st.integers(1, 12))
    edb = [Pred(f"e{i}", ("int", "int"), -1) for i in range(2)]
    p = Pred("p", ("int", "int"), 0)
    q = Pred("q", ("int",), 0)
    prog = Program(preds={x.name: x for x in [*edb, p, q]})
    pair = st.tuples(st.integers(0, domain - 1), st.integers(0, domain - 1))
    for e in edb:
        for a, b in draw(st.lists(pair, max_size=3 * domain)):
            prog.facts.append(Atom(e.name, (Const(a), Const(b))))
    if draw(st.booleans()):
        a, b = draw(pair)
        prog.facts.append(Atom("p", (Const(a), Const(b))))
    e = draw(st.sampled_from(["e0", "e1"]))
    bases = draw(st.lists(st.sampled_from(["edge", "reversed", "path"]), min_size=1, max_size=2))
    for kind in bases:
        b = draw(st.sampled_from(["e0", "e1"]))
        body = {"edge": (Atom(b, (X, Y)),), "reversed": (Atom(b, (Y, X)),),
                "path": (Atom(b, (X, Z)), Atom(e, (Z, Y)))}[kind]
        prog.rules.append(Rule(Atom("p", (X, Y)), body))
    form = draw(st.sampled_from(["right", "left", "square"]))
    forward = draw(st.booleans())
    if form == "right":
        body = (Atom("p", (X, Z)), Atom(e, (Z, Y) if forward else (Y, Z)))
    elif form == "left":
        body = (Atom(e, (X, Z) if forward else (Z, X)), Atom("p", (Z, Y)))
    else:
        body = (Atom("p", (X, Z)), Atom("p", (Z, Y)))
    if draw(st.booleans()):
        body = body[::-1]
    prog.rules.append(Rule(Atom("p", (X, Y)), body))
    prog.rules.append(Rule(Atom("q", (X,)), (Atom("p", (X, X)),)))
    return prog, form


@diff_settings(300)
@given(closure_programs())
def test_closures_agree_with_oracle_and_rounds(case: tuple[Program, str]) -> None:
    program, form = case
    taken: list[str] = []
    evaluate_closure = closure.evaluate

    def spy(c: closure.Closure, *args: Any) -> Any:
        taken.append(c.form)
        return evaluate_closure(c, *args)

    fixpoint.evaluate_closure = spy  # type: ignore[assignment]
    try:
        fast = syllog_relations(program, provenance=False)
    finally:
        fixpoint.evaluate_closure = evaluate_closure  # type: ignore[assignment]
    assert taken == [form]  # the closed form was used, with the form written
    expected = evaluate(program)
    assert all(expected.get(p, set()) == fast[p] for p in program.preds), report(program, expected, fast)
    rounds = relations_without("closures", program)
    assert fast == rounds, report(program, rounds, fast, who="rounds", against="closure")


@pytest.mark.parametrize("text, form", [
    ("p(X, Y) :- e(X, Y). p(X, Y) :- p(X, Z), e(Z, Y).", "right"),
    ("p(X, Y) :- e(X, Y). p(X, Y) :- e(Y, Z), p(X, Z).", "right"),  # e written (Y, Z), atoms swapped
    ("p(X, Y) :- e(X, Y). p(X, Y) :- e(X, Z), p(Z, Y).", "left"),
    ("p(X, Y) :- e(X, Y). p(X, Y) :- p(X, Z), p(Z, Y).", "square"),
    ("p(X, Y) :- e(X, Y). p(X, Y) :- p(X, Z), e(Z, W), e(W, Y).", None),  # three steps: the rounds
    ("p(X, Y) :- e(X, Y). p(X, Y) :- p(X, Z), e(Z, Y). p(X, Y) :- e(X, Z), p(Z, Y).", None),  # two rules
])
def test_closure_forms(text: str, form: str | None) -> None:
    import engine
    from engine.evaluation.binary import chain_of

    prog = engine.load_text("e(1, 2). e(2, 3). e(3, 1).\n" + text)
    rules = [r for r in prog.program.rules if any(getattr(x, "pred", "") == "p" for x in r.body)]
    chains = [chain_of(r, prog.program.rules.index(r), prog.program.arity) for r in rules]
    got = None if None in chains else closure.closure_of({"p"}, chains)  # type: ignore[arg-type]
    assert (got.form if got else None) == form


def test_closure_stops_at_the_tuple_limit() -> None:
    import engine

    text = "\n".join(f"e({i}, {i + 1})." for i in range(3000)) + "\np(X, Y) :- e(X, Y).\np(X, Y) :- p(X, Z), e(Z, Y).\n"
    with pytest.raises(engine.SyllogError, match="E601"):
        engine.load_text(text).evaluate(provenance=False, max_tuples=200_000)
    assert engine.load_text(text).evaluate(provenance=False).size("p") == 3000 * 3001 // 2
