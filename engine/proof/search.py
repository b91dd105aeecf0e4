"""Grades and proofs, found on demand over a finished model.

Stage: after evaluation, which records nothing for proofs. A question about
a tuple (its grade, its proof) explores the tuple's derivations backwards
through the model (`Derivations.instances`), down to facts, and solves that
part of the model once:

- its **grade** is the best over its derivations of the weakest link: a fact
  takes the best grade of its citations; a rule instance the weakest grade
  among its premises (an aggregate counts the tuples it ranged over);
- its **proof** is a derivation of that grade of least height (a fact has
  height 0; an instance one more than its highest premise), the first in
  canonical order among those (rule order, then premises in value order).
  Each premise is shown with its own proof. Down any path of the tree the
  grade never falls and, at equal grade, the height strictly falls, so a
  proof never loops.

Both are shortest-path problems on the hypergraph of instances, solved with
Knuth's generalisation of Dijkstra's algorithm (a derivation is never
better than its premises): tuples are settled in order of cost, and an
instance fires when its last premise is settled. A recursive aggregate
(`S = sum {...}, S >= 50` inside the recursion it feeds) fires as soon as
the matches settled so far pass its test, so its proof rests on the matches
that first reach the bound, never on ones that depend on the conclusion.
Solved values are kept, so the cost of many questions is that of the part
of the model they reach.
"""

from __future__ import annotations

import heapq
import itertools
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from .. import nodes as n
from ..aggregates import AGGREGATES
from ..analysis import Fact, Program, SourceInfo
from ..provenance import TOP, cite_grade
from ..values import Value, show, show_atom
from .derivations import AggregateUse, Instance, Key, Match, canonical
from .tree import ProofNode

Cost = int
Citations = list[tuple[n.Citation, SourceInfo | None]]


class DerivationSource(Protocol):
    """What a model supplies for proofs: its facts and the instances behind each tuple."""

    def is_base(self, key: Key) -> bool: ...

    def facts(self, key: Key) -> list[Fact]: ...

    def instances(self, keys: list[Key]) -> dict[Key, list[Instance]]: ...

    def holds(self, key: Key) -> bool: ...


@dataclass
class Weights:
    """How the evidence weighs in one question: each fact's grade, with some facts set aside.

    `banned` facts are not available (to find other lines of evidence).
    Solved grades, heights and proofs are kept here.
    """

    banned: frozenset[Key] = frozenset()
    grades: dict[Key, int | None] = field(default_factory=dict)
    heights: dict[int, dict[Key, int | None]] = field(default_factory=dict)
    proofs: dict[Key, ProofNode] = field(default_factory=dict)


def fold(func: str, acc: Value | None, term: Value | None) -> Value | None:
    """An aggregate's running value after one more match (None: nothing yet)."""
    return AGGREGATES[func].fold(acc, term)


def empty_value(func: str) -> Value | None:
    return AGGREGATES[func].empty


class _UseState:
    __slots__ = ("use", "remaining", "value", "cost")

    def __init__(self, use: AggregateUse) -> None:
        self.use = use
        self.remaining = [len(set(m.atoms)) for m in use.matches]
        self.value = empty_value(use.aggregate.func)
        self.cost: Cost | None = None

    def passes(self) -> bool:
        return self.value is not None and self.use.test is not None and self.use.test(self.value)


class _InstanceState:
    __slots__ = ("head", "need", "top", "uses", "open")

    def __init__(self, head: Key, need: int, top: Cost, uses: list[_UseState]) -> None:
        self.head = head
        self.need = need
        self.top = top
        self.uses = uses
        self.open = len(uses)


