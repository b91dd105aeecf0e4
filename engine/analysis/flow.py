"""Analysis (and the SQL backends): facts about variables flowing through a rule body, to a fixpoint.

Input: a body, a lattice, and what is known of some variables already (an
outer scope). Output: what is known of the variables of the body (one with
no entry is the lattice's `unknown`: nothing spoke of it). Positive
atoms give each variable standing as a column argument what the lattice
says of that column; then every `X = expr`, read both ways
(`nodes.equalities`), gives `X` what the lattice makes of `expr`, pass after
pass until nothing changes. This is the one walk of that kind: every stage
that asks "what do the atoms and equalities of this body tell us of `X`"
calls `flow` with its lattice (tests/test_architecture.py holds every other
module to it).

The three lattices:

| lattice | a variable's fact | combine | asked by |
| --- | --- | --- | --- |
| `Bound` | bound or not | or | engine.analysis.safety (E201-E203: range restriction) |
| `Narrowing` | the kinds it can hold, and the column that made it a non-number | intersection | engine.analysis.arithmetic (E302, E307) |
| `Carrying` | the kinds it may carry | union | engine.backends.encoding (a column's representation) |

They differ on three points, each a parameter of the lattice rather than a
walk of its own: whether equalities still change a variable that a positive
atom gives a column to (`atoms_settle`: not for `Narrowing`, whose atoms'
declared columns are the truth); how the braces of `X = agg {...}` are read
(`braces`: not at all for `Bound`, whose `X` is bound by the aggregate
whatever is inside; in a copy of the scope for `Narrowing`; in the same
scope, and once more for every aggregate of the body after the fixpoint,
for `Carrying`); and what an expression gives (`given`: nothing yet, for
`Bound`, while one of its variables is unbound). A lattice may name its
absorbing fact (`full`: bound, every kind) so that a variable holding it is
not asked again.

    >>> from engine.model import parse_goal
    >>> body, _ = parse_goal("Y = X + 1, X = Z, p(Z)")
    >>> sorted(bound_vars(body, set()))
    ['X', 'Y', 'Z']
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Literal, NamedTuple, Protocol, TypeVar

from .. import nodes as n
from ..column_types import declared_kinds
from ..kinds import ALL, NUMBERS, Kinds, agg_kinds, expr_kinds

T = TypeVar("T")
Braces = Literal["closed", "copy", "shared"]


class Lattice(Protocol[T]):
    """What `flow` needs of the facts it carries."""

    unknown: T  # a variable's fact before any atom or equality speaks: the identity of `combine`
    braces: Braces  # how `X = agg {...}` reads the aggregate's body (see the module's docstring)
    atoms_settle: bool  # a variable a positive atom gives a column to takes nothing from equalities
    full: T | None  # a fact that nothing changes (`combine`'s absorbing element): not asked again; None: none

    def column(self, pred: str, col: int) -> T:
        """What a variable standing as column `col` of a positive `pred` atom gets."""
        ...

    def combine(self, old: T, new: T) -> T:
        """A variable's fact once `new` is known too (a meet or a join)."""
        ...

    def given(self, e: n.Expr, state: Mapping[str, T]) -> T | None:
        """What `X = e` (`e` not an aggregate) gives `X`; None for nothing (yet)."""
        ...

    def aggregate(self, agg: n.Aggregate, inner: Mapping[str, T] | None) -> T | None:
        """What `X = agg {...}` gives `X`, given the facts inside its braces (None: `braces` is closed)."""
        ...


def flow(body: tuple[n.Literal, ...], lattice: Lattice[T], state: dict[str, T]) -> dict[str, T]:
    """Run the facts of `lattice` through `body` to a fixpoint, from `state` (updated, and returned).

    The atoms speak first, in body order (for `Narrowing`, the first atom to make a variable a
    non-number is the one its message names); then the equalities, in body order, again and again
    until a pass changes nothing, so a chain written backwards (`Y = X + 1, X = Z, p(Z)`) takes
    one pass a link. A variable nothing spoke of may have no entry: read it as `lattice.unknown`.
    """
    unknown = lattice.unknown
    settled: set[str] = set()
    for lit in body:
        if isinstance(lit, n.Atom):
            for i, a in enumerate(lit.args):
                if isinstance(a, n.Var) and not a.anonymous:
                    settled.add(a.name)
                    state[a.name] = lattice.combine(state.get(a.name, unknown), lattice.column(lit.pred, i))
    pairs = [(side.name, other) for side, other in n.equalities(body)
             if isinstance(side, n.Var) and not (lattice.atoms_settle and side.name in settled)]
    full = lattice.full
    changed = bool(pairs)
    while changed:
        changed = False
        for name, other in pairs:
            old = state.get(name, unknown)
            if full is not None and old == full:
                continue
            got = _aggregate(other, lattice, state) if isinstance(other, n.Aggregate) else lattice.given(other, state)
            if got is None:
                continue
            new = lattice.combine(old, got)
            if new != old:
                state[name] = new
                changed = True
    if lattice.braces == "shared":
        for agg in n.body_aggregates(body):
            flow(agg.body, lattice, state)
    return state


def _aggregate(agg: n.Aggregate, lattice: Lattice[T], state: dict[str, T]) -> T | None:
    if lattice.braces == "closed":
        return lattice.aggregate(agg, None)
    inner = flow(agg.body, lattice, dict(state) if lattice.braces == "copy" else state)
    return lattice.aggregate(agg, inner)


# ---- bound: range restriction ---------------------------------------------------------


