"""Expectations and constraints: run every `expect`, `expect not` and `:-` against a model.

Each result says whether it held and, when not, what was derived instead:
the nearest tuples for a missing conclusion, the unwanted tuples with a
short proof (rule place and premises) for one that should not be there, the
grade got and the weakest premise for `expect ... grade >= B3`, and each
violation of a constraint with its values, grade and premises.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import nodes as n
from .model import Model, Violation
from .proof.tree import ProofNode
from .provenance import TOP, encode
from .syntax.pretty import body as body_text
from .syntax.pretty import literal, statement
from .values import Value, row_key, show, show_atom


@dataclass
class Outcome:
    expect: n.Expect
    passed: bool
    details: list[str]

    @property
    def text(self) -> str:
        return statement(self.expect)

    def report(self) -> str:
        """`path:line:col: expectation failed: ...` with what was derived instead."""
        head = f"{self.expect.span}: expectation failed: {self.text}"
        return "\n".join([head] + [f"  {d}" for d in self.details])


def run_expectations(model: Model, expects: list[n.Expect] | None = None) -> list[Outcome]:
    out = []
    for e in expects if expects is not None else model.program.expects:
        if e.violated is not None:
            out.append(_violated(model, e))
            continue
        answers = model.query(e.body, body_text(e.body))
        holds = bool(answers.rows)
        passed = holds != e.negated
        details: list[str] = []
        if not passed:
            details = _unwanted(model, e, answers.variables, answers.rows) if e.negated else _nearest(model, e)
        elif e.grade is not None:
            details = _weaker(model, e, e.grade, answers.variables, answers.rows, answers.grades)
            passed = not details
        out.append(Outcome(e, passed, details))
    return out


def _violated(model: Model, e: n.Expect) -> Outcome:
    """`expect violated "m".`: the constraint of message m is violated (`expect not violated`: it is not)."""
    [k] = [k for k in model.program.constraints if k.message == e.violated]
    found = model.violations([k])
    if bool(found) != e.negated:
        return Outcome(e, True, [])
    if not found:
        return Outcome(e, False, ["no violation: the constraint holds"])
    return Outcome(e, False, ["violated:"] + [f"  {line}" for v in found for line in ViolationReport(v).report().splitlines()[1:]])


def expected_violations(program: Any) -> set[str]:
    """Messages of the constraints an `expect violated` pins: their violations are known, not failures."""
    return {e.violated for e in program.expects if e.violated is not None and not e.negated}


def grade_passes(test: n.GradeTest, got: str | None) -> bool:
    """Does a conclusion's grade (None: ungraded, better than any) pass `grade >= B3`?"""
    want = encode(test.grade[0].lower(), int(test.grade[1]))
    have = TOP if got is None else encode(got[0].lower(), int(got[1]))
    return {">=": have >= want, "<=": have <= want, "=": have == want}[test.op]


def _weaker(model: Model, e: n.Expect, test: n.GradeTest, names: list[str], rows: list[tuple[Value, ...]],
            grades: list[str | None]) -> list[str]:
    """For each answer whose grade fails the test: the grade it got and the weakest premise under it."""
    lines: list[str] = []
    for k, row in enumerate(rows):
        got = grades[k] if grades else None
        if grade_passes(test, got):
            continue
        where = ", ".join(f"{v} = {show(x)}" for v, x in zip(names, row))
        lines.append(f"got {got or 'no grade (nothing cited)'}" + (f" for {where}" if where else ""))
        match = model.matches(e.body, dict(zip(names, row)))
        weakest = _weakest_leaf(model, match[0]) if match and model.provenance else None
        if weakest is not None:
            lines.append(f"weakest premise: {_short(weakest)}")
    return lines


