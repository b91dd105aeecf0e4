"""Evaluation stage, first step: the program's facts into its relations, in bulk.

Input: a checked `Program` and its relations, still empty. Facts arrive a
table at a time (`Facts.groups`): a predicate whose facts are all integers,
enough of them to pay for numpy, is held as columns, as an `.input` file of
integers is (`io.int_columns`, `Relation.set_columns`); any other becomes a
set of tuples, built in one pass rather than a tuple at a time.
"""

from __future__ import annotations

from collections.abc import Collection

from .. import nodes as n
from ..analysis import Program
from . import io
from .options import DEFAULT_OPTIONS, EvaluationOptions
from .relation import Relation, Row


def load_facts(program: Program, rels: dict[str, Relation], skip: Collection[str] = (),
               options: EvaluationOptions = DEFAULT_OPTIONS) -> None:
    """Put every fact of `program` into `rels` (empty so far), but those of the predicates in `skip`
    (relations given already evaluated, which hold their facts)."""
    by_pred: dict[str, list[n.FactTable]] = {}
    for pred, table, _cites in program.facts.groups():
        if pred in skip:
            continue
        by_pred.setdefault(pred, []).append(table)
    for pred, tables in by_pred.items():
        rel = rels[pred]
        if options.columnar and sum(t.count for t in tables) * rel.arity >= options.columnar_values:
            cols = io.int_columns([t.columns for t in tables])
            if cols is not None:
                rel.set_columns(cols)
                continue
        rows: set[Row] = set()
        for table in tables:
            rows.update(table.rows())
        rel.tuples = rows
