"""Demand (magic sets, engine.demand) against full evaluation and the naive oracle.

On generated programs and goals of every binding pattern (constants, repeated
variables, `_`, a second atom, a negation; and every subset of each derived
predicate's arguments bound to one of its tuples): the answers on demand, with
`--demand on` and `auto`, are those of full evaluation and of the oracle;
with cited facts their grades are the same, and so is the proof of every
answer. The rewritten program, printed as `--explain` prints it, is a program
Syllog accepts. Recursion through a monotone aggregate (the OFAC rule) is
asked about every node.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import engine
from engine import demand as D
from engine import nodes as n
from engine.model import parse_goal
from engine.proofs import to_json

from . import oracle
from .generator import INTS, SYMS, Program, programs, render
from .harness import diff_settings, norm
from .test_proof_search import DOC, cited_programs
from .test_recursive_aggregates import cases
from .test_recursive_aggregates import program as aggregate_program


@st.composite
def goal_for(draw: st.DrawFn, prog: Program) -> str:
    """A goal over one of the program's predicates: each argument a constant, a variable (maybe repeated) or `_`;
    sometimes a second literal (an atom, or a negated atom over bound variables) after it."""
    names = sorted(prog.preds)
    derived = [p for p in names if prog.preds[p].level >= 0 and prog.preds[p].arity]
    pick = derived if derived and draw(st.integers(0, 4)) > 0 else names  # mostly a derived predicate
    pred = prog.preds[draw(st.sampled_from(pick))]
    args = []
    variables: list[str] = []
    kind_of: dict[str, str] = {}  # a variable's column kind: with declarations, a goal repeats a variable
    # only over columns of one kind (else it is E302, as in a rule)

    def fitting(kind: str) -> list[str]:
        if not prog.declare:
            return variables
        return [v for v in variables if "any" in (kind, kind_of[v]) or kind == kind_of[v]]

    for k in range(pred.arity):
        c = draw(st.integers(0, 5))
        if c <= 2:  # a constant half of the time (of the column's kind, with declarations)
            kind = pred.kinds[k] if prog.declare else "any"
            consts = {"int": INTS[:3], "sym": SYMS[:2]}.get(kind, INTS[:3] + SYMS[:2])
            args.append(str(draw(st.sampled_from(consts))))
        elif c <= 3 or not fitting(pred.kinds[k]):
            variables.append(f"G{len(variables)}")
            kind_of[variables[-1]] = pred.kinds[k]
            args.append(variables[-1])
        elif c == 4:
            args.append(draw(st.sampled_from(fitting(pred.kinds[k]))))
        else:
            args.append("_")
    first = f"{pred.name}({', '.join(args)})" if args else pred.name
    if draw(st.integers(0, 3)) > 0:
        return first
    other = prog.preds[draw(st.sampled_from(names))]
    if not other.arity:
        return f"{first}, {other.name}"
    more = [draw(st.sampled_from(fitting(other.kinds[k]))) if fitting(other.kinds[k]) and draw(st.booleans())
            else "_" for k in range(other.arity)]
    if draw(st.booleans()) and all(a != "_" for a in more):
        return f"{first}, not {other.name}({', '.join(more)})"
    more = [a if a != "_" else f"H{i}" for i, a in enumerate(more)]
    return f"{first}, {other.name}({', '.join(more)})"


def _expected(prog: Program, goal: str) -> set[tuple[object, ...]]:
    """The goal's answers from the oracle's model, by the full model's own query (over the oracle's relations)."""
    rels = oracle.evaluate(prog)
    facts = "".join(f"{p}({', '.join(map(str, row))}).\n" if row else f"{p}.\n"
                    for p, rows in rels.items() for row in rows)
    decls = render(Program(preds=prog.preds, declare=prog.declare, decl_style=prog.decl_style)) \
        if prog.declare else ""
    model = engine.load_text(decls + facts, path="oracle.dl").evaluate(provenance=False)
    return {tuple(map(norm, r)) for r in model.query(goal).rows}


def _answers(model: engine.Model, goal: str) -> tuple[list[tuple[object, ...]], list[str | None]]:
    a = model.query(goal)
    return [tuple(map(norm, r)) for r in a.rows], a.grades


def _rewritten_text(prog: Program, choice: D.Choice) -> str:
    """The program's facts and declarations with the rewritten rules, as `--explain` prints them."""
    facts_only = Program(preds=prog.preds, facts=prog.facts, rules=[r for r in prog.rules if not r.body],
                         declare=prog.declare, decl_style=prog.decl_style)
    return render(facts_only) + D.explain(choice)