def _weakest_leaf(model: Model, atoms: tuple[tuple[str, tuple[Value, ...]], ...]) -> ProofNode | None:
    """The cited fact that fixes a match's grade: down the weakest premise at each step."""
    nodes = [model.explain(pred, row) for pred, row in atoms]
    if not nodes:
        return None
    node = min(nodes, key=lambda x: x.grade)
    while node.kind != "fact":
        kids = [c for c in (node.children if node.kind != "aggregate" else node.children) if c.kind != "absent"]
        kids = [g for c in kids for g in (c.children if c.kind == "aggregate" else [c])]
        if not kids:
            return node
        node = min(kids, key=lambda x: x.grade)
    return node


@dataclass
class ViolationReport:
    """A violated constraint, reported as a failure by `syllog test` and the pytest plugin."""

    violation: Violation

    def report(self) -> str:
        v = self.violation
        values = ", ".join(f"{k} = {show(x)}" for k, x in v.binding.items())
        lines = [f"{v.constraint.span}: constraint violated: {v.what}"]
        lines.append(f"  {values or 'the body holds'}" + (f" [{v.grade}]" if v.grade else ""))
        lines.extend(f"    {_short(p)}" for p in v.premises)
        return "\n".join(lines)


def check_constraints(model: Model, constraints: list[n.Constraint] | None = None) -> list[ViolationReport]:
    """The violations that fail a test: those of every constraint that no `expect violated` pins."""
    known = expected_violations(model.program)
    chosen = [k for k in (model.program.constraints if constraints is None else constraints) if k.message not in known]
    return [ViolationReport(v) for v in model.violations(chosen)]


def _short(node: ProofNode) -> str:
    grade = f" [{node.grade_text}]" if node.grade_text else ""
    if node.kind == "rule" and node.rule is not None:
        prem = ", ".join(c.fact for c in node.children)
        return f"{node.fact}{grade} by the rule at {node.rule.span.file}:{node.rule.span.line} from {prem}"
    if node.kind == "fact":
        if node.citations:
            c = node.citations[0][0]
            return f"{node.fact}{grade}: a fact citing {c.source} line {c.line}"
        where = f" at {node.span.file}:{node.span.line}" if node.span else ""
        return f"{node.fact}{grade}: a fact{where}"
    return node.fact


def _unwanted(model: Model, e: n.Expect, names: list[str], rows: list[tuple[Value, ...]]) -> list[str]:
    lines = ["derived instead:"]
    shown = 0
    for r in rows[:5]:
        binding = dict(zip(names, r))
        parts = []
        matches = model.matches(e.body, binding)
        for pred, row in (matches[0] if matches else []):
            if model.provenance and model.holds(pred, row):
                parts.append(_short(model.explain(pred, row)))
            else:
                parts.append(show_atom(pred, row))
        if not parts:
            parts = [", ".join(f"{k} = {v}" for k, v in binding.items()) or "the goal holds"]
        lines.extend(f"  {p}" for p in parts)
        shown += 1
    if len(rows) > shown:
        lines.append(f"  ... and {len(rows) - shown} more")
    return lines


def _nearest(model: Model, e: n.Expect) -> list[str]:
    atoms = [lit for lit in e.body if isinstance(lit, n.Atom)]
    if len(e.body) > 1:
        prefix: list[n.Literal] = []
        for lit in e.body:
            prefix.append(lit)
            if not model.query(tuple(prefix)).rows:
                return [f"no match: nothing satisfies `{literal(lit)}` after the literals before it"]
    if not atoms:
        return ["no match"]
    a = atoms[0]
    rel = model.relations.get(a.pred)
    if rel is None or not rel.tuples:
        return [f"no match: `{a.pred}` has no tuples at all"]

    def score(t: tuple[Value, ...]) -> int:
        return sum(1 for x, v in zip(a.args, t) if isinstance(x, n.Const) and x.value == v)

    ranked = sorted(rel.tuples, key=lambda t: (-score(t), row_key(t)))[:3]
    lines = ["no match; nearest derived:"]
    for t in ranked:
        g = model.grade(a.pred, t)
        from .provenance import show

        gt = show(g) if g is not None else None
        lines.append(f"  {show_atom(a.pred, t)}" + (f" [{gt}]" if gt else ""))
    return lines
