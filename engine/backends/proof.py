"""SQL backends: proofs and grades on demand, from the part of the model a goal needs.

Stage: after a SQL evaluation. Input: a `Database` (the evaluated program, and
how to read or compute relations in the database) and a goal. Output: an
in-memory `engine.model.Model` that answers, grades and proves that goal
exactly as the full model would; `SqlModel` asks it `why`, `grade` and the
grades of a query's answers. The proof search is the in-memory one
(engine.proof): nothing is searched in SQL.

What the goal needs is found by the demand rewrite (engine.demand, magic
sets): its program is evaluated in the database beside the stored model (a
work schema, dropped afterwards), and its relations are read back, one query
a predicate; `demand_relations` maps them to the original predicates, as an
in-memory demand evaluation does. When no argument of the goal is bound (the
rewrite then restricts nothing), or no rewrite exists, or the store has no
schema to work in (Spark), the stored relations the goal depends on are read
whole. Why an atom does not hold is told from the stored relations its rules
read, whole (as `syllog why` asks the full model in memory).
"""

from __future__ import annotations

from typing import Protocol

from .. import demand as D
from .. import nodes as n
from ..analysis import Program
from ..analysis.walk import body_atoms
from ..evaluation import Evaluator, Limits
from ..evaluation.relation import Row
from ..model import Model

# per predicate: its tuples, and (derived predicates) the facts and input rows among them
Fetched = tuple[dict[str, set[Row]], dict[str, set[Row]]]


class Database(Protocol):
    """What a SQL evaluation offers the proof search: its program, its relations, and evaluation beside them."""

    @property
    def program(self) -> Program: ...

    def read(self, preds: set[str]) -> Fetched:
        """The stored relations of `preds`, whole."""
        ...

    def evaluate_beside(self, program: Program) -> Fetched | None:
        """`program` evaluated in the database apart from the stored model; None when the store cannot."""
        ...


def goal_model(db: Database, body: tuple[n.Literal, ...]) -> Model:
    """A model whose answers to the (checked) goal `body`, their grades and proofs are the full model's."""
    program = db.program
    choice = D.choose(program, body, "on")
    d = choice.demand
    if choice.used and d is not None and d.program is not None and d.restricts:
        got = db.evaluate_beside(d.program)
        if got is not None:
            ev = holding(d.program, got)
            shown = Evaluator(d.original, Limits(max_tuples=None))
            shown.rels, shown.base = D.demand_relations(d, ev)
            return Model(d.original, shown)
    preds = D.below({a.pred for a, _neg in body_atoms(body)}, D.dependencies(program))
    return Model(program, holding(program, db.read(preds)))


def missing_model(db: Database, atom: n.Atom) -> Model:
    """A model that tells why `atom` does not hold: the relations its rules read, whole."""
    program = db.program
    preds = {atom.pred} | D.dependencies(program).get(atom.pred, set())
    return Model(program, holding(program, db.read(preds)))


def holding(program: Program, fetched: Fetched) -> Evaluator:
    """An evaluator (not run) of `program` holding the relations read from the database."""
    rels, base = fetched
    ev = Evaluator(program, Limits(max_tuples=None))
    for p, rows in rels.items():
        if p in ev.rels:
            ev.rels[p].tuples = rows
    ev.base = {p: rows for p, rows in base.items() if p in ev.rels}
    return ev
