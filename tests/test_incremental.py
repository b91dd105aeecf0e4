"""Incremental updates (Session.add / retract of facts) agree with full re-evaluation.

Random sequences of assertions and retractions over programs with recursion,
negation and aggregates (recursive ones included); after every step the
session's model must equal a fresh evaluation of the same facts, and must
have been updated incrementally, not rebuilt.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine.session import Session
from engine.values import show_atom

PROGRAMS = {
    "closure_and_negation": """
        path(X, Y) :- e(X, Y).
        path(X, Z) :- path(X, Y), e(Y, Z).
        source(X) :- e(X, _), not e(_, X).
        unreachable(X, Y) :- n(X), n(Y), not path(X, Y).
        n(X) :- e(X, _). n(Y) :- e(_, Y).
    """,
    "aggregates": """
        out(X, N) :- n(X), N = count { Y : e(X, Y) }.
        total(X, S) :- n(X), S = sum { Y : e(X, Y) }.
        hub(X) :- out(X, N), N >= 2.
        n(X) :- e(X, _).
        two_hop(X, Z) :- e(X, Y), e(Y, Z), not hub(Y).
    """,
    "ofac": """
        blocked(X) :- d(X).
        blocked(C) :- n(C), S = sum { P : own(O, C, P), blocked(O) }, S >= 50.
        own(O, C, 30) :- e(O, C).
        n(X) :- e(_, X).
        clean(C) :- n(C), not blocked(C).
    """,
    "same_generation": """
        sg(X, Y) :- e(X, P), e(Y, P), X != Y.
        sg(X, Y) :- e(X, P), sg(P, Q), e(Y, Q).
    """,
}

NODES = [0, 1, 2, 3, 4]
FACT = st.one_of(
    st.tuples(st.just("e"), st.sampled_from(NODES), st.sampled_from(NODES)).map(lambda t: f"e({t[1]}, {t[2]})"),
    st.sampled_from(NODES).map(lambda x: f"d({x})"),
)
STEP = st.tuples(st.sampled_from(["add", "retract"]), FACT)


def full_state(program: str, facts: list[str]) -> dict[str, set[tuple[object, ...]]]:
    m = engine.load_text(program + "\n" + "\n".join(f + "." for f in facts) + "\nd(-1).\ne(-1, -1).").evaluate()
    return {p: set(r.tuples) for p, r in m.relations.items()}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(initial=st.lists(FACT, max_size=6), steps=st.lists(STEP, min_size=1, max_size=8))
def test_incremental_matches_full(name: str, initial: list[str], steps: list[tuple[str, str]]) -> None:
    program = PROGRAMS[name]
    facts = list(dict.fromkeys(initial))
    s = Session(text=program + "\n" + "\n".join(f + "." for f in facts) + "\nd(-1).\ne(-1, -1).")
    applied = 0
    for op, fact in steps:
        applied += 1
        if op == "add":
            s.add(fact + ".")
            if fact not in facts:
                facts.append(fact)
        else:
            if fact not in facts:
                applied -= 1
                continue
            s.retract(fact)
            facts.remove(fact)
        got = {p: set(r.tuples) for p, r in s.model.relations.items()}
        want = full_state(program, facts)
        for p in want:
            assert got.get(p, set()) == want[p], (
                f"{p} after {op} {fact}: extra {sorted(map(str, got.get(p, set()) - want[p]))}, "
                f"missing {sorted(map(str, want[p] - got.get(p, set())))}"
            )
    assert s.incremental_updates == applied


def test_grades_follow_incremental_updates(tmp_path: object) -> None:
    import pathlib

    d = pathlib.Path(str(tmp_path))
    (d / "doc.txt").write_text("one\ntwo\n")
    base = ('.source s { title: "T", publisher: "P", date: "2024", document: "doc.txt", reliability: c }\n'
            "@cite(s, line: 1, credibility: 4) e(1, 2).\n"
            "r(X, Y) :- e(X, Y).\n")
    (d / "p.dl").write_text(base)
    s = Session(paths=[d / "p.dl"])
    assert s.model.grade("r", (1, 2)) is not None
    before = s.model.grade("r", (1, 2))
    s.add("@cite(s, line: 2, credibility: 2) e(1, 2).")
    after = s.model.grade("r", (1, 2))
    assert after is not None and before is not None and after > before
    full = engine.load([d / "p.dl"]).evaluate()
    assert full.grade("r", (1, 2)) == before  # the file alone still has the weaker grade
    assert show_atom("r", (1, 2)) == "r(1, 2)"


def test_failed_update_leaves_the_model_as_it_was() -> None:
    s = Session(text="n(0). m(X) :- n(X).", max_tuples=100)
    with pytest.raises(engine.SyllogError):
        s.add("n(Y) :- n(X), Y = X + 1.")
    assert s.model.relation("m") == {(0,)}
    with pytest.raises(engine.SyllogError):
        s.add("m(X :- .")
    assert s.add("n(1).").lines() == ["+ m(1)", "+ n(1)"]
