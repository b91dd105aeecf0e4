"""Helpers shared by the analysis passes: every atom of a statement, in order."""

from __future__ import annotations

from collections.abc import Iterator

from .. import nodes as n


def body_atoms(body: tuple[n.Literal, ...]) -> Iterator[tuple[n.Atom, bool]]:
    """Atoms of a body, aggregate bodies included, with a flag for negation."""
    for lit in body:
        if isinstance(lit, n.Atom):
            yield lit, False
        elif isinstance(lit, n.Negation):
            yield lit.atom, True
        else:
            for agg in n.body_aggregates((lit,)):
                yield from body_atoms(agg.body)