@diff_settings(300)
@given(data=st.data())
def test_answers_on_demand_are_those_of_full_evaluation(data: st.DataObject) -> None:
    prog = data.draw(programs())
    goal = data.draw(goal_for(prog))
    loaded = engine.load_text(render(prog), path="gen.dl")
    full = loaded.evaluate(provenance=False)
    try:
        expected = _answers(full, goal)
    except engine.SyllogError as refused:  # an ill-typed goal (a variable in columns of two kinds): refused alike
        for mode in ("on", "auto"):
            with pytest.raises(engine.SyllogError) as exc:
                loaded.evaluate_for(goal, mode, provenance=False)
            assert [d.code for d in exc.value.diagnostics] == [d.code for d in refused.diagnostics]
        return
    assert set(expected[0]) == _expected(prog, goal), f"full evaluation vs oracle\n{render(prog)}?- {goal}."
    for mode in ("on", "auto"):
        model, choice = loaded.evaluate_for(goal, mode, provenance=False)
        got = _answers(model, goal)
        assert got == expected, f"--demand {mode}: {choice.reason}\n{render(prog)}?- {goal}.\n" \
            f"{D.explain(choice)}\nexpected {expected}\ngot {got}"
        if choice.used:
            # the rewritten program is one Syllog accepts, and its adorned relations hold the answers
            again = engine.load_text(_rewritten_text(prog, choice), path="explained.dl").evaluate(provenance=False)
            assert choice.demand is not None
            for pred, ads in choice.demand.adorned.items():
                union = set().union(*(again.relation(a.name) for a in ads))
                assert union <= model.relation(pred) | full.relation(pred), D.explain(choice)
                assert union == model.relation(pred), D.explain(choice)


@diff_settings(100)
@given(prog=programs(), pick=st.integers(0, 10**6))
def test_every_binding_pattern_of_every_derived_predicate(prog: Program, pick: int) -> None:
    """Each predicate asked with every subset of its arguments bound, to the values of one of its tuples."""
    loaded = engine.load_text(render(prog), path="gen.dl")
    full = loaded.evaluate(provenance=False)
    rels = oracle.evaluate(prog)
    for pred in prog.idb:
        arity = prog.preds[pred].arity
        rows = sorted(rels[pred], key=repr)
        row = rows[pick % len(rows)] if rows else tuple(INTS[0] for _ in range(arity))
        for mask in range(1 << arity):
            args = [str(row[i]) if mask >> i & 1 else f"V{i}" for i in range(arity)]
            goal = f"{pred}({', '.join(args)})" if arity else pred
            model, choice = loaded.evaluate_for(goal, "on", provenance=False)
            assert _answers(model, goal) == _answers(full, goal), \
                f"{choice.reason}\n{render(prog)}?- {goal}.\n{D.explain(choice)}"


@diff_settings(150)
@given(data=st.data())
def test_grades_and_proofs_on_demand_are_those_of_the_full_model(tmp_path_factory: pytest.TempPathFactory,
                                                                   data: st.DataObject) -> None:
    prog, text, _base = data.draw(cited_programs())
    goal = data.draw(goal_for(prog))
    tmp: Path = tmp_path_factory.mktemp("d")
    (tmp / "doc.txt").write_text(DOC)
    loaded = engine.load_text(text, path="gen.dl", base=tmp)
    full = loaded.evaluate()
    model, choice = loaded.evaluate_for(goal, "on")
    where = f"{choice.reason}\n{text}?- {goal}.\n{D.explain(choice)}"
    assert _answers(model, goal) == _answers(full, goal), where
    body, _sources = parse_goal(goal)
    if len(body) != 1 or not isinstance(body[0], n.Atom):
        return
    if not full.query(goal).rows:
        return  # `why` of what does not hold is told from the full model (see cli.cmd_why)
    want = [json.dumps(to_json(p), sort_keys=True) for p in full.why(goal)]
    got = [json.dumps(to_json(p), sort_keys=True) for p in model.why(goal)]
    assert got == want, f"why {goal}\n{where}"


@diff_settings(150)
@given(case=cases(), node=st.integers(0, 8))
def test_recursive_aggregates_on_demand(case: tuple[int, set[int], list[tuple[int, int, int]], str, int, bool, str],
                                        node: int) -> None:
    text = aggregate_program(*case)
    loaded = engine.load_text(text)
    full = loaded.evaluate()
    goal = f"m({node % case[0]})"
    model, choice = loaded.evaluate_for(goal, "on")
    assert choice.used, choice.reason
    assert model.query(goal).rows == full.query(goal).rows, f"{text}\n{D.explain(choice)}"
    want = [json.dumps(to_json(p), sort_keys=True) for p in full.why(goal)]
    got = [json.dumps(to_json(p), sort_keys=True) for p in model.why(goal)]
    if full.query(goal).rows:
        assert got == want, f"{text}\n{D.explain(choice)}"
