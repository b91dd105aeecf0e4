"""engine.analysis.flow: the one fixpoint of facts through a body, under each of its lattices."""

from __future__ import annotations

import itertools
from collections.abc import Mapping

from engine import nodes as n
from engine.analysis.flow import Bound, Carrying, Narrowing, Typed, bound_vars, flow
from engine.kinds import ALL, NUMBERS
from engine.model import parse_goal


def body(text: str) -> tuple[n.Literal, ...]:
    return parse_goal(text)[0]


def decls(**params: str) -> dict[str, n.Decl]:
    """`p="x: symbol"` declares `p(x: symbol)`."""
    out = {}
    for pred, text in params.items():
        ps = tuple(n.Param(*(part.strip() for part in p.split(":"))) for p in text.split(","))
        out[pred] = n.Decl(pred, ps)
    return out


# ---- bound ----------------------------------------------------------------------------


def test_bound_a_chain_written_backwards_takes_a_pass_a_link() -> None:
    chain = body("D = C + 1, C = B * 2, B = A, A = Z, p(Z)")
    assert bound_vars(chain, set()) == {"A", "B", "C", "D", "Z"}
    asked: list[str] = []

    class Counting(Bound):
        def given(self, e: n.Expr, state: Mapping[str, bool]) -> bool | None:
            asked.append(str(e))
            return super().given(e, state)

    flow(chain, Counting(), {})
    # `D = C + 1` is asked once a pass until `C` is bound, in the fourth (then never: `D` is bound)
    assert asked.count(str(chain[0].right)) == 4


def test_bound_needs_every_variable_of_the_other_side_and_no_anonymous_one() -> None:
    assert bound_vars(body("Y = X + 1, q(Z)"), set()) == {"Z"}
    assert bound_vars(body("X = Y, Y = X"), set()) == set()
    assert bound_vars(body("p(X), Y = X + _"), set()) == {"X"}
    assert bound_vars(body("_ = 3, p(X)"), set()) == {"X"}  # `_` is never bound
    assert bound_vars(body("Y = G * 2"), {"G"}) == {"G", "Y"}
    assert bound_vars(body("Y = 3"), set()) == {"Y"}


def test_bound_an_aggregate_binds_its_variable_and_nothing_inside_its_braces() -> None:
    got = bound_vars(body("N = count { : p(X, U) }, M = N + 1"), set())
    assert got == {"N", "M"}


def test_bound_the_order_of_the_literals_does_not_matter() -> None:
    lits = body("p(Z), A = Z, B = A + C, C = 2, not q(B)")
    answers = {frozenset(bound_vars(order, set())) for order in itertools.permutations(lits)}
    assert answers == {frozenset({"Z", "A", "B", "C"})}


# ---- narrowing: kinds with origins, intersection ----------------------------------------


def narrowed(text: str, ds: dict[str, n.Decl]) -> dict[str, Typed]:
    return flow(body(text), Narrowing(ds), {})


def test_narrowing_the_first_atom_that_makes_a_variable_no_number_names_it() -> None:
    ds = decls(p="x: symbol", r="y: symbol")
    one, other = narrowed("p(X), r(X)", ds)["X"], narrowed("r(X), p(X)", ds)["X"]
    assert one.kinds == other.kinds == {"sym"}
    assert one.origin == "`p`'s `x: symbol`"
    assert other.origin == "`r`'s `y: symbol`"  # the order of the literals matters here, and only here
    ds = decls(p="x: symbol", s="y: string")
    assert narrowed("p(X), s(X)", ds)["X"] == Typed(frozenset(), "`p`'s `x: symbol`")  # the first, not the last
    assert narrowed("s(X), p(X)", ds)["X"] == Typed(frozenset(), "`s`'s `y: string`")


def test_narrowing_no_origin_for_what_stays_a_number_or_comes_by_an_equality() -> None:
    ds = decls(p="x: number", r="y: symbol")
    got = narrowed("p(X), r(V), B = A, A = C, C = V", ds)
    assert got["X"] == Typed(NUMBERS)
    assert got["V"] == Typed(frozenset({"sym"}), "`r`'s `y: symbol`")
    assert got["B"] == Typed(frozenset({"sym"}))  # three passes along the chain; no column named


