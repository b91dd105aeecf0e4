"""Undefined arithmetic against clingo: the instance fails, the rest of the program goes on.

Seeded random programs over integers 0..3 and the symbols a, b, with
arithmetic wherever an expression may stand (a binding, a head, a
comparison, a negated atom, a sum's or a min's term, a recursive rule):
`a + 1`, `X % 0`, `(X * Y) / Y` with Y = 0 have no value. In clingo an
undefined operation makes the rule instance (or the aggregate's element)
disappear; Syllog must derive exactly clingo's model, in memory and on
DuckDB, and both Syllog evaluators must warn (W104) at the same rules of
the same operators for the same reasons. How many inputs each counts may
differ: an evaluator counts the inputs it met in the join order it chose,
and the SQL backends' first round joins a recursive rule's own relation
last, so they may meet operands of partial matches that the in-memory
order never reaches (engine.evaluation.dropped).

Where the languages differ, the programs avoid it: `%` is clingo's `\\`
and is only applied to variables and constants (never negative, so that
Python's and clingo's remainders agree); `/` is only written `(A * B) / B`,
an exact quotient in both (clingo divides integers); sums name every local
variable in clingo's element tuple; `#min` gets a `#count` guard (clingo's
`#sup` of nothing). Run more with SYLLOG_DIFF_EXAMPLES=2000.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass

import clingo
import pytest

import engine
from engine.backends import evaluate_sql

VALUES = ("0", "1", "2", "3", "a", "b")
RUNS = int(os.environ.get("SYLLOG_DIFF_EXAMPLES", "150"))


@dataclass
class Pair:
    """One program in both languages."""

    syllog: str
    clingo: str
    preds: list[str]


def _expr(rng: random.Random, names: list[str], depth: int = 0) -> tuple[str, str]:
    """An expression over `names` and small constants, in Syllog and in clingo."""
    leaf = [*names, rng.choice(("0", "1", "2"))]  # a symbol constant in arithmetic is refused (E307)
    if depth >= 2 or rng.random() < 0.3:
        x = rng.choice(leaf)
        return x, x
    kind = rng.choice(("+", "-", "*", "%", "/"))
    if kind == "%":
        x, y = rng.choice(leaf), rng.choice(leaf)
        return f"({x}%{y})", f"({x} \\ {y})"
    if kind == "/":
        x, y = rng.choice(leaf), rng.choice(leaf)
        return f"({x} * {y}) / {y}", f"(({x} * {y}) / {y})"
    (ls, lc), (rs, rc) = _expr(rng, names, depth + 1), _expr(rng, names, depth + 1)
    return f"({ls} {kind} {rs})", f"({lc} {kind} {rc})"


def _rule(rng: random.Random, k: int) -> tuple[str, str]:
    e, c = _expr(rng, ["X", "Y"])
    op = rng.choice(("<", "<=", ">", ">=", "=", "!="))
    templates = [
        (f"h{k}(X, Z) :- p(X, Y), Z = {e}.", f"h{k}(X, Z) :- p(X, Y), Z = {c}."),
        (f"h{k}({e}) :- p(X, Y).", f"h{k}({c}) :- p(X, Y)."),
        (f"h{k}(X) :- p(X, Y), {e} {op} 1.", f"h{k}(X) :- p(X, Y), {c} {op} 1."),
        (f"h{k}(X) :- p(X, Y), not q({e}).", f"h{k}(X) :- p(X, Y), not q({c})."),
        (f"h{k}(S) :- S = sum {{ {e} : p(X, Y) }}.", f"h{k}(S) :- S = #sum {{ {c},X,Y : p(X, Y) }}."),
        (f"h{k}(X, S) :- q(X), S = sum {{ {e} : p(X, Y) }}.", f"h{k}(X, S) :- q(X), S = #sum {{ {c},Y : p(X, Y) }}."),
        (f"h{k}(X, M) :- q(X), M = min {{ {e} : p(X, Y) }}.",
         f"h{k}(X, M) :- q(X), #count {{ {c},Y : p(X, Y) }} >= 1, M = #min {{ {c},Y : p(X, Y) }}."),
        (f"h{k}(0). h{k}(Z) :- h{k}(X), p(X, Y), X < 4, Z = {e}.",
         f"h{k}(0). h{k}(Z) :- h{k}(X), p(X, Y), X < 4, Z = {c}."),
    ]
    return rng.choice(templates)


def program(seed: int) -> Pair:
    rng = random.Random(seed)
    facts = {f"p({rng.choice(VALUES)}, {rng.choice(VALUES)})." for _ in range(rng.randint(2, 6))}
    facts |= {f"q({rng.choice(VALUES)})." for _ in range(rng.randint(1, 4))}
    rules = [_rule(rng, k) for k in range(rng.randint(1, 4))]
    text = "\n".join(sorted(facts))
    return Pair(text + "\n" + "\n".join(s for s, _c in rules), text + "\n" + "\n".join(c for _s, c in rules),
                ["p", "q"] + [f"h{k}" for k in range(len(rules))])


def clingo_model(pair: Pair) -> dict[str, set[tuple[object, ...]]]:
    ctl = clingo.Control(["--warn=none"])
    ctl.add("base", [], pair.clingo)
    ctl.ground([("base", [])])
    models: list[list[clingo.Symbol]] = []
    ctl.solve(on_model=lambda m: models.append(list(m.symbols(shown=True))))
    assert len(models) == 1
    out: dict[str, set[tuple[object, ...]]] = {p: set() for p in pair.preds}
    for sym in models[0]:
        out[sym.name].add(tuple(a.number if a.type == clingo.SymbolType.Number else a.name for a in sym.arguments))
    return out


def _report(pair: Pair, want: dict[str, set[tuple[object, ...]]], got: dict[str, set[tuple[object, ...]]]) -> str:
    lines = [f"{p}: clingo {sorted(want[p], key=str)} syllog {sorted(got[p], key=str)}"
             for p in pair.preds if want[p] != got[p]]
    return "\n".join([pair.syllog, "--- clingo:", pair.clingo, *lines])


@pytest.mark.parametrize("chunk", range(3))
def test_memory_agrees_with_clingo(chunk: int) -> None:
    for seed in range(chunk, RUNS, 3):
        pair = program(seed)
        want = clingo_model(pair)
        model = engine.load_text(pair.syllog, "gen.dl").evaluate()
        got = {p: model.relation(p) for p in pair.preds}
        assert got == want, _report(pair, want, got)


def warned_at(warnings: list[engine.Diagnostic]) -> list[tuple[object, str, str]]:
    """Each W104's place, operator and reason, without the count and example (which depend on join order)."""
    return [(w.span, w.message.split(" is undefined")[0], w.message.rsplit(" (", 1)[-1]) for w in warnings]


def test_duckdb_agrees_with_clingo_and_warns_the_same() -> None:
    for seed in range(0, RUNS, 4):
        pair = program(seed)
        want = clingo_model(pair)
        loaded = engine.load_text(pair.syllog, "gen.dl")
        with evaluate_sql(loaded.program) as model:
            got = {p: model.relation(p) for p in pair.preds}
            assert got == want, _report(pair, want, got)
            mem = loaded.evaluate()
            assert warned_at(model.warnings) == warned_at(mem.warnings), pair.syllog


def test_the_programs_meet_undefined_arithmetic() -> None:
    """The generator must reach the case it is for: most programs drop some instance."""
    warned = sum(bool(engine.load_text(program(seed).syllog).evaluate().warnings) for seed in range(40))
    assert warned >= 20
