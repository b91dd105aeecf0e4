"""Demand (engine/demand.py): the rewrite on known programs, the choice, and `--demand` / `--explain`.

The differential tests (tests/differential/test_demand.py) compare answers,
grades and proofs on generated programs; these pin the rewrite's shape and
the command line.
"""

from __future__ import annotations

import json
from pathlib import Path

from golden_util import run_cli

import engine
from engine import demand as D
from engine.model import parse_goal

ROOT = Path(__file__).parent.parent
RIGHT = "e(1, 2). e(2, 3). e(3, 1). e(5, 6).\np(X, Y) :- e(X, Y).\np(X, Z) :- p(X, Y), e(Y, Z).\n"
LEFT = "e(1, 2). e(2, 3). e(3, 1). e(5, 6).\np(X, Y) :- e(X, Y).\np(X, Z) :- e(X, Y), p(Y, Z).\n"


def rules_of(text: str, goal: str, mode: str = "on") -> list[str]:
    choice = D.choose(engine.load_text(text).program, parse_goal(goal)[0], mode)
    return D.explain(choice).splitlines()


def test_right_linear_closure_asked_from_a_node() -> None:
    assert rules_of(RIGHT, "p(1, Y)") == [
        "% on demand (p_bf) (--demand on)",
        "magic_p_bf(1).",
        "p_bf(X, Y) :- magic_p_bf(X), e(X, Y).",
        "p_bf(X, Z) :- magic_p_bf(X), p_bf(X, Y), e(Y, Z).",
    ]


def test_the_second_argument_bound_passes_through_the_edge_first() -> None:
    assert rules_of(RIGHT, "p(X, 2)")[1:] == [
        "magic_p_fb(2).",
        "p_fb(X, Y) :- magic_p_fb(Y), e(X, Y).",
        "magic_p_fb(Y) :- magic_p_fb(Z), e(Y, Z).",
        "p_fb(X, Z) :- magic_p_fb(Z), p_fb(X, Y), e(Y, Z).",
    ]


def test_auto_declines_demand_that_its_own_recursion_computes() -> None:
    loaded = engine.load_text(LEFT)
    auto = D.choose(loaded.program, parse_goal("p(1, Y)")[0], "auto")
    assert not auto.used and "its own recursion computes" in auto.reason
    assert D.choose(loaded.program, parse_goal("p(1, Y)")[0], "on").used
    assert D.choose(engine.load_text(RIGHT).program, parse_goal("p(1, Y)")[0], "auto").used
    assert not D.choose(loaded.program, parse_goal("p(1, Y)")[0], "off").used


def test_a_goal_with_nothing_bound_evaluates_only_what_it_depends_on() -> None:
    text = RIGHT + "q(X) :- e(X, _), not p(X, X).\nunrelated(X) :- e(X, X).\n"
    lines = rules_of(text, "p(X, Y)", "auto")
    assert lines[0].startswith("% on demand: no argument is bound")
    assert not any("unrelated" in line or line.startswith("q(") for line in lines)
    model, choice = engine.load_text(text).evaluate_for("p(X, Y)")
    assert choice.used and model.size("unrelated") == 0 and model.size("p") == 10


def test_demand_passes_into_a_negation_below() -> None:
    text = "e(1). e(2). f(1, 3).\nq(X) :- f(X, _).\np(X) :- e(X), not q(X).\n"
    assert rules_of(text, "p(2)")[1:] == [
        "magic_p_b(2).",
        "magic_q_b(X) :- magic_p_b(X).",
        "p_b(X) :- magic_p_b(X), e(X), not q_b(X).",
        "q_b(X) :- magic_q_b(X), f(X, _).",
    ]


def test_a_negation_its_demand_would_make_recursive_is_evaluated_fully() -> None:
    text = "h(1, 2). h(2, 3). f(3, 0).\nq(X) :- f(X, _).\n" \
           "t(X, Y) :- h(X, Y).\nt(X, Z) :- t(X, Y), h(Y, Z), not q(Z).\n"
    lines = rules_of(text, "t(1, X)")
    assert "% evaluated fully: q" in lines and "q(X) :- f(X, _)." in lines
    model, choice = engine.load_text(text).evaluate_for("t(1, X)", "on")
    assert model.query("t(1, X)").rows == [(2,)]