class Bound:
    """Bound or not: a positive atom binds its variables, `X = e` binds `X` once every variable of `e`
    is bound (none of them `_`), and `X = agg {...}` binds `X` (an unbound grouping variable is an
    error of its own, E204)."""

    unknown = False
    braces: Braces = "closed"
    atoms_settle = False  # a bound variable stays bound: nothing to settle
    full: bool | None = True

    def column(self, pred: str, col: int) -> bool:
        return True

    def combine(self, old: bool, new: bool) -> bool:
        return old or new

    def given(self, e: n.Expr, state: Mapping[str, bool]) -> bool | None:
        ready = all(not v.anonymous and state.get(v.name, False) for v in n.expr_vars(e))
        return True if ready else None

    def aggregate(self, agg: n.Aggregate, inner: Mapping[str, bool] | None) -> bool | None:
        return True


def bound_vars(body: tuple[n.Literal, ...], given: set[str]) -> set[str]:
    """The variables bound once every literal of `body` has spoken, `given` being bound before."""
    state = flow(body, Bound(), dict.fromkeys(given, True))
    return {name for name, bound in state.items() if bound and name != "_"}


# ---- narrowing: the kinds the declarations allow ----------------------------------------


class Typed(NamedTuple):
    """The kinds a variable can take, and where they come from when they are no number (for messages)."""

    kinds: Kinds
    origin: str = ""  # "`p`'s `x: symbol`", or "" when no declared column made it a non-number


def column_kinds(decls: Mapping[str, n.Decl], pred: str, col: int) -> tuple[Kinds, str]:
    """What a column can hold under the declarations (everything when undeclared), and its name."""
    decl = decls.get(pred)
    if decl is None or col >= len(decl.params):
        return ALL, ""
    param = decl.params[col]
    kinds = ALL if param.type == "any" else declared_kinds(param.type)
    return kinds, f"`{pred}`'s `{param.name}: {param.type}`"


def kinds_of(state: Mapping[str, Typed]) -> dict[str, Kinds]:
    """The kinds alone, by variable."""
    return {name: t.kinds for name, t in state.items()}


class _KindsView(Mapping[str, Kinds]):
    """The kinds alone, read through (what `kinds.expr_kinds` reads while the fixpoint runs)."""

    __slots__ = ("state",)

    def __init__(self, state: Mapping[str, Typed]) -> None:
        self.state = state

    def __getitem__(self, name: str) -> Kinds:
        return self.state[name].kinds

    def __iter__(self) -> Iterator[str]:
        return iter(self.state)

    def __len__(self) -> int:
        return len(self.state)


class Narrowing:
    """The kinds each variable can take: the intersection over the declared columns of the positive
    atoms it stands in; a variable no atom binds gets the intersection of what each `X = expr` and
    `X = agg {...}` on it allows, whatever their order (`B = a, 0 = B` leaves `B` nothing: a rule
    that never fires rather than one of the wrong type; `B = V` gives `B` what `V` can hold, even
    nothing, while an expression whose kinds are unknown narrows nothing)."""

    unknown = Typed(ALL)
    braces: Braces = "copy"  # the braces' own variables narrow inside them only
    atoms_settle = True
    full: Typed | None = None  # no kinds is absorbing, but its origin varies

    def __init__(self, decls: Mapping[str, n.Decl]) -> None:
        self.decls = decls

    def column(self, pred: str, col: int) -> Typed:
        return Typed(*column_kinds(self.decls, pred, col))

    def combine(self, old: Typed, new: Typed) -> Typed:
        if old.kinds <= new.kinds:
            return old
        kinds = old.kinds & new.kinds
        named = kinds != old.kinds and not kinds & NUMBERS  # the first column that makes it no number
        return Typed(kinds, old.origin or (new.origin if named else ""))

    def given(self, e: n.Expr, state: Mapping[str, Typed]) -> Typed | None:
        if isinstance(e, n.Var):  # what it can hold, even nothing (a contradiction passed along)
            return Typed(state.get(e.name, self.unknown).kinds if not e.anonymous else ALL)
        got = expr_kinds(e, _KindsView(state))
        return Typed(got) if got else None

    def aggregate(self, agg: n.Aggregate, inner: Mapping[str, Typed] | None) -> Typed | None:
        assert inner is not None
        term = expr_kinds(agg.term, _KindsView(inner)) if agg.term is not None else frozenset()
        got = agg_kinds(agg.func, term)
        return Typed(got) if got else None


# ---- carrying: the kinds a value may need stored ----------------------------------------


class Carrying:
    """The kinds each variable may carry, given the kinds each predicate's columns hold (`cols`): the
    union over its uses, an over-approximation (the braces of an aggregate are read in the body's
    own scope, so a grouping variable also gets what it holds inside them)."""

    unknown: Kinds = frozenset()
    braces: Braces = "shared"
    atoms_settle = False
    full: Kinds | None = ALL

    def __init__(self, cols: Mapping[str, list[Kinds]]) -> None:
        self.cols = cols

    def column(self, pred: str, col: int) -> Kinds:
        return self.cols[pred][col] if pred in self.cols else frozenset()

    def combine(self, old: Kinds, new: Kinds) -> Kinds:
        return old | new

    def given(self, e: n.Expr, state: Mapping[str, Kinds]) -> Kinds | None:
        return expr_kinds(e, state)

    def aggregate(self, agg: n.Aggregate, inner: Mapping[str, Kinds] | None) -> Kinds | None:
        assert inner is not None
        term = expr_kinds(agg.term, inner) if agg.term is not None else frozenset()
        return agg_kinds(agg.func, term)
