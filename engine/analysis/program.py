"""The checked program: what analysis hands to planning and evaluation.

Facts come in two forms (`Facts`): single `Fact`s, and groups of a fact run
read in bulk by the parser, whose `Fact`s (with spans) are built only when
something iterates over them. Evaluation reads both in bulk (`Facts.groups`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .. import nodes as n
from ..errors import Diagnostic, SourceMap, Span
from ..values import Value


@dataclass(frozen=True, slots=True)
class SourceInfo:
    id: str
    title: str
    publisher: str
    date: str
    document: Path
    reliability: str
    lines: tuple[str, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Fact:
    pred: str
    row: tuple[Value, ...]
    cites: tuple[n.Citation, ...]
    span: Span


@dataclass(frozen=True, slots=True, eq=False)
class FactGroup:
    """The facts of one table of a fact run: one predicate, by column, all under the run's citations."""

    run: n.FactRun
    table: n.FactTable

    @property
    def pred(self) -> str:
        return self.table.pred

    @property
    def cites(self) -> tuple[n.Citation, ...]:
        return self.run.cites


class Facts:
    """The program's facts in program order: single `Fact`s and bulk `FactGroup`s.

    Iterating gives one `Fact` a fact statement, as a list of them would (the
    bulk ones are built, spans included, on first use and then kept); `len`
    counts them without building; `groups` gives every fact in bulk.

    >>> Facts([Fact("p", (1,), (), Span("f", 1, 1, 1, 6))]).has_citations
    False
    """

    def __init__(self, items: Iterable[Fact | FactGroup] = ()) -> None:
        self.items: list[Fact | FactGroup] = list(items)
        self._built: list[Fact] | None = None
        # by predicate, each row's statements: a Fact, or a group and the row's place in it
        self._where: dict[str, dict[tuple[Value, ...], list[tuple[Fact | FactGroup, int]]]] = {}

    def __iter__(self) -> Iterator[Fact]:
        return iter(self.built())

    def __len__(self) -> int:
        return sum(1 if isinstance(x, Fact) else x.table.count for x in self.items)

    def __bool__(self) -> bool:
        return any(isinstance(x, Fact) or x.table.count for x in self.items)

    @property
    def has_citations(self) -> bool:
        return any(x.cites for x in self.items)

    def predicates(self) -> set[str]:
        """The predicates that have facts."""
        return {x.pred for x in self.items if isinstance(x, Fact) or x.table.count}

    def built(self) -> list[Fact]:
        """Every fact as a `Fact`, in program order."""
        if self._built is None:
            out: list[Fact] = []
            nodes: dict[int, dict[tuple[str, int], list[n.Rule]]] = {}
            for x in self.items:
                if isinstance(x, Fact):
                    out.append(x)
                    continue
                by_table = nodes.get(id(x.run))
                if by_table is None:
                    by_table = nodes[id(x.run)] = {}
                    for rule in x.run.facts():
                        by_table.setdefault((rule.head.pred, len(rule.head.args)), []).append(rule)
                rules = by_table[(x.table.pred, x.table.arity)]
                out.extend(Fact(x.pred, row, x.cites, r.span) for row, r in zip(x.table.rows(), rules))
            self._built = out
        return self._built

    def statements_of(self, pred: str, row: tuple[Value, ...]) -> list[Fact]:
        """The fact statements of one tuple, in program order; bulk ones are built alone.

        The first call for a predicate indexes its facts by row (no fact is
        built); proofs then find each tuple's statements in one lookup.
        """
        where = self._where.get(pred)
        if where is None:
            where = self._where[pred] = {}
            for x in self.items:
                if x.pred != pred:
                    continue
                if isinstance(x, Fact):
                    where.setdefault(x.row, []).append((x, -1))
                else:
                    for k, r in enumerate(x.table.rows()):
                        where.setdefault(r, []).append((x, k))
        out: list[Fact] = []
        for x, k in where.get(row, ()):
            if isinstance(x, Fact):
                out.append(x)
            else:
                written = tuple(c[k] for c in x.table.columns)
                out.append(Fact(pred, written, x.cites, x.run.fact_of(x.table, k).span))
        return out

    def groups(self) -> Iterator[tuple[str, n.FactTable, tuple[n.Citation, ...]]]:
        """Every fact in bulk: (predicate, its values by column, the citations they all carry);
        a single fact is a table of one."""
        for x in self.items:
            if isinstance(x, Fact):
                yield x.pred, n.FactTable(x.pred, tuple([v] for v in x.row), 1), x.cites
            else:
                yield x.pred, x.table, x.cites

    def changes(self, old: Facts) -> tuple[list[Fact], list[Fact]]:
        """(added, removed): the facts here and not in `old`, and those in `old` and not here.

        A fact is told apart by its predicate, row, citations and place. A
        group of the same table of the same fact run (a file parsed once and
        kept) is the same in both, and is not built out.
        """
        def runs(facts: Facts) -> set[tuple[int, int]]:
            return {(id(x.run), id(x.table)) for x in facts.items if isinstance(x, FactGroup)}

        shared = runs(self) & runs(old)

        def rest(facts: Facts) -> Facts:
            return Facts(x for x in facts.items
                         if not (isinstance(x, FactGroup) and (id(x.run), id(x.table)) in shared))

        def key(f: Fact) -> tuple[object, ...]:
            return (f.pred, f.row, f.cites, f.span.file, f.span.line, f.span.col)

        new, gone = rest(self), rest(old)
        old_keys = {key(f) for f in gone}
        new_keys = {key(f) for f in new}
        return [f for f in new if key(f) not in old_keys], [f for f in gone if key(f) not in new_keys]

    def without(self, keys: set[tuple[str, tuple[Value, ...]]]) -> Facts:
        """These facts but those whose (predicate, row) is in `keys` (retracted)."""
        if not keys:
            return self
        preds = {p for p, _row in keys}
        kept: list[Fact | FactGroup] = []
        for x in self.items:
            if isinstance(x, Fact) or x.pred not in preds:
                kept.append(x)
            elif any((x.pred, row) in keys for row in x.table.rows()):
                kept.extend(f for f in Facts([x]) if (f.pred, f.row) not in keys)
            else:
                kept.append(x)
        return Facts(f for f in kept if not isinstance(f, Fact) or (f.pred, f.row) not in keys)


@dataclass
class Program:
    """A program that passed every static check.

    `strata` lists the program's predicates grouped by strongly connected
    component, dependencies first; `recursive` marks the components that
    depend on themselves.
    """

    rules: list[n.Rule] = field(default_factory=list)
    facts: Facts = field(default_factory=Facts)
    decls: dict[str, n.Decl] = field(default_factory=dict)
    arity: dict[str, int] = field(default_factory=dict)
    sources: dict[str, SourceInfo] = field(default_factory=dict)
    queries: list[n.Query] = field(default_factory=list)
    expects: list[n.Expect] = field(default_factory=list)
    constraints: list[n.Constraint] = field(default_factory=list)
    io: list[n.IODirective] = field(default_factory=list)
    strata: list[list[str]] = field(default_factory=list)
    recursive: list[bool] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    text: SourceMap = field(default_factory=SourceMap)
    base_dirs: dict[str, Path] = field(default_factory=dict)
    first_use: dict[str, Span] = field(default_factory=dict)  # where each predicate is declared or first used

    @property
    def has_citations(self) -> bool:
        return self.facts.has_citations
