"""Expectations: run every `expect` / `expect not` against a model.

Each result says whether it held and, when not, what was derived instead:
the nearest tuples for a missing conclusion, or the unwanted tuples with a
short proof (rule place and premises) for one that should not be there.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import nodes as n
from .model import Model
from .proof.tree import ProofNode
from .syntax.pretty import body as body_text
from .syntax.pretty import literal
from .values import Value, row_key, show_atom


@dataclass
class Outcome:
    expect: n.Expect
    passed: bool
    details: list[str]

    @property
    def text(self) -> str:
        return f"expect {'not ' if self.expect.negated else ''}{body_text(self.expect.body)}."

    def report(self) -> str:
        """`path:line:col: expectation failed: ...` with what was derived instead."""
        head = f"{self.expect.span}: expectation failed: {self.text}"
        return "\n".join([head] + [f"  {d}" for d in self.details])


def run_expectations(model: Model, expects: list[n.Expect] | None = None) -> list[Outcome]:
    out = []
    for e in expects if expects is not None else model.program.expects:
        answers = model.query(e.body, body_text(e.body))
        holds = bool(answers.rows)
        passed = holds != e.negated
        details: list[str] = []
        if not passed:
            details = _unwanted(model, e, answers.variables, answers.rows) if e.negated else _nearest(model, e)
        out.append(Outcome(e, passed, details))
    return out


def _short(model: Model, node: ProofNode) -> str:
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
                parts.append(_short(model, model.explain(pred, row)))
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
