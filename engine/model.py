"""The evaluated model: relations, queries over them, grades and proofs.

`Model` is what `Program.evaluate` returns. Queries are planned like rule
bodies and run against the finished relations (from their indexes: a point
query on a closure of millions of pairs is one lookup); grades and proofs
are searched for on demand over those relations (engine.proof).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from . import nodes as n
from . import plan as P
from .analysis import Program, check_goal, const_eval
from .analysis.walk import body_atoms
from .collector import held_off
from .errors import NO_SPAN, Diagnostic, SourceMap, Span, SyllogError, error
from .evaluation.batches import Tally, collect_batches
from .evaluation.compile import compile_steps, fan_outs, head_fn
from .evaluation.dropped import Dropped, Note
from .evaluation.fixpoint import Evaluator
from .evaluation.growth import goal_limit_help
from .evaluation.relation import Relation, Row
from .proof.derivations import Derivations, Key, answer_matches, body_matches, substitute
from .proof.missing import explain_missing
from .proof.search import Support
from .proof.tree import ProofNode
from .provenance import TOP, Grade
from .provenance import show as show_grade
from .syntax import parse
from .values import ArithmeticFault, Value, sort_rows

if TYPE_CHECKING:
    from .whatif import Conclusion, EvidenceChange


@dataclass
class Violation:
    """One match of a constraint's body: the values of its variables, its grade, and the premises' proofs."""

    constraint: n.Constraint
    binding: dict[str, Value]
    grade: str | None
    premises: list[ProofNode]

    @property
    def what(self) -> str:
        from .syntax.pretty import body as body_text

        return self.constraint.message or f":- {body_text(self.constraint.body)}."


@dataclass
class Answers:
    """A query's answers: variable names and sorted, distinct rows (with grades if known).

    `warnings` are the goal's own (W102: a predicate nothing defines, most often a
    typo), to be rendered against `sources`, the goal's text.
    """

    query: str
    variables: list[str]
    rows: list[tuple[Value, ...]]
    grades: list[str | None] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list, repr=False)
    sources: SourceMap | None = field(default=None, repr=False)
    types: list[str] = field(default_factory=list, repr=False)  # the declared column types, for `Model.table`

    def __bool__(self) -> bool:
        return bool(self.rows)

    def as_dicts(self) -> list[dict[str, Value]]:
        return [dict(zip(self.variables, r)) for r in self.rows]

    @property
    def columns(self) -> list[str]:
        """The variables, or `answer` (true/false) for a goal without any."""
        return self.variables or ["answer"]

    def _table_rows(self) -> list[tuple[Value, ...]]:
        return self.rows if self.variables else [("true" if self.rows else "false",)]

    def to_arrow(self) -> Any:
        """The answers as a `pyarrow.Table`: a column per variable, then `grade` when graded (needs pyarrow)."""
        from .frames import to_arrow

        return to_arrow(self.columns, self._table_rows(), self.grades, self.types or None)

    def to_pandas(self) -> Any:
        """The answers as a pandas DataFrame (needs pandas and pyarrow: `pip install 'syllog[dataframes]'`)."""
        from .frames import to_pandas

        return to_pandas(self.columns, self._table_rows(), self.grades, self.types or None)

    def to_polars(self) -> Any:
        """The answers as a polars DataFrame (needs polars and pyarrow: `pip install 'syllog[dataframes]'`)."""
        from .frames import to_polars

        return to_polars(self.columns, self._table_rows(), self.grades, self.types or None)

    def _repr_html_(self) -> str:
        """Jupyter's view: an HTML table with grades."""
        from .html import table_html

        caption = f"?- {self.query}." if self.query else ""
        return table_html(self.columns, self._table_rows(), self.grades, caption)


@runtime_checkable
class ModelLike(Protocol):
    """What every evaluated model answers, wherever its relations live: `Model` (in memory) and
    `engine.backends.SqlModel` (in a database) both are one. Grades are `Grade`s (None when ungraded or when
    the tuple does not hold); proofs are `ProofNode`s, `missing` when the atom does not hold."""

    program: Program
    provenance: bool  # proofs can be asked for (else E802)
    graded: bool  # the program cites sources and provenance is on

    @property
    def warnings(self) -> list[Diagnostic]:
        """What evaluation warns of (W104)."""
        ...

    def relation(self, name: str) -> Iterable[Row]:
        """The tuples of a predicate (none for an unknown name)."""
        ...

    def size(self, name: str) -> int: ...

    def count(self) -> int: ...

    def query(self, goal: str | tuple[n.Literal, ...], text: str | None = None) -> Answers: ...

    def grade(self, pred: str, row: Row) -> Grade | None: ...

    def why(self, goal: str, alternatives: int = 1) -> list[ProofNode]: ...

    def explain(self, pred: str, row: Row) -> ProofNode: ...

    def violations(self, constraints: list[n.Constraint] | None = None) -> list[Violation]: ...

    def close(self) -> None:
        """Give back what the model holds (a database connection and its locks; nothing in memory)."""
        ...


