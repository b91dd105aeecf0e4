"""Syllog against pyDatalog 0.22.4 (and pyDatalog against the oracle) on random programs.

The programs come from `generator.programs` without aggregates and are handed
to pyDatalog through its Python API (`pyParser.Term` / `pyParser.Literal`,
`+literal` for facts, `head <= body` for rules, `literal.ask()` for queries),
never through `pyDatalog.load`, which executes its text as Python.
`pyDatalog.Logic()` resets pyDatalog's (thread-local, global) state per example.

What pyDatalog needs, and what was therefore excluded or translated:

* **Aggregates are excluded**: pyDatalog's aggregates are functions in the head
  (`p[X] == len_(Y)`) with different semantics (no row for an empty group), so
  the generator is run with `GenConfig(aggregates=False)`.
* **Body order**: pyDatalog resolves a body left to right (top-down, tabled).
  A negated literal is only sound once its named variables are bound: with `~q(X)`
  first, `p(X) <= ~q(X) & n(X)` gives nothing. So a body is given as its positive
  atoms, then the comparisons, then the negations (same meaning in Datalog).
* **Anonymous `_`** becomes a fresh named variable per occurrence; in a negated
  literal such a variable is existential (`~e(X, F)` is "no e(X, anything)"),
  which is what `not e(X, _)` means.
* **Undefined predicates**: querying or using a predicate that has neither
  facts nor rules raises `AttributeError: Predicate without definition`, so
  every such predicate is defined empty (a fact asserted and retracted).
* **Queries**: every argument of the query is a distinct fresh variable
  (`p(Q0, Q0)` would return one column only); zero-arity predicates answer
  `[()]` or `[]`.
* **Values**: integers and symbols only (symbols as Python `str`); ordering
  comparisons only within a kind, as the generator guarantees (pyDatalog would
  raise Python's TypeError on `1 < 'a'`).

Zero-arity predicates, repeated variables, constants in heads and bodies,
recursion (also mutual), rules without positive atoms, facts for derived
predicates and `_V` variable names are all kept: pyDatalog handles them.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from pyDatalog import pyDatalog
from pyDatalog.pyParser import Literal, Term

from .generator import Atom, Cmp, Const, GenConfig, Neg, Program, Var, programs
from .generator import Term as GTerm
from .harness import diff_settings, report, syllog_relations
from .oracle import evaluate

CONFIG = GenConfig(aggregates=False)
Relations = dict[str, set[tuple[Any, ...]]]


class _Translator:
    """One rule's terms as pyDatalog terms (fresh variables for `_`)."""

    def __init__(self) -> None:
        self.vars: dict[str, Term] = {}

    def term(self, t: GTerm) -> Term:
        if isinstance(t, Const):
            return Term(t.value, forced_type="constant")
        name = f"X_{t.name}" if isinstance(t, Var) else f"A_{t.ident}"
        if name not in self.vars:
            self.vars[name] = Term(name)
        return self.vars[name]

    def atom(self, a: Atom) -> Any:
        return Literal.make(a.pred, [self.term(t) for t in a.args])

    def cmp(self, c: Cmp) -> Any:
        left, right = self.term(c.left), self.term(c.right)
        ops = {
            "=": left.__eq__, "!=": left.__ne__, "<": left.__lt__,
            "<=": left.__le__, ">": left.__gt__, ">=": left.__ge__,
        }
        return ops[c.op](right)


def pydatalog_relations(program: Program) -> Relations:
    pyDatalog.Logic()  # a fresh logic in this thread
    tr = _Translator()
    defined = {f.pred for f in program.facts} | {r.head.pred for r in program.rules}
    for name in program.preds.keys() - defined:  # define it, empty
        dummy = Literal.make(name, [Term(0, forced_type="constant")] * program.preds[name].arity)
        +dummy  # noqa: B018
        -dummy  # noqa: B018
    for f in program.facts:
        +tr.atom(f)  # noqa: B018
    for r in program.rules:
        tr = _Translator()
        parts = [tr.atom(b) for b in r.body if isinstance(b, Atom)]
        parts += [tr.cmp(b) for b in r.body if isinstance(b, Cmp)]
        parts += [~tr.atom(b.atom) for b in r.body if isinstance(b, Neg)]
        assert len(parts) == len(r.body), "aggregates are not translated"
        if not parts:
            +tr.atom(r.head)  # noqa: B018
            continue
        body = parts[0]
        for p in parts[1:]:
            body = body & p
        tr.atom(r.head) <= body  # noqa: B015
    out: Relations = {}
    for name, pred in program.preds.items():
        answer = Literal.make(name, [Term(f"Q{i}") for i in range(pred.arity)]).ask()
        out[name] = {()} if answer is True else {tuple(row) for row in answer}
    return out


@diff_settings(150)
@given(programs(CONFIG))
def test_pydatalog_agrees_with_oracle(program: Program) -> None:
    """Checks the oracle (and the translation) against an independent engine."""
    expected = evaluate(program)
    actual = pydatalog_relations(program)
    assert all(expected.get(p, set()) == actual[p] for p in program.preds), report(
        program, expected, actual, who="oracle", against="pydatalog"
    )


@diff_settings(150)
@given(programs(CONFIG))
def test_syllog_agrees_with_pydatalog(program: Program) -> None:
    expected = pydatalog_relations(program)
    actual = syllog_relations(program)
    assert expected == actual, report(program, expected, actual, who="pydatalog")
