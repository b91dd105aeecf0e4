"""Sessions: a program that changes while it is being asked questions (the REPL's model).

A session holds the loaded files plus the statements added at the prompt.
Adding facts brings the model up to date incrementally: new tuples flow
through semi-naive evaluation of the strata that use them, and strata that
do not depend on them are left untouched. A stratum that reads a changed
predicate through negation or an aggregate, and everything that depends on a
retracted fact, is recomputed from its inputs. Rules and declarations re-check
the whole program. A change that fails (an error, the tuple limit, Ctrl-C)
leaves the model as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import files
from . import nodes as n
from .analysis import Program, check
from .api import Loaded, dated
from .demand import Choice
from .errors import SourceMap, Span, SyllogError, error
from .evaluation import DEFAULT_MAX_TUPLES, Evaluator, Limits
from .evaluation.incremental import update
from .evaluation.limits import DEFAULT_GROWING_ROUNDS
from .loader import LoadedModules, load_paths, load_texts
from .model import Answers, Model, parse_goal
from .syntax import parse
from .syntax.pretty import statement
from .values import Value, row_key, show_atom, sort_rows


@dataclass
class Change:
    """What one update did: tuples that appeared and vanished, per predicate."""

    appeared: dict[str, set[tuple[Value, ...]]] = field(default_factory=dict)
    vanished: dict[str, set[tuple[Value, ...]]] = field(default_factory=dict)
    incremental: bool = True

    def lines(self) -> list[str]:
        out = []
        for pred in sorted(set(self.appeared) | set(self.vanished)):
            for row in sort_rows(self.appeared.get(pred, ())):
                out.append(f"+ {show_atom(pred, row)}")
            for row in sort_rows(self.vanished.get(pred, ())):
                out.append(f"- {show_atom(pred, row)}")
        return out


class Session:
    """A program, its model, and the changes made to it.

    >>> s = Session(text="e(1, 2). p(X, Y) :- e(X, Y).")
    >>> s.add("e(2, 3).").lines()
    ['+ e(2, 3)', '+ p(2, 3)']
    """

    def __init__(self, paths: list[str | Path] | None = None, text: str | None = None,
                 provenance: bool = True, max_tuples: int | None = DEFAULT_MAX_TUPLES,
                 max_seconds: float | None = None, as_of: str | None = None,
                 max_memory: int | None = None, max_growing_rounds: int | None = DEFAULT_GROWING_ROUNDS,
                 lazy: bool = False) -> None:
        self.paths = [Path(p) for p in (paths or [])]
        self.as_of = as_of
        self.base_text = text
        self.provenance = provenance
        self.limits = Limits(max_tuples, max_seconds, max_memory, max_growing_rounds=max_growing_rounds)
        self.added: list[str] = []  # statements typed in, as canonical text
        self.retracted: set[tuple[str, tuple[Value, ...]]] = set()
        self.counter = 0
        self.marks: dict[str, dict[str, set[tuple[Value, ...]]]] = {}
        self._model: Model | None = None
        # `lazy`: the program is checked now and evaluated when something needs the whole model;
        # until then `answer` answers goals on demand (engine.demand)
        if lazy:
            self.program: Program = self._check()
        else:
            self._build()
        self.last_choice: Choice | None = None

    @property
    def model(self) -> Model:
        """The whole model (evaluated on first use when the session is lazy)."""
        if self._model is None:
            self._build(self.program)
        assert self._model is not None
        return self._model

    @model.setter
    def model(self, model: Model) -> None:
        self._model = model
        self.marks.setdefault("start", self.derived_state())

    @property
    def evaluated(self) -> bool:
        return self._model is not None

    def answer(self, goal: str) -> Answers:
        """A goal's answers: on demand while the program is not evaluated yet, else from the model.

        The way taken is kept in `last_choice` (`engine.demand.explain` shows it).
        """
        if self._model is not None:
            self.last_choice = Choice(None, "answered from the model, evaluated in full")
            return self._model.query(goal)
        model, self.last_choice = Loaded(self.program).evaluate_for(
            goal, "auto", self.provenance, self.limits.max_tuples, self.limits.max_seconds)
        return model.query(goal)

    # -- building -----------------------------------------------------------
    def _parse_all(self, reread: bool = False) -> LoadedModules:
        """The files (parsed once, until `reread`) plus the texts typed in (each parsed once)."""
        if reread or getattr(self, "_files", None) is None:
            self._files = load_paths(list(self.paths)) if self.paths else LoadedModules()
            self._texts: dict[tuple[str, str], LoadedModules] = {}
        files = self._files
        parsed = LoadedModules(list(files.modules), SourceMap(dict(files.sources.texts)), dict(files.base_dirs))
        texts = []
        if self.base_text is not None:
            texts.append(("<text>", self.base_text))
        texts += [(f"<input {k + 1}>", t) for k, t in enumerate(self.added)]
        for name, text in texts:
            one = self._texts.get((name, text))
            if one is None:
                one = self._texts[(name, text)] = load_texts([(name, text)])
            parsed.modules += one.modules
            parsed.sources.texts.update(one.sources.texts)
            parsed.base_dirs.update(one.base_dirs)
        return parsed

    def _check(self, reread: bool = False) -> Program:
        program = dated(check(self._parse_all(reread)), self.as_of)
        retracted = self.retracted
        if retracted:
            program.facts = program.facts.without(retracted)
        return program

    def _build(self, program: Program | None = None) -> None:
        program = program or self._check()
        ev = Evaluator(program, self.limits)
        ev.run()
        self.program = program
        self.evaluator = ev
        self.model = Model(program, ev, self.provenance)
        self.incremental_updates = 0

    def _apply(self, program: Program) -> bool:
        """Move to `program` incrementally when only facts differ; False when that cannot be done."""
        old = self.program
        if (program.rules != old.rules or program.has_citations != old.has_citations
                or program.strata != old.strata or program.io != old.io
                or set(program.decls) != set(old.decls) or program.arity != old.arity):
            return False

        added, removed = program.facts.changes(old.facts)
        update(self.evaluator, program, added, removed)
        self.program = program
        self.model = Model(program, self.evaluator, self.provenance)
        self.incremental_updates += 1
        return True

    def _change(self, program: Program | None) -> None:
        """Adopt the current statements; on any failure go back to the state before."""
        if program is None:
            program = self._check()
        if not self._apply(program):
            self._build(program)

    @property
    def sources(self) -> SourceMap:
        return self.program.text

    def state(self) -> dict[str, set[tuple[Value, ...]]]:
        return {p: set(r.tuples) for p, r in self.model.relations.items()}

    def derived_state(self) -> dict[str, set[tuple[Value, ...]]]:
        heads = {r.head.pred for r in self.program.rules}
        return {p: set(r.tuples) for p, r in self.model.relations.items() if p in heads}

    @staticmethod
    def _delta(before: dict[str, set[tuple[Value, ...]]], after: dict[str, set[tuple[Value, ...]]]) -> Change:
        ch = Change()
        for p in set(before) | set(after):
            b, a = before.get(p, set()), after.get(p, set())
            if a - b:
                ch.appeared[p] = a - b
            if b - a:
                ch.vanished[p] = b - a
        return ch

    # -- changes -------------------------------------------------------------
    def add(self, text: str) -> Change:
        """Add facts, rules or declarations typed at the prompt."""
        name = f"<input {len(self.added) + 1}>"
        sources = SourceMap()
        module = parse(text, name, sources)
        if not module.statements:
            return Change()
        for stmt in module.statements:
            if isinstance(stmt, (n.Include, n.Query, n.Expect)):
                raise SyllogError([error("E951", "only facts, rules, declarations and sources can be added here",
                                         stmt.span, help="ask a query with `?- goal.`")], sources)
        canonical = "".join(statement(s) + "\n" for s in module.statements)
        before = self.state()
        old_added = list(self.added)
        old_retracted = set(getattr(self, "retracted", set()))
        # asserting a fact again takes back its retraction
        for stmt in module.statements:
            clauses = stmt.clauses if isinstance(stmt, n.CiteBlock) else (stmt,)
            for c in clauses:
                if isinstance(c, n.Rule) and not c.body and all(isinstance(a, n.Const) for a in c.head.args):
                    key = (c.head.pred, tuple(a.value for a in c.head.args))  # type: ignore[union-attr]
                    self.retracted = getattr(self, "retracted", set()) - {key}
        self.added.append(canonical)
        def undo() -> None:
            self.added = old_added
            self.retracted = old_retracted

        try:
            program = self._check()
        except BaseException:
            undo()
            raise
        self._guarded(program, undo)
        return self._delta(before, self.state())

    def _guarded(self, program: Program, undo: object) -> None:
        """Apply a checked program; on an error or Ctrl-C, undo and rebuild the state before."""
        try:
            self._change(program)
        except BaseException:
            assert callable(undo)
            undo()
            self._build()
            raise

    def retract(self, text: str) -> Change:
        """Remove a fact (typed at the prompt or loaded) and everything that depended only on it."""
        body, sources = parse_goal(text, "<retract>")
        if len(body) != 1 or not isinstance(body[0], n.Atom) or any(
            not isinstance(a, n.Const) for a in body[0].args
        ):
            raise SyllogError([error("E952", "`:retract` takes one ground fact", Span("<retract>", 1, 4, 1, 5))],
                              sources)
        atom = body[0]
        row = tuple(a.value for a in atom.args)  # type: ignore[union-attr]
        if not any(f.pred == atom.pred and f.row == row for f in self.program.facts):
            raise SyllogError([error("E953", f"`{show_atom(atom.pred, row)}` is not a fact of the program",
                                     Span("<retract>", 1, 4, 1, 4 + len(text.strip())),
                                     help="only facts can be retracted; derived tuples vanish with their premises")],
                              sources)
        before = self.state()
        old_retracted = set(getattr(self, "retracted", set()))
        self.retracted = old_retracted | {(atom.pred, row)}
        self._guarded(self._check(), lambda: setattr(self, "retracted", old_retracted))
        return self._delta(before, self.state())

    def reload(self) -> Change:
        """Re-read the files from disk, keeping what was added at the prompt."""
        before = self.state()
        program = self._check(reread=True)
        self._guarded(program, lambda: None)
        return self._delta(before, self.state())

    def mark(self, name: str = "mark") -> None:
        self.marks[name] = self.derived_state()

    def diff(self, since: str = "start") -> Change:
        """Derived tuples that appeared or vanished since the start (or a mark)."""
        if since not in self.marks:
            known = ", ".join(sorted(self.marks))
            raise SyllogError([error("E954", f"no mark named `{since}`", Span("<diff>", 1, 1, 1, 1),
                                     help=f"marks: {known}")])
        return self._delta(self.marks[since], self.derived_state())

    def save(self, path: str | Path) -> int:
        """Write the statements added at the prompt as a `.dl` file."""
        text = "% statements added in a syllog repl session\n" + "".join(self.added)
        retracted = sorted(getattr(self, "retracted", set()), key=lambda pr: (pr[0], row_key(pr[1])))
        if retracted:
            text += "".join(f"% retracted: {show_atom(p, r)}\n" for p, r in retracted)
        files.write_text(Path(path), text)  # whole or not at all: a failure leaves the old file
        return len(self.added)
