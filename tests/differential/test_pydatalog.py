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
* **Bindings** `B = t` go after the atoms and comparisons that bind `t`, as
  `B == t` (pyDatalog binds an unbound left-hand variable with `==`), and all
  `=` go before the other comparisons: a B may be bound by either of two
  equalities, and with `B = c, 0 = B, B < 0` the `<` must not see `c`.
* **Anonymous `_`** becomes a fresh named variable per occurrence; in a negated
  literal such a variable is existential (`~e(X, F)` is "no e(X, anything)"),
  which is what `not e(X, _)` means.
* **Undefined predicates**: querying or using a predicate that has neither
  facts nor rules raises `AttributeError: Predicate without definition`, so
  every such predicate is defined empty (a fact asserted and retracted).
* **Queries**: every argument of the query is a distinct fresh variable
  (`p(Q0, Q0)` would return one column only); zero-arity predicates answer
  `[()]` or `[]`.
* **Hangs**: pyDatalog 0.22.4 loops forever (inside its compiled engine, so
  no signal stops it) on some mutually recursive programs whose relations stay
  empty, e.g. `e(a, 2). p0(c) :- p1(a). p1(a) :- p0(_). p1(X) :- e(X, _), p1(_).`
  queried for `p1(Q)`. So pyDatalog runs in a child process with a time limit,
  and an example it does not finish is discarded (`hypothesis.reject`).
* **Values**: integers and symbols only (symbols as Python `str`). Ordering
  comparisons only within a kind (`GenConfig(cross_kind_order=False)`):
  pyDatalog compares with Python's `<`, which raises TypeError on `1 < 'a'`,
  where Syllog orders all values (numbers before symbols).

Zero-arity predicates, repeated variables, constants in heads and bodies,
recursion (also mutual), rules without positive atoms, facts for derived
predicates and `_V` variable names are all kept: pyDatalog handles them.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.process
import os
from multiprocessing.connection import Connection
from typing import Any

from hypothesis import given, reject
from pyDatalog import pyDatalog
from pyDatalog.pyParser import Literal, Term

from .generator import Atom, Cmp, Const, GenConfig, Neg, Program, Rule, Var, programs
from .generator import Term as GTerm
from .harness import diff_settings, report, syllog_relations
from .oracle import evaluate

CONFIG = GenConfig(aggregates=False, cross_kind_order=False)
TIMEOUT = 5.0  # seconds; a typical example takes well under 0.1 s
Relations = dict[str, set[tuple[Any, ...]]]


class Worker:
    """pyDatalog in a long-lived child process, restarted when it overruns a time limit."""

    def __init__(self) -> None:
        self.ctx = multiprocessing.get_context("fork") if hasattr(os, "fork") else multiprocessing.get_context("spawn")
        self.proc: multiprocessing.process.BaseProcess | None = None
        self.conn: Connection | None = None

    def _start(self) -> Connection:
        parent, child = self.ctx.Pipe()
        self.proc = self.ctx.Process(target=_serve, args=(child,), daemon=True)
        self.proc.start()
        child.close()
        self.conn = parent
        return parent

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()  # only the child this worker started
            self.proc.join()
        self.proc = self.conn = None

    def run(self, program: Program, timeout: float = TIMEOUT) -> Relations | None:
        """pyDatalog's relations for `program`, or None if it takes longer than `timeout`."""
        conn = self.conn if self.conn is not None else self._start()
        conn.send(program)
        if not conn.poll(timeout):
            self.stop()
            return None
        ok, value = conn.recv()
        if not ok:
            raise RuntimeError(f"pyDatalog failed: {value}")
        return value  # type: ignore[no-any-return]


def _serve(conn: Connection) -> None:
    while True:
        try:
            program = conn.recv()
        except EOFError:
            return
        try:
            conn.send((True, pydatalog_relations(program)))
        except Exception as e:  # noqa: BLE001 - reported by the parent
            conn.send((False, f"{type(e).__name__}: {e}"))


WORKER = Worker()


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


def binding_order(rule: Rule) -> list[Cmp]:
    """The comparisons in an order pyDatalog can run, after the positive atoms:
    every `=` first, each `B = t` that binds B once t is bound (as `B == t`),
    then the other comparisons (so an ordering one never sees a B bound to a
    value of another kind than the generator meant: that rule already failed)."""
    bound = {v for b in rule.body if isinstance(b, Atom) for v in b.args if isinstance(v, Var)}
    cmps = [b for b in rule.body if isinstance(b, Cmp)]
    todo = [c for c in cmps if c.op == "="] + [c for c in cmps if c.op != "="]
    out: list[Cmp] = []
    while todo:
        for c in todo:
            unbound = [t for t in (c.left, c.right) if isinstance(t, Var) and t not in bound]
            if not unbound or (c.op == "=" and len(unbound) == 1):
                break
        else:
            raise AssertionError(f"no comparison can run next in {rule}")
        todo.remove(c)
        if unbound:
            bound.add(unbound[0])
            if c.right == unbound[0]:
                c = Cmp("=", c.right, c.left)
        out.append(c)
    return out


def pydatalog_relations(program: Program) -> Relations:
    """Every predicate of `program` as pyDatalog evaluates it (in this process)."""
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
        parts += [tr.cmp(b) for b in binding_order(r)]
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


def pydatalog_or_reject(program: Program) -> Relations:
    answer = WORKER.run(program)
    if answer is None:
        reject()  # pyDatalog hangs on this one: not a valid example
    return answer


def test_a_known_pydatalog_hang_is_cut_short() -> None:
    from .test_oracle_selfcheck import A, R, prog

    p = prog(
        A("e", "a", 2),
        R(A("p0", "c"), A("p1", "a")),
        R(A("p1", "a"), A("p0", "_")),
        R(A("p1", "X"), A("e", "X", "_"), A("p1", "_")),
    )
    assert WORKER.run(p, timeout=1.0) is None
    assert WORKER.run(prog(A("e", 1), R(A("q", "X"), A("e", "X")))) == {"e": {(1,)}, "q": {(1,)}}
    assert evaluate(p)["p1"] == set()


@diff_settings(180)
@given(programs(CONFIG))
def test_syllog_agrees_with_pydatalog(program: Program) -> None:
    """pyDatalog first checks the oracle (and this translation), then Syllog."""
    expected = pydatalog_or_reject(program)
    oracle = evaluate(program)
    assert all(oracle.get(p, set()) == expected[p] for p in program.preds), report(
        program, oracle, expected, who="oracle", against="pydatalog"
    )
    actual = syllog_relations(program)
    assert expected == actual, report(program, expected, actual, who="pydatalog")
