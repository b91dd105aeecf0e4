"""Incremental updates of an evaluated model: facts added or retracted.

Added facts flow through semi-naive evaluation: a stratum that reads a
changed predicate only positively derives just what follows from the new
tuples, seeded with them as its first delta; strata that read nothing that
changed are not touched. A stratum that reads a changed predicate through
negation or an aggregate, or any predicate that lost tuples, is recomputed
from its inputs, and what it gains or loses flows on to the strata above.
Grades and proofs are found on demand over the relations, so nothing about
them needs updating here.
"""

from __future__ import annotations

from ..analysis import Fact, Program
from ..analysis.strata import dependency_edges
from .fixpoint import Evaluator
from .relation import Row


def _reads(program: Program, indices: list[int]) -> tuple[set[str], set[str]]:
    """Predicates read positively, and through negation or an aggregate."""
    pos: set[str] = set()
    nonmono: set[str] = set()
    for i in indices:
        for pred, kind, _lit in dependency_edges(program.rules[i]):
            (pos if kind == "pos" else nonmono).add(pred)
    return pos, nonmono


def update(ev: Evaluator, program: Program, added: list[Fact], removed: list[Fact]) -> None:
    """Bring `ev` up to date with `program`, which differs from its own by these facts only.

    The update has its own time limit (`Limits.max_seconds` from now); the
    other limits count what the relations hold, as in a first evaluation.
    """
    ev.program = program
    ev.restart_clock()
    grew: dict[str, set[Row]] = {}
    shrank: set[str] = set()
    remaining = {(f.pred, f.row) for f in program.facts} if removed else set()
    for f in removed:
        if (f.pred, f.row) not in remaining:
            ev.base_of(f.pred).discard(f.row)
            shrank.add(f.pred)
    for f in added:
        rel = ev.rels[f.pred]
        ev.base_of(f.pred).add(f.row)
        if f.row not in rel.tuples:
            rel.add_new({f.row})
            ev.total += 1
            grew.setdefault(f.pred, set()).add(f.row)
    for pred in shrank:
        _reset(ev, pred)
    for comp, indices, rec in ev.strata_info:
        pos, nonmono = _reads(program, indices)
        reads = pos | nonmono | comp
        if (shrank & reads) or (set(grew) & nonmono):
            before = {p: set(ev.rels[p].tuples) for p in comp}
            for p in comp:
                _reset(ev, p)
            ev.stratum(comp, indices, rec)
            for p in comp:
                now = ev.rels[p].tuples
                if before[p] - now:
                    shrank.add(p)
                if now - before[p]:
                    grew.setdefault(p, set()).update(now - before[p])
            continue
        seed = {p: rows for p, rows in grew.items() if p in pos and rows}
        if not seed:
            continue
        made = ev.stratum(comp, indices, rec, seed=seed)
        for p, rows in made.items():
            if rows:
                grew.setdefault(p, set()).update(rows)


def _reset(ev: Evaluator, pred: str) -> None:
    """Put a relation back to its base tuples (facts and inputs)."""
    rel = ev.rels[pred]
    base = ev.base_of(pred)
    ev.total -= len(rel) - len(base)  # derived again, and counted again, by the stratum
    rel.reset_to(set(base))