def test_ofac_rule_on_demand_asks_only_the_owners_up_the_chain() -> None:
    model, choice = engine.load([ROOT / "examples" / "ofac"]).evaluate_for("blocked(ex2_c)")
    assert choice.used
    assert model.query("blocked(ex2_c)").rows == [()]
    asked = {row[0] for row in model.relation("blocked")}
    assert asked == {"ex2_a", "ex2_b", "ex2_c", "ex2_x"}  # nothing of the other examples
    lines = D.explain(choice).splitlines()
    assert "magic_blocked_b(O_4) :- magic_blocked_b(C), company(C), owns(O_4, C, P_3)." in lines


def test_why_on_demand_is_the_proof_of_the_full_model() -> None:
    loaded = engine.load([ROOT / "rules", ROOT / "facts"])
    goal = "sanctions_bypass_risk(north_korea, turkey)"
    model, choice = loaded.evaluate_for(goal)
    assert choice.used
    full = loaded.evaluate()
    assert [p.fact for p in model.why(goal)] == [p.fact for p in full.why(goal)]
    from engine.proofs import to_json

    assert [to_json(p) for p in model.why(goal)] == [to_json(p) for p in full.why(goal)]
    assert model.query(goal).grades == full.query(goal).grades == ["B3"]
    assert model.count() < full.count()


def write(tmp: Path, text: str) -> None:
    (tmp / "p.dl").write_text(text, encoding="utf-8")


def test_query_explain_prints_the_rewritten_program(tmp_path: Path) -> None:
    write(tmp_path, RIGHT)
    code, out = run_cli(["query", "p.dl", "p(1, Y)", "--explain"], tmp_path)
    assert code == 0
    assert out.startswith("% on demand (p_bf)\nmagic_p_bf(1).\n")
    code, out = run_cli(["query", "p.dl", "p(1, Y)", "--explain", "--demand", "off"], tmp_path)
    assert out.startswith("% full evaluation (--demand off)\n")


def test_query_json_stays_json_with_explain(tmp_path: Path) -> None:
    write(tmp_path, RIGHT)
    for mode in ("auto", "on", "off"):
        code, out = run_cli(["query", "p.dl", "p(1, Y)", "--format", "json", "--demand", mode], tmp_path)
        assert json.loads(out)["answers"] == [{"Y": 1}, {"Y": 2}, {"Y": 3}]


def test_why_of_what_does_not_hold_on_demand_names_the_missing_premise(tmp_path: Path) -> None:
    write(tmp_path, RIGHT)
    on = run_cli(["why", "p.dl", "p(5, 1)", "--demand", "on"], tmp_path)
    off = run_cli(["why", "p.dl", "p(5, 1)", "--demand", "off"], tmp_path)
    assert on == off and on[0] == 1 and "does not hold" in on[1]


def test_demand_on_with_a_sql_backend_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, RIGHT)
    code, out = run_cli(["query", "p.dl", "p(1, Y)", "--demand", "on", "--backend", "duckdb"], tmp_path)
    assert code == 1 and "error[E960]: --demand on works with the in-memory evaluator only" in out
    assert "Traceback" not in out


def test_a_bad_goal_is_reported_before_any_evaluation(tmp_path: Path) -> None:
    write(tmp_path, RIGHT)
    code, out = run_cli(["query", "p.dl", "p(1, Y, Z)"], tmp_path)
    assert code == 1 and "error[E301]" in out and "Traceback" not in out


def test_a_lazy_session_answers_on_demand_until_the_whole_model_is_needed() -> None:
    from engine.session import Session

    s = Session([ROOT / "examples" / "ofac"], lazy=True)
    assert not s.evaluated
    assert s.answer("blocked(ex2_c)").rows == [()]
    assert not s.evaluated and s.last_choice is not None and s.last_choice.used
    assert s.add("company(zz).").lines() == ["+ company(zz)"]  # a change needs the model
    assert s.evaluated
    assert s.answer("blocked(ex2_c)").rows == [()]
    assert s.last_choice is not None and not s.last_choice.used
    assert s.diff().lines() == []  # `start` is the model as it was first evaluated


