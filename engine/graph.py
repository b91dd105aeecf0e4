"""Graphs: strongly connected components, the one implementation every stage uses.

Stratification groups predicates by the components of their dependency
graph; closures in closed form (engine.evaluation.closure) find the
components of a relation's graph of values. Tarjan's algorithm, without
recursion (graphs of millions of nodes), components numbered successors
first (reverse topological order), so a component's successors are complete
before it.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping
from typing import TypeVar

N = TypeVar("N", bound=Hashable)
_NONE: tuple[()] = ()


def strongly_connected(succ: Mapping[N, Collection[N]],
                       roots: Iterable[N] | None = None) -> tuple[dict[N, int], list[list[N]]]:
    """Each node's component and the members of each component, successors first.

    `roots` (default: the nodes of `succ`) says where to start, and in which
    order: the components then come out in a deterministic order.
    """
    index: dict[N, int] = {}
    low: dict[N, int] = {}
    comp: dict[N, int] = {}
    comps: list[list[N]] = []
    stack: list[N] = []
    on_stack: set[N] = set()
    get = succ.get
    for root in succ if roots is None else roots:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(get(root, _NONE)))]
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(get(w, _NONE))))
                    break
                if w in on_stack and index[w] < low[v]:
                    low[v] = index[w]
            else:
                work.pop()
                if work:
                    u = work[-1][0]
                    if low[v] < low[u]:
                        low[u] = low[v]
                if low[v] == index[v]:
                    members = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp[w] = len(comps)
                        members.append(w)
                        if w == v:
                            break
                    comps.append(members)
    return comp, comps