class Knuth:
    """Least costs over the hypergraph of instances, by Knuth's generalisation of Dijkstra's algorithm.

    A fact costs `base`; an instance costs `step` plus its costliest piece
    (`floor` when it has none); a tuple costs its cheapest derivation. Tuples
    outside `keys` have `known` costs (None: not available). Every piece is
    processed in order of cost, known ones too, so an instance's cost is that
    of its last piece, and a recursive aggregate is satisfied by the cheapest
    matches that pass its test.
    """

    def __init__(self, keys: list[Key], instances: Callable[[Key], list[Instance]],
                 base: Callable[[Key], Cost | None], known: Callable[[Key], Cost | None], step: int,
                 floor: Cost) -> None:
        self.keys = keys
        self.keyset = set(keys)
        self.instances = instances
        self.base = base
        self.known = known
        self.step = step
        self.floor = floor
        self.heap: list[tuple[Cost, int, Key]] = []
        self.seq = itertools.count()
        self.best: dict[Key, Cost] = {}
        self.final: dict[Key, Cost] = {}
        self.plain: dict[Key, list[_InstanceState]] = {}  # a tuple -> the instances that need it
        self.members: dict[Key, list[tuple[_InstanceState, _UseState, int]]] = {}  # ... in an aggregate's match
        self.queued_known: set[Key] = set()

    def solve(self) -> dict[Key, Cost | None]:
        for k in self.keys:
            self.seed(k)
        self.run()
        return {k: self.final.get(k) for k in self.keys}

    def relax(self, k: Key, c: Cost) -> None:
        if k not in self.final and c < self.best.get(k, c + 1):
            self.best[k] = c
            heapq.heappush(self.heap, (c, next(self.seq), k))

    def alive(self, k: Key) -> bool:
        """Can `k` be a piece? Known tuples are queued, once, at their cost."""
        if k in self.keyset:
            return True
        c = self.known(k)
        if c is None:
            return False
        if k not in self.queued_known:
            self.queued_known.add(k)
            heapq.heappush(self.heap, (c, next(self.seq), k))
        return True

    def fire(self, st: _InstanceState) -> None:
        if st.need == 0 and st.open == 0:
            self.relax(st.head, self.step + max([st.top] + [u.cost for u in st.uses if u.cost is not None]))

    def seed(self, k: Key) -> None:
        """Queue a fact at its cost, and watch each instance of `k` for its pieces."""
        b = self.base(k)
        if b is not None:
            self.relax(k, b)
            if b <= self.step + self.floor:
                return  # no derivation can do better
        for inst in self.instances(k):
            if all(p in self.keyset or self.alive(p) for p in inst.needs):
                self.watch(k, inst)

    def watch(self, k: Key, inst: Instance) -> None:
        uses = [_UseState(u) for u in inst.recursive]
        st = _InstanceState(k, len(inst.needs), self.floor, uses)
        for p in inst.needs:
            self.plain.setdefault(p, []).append(st)
        for us in uses:
            for m, match in enumerate(us.use.matches):
                atoms = set(match.atoms)
                if not all(self.alive(a) for a in atoms):
                    us.remaining[m] = -1  # never complete
                    continue
                for a in atoms:
                    self.members.setdefault(a, []).append((st, us, m))
                if not atoms:
                    us.value = fold(us.use.aggregate.func, us.value, match.term)
            if us.passes():
                us.cost = self.floor
                st.open -= 1
        self.fire(st)

    def run(self) -> None:
        processed: set[Key] = set()
        while self.heap:
            c, _s, k = heapq.heappop(self.heap)
            if k in processed:
                continue
            if k in self.keyset:
                if k in self.final or self.best.get(k) != c:
                    continue  # a stale entry
                self.final[k] = c
            processed.add(k)
            self.settled(k, c)

    def settled(self, k: Key, c: Cost) -> None:
        """`k` costs `c`, the most any piece settled so far costs: pass it to what needs it."""
        for st in self.plain.get(k, ()):
            st.need -= 1
            st.top = max(st.top, c)
            self.fire(st)
        for st, us, m in self.members.get(k, ()):
            us.remaining[m] -= 1
            if us.remaining[m] == 0 and us.cost is None:
                us.value = fold(us.use.aggregate.func, us.value, us.use.matches[m].term)
                if us.passes():
                    us.cost = c
                    st.open -= 1
                    self.fire(st)


