"""Proof trees as data: `ProofNode`, what `why` returns and every renderer draws."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import nodes as n
from ..errors import Span
from ..provenance import TOP
from ..provenance import show as show_grade
from ..values import Value


@dataclass(eq=False)
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
    height: int = 0

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

    def _repr_html_(self) -> str:
        """Jupyter's view: the proof tree, each cited leaf's sentence highlighted in its document."""
        from ..html import proof_tree_html  # only a notebook asks: not imported by every run

        return proof_tree_html(self)

    def __repr__(self) -> str:
        grade = f" [{self.grade_text}]" if self.grade_text else ""
        kids = f", {len(self.children)} premise{'s' * (len(self.children) != 1)}" if self.children else ""
        return f"ProofNode({self.kind}: {self.fact}{grade}{kids})"
