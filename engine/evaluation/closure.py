"""Linear recursion of one binary predicate as a closure over strongly connected components.

A recursive stratum of one binary predicate `p` whose one recursive rule is

    p(X, Y) :- p(X, Z), e(Z, Y).    % right-linear: p = B . e*
    p(X, Y) :- e(X, Z), p(Z, Y).    % left-linear:  p = e* . B
    p(X, Y) :- p(X, Z), p(Z, Y).    % square:       p = B+

(`e` from a lower stratum, written either way round; B is what `p` holds
after the stratum's first round: its facts and non-recursive rules) has a
closed form. Semi-naive rounds find it one path length at a time, a
thousand rounds for a chain of a thousand nodes, each touching every source
node again. Here the graph of `e` (of B for the square) is split into
strongly connected components (Tarjan's algorithm, without recursion), which
come out successors first; the set reachable from a component is then the
union of its successors' sets, one C-level set union each, and every node of
a component shares it. Each head value's set is built from those, so the
work is proportional to the pairs derived, in C.

Used without provenance only: proofs need the round in which each pair was
found, which only the rounds give (engine.evaluation.binary does those).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..graph import strongly_connected
from ..values import Value
from .binary import NONE, Chain, Grouped


@dataclass(frozen=True)
class Closure:
    """The stratum's recursive rule as a closure: `form` is right, left or square."""

    rule_index: int
    head: str
    form: str
    edge: tuple[str, bool] | None  # e and whether it is written (Z, Y) / (X, Z); None for the square


def closure_of(comp: set[str], chains: list[Chain]) -> Closure | None:
    """The closure form of a stratum of chain rules, or None when it has none."""
    if len(comp) != 1 or len(chains) != 1 or len(chains[0].steps) != 2:
        return None
    (p,) = comp
    c = chains[0]
    (a, fa), (b, fb) = c.steps
    if a == p and b == p and fa and fb:
        return Closure(c.rule_index, p, "square", None)
    if a == p and fa and b != p:
        return Closure(c.rule_index, p, "right", (b, fb))
    if b == p and fb and a != p:
        return Closure(c.rule_index, p, "left", (a, fa))
    return None


STEP = 1 << 16  # pairs between two looks at the limits


def reached(succ: Grouped, value: Callable[[set[Value]], set[Value]] | None = None,
            look: Callable[[int], None] | None = None) -> tuple[dict[Value, int], list[set[Value]]]:
    """Per component, the union of `value(w)` over the nodes w reachable from it by one edge or more.

    Without `value`, the reachable nodes themselves. Returns each node's
    component and the sets, shared by a component's nodes (never to be changed).
    `look(n)` is called every STEP values the sets hold together (n), to check limits:
    a chain of 20,000 nodes reaches 200 million pairs before any is handed on.
    """
    comp, comps = strongly_connected(succ)
    out: list[set[Value]] = []
    get = succ.get
    held, next_look = 0, STEP
    for ci, members in enumerate(comps):
        acc: set[Value] = set()
        seen = {ci}
        for m in members:
            ws = get(m)
            if not ws:
                continue
            acc |= ws if value is None else value(ws)
            for w in ws:
                d = comp[w]
                if d not in seen:
                    seen.add(d)
                    acc |= out[d]
        out.append(acc)
        held += len(acc)
        if held > next_look and look is not None:
            look(held)
            next_look = held + STEP
    return comp, out


def evaluate(form: Closure, base: Grouped, edge: Grouped | None, check: Callable[[int], None],
             watch: Callable[[], None] | None = None) -> tuple[Grouped, int]:
    """The stratum's relation as {x: set of y} (each set its own) and its size.

    `check(n)` is called as pairs accumulate (for the tuple limit), with a
    number never above the result's size; `watch()` while the closure of the
    edges is computed, which is not the result (for time and memory).
    """
    result: Grouped = {}
    size = 0
    next_check = STEP
    for x, s in _sets(form, base, edge, check, watch):
        result[x] = s
        size += len(s)
        if size > next_check:
            check(size)
            next_check = size + STEP
    check(size)
    return result, size


def _sets(form: Closure, base: Grouped, edge: Grouped | None, check: Callable[[int], None],
          watch: Callable[[], None] | None) -> Iterator[tuple[Value, set[Value]]]:
    """Each head value with its (non-empty, unshared) set of values."""
    if form.form == "square" or base == edge:
        # p is the graph's own closure (B+, or B = e): each node's set is its
        # component's, handed to the component's first node, copied for the rest
        # (so what the components' sets hold is part of the result: `check` it)
        comp, sets = reached(base, look=check)
        owned: set[int] = set()
        for x in base:
            d = comp[x]
            if d in owned:
                yield x, set(sets[d])
            else:
                owned.add(d)
                yield x, sets[d]
        return
    assert edge is not None
    look = None if watch is None else (lambda _n: watch())
    if form.form == "right":
        comp, sets = reached(edge, look=look)
        cget = comp.get
        for x, zs in base.items():
            s = set(zs)
            done: set[int] = set()
            for z in zs:
                dz = cget(z)
                if dz is not None and dz not in done:
                    done.add(dz)
                    s |= sets[dz]
            yield x, s
        return
    # left: p(x) = B(x) and B of every node that e reaches from x
    bget = base.get

    def image(ws: set[Value]) -> set[Value]:
        return set().union(*[bget(w, NONE) for w in ws])

    comp, sets = reached(edge, image, look)
    for x in set(base) | set(edge):
        s = set(bget(x, NONE))
        dx = comp.get(x)
        if dx is not None:
            s |= sets[dx]
        if s:
            yield x, s