class Support:
    """Grades and proofs of one model, each solved once for the part of the model a question reaches."""

    def __init__(self, source: DerivationSource, program: Program) -> None:
        self.source = source
        self.rules = program.rules
        self.sources = program.sources
        self._instances: dict[Key, list[Instance]] = {}
        self._base: dict[Key, int | None] = {}
        self.weights = Weights()

    # -- facts ----------------------------------------------------------------
    def base_grade(self, key: Key, w: Weights) -> int | None:
        """The grade of a fact or input row: its best citation, TOP if it cites nothing.

        None when it is not one, or is set aside in `w`.
        """
        if w.banned and key in w.banned:
            return None
        try:
            return self._base[key]
        except KeyError:
            pass
        g = None
        if self.source.is_base(key):
            g = max((cite_grade(c, self.sources) for f in self.source.facts(key) for c in f.cites), default=TOP)
        self._base[key] = g
        return g

    def citations(self, key: Key) -> Citations:
        return [(c, self.sources.get(c.source)) for f in self.source.facts(key) for c in f.cites]

    def instances(self, key: Key) -> list[Instance]:
        got = self._instances.get(key)
        if got is None:
            self._fetch([key])
            got = self._instances[key]
        return got

    def _fetch(self, keys: list[Key]) -> None:
        """Find the instances of every key not yet known, a predicate at a time."""
        todo = [k for k in keys if k not in self._instances]
        if todo:
            self._instances.update(self.source.instances(todo))

    # -- grades -----------------------------------------------------------------
    def grade(self, key: Key, w: Weights | None = None) -> int | None:
        """The best grade of a tuple that holds (TOP when nothing cited is under it); None if it does not."""
        w = w or self.weights
        if key not in w.grades:
            if not self.source.holds(key):
                return None
            self.solve_grades([key], w)
        return w.grades[key]

    def solve_grades(self, keys: list[Key], w: Weights | None = None) -> None:
        """Solve the grades of tuples that hold, together (the parts of the model they share, once)."""
        w = w or self.weights
        roots = [k for k in dict.fromkeys(keys) if k not in w.grades]
        if not roots:
            return
        closure = self._closure(roots, lambda k: k in w.grades, lambda k: self.base_grade(k, w) == TOP)
        got = self._solve(closure, lambda k: _neg(self.base_grade(k, w)), lambda k: _neg(w.grades[k]), 0, -TOP)
        w.grades.update((k, _neg(c)) for k, c in got.items())

    def height(self, key: Key, level: int, w: Weights) -> int | None:
        """The least height of a derivation of `key` using only tuples of grade `level` or better."""
        done = w.heights.setdefault(level, {})
        if key not in done:
            def dead(k: Key) -> bool:
                g = self.grade(k, w)
                return g is None or g < level

            def base(k: Key) -> Cost | None:
                g = self.base_grade(k, w)
                return 0 if g is not None and g >= level else None

            keys = self._closure([key], lambda k: k in done or dead(k), lambda k: base(k) == 0)
            done.update(self._solve(keys, base, lambda k: None if dead(k) else done[k], 1, 0))
        return done[key]

    # -- the search ---------------------------------------------------------------
    def _closure(self, roots: list[Key], known: Callable[[Key], bool], leaf: Callable[[Key], bool]) -> list[Key]:
        """`roots` and every tuple their derivations reach, stopping at known and leaf tuples.

        Breadth first, so that each level's instances are found together.
        """
        order: list[Key] = []
        seen = set(roots)
        level = list(roots)
        while level:
            inner = [k for k in level if not leaf(k)]
            self._fetch(inner)
            order.extend(level)
            level = []
            for k in inner:
                for inst in self._instances[k]:
                    for p in inst.pieces:
                        if p not in seen and not known(p):
                            seen.add(p)
                            level.append(p)
        return order

    def _solve(self, keys: list[Key], base: Callable[[Key], Cost | None], known: Callable[[Key], Cost | None],
               step: int, floor: Cost) -> dict[Key, Cost | None]:
        """Least costs of `keys` (None: no derivation): see `Knuth`."""
        return Knuth(keys, self.instances, base, known, step, floor).solve()

    # -- proofs -------------------------------------------------------------------
    def proof(self, key: Key, w: Weights | None = None) -> ProofNode:
        """The proof of a tuple that holds: best grade, then least height, then canonical order."""
        w = w or self.weights
        # a proof is as deep as the longest chain of rule applications in it
        sys.setrecursionlimit(max(sys.getrecursionlimit(), 200_000))
        return self._proof(key, w)

    def _proof(self, key: Key, w: Weights) -> ProofNode:
        got = w.proofs.get(key)
        if got is not None:
            return got
        grade = self.grade(key, w)
        if grade is None:
            raise AssertionError(f"no proof of {show_atom(*key)}")
        height = self.height(key, grade, w)
        assert height is not None
        text = show_atom(*key)
        b = self.base_grade(key, w)
        if b is not None and b >= grade:
            facts = self.source.facts(key)
            node = ProofNode("fact", text, b, citations=self.citations(key), span=facts[0].span if facts else None,
                             pred=key[0], row=key[1])
            w.proofs[key] = node
            return node
        cost = w.heights[grade].get
        for inst in sorted(self.instances(key), key=canonical):
            got_cost = instance_cost(inst, cost, 1, 0)
            if got_cost is not None and got_cost[0] == height:
                break
        else:  # pragma: no cover - the height was found from one of these instances
            raise AssertionError(f"no instance of height {height} for {text}")
        rule = self.rules[inst.rule]
        node = ProofNode("rule", text, grade, rule=rule, span=rule.span, pred=key[0], row=key[1], height=height)
        w.proofs[key] = node
        used = got_cost[1]
        for part in inst.parts:
            if isinstance(part, tuple):
                node.children.append(self._proof(part, w))
            elif isinstance(part, AggregateUse):
                node.children.append(self._aggregate_node(part, used.get(part.literal), w))
            else:
                node.children.append(ProofNode("absent", part.text, TOP, note=f"absence of {part.text[4:]}",
                                               pred=part.pred))
        return node

    def _aggregate_node(self, use: AggregateUse, used: list[Match] | None, w: Weights) -> ProofNode:
        from ..syntax.pretty import expr

        matches = list(use.matches) if used is None else used
        value = use.value if used is None else aggregate_of(use.aggregate.func, matches)
        grp = ", ".join(f"{k} = {show(v)}" for k, v in use.group)
        label = f"{expr(use.aggregate)} = {show(value) if value is not None else '-'}" + (f" for {grp}" if grp else "")
        note = (f"{len(matches)} distinct match(es)" if used is None else
                f"{len(matches)} of {len(use.matches)} distinct match(es), the first to pass the test")
        node = ProofNode("aggregate", label, TOP, note=note)
        seen: set[Key] = set()
        for m in matches:
            for k in m.atoms:
                if k not in seen:
                    seen.add(k)
                    child = self._proof(k, w)
                    node.children.append(child)
                    node.grade = min(node.grade, child.grade)
        return node

    # -- other lines of evidence --------------------------------------------------
    def alternatives(self, key: Key, limit: int, budget: int = 64) -> list[ProofNode]:
        """Up to `limit` proofs whose evidence (cited lines) differ pairwise, best grade first.

        The first is `proof(key)`. The others are the best proofs found when
        some of the cited facts of the proofs found so far are set aside: a
        breadth-first search over such sets of facts, at most `budget` of
        them. A proof citing the same lines as one already chosen is not
        taken, but what it rests on is set aside in turn.
        """
        first = self.proof(key)
        chosen = [first]
        sets = {frozenset(first.evidence())}
        frontier = [frozenset({f}) for f in cited_facts(first)]
        tried: set[frozenset[Key]] = set()
        pool: list[tuple[tuple[Any, ...], frozenset[tuple[str, int]], ProofNode]] = []
        while len(chosen) < limit and (frontier or pool):
            deeper: list[frozenset[Key]] = []
            for ban in frontier:
                if ban in tried or len(tried) >= budget:
                    continue
                tried.add(ban)
                w = Weights(banned=ban)
                if self.grade(key, w) is None:
                    continue
                p = self._proof(key, w)
                deeper.extend(ban | {f} for f in cited_facts(p))
                pool.append((_rank(p), frozenset(p.evidence()), p))
            frontier = deeper if len(tried) < budget else []
            pool = sorted((x for x in pool if x[1] not in sets), key=lambda x: x[0])
            if pool:
                _r, ev, p = pool.pop(0)
                chosen.append(p)
                sets.add(ev)
        return [first] + sorted(chosen[1:], key=_rank)


