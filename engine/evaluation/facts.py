"""Evaluation stage, first step: the program's facts into its relations, in bulk.

Input: a checked `Program` and its relations, still empty. Facts arrive a
table at a time (`Facts.groups`): a predicate whose facts are all integers,
enough of them to pay for numpy, is held as columns, as an `.input` file of
integers is (`io.int_columns`, `Relation.set_columns`); any other becomes a
set of tuples. With grades, every tuple gets the best grade among its
statements' citations, or TOP when none is cited. Output: the index of fact
statements by tuple that proofs read (`FactStatements`), a tuple's found when
first asked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping

from .. import nodes as n
from ..analysis import Fact, Facts, Program
from ..provenance import TOP
from . import io
from .relation import Relation, Row

Key = tuple[str, Row]
Statements = list[tuple[Fact, tuple[n.Citation, ...]]]


class FactStatements(MutableMapping[Key, Statements]):
    """Each fact tuple's statements, (the `Fact`, its citations), in program order.

    A tuple's are found when first asked (`Facts.statements_of`): proofs ask
    for a few tuples, and most runs for none. Changes (incremental updates)
    are kept over what the program's facts say; iterating builds them all.
    """

    def __init__(self, facts: Facts) -> None:
        self._facts = facts
        self._known: dict[Key, Statements] = {}
        self._gone: set[Key] = set()
        self._complete = False

    def __getitem__(self, key: Key) -> Statements:
        got = self._known.get(key)
        if got is None:
            if self._complete or key in self._gone:
                raise KeyError(key)
            got = [(f, f.cites) for f in self._facts.statements_of(*key)]
            if not got:
                raise KeyError(key)
            self._known[key] = got
        return got

    def __setitem__(self, key: Key, value: Statements) -> None:
        self._gone.discard(key)
        self._known[key] = value

    def __delitem__(self, key: Key) -> None:
        self[key]  # noqa: B018 - KeyError when it has none
        del self._known[key]
        self._gone.add(key)

    def __iter__(self) -> Iterator[Key]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def _all(self) -> dict[Key, Statements]:
        if not self._complete:
            every: dict[Key, Statements] = {}
            for f in self._facts:
                every.setdefault((f.pred, f.row), []).append((f, f.cites))
            for key, statements in every.items():
                if key not in self._gone:
                    self._known.setdefault(key, statements)
            self._complete = True
        return self._known


def load_facts(program: Program, rels: dict[str, Relation],
               cite_grade: Callable[[n.Citation], int]) -> FactStatements:
    """Put every fact of `program` into `rels` (empty so far); grades where the relations keep them."""
    by_pred: dict[str, list[tuple[n.FactTable, tuple[n.Citation, ...]]]] = {}
    for pred, table, cites in program.facts.groups():
        by_pred.setdefault(pred, []).append((table, cites))
    for pred, tables in by_pred.items():
        rel = rels[pred]
        if rel.ann is None and sum(t.count for t, _c in tables) * rel.arity >= io.COLUMNAR_VALUES:
            cols = io.int_columns([t.columns for t, _c in tables])
            if cols is not None:
                rel.set_columns(cols)
                continue
        rows: set[Row] = set()
        for table, _c in tables:
            rows.update(table.rows())
        rel.tuples = rows
        if rel.ann is not None:
            _grade(rel.ann, tables, cite_grade)
    return FactStatements(program.facts)


def _grade(ann: dict[Row, tuple[int, int, Row, int, int]], tables: list[tuple[n.FactTable, tuple[n.Citation, ...]]],
           cite_grade: Callable[[n.Citation], int]) -> None:
    """Each tuple's grade: the best of its statements' citations, TOP when none is cited.

    Tables are applied uncited first, then cited by rising grade, each
    overwriting: what stays is the best cited grade, or TOP.
    """
    graded = [(max(map(cite_grade, cites)) if cites else None, table) for table, cites in tables]
    graded.sort(key=lambda g: -1 if g[0] is None else g[0])
    for grade, table in graded:
        ann.update(dict.fromkeys(table.rows(), (TOP if grade is None else grade, -1, (), 0, 0)))
