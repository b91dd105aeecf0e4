"""The evaluated model: relations, queries over them, and proofs.

`Model` is what `Program.evaluate` returns. Queries are planned like rule
bodies and run against the finished relations; proofs are rebuilt from the
derivation each tuple kept (plan and row), down to cited facts.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from . import nodes as n
from . import plan as P
from .analysis import Program
from .analysis.arity import check_arity
from .analysis.collect import Collected
from .analysis.safety import check_safety
from .errors import SourceMap, Span, SyllogError, error
from .evaluation.compile import compile_steps, head_fn, run_steps
from .evaluation.fixpoint import Evaluator
from .evaluation.relation import Relation, Row
from .provenance import TOP
from .provenance import show as show_grade
from .syntax import parse
from .values import Value, row_key, show_atom


@dataclass
class Answers:
    """A query's answers: variable names and sorted, distinct rows (with grades if known)."""

    query: str
    variables: list[str]
    rows: list[tuple[Value, ...]]
    grades: list[str | None] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.rows)

    def as_dicts(self) -> list[dict[str, Value]]:
        return [dict(zip(self.variables, r)) for r in self.rows]


@dataclass
class ProofNode:
    """One node of a proof tree.

    kind: `fact` (a leaf, cited or not), `rule` (derived), `absent` (a negated
    premise that holds), `aggregate` (the tuples an aggregate ranged over),
    `missing` (an atom that does not hold, with why).
    """

    kind: str
    fact: str
    grade: int = TOP
    rule: n.Rule | None = None
    children: list[ProofNode] = field(default_factory=list)
    citations: list[tuple[n.Citation, Any]] = field(default_factory=list)
    span: Span | None = None
    note: str | None = None
    pred: str = ""
    row: tuple[Value, ...] = ()

    @property
    def grade_text(self) -> str | None:
        return show_grade(self.grade)

    def evidence(self) -> list[tuple[str, int]]:
        """The cited (source, line) pairs under this node, sorted."""
        out: set[tuple[str, int]] = set()
        stack = [self]
        while stack:
            node = stack.pop()
            for c, _info in node.citations:
                out.add((c.source, c.line))
            stack.extend(node.children)
        return sorted(out)


def parse_goal(text: str, name: str = "<query>") -> tuple[tuple[n.Literal, ...], SourceMap]:
    """Parse a goal as written after `?-`, without the final `.`."""
    goal = text.strip()
    if goal.endswith("."):
        goal = goal[:-1]
    src = f"?- {goal}."
    sources = SourceMap()
    try:
        module = parse(src, name, sources)
    except SyllogError as exc:
        raise SyllogError(exc.diagnostics, sources) from None
    stmts = module.statements
    if len(stmts) != 1 or not isinstance(stmts[0], n.Query):
        raise SyllogError([error("E001", "expected one goal", Span(name, 1, 1, 1, 2))], sources)
    return stmts[0].body, sources


def goal_variables(body: tuple[n.Literal, ...]) -> list[str]:
    names: list[str] = []
    for lit in body:
        if isinstance(lit, n.Negation):
            continue
        for v in n.literal_vars(lit):
            if not v.anonymous and not v.name.startswith("_") and v.name not in names:
                names.append(v.name)
    return names