def cited_facts(node: ProofNode) -> list[Key]:
    """The cited facts a proof rests on, in the order they appear."""
    out: dict[Key, None] = {}
    stack = [node]
    while stack:
        cur = stack.pop()
        if cur.kind == "fact" and cur.citations:
            out.setdefault((cur.pred, cur.row), None)
        stack.extend(reversed(cur.children))
    return list(out)


def _rank(p: ProofNode) -> tuple[Any, ...]:
    """Better proofs first: grade, then height, then the lines they cite."""
    return (-p.grade, p.height, tuple(p.evidence()))


def _neg(v: int | None) -> int | None:
    return -v if v is not None else None


def aggregate_of(func: str, matches: list[Match]) -> Value | None:
    return AGGREGATES[func].value([m.term for m in matches])


def instance_cost(inst: Instance, cost: Callable[[Key], Cost | None], step: int,
                  floor: Cost) -> tuple[Cost, dict[int, list[Match]]] | None:
    """An instance's cost from its pieces' costs, and the matches each recursive aggregate rests on.

    None when a piece has no cost (it is not available).
    """
    top = floor
    for k in inst.needs:
        c = cost(k)
        if c is None:
            return None
        top = max(top, c)
    used: dict[int, list[Match]] = {}
    for use in inst.recursive:
        ranked = []
        for m in use.matches:
            cs = [cost(a) for a in m.atoms]
            if any(c is None for c in cs):
                continue
            ranked.append((max([c for c in cs if c is not None], default=floor), m))
        ranked.sort(key=lambda x: x[0])
        acc = empty_value(use.aggregate.func)
        reached: Cost | None = floor if (acc is not None and use.test is not None and use.test(acc)) else None
        for c, m in ranked:
            if reached is not None:
                break
            acc = fold(use.aggregate.func, acc, m.term)
            if acc is not None and use.test is not None and use.test(acc):
                reached = c
        if reached is None:
            return None
        used[use.literal] = [m for c, m in ranked if c <= reached]
        top = max(top, reached)
    return step + top, used
