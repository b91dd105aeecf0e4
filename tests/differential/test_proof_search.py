"""Grades and proofs found on demand, against a naive oracle, on generated programs with cited facts.

The oracle (tests/differential/oracle.py) gives the model; from it this
file lists every ground rule instance by nested loops, then computes by
plain fixpoint iteration each tuple's best grade (weakest link, best
derivation) and, for every grade level, its least height using only tuples
of that grade or better. Syllog must give the same grades, and every proof
it shows must be one of those instances, of the oracle's least height at the
tuple's own grade, down to facts. `why` of an atom that does not hold must
answer with a `missing` node, never raise.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import engine
from engine.proof.tree import ProofNode
from engine.provenance import TOP, encode

from . import oracle
from .generator import Agg, Atom, Cmp, GenConfig, Neg, Program, Rule, programs, render, render_atom
from .harness import diff_settings, norm

Key = tuple[str, tuple[object, ...]]
Instance = tuple[Key, frozenset[Key]]  # head, premises (aggregates' matches included)
DOC = "\n".join(f"Line {i}." for i in range(1, 7)) + "\n"
RELIABILITY = "abcdef"


def ground_instances(rule: Rule, rels: oracle.Relations) -> Iterator[Instance]:
    """Every instance of `rule` over the final model: its head and the tuples it rests on."""
    positives = [b for b in rule.body if isinstance(b, Atom)]
    for env in oracle.solutions(positives, rels, {}):
        premises = {(a.pred, tuple(oracle.value(t, env) for t in a.args)) for a in positives}
        ok = True
        for lit in rule.body:
            if isinstance(lit, Agg):
                v = oracle.aggregate(lit, rule, rels, env)
                if v is None:
                    ok = False
                    break
                elsewhere = set(oracle.term_vars(rule.head.args)).union(
                    *(oracle.lit_vars(b) for b in rule.body if b is not lit))
                outer = {t: env[t] for t in lit.body.args if t in elsewhere}
                for e in oracle.solutions([lit.body], rels, outer):
                    premises.add((lit.body.pred, tuple(oracle.value(t, e) for t in lit.body.args)))
                env = {**env, lit.result: v}
        todo = [b for b in rule.body if isinstance(b, (Neg, Cmp))]
        while ok and todo:
            lit2 = next(b for b in todo if oracle.ready(b, env))
            todo.remove(lit2)
            if isinstance(lit2, Neg):
                ok = not any(True for _ in oracle.solutions([lit2.atom], rels, env))
            elif lit2.op == "=" and isinstance(lit2.left, oracle.Var) and lit2.left not in env:
                env = {**env, lit2.left: oracle.value(lit2.right, env)}
            elif lit2.op == "=" and isinstance(lit2.right, oracle.Var) and lit2.right not in env:
                env = {**env, lit2.right: oracle.value(lit2.left, env)}
            else:
                ok = oracle.compare(lit2.op, oracle.value(lit2.left, env), oracle.value(lit2.right, env))
        if ok:
            yield (rule.head.pred, tuple(oracle.value(t, env) for t in rule.head.args)), frozenset(premises)


def best_grades(base: dict[Key, int], insts: dict[Key, set[frozenset[Key]]]) -> dict[Key, int]:
    """Best derivation, weakest link: iterate grade(t) = max(base, max over instances of min premise)."""
    grade: dict[Key, int] = dict(base)
    changed = True
    while changed:
        changed = False
        for head, bodies in insts.items():
            for prem in bodies:
                if all(p in grade for p in prem):
                    g = min([grade[p] for p in prem], default=TOP)
                    if g > grade.get(head, -1):
                        grade[head] = g
                        changed = True
    return grade


def least_heights(level: int, base: dict[Key, int], grade: dict[Key, int],
                  insts: dict[Key, set[frozenset[Key]]]) -> dict[Key, int]:
    """Least height of a derivation using only tuples of grade `level` or better."""
    h = {k: 0 for k, g in base.items() if g >= level}
    changed = True
    while changed:
        changed = False
        for head, bodies in insts.items():
            for prem in bodies:
                if all(p in h and grade[p] >= level for p in prem):
                    c = 1 + max([h[p] for p in prem], default=0)
                    if c < h.get(head, c + 1):
                        h[head] = c
                        changed = True
    return h


@st.composite
def cited_programs(draw: st.DrawFn, cfg: GenConfig | None = None) -> tuple[Program, str, dict[Key, int]]:
    """A generated program whose facts cite sources of drawn reliability, some twice, some not at all."""
    prog = draw(programs(cfg or GenConfig()))
    n_sources = draw(st.integers(1, 3))
    reliab = [draw(st.sampled_from(RELIABILITY)) for _ in range(n_sources)]
    lines = [f'.source s{i} {{ title: "t", publisher: "p", date: "2024-01-01", document: "doc.txt", '
             f"reliability: {r} }}" for i, r in enumerate(reliab)]
    cited: dict[Key, list[int | None]] = {}
    for f in prog.facts:
        key = (f.pred, tuple(oracle.value(t, {}) for t in f.args))
        if draw(st.integers(0, 4)) == 0:
            lines.append(render_atom(f) + ".")
            cited.setdefault(key, []).append(None)
            continue
        s = draw(st.integers(0, n_sources - 1))
        cred = draw(st.integers(1, 6))
        lines.append(f"@cite(s{s}, line: {draw(st.integers(1, 6))}, credibility: {cred}) {render_atom(f)}.")
        cited.setdefault(key, []).append(encode(reliab[s], cred))
    for r in prog.rules:  # a rule without a body is an uncited fact
        if not r.body:
            cited.setdefault((r.head.pred, tuple(oracle.value(t, {}) for t in r.head.args)), []).append(None)
    rules_only = Program(preds=prog.preds, facts=[], rules=prog.rules, declare=prog.declare,
                         decl_style=prog.decl_style)
    text = "\n".join(lines) + "\n" + render(rules_only)
    base = {k: max((g for g in gs if g is not None), default=TOP) for k, gs in cited.items()}
    return prog, text, base


def _load(text: str, tmp: Path) -> engine.Model:
    (tmp / "doc.txt").write_text(DOC)
    try:
        return engine.load_text(text, path="gen.dl", base=tmp).evaluate()
    except engine.SyllogError as e:
        raise AssertionError(f"rejected a valid program:\n{text}\n{e}") from e


def _check(node: ProofNode, grade: dict[Key, int], base: dict[Key, int],
           insts: dict[Key, set[frozenset[Key]]], heights: dict[int, dict[Key, int]], text: str) -> None:
    key = (node.pred, tuple(map(norm, node.row)))
    assert node.grade == grade[key], f"{node.fact}: grade {node.grade} vs {grade[key]}\n{text}"
    level = grade[key]
    if node.kind == "fact":
        assert base.get(key, -1) == level, f"{node.fact} shown as a fact of grade {level}\n{text}"
        return
    assert node.kind == "rule"
    assert node.height == heights[level][key], f"{node.fact}: height {node.height} vs {heights[level][key]}\n{text}"
    premises: set[Key] = set()
    kids = []
    for c in node.children:
        if c.kind == "aggregate":
            kids.extend(c.children)
        elif c.kind in ("rule", "fact"):
            kids.append(c)
    premises = {(c.pred, tuple(map(norm, c.row))) for c in kids}
    assert frozenset(premises) in insts.get(key, set()), f"{node.fact}: {premises} is no instance\n{text}"
    assert min([grade[p] for p in premises], default=TOP) == level
    assert all(heights[level].get(p, 10**9) < node.height for p in premises)
    for c in kids:
        _check(c, grade, base, insts, heights, text)


@diff_settings(150)
@given(data=cited_programs())
def test_grades_and_proofs_agree_with_the_oracle(tmp_path_factory: pytest.TempPathFactory,
                                                 data: tuple[Program, str, dict[Key, int]]) -> None:
    prog, text, base = data
    model = _load(text, tmp_path_factory.mktemp("p"))
    rels = oracle.evaluate(prog)
    insts: dict[Key, set[frozenset[Key]]] = {}
    for rule in prog.rules:
        if not rule.body:
            continue  # a fact
        for head, prem in ground_instances(rule, rels):
            insts.setdefault(head, set()).add(prem)
    grade = best_grades(base, insts)
    heights = {lvl: least_heights(lvl, base, grade, insts) for lvl in set(grade.values())}
    for pred in prog.idb:
        for row in sorted(rels[pred], key=repr):
            key = (pred, row)
            shown = model.grade(pred, row)
            assert (shown if model.graded else TOP) == (grade[key] if model.graded else TOP), (
                f"{pred}{row}: {shown} vs {grade[key]}\n{text}")
            if model.graded:
                _check(model.explain(pred, row), grade, base, insts, heights, text)


@diff_settings(100)
@given(prog=programs(), picks=st.lists(st.integers(0, 10**6), min_size=1, max_size=6))
def test_why_of_an_atom_that_does_not_hold_never_raises(prog: Program, picks: list[int]) -> None:
    model = engine.load_text(render(prog), path="gen.dl").evaluate()
    rels = oracle.evaluate(prog)
    domain = sorted({v for rows in rels.values() for row in rows for v in row} | {0, "a"}, key=repr)
    for k, pred in enumerate(prog.idb):
        arity = prog.preds[pred].arity
        for pick in picks:
            row = tuple(domain[(pick // (len(domain) ** i)) % len(domain)] for i in range(arity))
            atom = render_atom(Atom(pred, tuple(oracle.Const(v) for v in row)))
            nodes = model.why(atom)
            if row in rels[pred]:
                assert nodes[0].kind in ("rule", "fact"), atom
            else:
                assert [x.kind for x in nodes] == ["missing"], atom
                assert all(c.kind == "missing" for c in nodes[0].children)
        del k
