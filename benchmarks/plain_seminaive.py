"""The baseline: a plain semi-naive Datalog evaluator in about sixty lines.

Positive Datalog, specialised to nothing: rules are data (a head atom and a
list of body atoms whose terms are variables, uppercase strings, or
constants), relations are dicts of sets of tuples, and every join builds a hash
index on the bound columns afresh in each iteration, the way a straightforward
implementation would. Body atoms are joined left to right as written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple, TypeGuard

Value = object
Tuple = tuple[Value, ...]
Relations = dict[str, set[Tuple]]


class Atom(NamedTuple):
    pred: str
    terms: tuple[Value, ...]


class Rule(NamedTuple):
    head: Atom
    body: tuple[Atom, ...]


def is_var(term: Value) -> TypeGuard[str]:
    return isinstance(term, str) and term[:1].isupper()


def join(rule: Rule, sources: Sequence[set[Tuple]]) -> set[Tuple]:
    """Head tuples of `rule` with body atom i ranging over sources[i].

    Bindings are tuples (slots[var] is a variable's position); each atom is
    hash-joined on the variables bound so far, through an index built here.
    """
    slots: dict[str, int] = {}
    bindings: list[Tuple] = [()]
    for atom, rel in zip(rule.body, sources, strict=True):
        consts = [(i, t) for i, t in enumerate(atom.terms) if not is_var(t)]
        keys = [(i, slots[t]) for i, t in enumerate(atom.terms) if is_var(t) and t in slots]
        first: dict[str, int] = {}
        for i, t in enumerate(atom.terms):
            if is_var(t) and t not in slots:
                first.setdefault(t, i)
        repeats = [(i, first[t]) for i, t in enumerate(atom.terms) if is_var(t) and first.get(t, i) != i]
        index: dict[Tuple, list[Tuple]] = defaultdict(list)
        for row in rel:
            if (consts or repeats) and not (all(row[i] == c for i, c in consts)
                                            and all(row[i] == row[j] for i, j in repeats)):
                continue
            index[tuple([row[i] for i, _ in keys])].append(tuple([row[i] for i in first.values()]))
        bindings = [b + ext for b in bindings for ext in index.get(tuple([b[s] for _, s in keys]), ())]
        for var in first:
            slots[var] = len(slots)
    head = [(slots[t], None) if is_var(t) else (-1, t) for t in rule.head.terms]  # (slot, constant)
    return {tuple([b[slot] if slot >= 0 else const for slot, const in head]) for b in bindings}


def evaluate(rules: Sequence[Rule], facts: Mapping[str, Iterable[Tuple]]) -> Relations:
    """The least model: round 0 fires every rule, then only on the last round's delta."""
    rel: Relations = defaultdict(set, {p: set(rows) for p, rows in facts.items()})
    delta: Relations = defaultdict(set)
    for rule in rules:
        delta[rule.head.pred] |= join(rule, [rel[a.pred] for a in rule.body]) - rel[rule.head.pred]
    while any(delta.values()):
        for pred, rows in delta.items():
            rel[pred] |= rows
        new: Relations = defaultdict(set)
        for rule in rules:
            for i, atom in enumerate(rule.body):
                if delta.get(atom.pred):
                    sources = [delta[a.pred] if j == i else rel[a.pred] for j, a in enumerate(rule.body)]
                    new[rule.head.pred] |= join(rule, sources)
        delta = {pred: rows - rel[pred] for pred, rows in new.items()}
    return rel


def blocked_fixpoint(company: set[int], designated: set[int], owns: Iterable[tuple[int, int, int]],
                     threshold: int = 50) -> set[int]:
    """OFAC's 50 percent rule by semi-naive iteration with running sums.

    blocked(C) :- designated(C).
    blocked(C) :- company(C), sum { P : owns(O, C, P), blocked(O) } >= threshold.
    Each newly blocked owner adds its stakes once, so cycles do not block themselves.
    """
    holdings: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for owner, asset, pct in owns:
        if asset in company:
            holdings[owner].append((asset, pct))
    blocked, delta = set(designated), set(designated)
    share: dict[int, int] = defaultdict(int)
    while delta:
        new: set[int] = set()
        for owner in delta:
            for asset, pct in holdings.get(owner, ()):
                share[asset] += pct
                if share[asset] >= threshold and asset not in blocked:
                    new.add(asset)
        blocked |= new
        delta = new
    return blocked