def goal_text(text: str) -> str:
    """A goal as typed, without what may stand around it: spaces, a leading `?-`, the final `.`.

    >>> goal_text(" ?- path(a, X). ")
    'path(a, X)'
    """
    goal = text.strip().removeprefix("?-").strip()
    return goal[:-1].rstrip() if goal.endswith(".") else goal


def parse_goal(text: str, name: str = "<query>") -> tuple[tuple[n.Literal, ...], SourceMap]:
    """Parse a goal as written after `?-` (the `?-` and the final `.` may be typed too)."""
    goal = goal_text(text)
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


def checked_goal(program: Program, text: str) -> tuple[tuple[n.Literal, ...], SourceMap, list[Diagnostic]]:
    """A goal's text parsed and checked against the program: its body, its source and its warnings (an
    error is raised, positioned in the goal)."""
    body, sources = parse_goal(text)
    return body, sources, check_goal(program, body, sources)


def checked_why(program: Program, text: str) -> tuple[n.Atom, SourceMap]:
    """The goal of `why`, parsed and checked: one atom (E801 otherwise), and its source."""
    body, sources, _warnings = checked_goal(program, text)
    atom = body[0] if len(body) == 1 else None
    if not isinstance(atom, n.Atom):
        raise SyllogError([error("E801", "`why` takes one atom", Span("<query>", 1, 4, 1, 5))], sources)
    return atom, sources


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
    """Relations after evaluation, with queries, grades and proofs over them.

    Grades and proofs are found on demand (engine.proof.search) and kept:
    evaluation records nothing for them. With `provenance=False` a model
    answers queries without grades and refuses proofs (E802).
    """

    def __init__(self, program: Program, ev: Evaluator, provenance: bool = True) -> None:
        self.program = program
        self._ev = ev
        self.relations: dict[str, Relation] = ev.rels
        self.provenance = provenance
        self.graded = provenance and program.has_citations
        self._support: Support | None = None

    @property
    def support(self) -> Support:
        """The grades and proofs of this model (built on first use)."""
        if self._support is None:
            derived = {r.head.pred for r in self.program.rules}
            base = self._ev.base

            def is_base(key: Key) -> bool:
                return key[0] not in derived or key[1] in base.get(key[0], ())

            self._support = Support(Derivations(self.program, self.relations, is_base), self.program)
        return self._support

    def close(self) -> None:
        """Nothing to give back: an in-memory model holds no connection (`ModelLike.close`)."""

    def invalidate(self) -> None:
        """Forget solved grades and proofs (after the relations changed under this model)."""
        self._support = None

    def key_of(self, atom: str) -> Key | None:
        """(predicate, row) of a ground atom as written; None when it is not one."""
        try:
            body, _sources = parse_goal(atom)
        except SyllogError:
            return None
        if len(body) != 1 or not isinstance(body[0], n.Atom) or any(n.expr_vars(a) for a in body[0].args):
            return None
        return body[0].pred, tuple(ground(a, {}) for a in body[0].args)

    def whatif(self, change: EvidenceChange | None = None, **fields: Any) -> list[Conclusion]:
        """What changes if evidence is taken out or regraded (`EvidenceChange` fields as keywords).

        >>> import engine
        >>> m = engine.load_text("e(1). p(X) :- e(X).").evaluate()
        >>> m.whatif()
        []
        """
        from .whatif import EvidenceChange as Change
        from .whatif import whatif

        return whatif(self, change if change is not None else Change(**fields))

    def relation(self, name: str) -> set[tuple[Value, ...]]:
        """The tuples of a predicate (empty for an unknown name).

        >>> import engine
        >>> sorted(engine.load_text("e(1). e(2).").evaluate().relation("e"))
        [(1,), (2,)]
        """
        rel = self.relations.get(name)
        return set(rel.tuples) if rel is not None else set()

    def table(self, name: str) -> Answers:
        """A relation as a table: its tuples sorted, columns named by its `.decl` (else `arg1`...), with grades.

        The same `Answers` a query gives: `_repr_html_` in a notebook, `to_pandas()`, `to_polars()`, `to_arrow()`.

        >>> import engine
        >>> engine.load_text(".decl e(src: int, dst: int) e(1, 2).").evaluate().table("e").as_dicts()
        [{'src': 1, 'dst': 2}]
        """
        decl = self.program.decls.get(name)
        k = self.program.arity.get(name, 0)
        columns = [p.name for p in decl.params] if decl is not None else [f"arg{i + 1}" for i in range(k)]
        rows = sort_rows(self.relation(name))
        grades: list[str | None] = []
        if self.graded and rows:
            self.support.solve_grades([(name, r) for r in rows])
            grades = [show_grade(g) if (g := self.support.grade((name, r))) is not None else None for r in rows]
        types = [p.type for p in decl.params] if decl is not None else ["any"] * k
        return Answers(name, columns, rows, grades, types=types)

    def size(self, name: str) -> int:
        """Number of tuples of a predicate, without copying them."""
        rel = self.relations.get(name)
        return len(rel) if rel is not None else 0

    def count(self) -> int:
        return sum(len(r) for r in self.relations.values())

    def holds(self, pred: str, row: Row) -> bool:
        """Is the tuple in the model? (An index lookup.)"""
        return pred in self.relations and self.support.source.holds((pred, tuple(row)))

    def grade(self, pred: str, row: Row) -> Grade | None:
        """The tuple's grade: a `Grade`, shown `B3`, ordered as its integer (larger is better).

        None when the program cites nothing, without provenance, or when the tuple does not hold.

        >>> import engine
        >>> m = engine.load_text('.source s { title: "T", publisher: "P", date: "2024-01-01", document: "d.txt", '
        ...     'reliability: b } @cite(s, line: 1, credibility: 3) e(1).', base="tests/golden/proofs").evaluate()
        >>> m.grade("e", (1,))
        Grade('B3')
        """
        if not self.graded or pred not in self.relations:
            return None
        got = self.support.grade((pred, tuple(row)))
        return Grade(got) if got is not None else None

    # -- queries ----------------------------------------------------------
    def query(self, goal: str | tuple[n.Literal, ...], text: str | None = None) -> Answers:
        """Answer a goal: a body as written after `?-`.

        >>> import engine
        >>> engine.load_text("e(1, 2). e(2, 3).").evaluate().query("e(X, Y), Y > 2").rows
        [(2, 3)]
        """
        warnings: list[Diagnostic] = []
        if isinstance(goal, str):
            text = goal
            body, sources, warnings = checked_goal(self.program, goal)
        else:
            body, sources = goal, self.program.text
        with held_off():  # the answers' proofs and grades: many objects, no cycles (engine.collector)
            answers = self._answers(body, text or "", sources)
        answers.warnings, answers.sources = warnings + answers.warnings, sources
        return answers

    def _answers(self, body: tuple[n.Literal, ...], text: str, sources: SourceMap) -> Answers:
        names = goal_variables(body)
        rels = self._rels_for(body)
        where = Span(body[0].span.file, body[0].span.line, body[0].span.col, body[-1].span.end_line,
                     body[-1].span.end_col) if body else NO_SPAN
        dropped = Dropped()  # the goal's instances whose arithmetic is undefined fail, as a rule's do
        note = dropped.noter(-1)
        tally = self.goal_tally(where, sources)
        try:
            if self.graded:
                answers = self._graded_answers(body, names, rels, text, note, tally)
            else:
                steps, out_slots = P.plan_body(body, names, {p: len(r) for p, r in rels.items()})
                fns = compile_steps(steps, rels, True, note)
                rows = collect_batches(fns, fan_outs(steps, rels), {}, tally, note)
                hf = head_fn(tuple(P.Slot(s) for s in out_slots), -1)
                answers = Answers(text, names, sort_rows({hf(r) for r in rows}))
        except ArithmeticFault as exc:  # E602 at the goal, as evaluation reports it at a rule
            raise SyllogError([error("E602", f"{exc} in this goal", where)], sources) from None
        answers.warnings = dropped.goal_warnings(body, where)
        return answers

    @property
    def warnings(self) -> list[Diagnostic]:
        """What evaluation warns of: W104 for the rule instances whose arithmetic is undefined."""
        return self._ev.dropped.rule_warnings(self.program.rules)

    def goal_tally(self, where: Span, sources: SourceMap) -> Tally:
        """A tally of the rows a goal builds, that stops it (E601 at the goal) past the evaluation's limits.

        The limits are those the model was evaluated under: `--max-tuples`
        bounds the rows the goal builds, `--timeout` counts from now.
        """
        self._ev.restart_clock()
        tally = Tally()

        def look() -> None:
            passed = self._ev.goal_limit(tally.rows)
            if passed is not None:
                what, option = passed
                raise SyllogError([Diagnostic("E601", what, where, "error", goal_limit_help(option))], sources)
        tally.restart(look)
        return tally

    def _graded_answers(self, body: tuple[n.Literal, ...], names: list[str], rels: dict[str, Relation],
                        text: str, note: Note, tally: Tally) -> Answers:
        """Answers with their grades: each the best over its matches of the weakest positive atom."""
        by_answer: dict[Row, list[tuple[Key, ...]]] = {}
        for answer, atoms in answer_matches(body, names, rels, note, tally):
            by_answer.setdefault(answer, []).append(atoms)
        support = self.support
        support.solve_grades([k for ms in by_answer.values() for m in ms for k in m])
        rows = sort_rows(by_answer)
        grades = []
        for r in rows:
            best = max(min((support.grade(k) or TOP for k in m), default=TOP) for m in by_answer[r])
            grades.append(show_grade(best))
        return Answers(text, names, rows, grades)

    def _rels_for(self, body: tuple[n.Literal, ...]) -> dict[str, Relation]:
        rels = dict(self.relations)
        for atom, _neg in body_atoms(body):
            if atom.pred not in rels:
                rels[atom.pred] = Relation(atom.pred, len(atom.args))
        return rels

    def matches(self, body: tuple[n.Literal, ...], binding: dict[str, Value]) -> list[tuple[Key, ...]]:
        """Every match of `body` under `binding`, as the tuples of its positive atoms, in value order."""
        return body_matches(body, binding, self._rels_for(body))

    def violations(self, constraints: list[n.Constraint] | None = None) -> list[Violation]:
        """Every violation of the program's constraints (`:- body.`), in program then value order."""
        out = []
        for k in self.program.constraints if constraints is None else constraints:
            answers = self.query(k.body)
            for i, row in enumerate(answers.rows):
                binding = dict(zip(answers.variables, row))
                premises = []
                if self.provenance:
                    matches = self.matches(k.body, binding)
                    best = max(matches, key=lambda m: min((self.support.grade(key) or TOP for key in m), default=TOP))
                    premises = [self.explain(*key) for key in best]
                out.append(Violation(k, binding, answers.grades[i] if answers.grades else None, premises))
        return out

    # -- proofs -----------------------------------------------------------
    def why(self, goal: str, alternatives: int = 1) -> list[ProofNode]:
        """Proofs for every match of an atom (ground or not); a `missing` node if none.

        With `alternatives=K`, up to K proofs of each match whose cited lines differ pairwise.
        """
        atom, _sources = checked_why(self.program, goal)
        body = (atom,)
        self._need_provenance()
        answers = self.query((_named_hidden(atom),), goal)
        if not answers.rows:
            return [explain_missing(self.program, self._rels_for(body), atom)]
        atom = _named_hidden(atom)
        nodes = []
        for r in answers.rows:
            binding = dict(zip(answers.variables, r))
            row = tuple(ground(a, binding) for a in atom.args)
            if alternatives > 1:
                nodes.extend(self.support.alternatives((atom.pred, row), alternatives))
            else:
                nodes.append(self.support.proof((atom.pred, row)))
        return nodes

    def explain(self, pred: str, row: Row) -> ProofNode:
        """The proof tree of a tuple that holds: best grade, then least height, then canonical order."""
        self._need_provenance()
        return self.support.proof((pred, tuple(row)))

    def _need_provenance(self) -> None:
        if not self.provenance:
            raise SyllogError([error("E802", "proofs need provenance; evaluate without --no-provenance",
                                     Span("<why>", 1, 1, 1, 1))])


def _named_hidden(atom: n.Atom) -> n.Atom:
    """The atom with each `_` and `_X` named as an answer variable, so that every match grounds it
    (`_X` twice keeps one name; each `_` gets its own)."""
    taken = {v.name for v in n.literal_vars(atom)}
    names: dict[str, str] = {}

    def fresh() -> str:
        k = len(names) + 1
        while f"Hidden{k}" in taken:
            k += 1
        taken.add(f"Hidden{k}")
        return f"Hidden{k}"

    def name(a: n.Expr) -> n.Expr:
        if not (isinstance(a, n.Var) and a.name.startswith("_")):
            return a
        if a.anonymous:
            return n.Var(fresh(), a.span)
        if a.name not in names:
            names[a.name] = fresh()
        return n.Var(names[a.name], a.span)

    return n.Atom(atom.pred, tuple(name(a) for a in atom.args), atom.span)


def ground(e: n.Expr, binding: dict[str, Value]) -> Value:
    """The value of a goal's argument under a binding of its variables."""
    return const_eval(substitute(e, binding))