class Model:
    """Relations after evaluation, with queries and proofs over them."""

    def __init__(self, program: Program, ev: Evaluator) -> None:
        self.program = program
        self._ev = ev
        self.relations: dict[str, Relation] = ev.rels
        self._witness_plans: dict[int, Any] = {}

    @property
    def provenance(self) -> bool:
        return self._ev.provenance

    @property
    def graded(self) -> bool:
        return self._ev.graded

    def relation(self, name: str) -> set[tuple[Value, ...]]:
        """The tuples of a predicate (empty for an unknown name).

        >>> import engine
        >>> sorted(engine.load_text("e(1). e(2).").evaluate().relation("e"))
        [(1,), (2,)]
        """
        rel = self.relations.get(name)
        return set(rel.tuples) if rel is not None else set()

    def size(self, name: str) -> int:
        """Number of tuples of a predicate, without copying them."""
        rel = self.relations.get(name)
        return len(rel) if rel is not None else 0

    def count(self) -> int:
        return sum(len(r) for r in self.relations.values())

    def grade(self, pred: str, row: Row) -> int | None:
        rel = self.relations.get(pred)
        if rel is None or not rel.provenance:
            return None
        got = rel.derivation(row)
        return got[0] if got is not None else None

    # -- queries ----------------------------------------------------------
    def query(self, goal: str | tuple[n.Literal, ...], text: str | None = None) -> Answers:
        """Answer a goal: a body as written after `?-`.

        >>> import engine
        >>> engine.load_text("e(1, 2). e(2, 3).").evaluate().query("e(X, Y), Y > 2").rows
        [(2, 3)]
        """
        if isinstance(goal, str):
            text = goal
            body, sources = parse_goal(goal)
            self._check_goal(body, sources)
        else:
            body = goal
        names = goal_variables(body)
        steps, out_slots = P.plan_body(body, names, {p: len(r) for p, r in self.relations.items()})
        fns = compile_steps(steps, self._rels_for(body), True)
        rows = run_steps(fns, {})
        hf = head_fn(tuple(P.Slot(s) for s in out_slots), -1)
        distinct = sorted({hf(r) for r in rows}, key=row_key)
        answers = Answers(text or "", names, distinct)
        if self.graded:
            answers.grades = [self._answer_grade(body, names, r) for r in distinct]
        return answers

    def _rels_for(self, body: tuple[n.Literal, ...]) -> dict[str, Relation]:
        from .analysis.walk import body_atoms

        rels = dict(self.relations)
        for atom, _neg in body_atoms(body):
            if atom.pred not in rels:
                rels[atom.pred] = Relation(atom.pred, len(atom.args), False)
        return rels

    def _check_goal(self, body: tuple[n.Literal, ...], sources: SourceMap) -> None:
        c = Collected()
        c.decls = dict(self.program.decls)
        q = n.Query(body)
        c.queries = [q]
        # seed arities with the program's so that a wrong arity is reported
        seed = [n.Rule(n.Atom(p, tuple(n.Var(f"V{i}") for i in range(k))), ()) for p, k in self.program.arity.items()]
        c.rules = seed
        _arity, diags = check_arity(c)
        diags += check_safety([], [q], [])
        errors = [d for d in diags if d.is_error]
        if errors:
            raise SyllogError(errors, sources)

    def _answer_grade(self, body: tuple[n.Literal, ...], names: list[str], row: tuple[Value, ...]) -> str | None:
        """Grade of one answer: the best over its matches of the weakest positive atom."""
        binding = dict(zip(names, row))
        best: int | None = None
        for match in self._matches(body, binding):
            g = TOP
            for pred, t in match:
                got = self.grade(pred, t)
                if got is not None:
                    g = min(g, got)
            best = g if best is None else max(best, g)
        return show_grade(best) if best is not None else None

    def _matches(self, body: tuple[n.Literal, ...], binding: dict[str, Value]) -> list[list[tuple[str, Row]]]:
        """Every match of `body` under `binding`, as the tuples of its positive atoms."""
        bound = tuple(n.Comparison("=", n.Var(k), n.Const(v)) for k, v in binding.items())
        full = bound + body
        p = P._Planner({}, set(), True, {})
        fixed = p.name_anon(full)
        slots: dict[str, int] = {}
        order: list[str] = []
        steps = p.body(None, fixed, slots, order, -1, True)
        rows = run_steps(compile_steps(tuple(steps), self._rels_for(body), True), {})
        out = []
        for r in set(rows):
            atoms = []
            for lit in fixed:
                if isinstance(lit, n.Atom):
                    from .evaluation.aggregates import _arg

                    atoms.append((lit.pred, tuple(_arg(a, slots, r) for a in lit.args)))
            out.append(atoms)
        return out

    # -- proofs -----------------------------------------------------------
    def why(self, goal: str) -> list[ProofNode]:
        """Proofs for every match of an atom (ground or not); a `missing` node if none."""
        body, sources = parse_goal(goal)
        self._check_goal(body, sources)
        if len(body) != 1 or not isinstance(body[0], n.Atom):
            raise SyllogError([error("E801", "`why` takes one atom", Span("<query>", 1, 4, 1, 5))], sources)
        atom = body[0]
        if all(isinstance(a, n.Const) for a in atom.args):
            row = tuple(a.value for a in atom.args)  # type: ignore[union-attr]
            rel = self.relations.get(atom.pred)
            if rel is not None and row in rel.tuples:
                return [self.explain(atom.pred, row)]
            return [self.missing(atom)]
        answers = self.query(body, goal)
        if not answers.rows:
            return [self.missing(atom)]
        nodes = []
        for r in answers.rows:
            binding = dict(zip(answers.variables, r))
            row = tuple(_ground(a, binding) for a in atom.args)
            nodes.append(self.explain(atom.pred, row))
        return nodes

    def explain(self, pred: str, row: Row) -> ProofNode:
        """The proof tree of a tuple that holds, from the derivation it kept."""
        if not self.provenance:
            raise SyllogError([error("E802", "proofs need provenance; evaluate without --no-provenance",
                                     Span("<why>", 1, 1, 1, 1))])
        memo: dict[tuple[str, Row], ProofNode] = {}
        # a proof is as deep as the longest chain of rule applications
        sys.setrecursionlimit(max(sys.getrecursionlimit(), 200_000))
        return self._explain(pred, row, memo)

    def _explain(self, pred: str, row: Row, memo: dict[tuple[str, Row], ProofNode]) -> ProofNode:
        key = (pred, row)
        if key in memo:
            return memo[key]
        rel = self.relations[pred]
        got = rel.derivation(row)
        assert got is not None
        grade, plan_id, drow, rnd, _first = got
        text = show_atom(pred, row)
        if plan_id < 0:
            cites = self._ev.fact_cites.get(key, [])
            citations = []
            span = None
            for fact, cs in cites:
                span = span or fact.span
                for c in cs:
                    citations.append((c, self.program.sources.get(c.source)))
            node = ProofNode("fact", text, grade, citations=citations, span=span, pred=pred, row=row)
            memo[key] = node
            return node
        plan = self._ev.plans[plan_id]
        rule = self.program.rules[plan.rule_index]
        node = ProofNode("rule", text, grade, rule=rule, span=rule.span, pred=pred, row=row)
        memo[key] = node
        if drow is None:
            self._witness(node, rule, row, rnd, memo)
            return node
        for prem in plan.premises:
            if prem.kind == "atom":
                t = head_fn(prem.args, -1)(drow)
                node.children.append(self._explain(prem.pred, t, memo))
            elif prem.kind == "not":
                t = head_fn(prem.args, -1)(drow)
                shown = show_atom(prem.pred, t).replace("None", "_")
                node.children.append(ProofNode("absent", f"not {shown}", TOP, note=f"absence of {shown}",
                                               pred=prem.pred))
            elif prem.kind == "agg":
                node.children.append(self._aggregate_node(plan, prem.step, drow, memo, rnd))
        return node

    def _witness(self, node: ProofNode, rule: n.Rule, row: Row, rnd: int,
                 memo: dict[tuple[str, Row], ProofNode]) -> None:
        """Find again a match of `rule`'s body for `row` among tuples of rounds before `rnd`."""
        from .evaluation.aggregates import _arg

        binding: dict[str, Value] = {}
        for arg, value in zip(rule.head.args, row):
            if isinstance(arg, n.Var):
                if binding.setdefault(arg.name, value) != value:
                    node.note = "derivation not found"
                    return
        key = id(rule)
        cached = self._witness_plans.get(key)
        if cached is None:
            # planned once per rule, with the head's variables bound from the start
            p = P._Planner({q: len(r) for q, r in self.relations.items()}, set(), True, {})
            body = p.name_anon(rule.body)
            names = list(binding)
            slots = {v: i for i, v in enumerate(names)}
            order = list(names)
            steps = p.body(None, body, slots, order, -1, True)
            cached = (names, body, slots, compile_steps(tuple(steps), self.relations, False))
            self._witness_plans[key] = cached
        names, body, slots, fns = cached
        found: Row | None = None
        atoms: list[tuple[str, Row]] = []
        rows: Any = [tuple(binding[v] for v in names)]
        for fn in fns:
            rows = fn(rows, {})
        for r in rows:
            atoms = [(lit.pred, tuple(_arg(a, slots, r) for a in lit.args)) for lit in body if isinstance(lit, n.Atom)]
            if all(self._first_round(pr, t) < rnd for pr, t in atoms):
                found = r
                break
        if found is None:  # pragma: no cover - a recorded tuple always has its derivation
            node.note = "derivation not found"
            return
        it = iter(atoms)
        for lit in body:
            if isinstance(lit, n.Atom):
                pr, t = next(it)
                node.children.append(self._explain(pr, t, memo))
            elif isinstance(lit, n.Negation):
                args = tuple(None if isinstance(a, n.Var) and (a.anonymous or a.name not in slots)
                             else _arg(a, slots, found) for a in lit.atom.args)
                shown = show_atom(lit.atom.pred, args).replace("None", "_")  # type: ignore[arg-type]
                node.children.append(ProofNode("absent", f"not {shown}", TOP, note=f"absence of {shown}",
                                               pred=lit.atom.pred))

    def _aggregate_node(self, plan: P.RulePlan, step_index: int, drow: Row,
                        memo: dict[tuple[str, Row], ProofNode], rnd: int) -> ProofNode:
        from .evaluation.aggregates import aggregate_matches
        from .syntax.pretty import expr

        agg, group, matches = aggregate_matches(self.program.rules, self.relations, plan, step_index, drow)
        # A recursive aggregate was computed from the tuples that existed when
        # the rule fired: later ones would make the proof circular.
        matches = [m for m in matches if all(self._first_round(p, t) < rnd for p, t in m)]
        step = plan.steps[step_index]
        value_slot = _value_slot(plan, step_index)
        value = drow[value_slot] if value_slot is not None else None
        grp = ", ".join(f"{k} = {v}" for k, v in group.items())
        label = f"{expr(agg)} = {value}" + (f" for {grp}" if grp else "")
        node = ProofNode("aggregate", label, TOP, note=f"{len(matches)} distinct match(es)")
        seen: set[tuple[str, Row]] = set()
        for atoms in matches:
            for pred, t in atoms:
                if (pred, t) in seen:
                    continue
                seen.add((pred, t))
                child = self._explain(pred, t, memo)
                node.children.append(child)
                node.grade = min(node.grade, child.grade)
        del step
        return node

    def _first_round(self, pred: str, row: Row) -> int:
        got = self.relations[pred].derivation(row)
        return got[4] if got is not None else 0

    def missing(self, atom: n.Atom) -> ProofNode:
        """Explain an atom that does not hold: which premise each candidate rule lacks."""
        from .syntax.pretty import atom as show
        from .syntax.pretty import literal

        node = ProofNode("missing", show(atom), TOP, note="does not hold")
        for rule in self.program.rules:
            if rule.head.pred != atom.pred or len(rule.head.args) != len(atom.args):
                continue
            binding: dict[str, Value] = {}
            ok = True
            for h, g in zip(rule.head.args, atom.args):
                if isinstance(g, n.Const) and isinstance(h, n.Var):
                    if h.name in binding and binding[h.name] != g.value:
                        ok = False
                    binding[h.name] = g.value
                elif isinstance(g, n.Const) and isinstance(h, n.Const) and h.value != g.value:
                    ok = False
            if not ok:
                continue
            prefix: list[n.Literal] = [n.Comparison("=", n.Var(k), n.Const(v)) for k, v in binding.items()]
            for lit in rule.body:
                prefix.append(lit)
                try:
                    holds = bool(self.query(tuple(prefix)).rows)
                except SyllogError:
                    holds = True
                if not holds:
                    node.children.append(ProofNode(
                        "missing", literal(_subst(lit, binding)), TOP, rule=rule, span=rule.span,
                        note=f"the rule at {rule.span} needs this, and it does not hold"))
                    break
        if not node.children and not any(r.head.pred == atom.pred for r in self.program.rules):
            node.note = "does not hold: it is not among the facts, and no rule derives it"
        return node


def _value_slot(plan: P.RulePlan, step_index: int) -> int | None:
    """Slot where the aggregate's value lands: one past the widest row before it."""
    width = 0
    for k, s in enumerate(plan.steps[: step_index + 1]):
        if isinstance(s, P.Join):
            width += len(s.out_cols)
        elif isinstance(s, (P.Bind, P.Aggregate)):
            width += 1
        if k == step_index:
            return width - 1
    return None


def _ground(e: n.Expr, binding: dict[str, Value]) -> Value:
    if isinstance(e, n.Var):
        return binding[e.name]
    if isinstance(e, n.Const):
        return e.value
    from .analysis import const_eval

    return const_eval(e)


def _subst(lit: n.Literal, binding: dict[str, Value]) -> n.Literal:
    def s(e: n.Expr) -> n.Expr:
        if isinstance(e, n.Var) and e.name in binding:
            return n.Const(binding[e.name])
        return e

    if isinstance(lit, n.Atom):
        return n.Atom(lit.pred, tuple(s(a) for a in lit.args))
    if isinstance(lit, n.Negation):
        return n.Negation(n.Atom(lit.atom.pred, tuple(s(a) for a in lit.atom.args)))
    return n.Comparison(lit.op, s(lit.left), s(lit.right))
