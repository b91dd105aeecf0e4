"""Proofs: golden trees (text and JSON) for small programs, and properties of every proof.

Each case in `tests/golden/proofs/CASES` names a program and an atom; the
expected `syllog why` outputs sit beside it as `.tree` and `.json`. Rewrite
with `pytest --update-goldens`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from golden_util import compare, run_cli

import engine
from engine import nodes as n
from engine.proof.tree import ProofNode

HERE = Path(__file__).parent / "golden" / "proofs"
CASES = [line.split(" ", 1) for line in (HERE / "CASES").read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("case,atom", CASES, ids=[c for c, _ in CASES])
def test_proof_golden(case: str, atom: str, update_goldens: bool) -> None:
    stem = case.removesuffix(".dl")
    code, tree = run_cli(["why", case, atom], HERE)
    compare(HERE / f"{stem}.tree", f"exit {code}\n{tree}", update_goldens)
    code, js = run_cli(["why", case, atom, "--format", "json"], HERE)
    compare(HERE / f"{stem}.json", js, update_goldens)
    code, dot = run_cli(["why", case, atom, "--format", "dot"], HERE)
    assert dot.startswith("digraph proof {") and dot.rstrip().endswith("}")


def _grade(model: engine.Model, pred: str, row: tuple[object, ...]) -> str | None:
    from engine.provenance import show

    g = model.grade(pred, row)  # type: ignore[arg-type]
    return show(g) if g is not None else None


def test_better_second_path_upgrades() -> None:
    m = engine.load(HERE / "two_derivations.dl").evaluate()
    assert _grade(m, "blocked", ("city",)) == "A2"
    proof = m.why("blocked(city)")[0]
    assert [c.fact for c in proof.children] == ["closed(bridge)"]


def test_negation_does_not_lower_grade() -> None:
    m = engine.load(HERE / "negated_premise.dl").evaluate()
    assert _grade(m, "route", ("city",)) == "B2"


def test_aggregate_grade_is_weakest_counted() -> None:
    m = engine.load(HERE / "aggregate.dl").evaluate()
    assert _grade(m, "blocked", ("a",)) == "B3"
    agg = m.why("blocked(a)")[0].children[1]
    assert agg.kind == "aggregate"
    assert {c.fact for c in agg.children} >= {"owns(x, a, 30)", "owns(y, a, 25)"}


def test_fact_cited_twice_keeps_both() -> None:
    m = engine.load(HERE / "cited_twice.dl").evaluate()
    leaf = m.why("detour(city)")[0].children[0]
    assert [(c.line, c.originator) for c, _ in leaf.citations] == [(1, "first_witness"), (2, "second_witness")]
    assert _grade(m, "closed", ("bridge",)) == "C2"


def _check_node(model: engine.Model, node: ProofNode, facts: set[tuple[str, tuple[object, ...]]]) -> None:
    if node.kind == "fact":
        assert (node.pred, node.row) in facts, f"leaf {node.fact} is not a fact of the program"
        return
    if node.kind in ("absent", "aggregate"):
        for c in node.children:
            _check_node(model, c, facts)
        return
    assert node.kind == "rule" and node.rule is not None
    # the rule's body, instantiated by the children, must match: rebuild a binding
    positives = [lit for lit in node.rule.body if isinstance(lit, n.Atom)]
    atom_children = [c for c in node.children if c.kind in ("rule", "fact")]
    assert len(positives) == len(atom_children)
    binding: dict[str, object] = {}
    for lit, child in zip(positives, atom_children):
        assert lit.pred == child.pred
        for arg, value in zip(lit.args, child.row):
            if isinstance(arg, n.Var) and not arg.anonymous:
                assert binding.setdefault(arg.name, value) == value, f"{arg.name} bound twice in {node.fact}"
            elif isinstance(arg, n.Const):
                assert arg.value == value
    for arg, value in zip(node.rule.head.args, node.row):
        if isinstance(arg, n.Var) and arg.name in binding:
            assert binding[arg.name] == value
    for child in node.children:
        premises = child.children if child.kind == "aggregate" else [child]
        for prem in premises:
            if prem.kind in ("rule", "fact"):
                # down the tree the grade never falls, and at equal grade the height falls: no loop
                assert prem.grade >= node.grade, f"{prem.fact} is weaker than {node.fact}"
                assert prem.grade > node.grade or prem.height < node.height, f"{prem.fact} under {node.fact}"
        _check_node(model, child, facts)


REPOSITORY_PROGRAMS = [["rules", "facts"], ["examples/mrb_bank"], ["examples/ofac"], ["examples/reachability"]] + [
    [str(p.relative_to(Path(__file__).parent.parent))] for p in sorted((Path(__file__).parent / "golden" / "eval").glob("*.dl"))]


@pytest.mark.parametrize("paths", REPOSITORY_PROGRAMS)
def test_why_never_raises_on_atoms_that_do_not_hold(paths: list[str]) -> None:
    """For every derived predicate: atoms one value away from a tuple that holds, and goals with a variable."""
    from engine.values import show, show_atom

    root = Path(__file__).parent.parent
    model = engine.load([root / p for p in paths]).evaluate()
    domain = sorted({v for r in model.relations.values() for t in list(r.tuples)[:200] for v in t}, key=repr)[:12]
    asked = 0
    for pred in sorted({r.head.pred for r in model.program.rules}):
        rel = model.relations[pred]
        for row in sorted(rel.tuples, key=repr)[:5]:
            for col in range(len(row)):
                for v in domain:
                    other = row[:col] + (v,) + row[col + 1:]
                    nodes = model.why(show_atom(pred, other))
                    assert nodes[0].kind == ("missing" if other not in rel.tuples else nodes[0].kind)
                    assert nodes[0].kind != "missing" or all(c.kind == "missing" for c in nodes[0].children)
                    asked += 1
                args = [show(x) for x in row]
                args[col] = "X"
                assert model.why(f"{pred}({', '.join(args)})")  # a proof of each match
    assert asked > 0 or not model.program.rules


@pytest.mark.parametrize("paths", [["rules", "facts"], ["examples/mrb_bank"], ["examples/ofac"],
                                   ["examples/reachability"]] + [[f"tests/golden/proofs/{c}"] for c, _ in CASES[:-1]])
def test_every_proof_is_well_founded_and_matches(paths: list[str]) -> None:
    root = Path(__file__).parent.parent
    model = engine.load([root / p for p in paths]).evaluate()
    facts = {(f.pred, f.row) for f in model.program.facts}
    for io in model.program.io:
        facts |= {(io.pred, t) for t in model.relations[io.pred].tuples}
    heads = {r.head.pred for r in model.program.rules}
    checked = 0
    for pred in sorted(heads):
        for row in sorted(model.relations[pred].tuples, key=repr):
            _check_node(model, model.explain(pred, row), facts)
            checked += 1
    assert checked > 0


def test_why_of_an_atom_with_underscores_proves_every_match() -> None:
    """`_` is any value and `_A` twice one value: each match gets its proof (it once raised a KeyError)."""
    model = engine.load_text("e(0, 0, 0). e(1, 0, 2). e(3, 1, 3).").evaluate()
    assert [p.fact for p in model.why("e(X, 0, _)")] == ["e(0, 0, 0)", "e(1, 0, 2)"]
    assert [p.fact for p in model.why("e(_A, _, _A)")] == ["e(0, 0, 0)", "e(3, 1, 3)"]
    assert [p.kind for p in model.why("e(_A, 2, _A)")] == ["missing"]