def test_repl_explain_shows_the_way_a_goal_was_answered() -> None:
    import argparse
    from io import StringIO

    from rich.console import Console

    from engine.repl import open_session

    out = StringIO()
    repl = open_session([str(ROOT / "examples" / "ofac")], argparse.Namespace(), Console(file=out, width=200,
                                                                                         color_system=None))
    repl.handle(":explain")
    repl.handle("?- blocked(ex2_c).")
    repl.handle(":explain")
    repl.handle(":explain blocked(X, Y)")
    text = out.getvalue()
    assert "% no goal asked yet" in text
    assert "true" in text
    assert "% on demand (blocked_b)\nmagic_blocked_b(ex2_c).\n" in text
    assert "error[E301]" in text  # a goal of the wrong arity, not a traceback


def test_auto_gives_way_to_full_evaluation_when_the_demand_is_much_of_the_data(tmp_path: Path,
                                                                              monkeypatch: object) -> None:
    """Past the guard, the relations read for the demand are those of the full model: read once."""
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    (tmp_path / "edge.csv").write_text("".join(f"{i},{i + 1}\n" for i in range(30)))
    text = f'.decl edge(a: int, b: int)\n.input edge {{ file: "{tmp_path / "edge.csv"}", format: csv }}\n' + \
        "path(X, Y) :- edge(X, Y).\npath(X, Z) :- path(X, Y), edge(Y, Z).\n"
    loaded = engine.load_text(text)
    monkeypatch.setattr(D, "GUARD_TUPLES", 5)
    monkeypatch.setattr(D, "GUARD_SHARE", 0.0)
    model, choice = loaded.evaluate_for("path(0, X)", "auto")
    assert not choice.used and "more than 5 tuples were derived" in choice.reason
    assert model.query("path(0, X)").rows == [(i,) for i in range(1, 31)]
    assert model.size("path") == 30 * 31 // 2  # the whole model
    on, choice = loaded.evaluate_for("path(0, X)", "on")  # `on` is never given up
    assert choice.used and on.query("path(0, X)").rows == model.query("path(0, X)").rows
    monkeypatch.setattr(D, "GUARD_TUPLES", 100)
    model, choice = loaded.evaluate_for("path(0, X)", "auto")
    assert choice.used and model.size("path") == 30


def test_the_names_a_magic_rule_gives_the_braces_variables_are_new_to_the_rule() -> None:
    text = "owns(a, c, 60). owns(b, c, 10). company(c). designated(a). o(c, 4).\n" \
           "blocked(C) :- designated(C).\n" \
           "blocked(C) :- company(C), o(C, O_4), S = sum { P : owns(O, C, P), blocked(O) }, S >= 50, O_4 > 0.\n"
    lines = rules_of(text, "blocked(c)")
    assert "magic_blocked_b(O_5) :- magic_blocked_b(C), company(C), owns(O_5, C, P_3)." in lines
    model, _choice = engine.load_text(text).evaluate_for("blocked(c)", "on")
    assert model.query("blocked(c)").rows == [()]


def test_a_head_computed_by_arithmetic_is_asked_for_by_value() -> None:
    text = "n(1). n(2). n(5).\nnext(X, X + 1) :- n(X).\ntwo(X, Y) :- next(X, Z), next(Z, Y).\n"
    assert "next_fb(X, X + 1) :- magic_next_fb(Head_1), n(X), Head_1 = X + 1." in rules_of(text, "two(X, 3)")
    loaded = engine.load_text(text)
    for goal in ("next(X, 3)", "two(X, 3)", "next(1 + 1, Y)", "two(1, Y)", "two(X, 7)"):
        model, choice = loaded.evaluate_for(goal, "on")
        assert choice.used and model.query(goal).rows == loaded.evaluate().query(goal).rows, goal


def test_a_goal_over_a_predicate_nothing_defines_is_answered() -> None:
    """`nothing` holds no tuple (an unknown name is an empty relation); the magic rule after it reads it."""
    loaded = engine.load_text(RIGHT)
    for goal in ("nothing, p(1, X)", "nothing(X), p(X, Y)", "p(1, X), not nothing(X)"):
        model, choice = loaded.evaluate_for(goal, "on")
        assert model.query(goal).rows == loaded.evaluate().query(goal).rows, goal