def test_narrowing_intersects_every_equality_whatever_their_order() -> None:
    for text in ("B = a, 0 = B", "0 = B, B = a"):
        assert narrowed(text, {})["B"].kinds == frozenset()
    assert narrowed('B = "t" , C = B', {})["C"].kinds == {"str"}


def test_narrowing_an_atom_settles_its_variable() -> None:
    ds = decls(p="x: symbol")
    assert narrowed("p(X), X = 1", ds)["X"].kinds == {"sym"}  # not narrowed to nothing: E307 still says why
    assert narrowed("X = 1", ds)["X"].kinds == {"int"}


def test_narrowing_reads_an_aggregate_in_a_copy_of_the_scope() -> None:
    ds = decls(q="g: symbol, u: int")
    got = narrowed("N = sum { U : q(G, U) }", ds)
    assert got["N"].kinds == {"int"}
    outside = {name: got.get(name, Narrowing.unknown).kinds for name in ("U", "G")}
    assert outside == {"U": ALL, "G": ALL}  # narrowed inside the braces only


def test_narrowing_starts_from_the_outer_scope() -> None:
    state = {"G": Typed(frozenset({"str"}), "outer")}
    got = flow(body("Y = G, X = G + 1"), Narrowing({}), state)
    assert got is state
    assert got["Y"] == Typed(frozenset({"str"}))
    assert got.get("X", Narrowing.unknown).kinds == ALL  # arithmetic on a string: no kinds, narrows nothing
    assert got["G"].origin == "outer"


# ---- carrying: kinds, union ---------------------------------------------------------


def carried(text: str, cols: dict[str, list[frozenset[str]]]) -> dict[str, frozenset[str]]:
    return flow(body(text), Carrying(cols), {})


INT, SYM, DEC = frozenset({"int"}), frozenset({"sym"}), frozenset({"dec"})


def test_carrying_unites_every_use() -> None:
    cols = {"p": [INT], "q": [SYM]}
    assert carried("p(X), q(X)", cols)["X"] == INT | SYM
    assert carried("p(X), X = Y, q(Y)", cols)["X"] == INT | SYM  # atoms do not settle a variable here


def test_carrying_a_chain_written_backwards() -> None:
    got = carried("D = C * 2.5, C = B, B = A, p(A)", {"p": [INT]})
    assert got["C"] == INT
    assert got["D"] == DEC


def test_carrying_reads_the_braces_in_the_same_scope_after_the_fixpoint() -> None:
    cols = {"p": [INT], "q": [SYM], "s": [DEC]}
    got = carried("q(X), count { : p(X) } > 0, Y = X, N = min { U : s(U) }", cols)
    assert got["X"] == INT | SYM  # the braces' atom speaks for the grouping variable too
    assert got["Y"] == SYM  # ... but only once the equalities are done: `Y = X` read X before
    assert got["N"] == DEC and got["U"] == DEC


# ---- the walk itself ------------------------------------------------------------------


class Trace:
    """Which columns a variable's value comes from: a lattice of labels, to watch the walk."""

    unknown: frozenset[str] = frozenset()
    braces = "closed"
    atoms_settle = False
    full = None

    def __init__(self) -> None:
        self.calls: list[str] = []

    def column(self, pred: str, col: int) -> frozenset[str]:
        self.calls.append(f"{pred}.{col}")
        return frozenset({f"{pred}.{col}"})

    def combine(self, old: frozenset[str], new: frozenset[str]) -> frozenset[str]:
        return old | new

    def given(self, e: n.Expr, state: Mapping[str, frozenset[str]]) -> frozenset[str] | None:
        self.calls.append(f"= {e.name}" if isinstance(e, n.Var) else "= expr")
        return frozenset().union(*(state[v.name] for v in n.expr_vars(e)))

    def aggregate(self, agg: n.Aggregate, inner: Mapping[str, frozenset[str]] | None) -> frozenset[str] | None:
        assert inner is None  # closed braces are not read
        return frozenset({agg.func})


def test_the_walk_reads_atoms_first_then_equalities_both_ways_until_nothing_changes() -> None:
    lattice = Trace()
    got = flow(body("Y = X, p(X, Z), N = count { : r(Z) }, q(Z)"), lattice, {})
    assert got["Y"] == {"p.0"} and got["X"] == {"p.0"} and got["N"] == {"count"} and got["Z"] == {"p.1", "q.0"}
    assert lattice.calls == ["p.0", "p.1", "q.0", "= X", "= Y", "= X", "= Y"]
