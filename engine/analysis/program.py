"""The checked program: what analysis hands to planning and evaluation."""

from __future__ import annotations

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


@dataclass
class Program:
    """A program that passed every static check.

    `strata` lists the program's predicates grouped by strongly connected
    component, dependencies first; `recursive` marks the components that
    depend on themselves.
    """

    rules: list[n.Rule] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
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
        return any(f.cites for f in self.facts)
