"""Set-at-a-time evaluation of recursive strata of binary relations ("chain rules").

Most recursion in practice is graph reachability: transitive closure (left-,
right- or non-linear), same generation, paths through several edge kinds. A
rule is a *chain rule* when its head is `p(X, Y)` and its body is positive
binary atoms forming a simple path of variables from X to Y:

    p(X, Y) :- a1(X, V1), a2(V2, V1), ..., ak(Vk-1, Y).

Such a rule maps a set of values to a set of values: the image of {x} through
a1, a2, ... ak. A stratum whose predicates are all binary and whose recursive
rules are all chain rules is evaluated with each relation held as
{first value: set of second values}. A semi-naive round takes each delta
group (u -> vs), pushes vs forward through the atoms after the delta atom and
u backward through the atoms before it, with one C-level set union per step,
and subtracts what each head value already reaches. No tuple is built; the
relation keeps the grouped form and builds its tuples only if asked
(`Relation.set_grouped`).

Used only without provenance and outside incremental updates; every other
stratum takes the general path (engine.evaluation.fixpoint).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from itertools import repeat

from .. import nodes as n
from ..values import Value
from .relation import Relation, Row

Grouped = dict[Value, set[Value]]
NONE: frozenset[Value] = frozenset()
STEP = 1 << 16  # new pairs between two looks at the limits within a round


@dataclass(frozen=True)
class Chain:
    """A chain rule: the head predicate and the body path as (predicate, forward?) steps.

    Step i maps the path's i-th variable to its (i+1)-th; `forward` is True when
    the atom is written (V_i, V_i+1), False when written (V_i+1, V_i).
    """

    rule_index: int
    head: str
    steps: tuple[tuple[str, bool], ...]


def chain_of(rule: n.Rule, index: int, arity: dict[str, int]) -> Chain | None:
    """The rule as a chain, or None when it is not one."""
    h = rule.head.args
    if len(h) != 2 or not all(isinstance(a, n.Var) and not a.anonymous for a in h):
        return None
    x, y = (a.name for a in h)  # type: ignore[union-attr]
    if x == y or not rule.body:
        return None
    atoms: list[tuple[str, str, str]] = []
    for lit in rule.body:
        if not isinstance(lit, n.Atom) or arity.get(lit.pred) != 2:
            return None
        va, vb = lit.args
        if not (isinstance(va, n.Var) and isinstance(vb, n.Var)) or va.anonymous or vb.anonymous or va.name == vb.name:
            return None
        atoms.append((lit.pred, va.name, vb.name))
    steps: list[tuple[str, bool]] = []
    used = [False] * len(atoms)
    at, seen = x, {x}
    while at != y:
        found = [i for i, (_p, a, b) in enumerate(atoms) if not used[i] and at in (a, b)]
        if len(found) != 1:
            return None
        i = found[0]
        used[i] = True
        pred, a, b = atoms[i]
        nxt = b if a == at else a
        if nxt in seen:
            return None
        steps.append((pred, a == at))
        seen.add(nxt)
        at = nxt
    if not all(used):
        return None
    # every path variable occurs exactly in its two neighbouring atoms (and X, Y once)
    counts: dict[str, int] = {}
    for _p, a, b in atoms:
        counts[a] = counts.get(a, 0) + 1
        counts[b] = counts.get(b, 0) + 1
    if counts.get(x) != 1 or counts.get(y) != 1 or any(c != 2 for v, c in counts.items() if v not in (x, y)):
        return None
    return Chain(index, rule.head.pred, tuple(steps))


def image(s: set[Value] | frozenset[Value], maps: list[Grouped]) -> set[Value] | frozenset[Value]:
    """The set reached from `s` through each map in turn."""
    return reached(s, maps)[0]


def reached(s: set[Value] | frozenset[Value], maps: list[Grouped]) -> tuple[set[Value] | frozenset[Value], bool]:
    """The set reached from `s` through each map in turn, and whether it is a new set (the caller's own)
    rather than `s` or one of the maps' sets, which may be changed later."""
    owned = False
    for m in maps:
        if len(s) == 1:
            for v in s:
                s = m.get(v, NONE)
            owned = False
        else:
            s = set().union(*map(m.get, s, repeat(NONE)))
            owned = True
        if not s:
            return NONE, False
    return s, owned


class _Count:
    """The new pairs of a round so far, and the look at the limits every STEP of them."""

    __slots__ = ("found", "next_look", "look")

    def __init__(self, look: Callable[[int, int], None] | None) -> None:
        self.found = 0
        self.next_look = STEP
        self.look = look

    def add(self, rule_index: int, k: int) -> None:
        self.found += k
        if self.found > self.next_look and self.look is not None:
            self.look(rule_index, self.found)
            self.next_look = self.found + STEP


class BinaryStratum:
    """The semi-naive rounds of one recursive stratum of chain rules, grouped."""

    def __init__(self, rels: dict[str, Relation], comp: set[str], chains: list[Chain]) -> None:
        self.rels = rels
        self.comp = comp
        self.chains = chains
        # full relations of the stratum, both ways where a rule walks them backwards
        self.fwd: dict[str, Grouped] = {p: {} for p in comp}
        self.size = {p: 0 for p in comp}
        # for each chain, each recursive position
        self.versions = [(c, d) for c in chains for d, (pred, _f) in enumerate(c.steps) if pred in comp]
        self.bwd: dict[str, Grouped] = {}
        for c, d in self.versions:
            for i, (pred, forward) in enumerate(c.steps):
                # steps after the delta are walked forwards, steps before it backwards
                if pred in comp and i != d and forward == (i < d):
                    self.bwd.setdefault(pred, {})

    def grouped(self, pred: str, forward: bool) -> Grouped:
        """The full relation `pred` as a map from a step's source to its targets."""
        if pred in self.comp:
            return self.fwd[pred] if forward else self.bwd[pred]
        return self.rels[pred].grouped(0, 1) if forward else self.rels[pred].grouped(1, 0)

    def start(self, tuples: dict[str, set[Row]]) -> dict[str, Grouped]:
        """Take the stratum's tuples so far (the first round's) as full and as delta."""
        delta: dict[str, Grouped] = {}
        for p in self.comp:
            d: Grouped = {}
            for a, b in tuples[p]:
                s = d.get(a)
                if s is None:
                    d[a] = {b}
                else:
                    s.add(b)
            delta[p] = d
            self.merge(p, d)
        return delta

    def merge(self, p: str, new: Grouped, in_full: bool = False) -> int:
        """Add the new pairs of `p` to its full relation (unless `in_full`: there already) and reverse map; their number."""
        count = 0
        if in_full:
            count = sum(map(len, new.values()))
        else:
            full = self.fwd[p]
            get = full.get
            for x, ys in new.items():
                count += len(ys)
                f = get(x)
                if f is None:
                    full[x] = ys.copy()
                else:
                    f |= ys
        self.size[p] += count
        back = self.bwd.get(p)
        if back is not None:
            bget = back.get
            for x, ys in new.items():
                for y in ys:
                    s = bget(y)
                    if s is None:
                        back[y] = {x}
                    else:
                        s.add(x)
        return count

    def round(self, delta: dict[str, Grouped], by_rule: dict[int, Grouped] | None = None,
              look: Callable[[int, int], None] | None = None) -> tuple[dict[str, Grouped], int, int]:
        """One semi-naive round: the new pairs of each predicate, grouped, then merged into full.

        Also the number of new pairs, and a rule of the predicate that grew most
        (for error messages). With `by_rule` (an empty dict), it is filled with
        the new pairs each rule found first: each new pair under one rule.
        `look(rule_index, pairs)` is called every STEP new pairs (at most: a pair
        two rules find is counted twice), to check the limits within the round.
        """
        out: dict[str, Grouped] = {p: {} for p in self.comp}
        accs: dict[int, Grouped] = by_rule if by_rule is not None else {}
        # Without provenance, new pairs go into the full relations at once (one
        # pass less; a later rule version of the round reading more than the
        # last round's relations is still sound and complete). With it, they
        # wait for the round's end, so that every derivation's premises come
        # from earlier rounds, as `why` expects.
        immediate = by_rule is None
        # Immediate rounds may give one new set to several keys of `out` (see `add_fresh`)
        lent: set[int] | None = set() if immediate else None
        count = _Count(look)
        inverted: dict[str, Grouped] = {}
        for chain, d in self.versions:
            pred, forward = chain.steps[d]
            if forward:
                dmap = delta[pred]
            else:
                if pred not in inverted:
                    inverted[pred] = _invert(delta[pred])
                dmap = inverted[pred]
            if not dmap:
                continue
            acc = out[chain.head] if by_rule is None else accs.setdefault(chain.rule_index, {})
            right = [self.grouped(p, f) for p, f in chain.steps[d + 1:]]
            left = [self.grouped(p, not f) for p, f in reversed(chain.steps[:d])]
            if not left and len(right) == 1:
                self.linear_version(chain, dmap, right[0], acc, lent, count)
            else:
                self.chain_version(chain, dmap, left, right, acc, lent, count)
        if by_rule is not None:
            self.first_rule_pairs(accs, out)
        made, most, grew = 0, -1, -1
        for p, new in out.items():
            k = self.merge(p, new, immediate)
            made += k
            if k > most:
                most, grew = k, next(c.rule_index for c in self.chains if c.head == p)
        return out, made, grew

    def linear_version(self, chain: Chain, dmap: Grouped, edge: Grouped, acc: Grouped, lent: set[int] | None,
                       count: _Count) -> None:
        """A linear closure's version (the delta, then one relation), the common case, with the image
        inlined: its new pairs into `acc` (and into the full relation when `lent` is given: immediate)."""
        full = self.fwd[chain.head]
        mget = edge.get
        for u, vs in dmap.items():
            if len(vs) == 1:
                for v in vs:
                    reach = mget(v, NONE)
                stable = False
            else:
                reach = set().union(*map(mget, vs, repeat(NONE)))
                stable = lent is not None
            if not reach:
                continue
            added = add_fresh((u,), reach, full, acc, lent, stable)
            if added:
                count.add(chain.rule_index, added)

    def chain_version(self, chain: Chain, dmap: Grouped, left: list[Grouped], right: list[Grouped], acc: Grouped,
                      lent: set[int] | None, count: _Count) -> None:
        """One version of a chain rule (the relations `left` of the delta, the delta, those `right` of it):
        its new pairs into `acc` (and into the full relation when `lent` is given: immediate).

        Delta sets that are one set (the same object under several keys, as `add_fresh` leaves them)
        are pushed through `right` once.
        """
        full = self.fwd[chain.head]
        immediate = lent is not None
        pushed: dict[int, tuple[set[Value] | frozenset[Value], bool]] = {}
        for u, vs in dmap.items():
            if right:
                # keyed by identity: the delta's sets live (and stay as they are) through the version
                hit = pushed.get(id(vs))
                if hit is None:
                    hit = pushed[id(vs)] = reached(vs, right)
                reach, stable = hit
            else:
                reach, stable = vs, True  # the delta's sets are not changed after their round
            if not reach:
                continue
            stable = stable and immediate
            # (a list when it may be one of the sets that this loop adds to)
            sources = (list(image({u}, left)) if immediate else image({u}, left)) if left else (u,)
            added = add_fresh(sources, reach, full, acc, lent, stable)
            if added:
                count.add(chain.rule_index, added)

    def first_rule_pairs(self, accs: dict[int, Grouped], out: dict[str, Grouped]) -> None:
        """Each rule's new pairs into `out`, rules in order: a pair stays with the first rule that found it
        (and leaves the later rules' `accs`)."""
        for c in self.chains:
            mine = accs.get(c.rule_index)
            if not mine:
                continue
            head = out[c.head]
            for x, ys in list(mine.items()):
                had = head.get(x)
                if had is None:
                    head[x] = set(ys)
                    continue
                ys -= had
                if ys:
                    had |= ys
                else:
                    del mine[x]

    def finish(self) -> None:
        for p in self.comp:
            self.rels[p].set_grouped(self.fwd[p], self.size[p])


def _invert(g: Grouped) -> Grouped:
    inv: Grouped = {}
    get = inv.get
    for x, ys in g.items():
        for y in ys:
            s = get(y)
            if s is None:
                inv[y] = {x}
            else:
                s.add(x)
    return inv


def add_fresh(xs: Iterable[Value], reach: AbstractSet[Value], full: Grouped, acc: Grouped, lent: set[int] | None,
              stable: bool = False) -> int:
    """For each x of `xs`, the pairs (x, y), y in `reach`, that the full relation lacks: into `acc` (and
    into `full` when `lent` is given: an immediate round); how many.

    `stable` (immediate rounds only) says that nobody changes `reach` any more: when all of it is new
    it goes into `acc` as it is, not copied, and its id into `lent`, so that a set of `acc` may be
    the value of several keys (which lets the next round push it once: `chain_version`). A set of
    `acc` whose id is in `lent` is therefore replaced, never changed in place.
    """
    added = 0
    fget, aget = full.get, acc.get
    fresh: set[Value]
    for x in xs:
        known = fget(x)
        if known is None:
            fresh = reach if stable else set(reach)  # type: ignore[assignment]
        elif stable and known.isdisjoint(reach):
            fresh = reach  # type: ignore[assignment]
        else:
            fresh = reach - known  # type: ignore[assignment]
            if not fresh:
                continue
        if lent is not None:
            if known is None:
                full[x] = fresh.copy()
            else:
                known |= fresh
        have = aget(x)
        if have is None:
            acc[x] = fresh
            if fresh is reach:
                lent.add(id(fresh))  # type: ignore[union-attr]
        elif lent and id(have) in lent:
            acc[x] = have | fresh
        else:
            have |= fresh
        added += len(fresh)
    return added
