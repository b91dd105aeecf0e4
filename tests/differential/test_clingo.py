"""Syllog against clingo, an independent engine, on random stratified programs.

Each generated program (tests/differential/generator.py: recursion, mutual
and non-linear; negation; comparisons across kinds; `B = t` bindings;
count, sum, min and max; constants, repeated and anonymous variables;
zero-arity predicates) is written in clingo's language and grounded and
solved through clingo's Python API: a stratified program has one stable
model, which must hold exactly Syllog's relations, in memory and on DuckDB.

Where the languages differ, the translation says so: an aggregate ranges
over the distinct bindings of all its local variables in Syllog, so each
`_` inside the braces becomes a named variable listed in clingo's element
tuple; `#min` and `#max` of nothing are `#sup` and `#inf` in clingo, where
Syllog's rule does not fire, so they get a `#count { ... } >= 1` guard.
clingo has no `avg`. Run more with SYLLOG_DIFF_EXAMPLES=5000.
"""

from __future__ import annotations

import itertools

import clingo  # a test dependency: CI installs it, so this check never skips
from hypothesis import given

from .generator import Agg, Anon, Atom, BodyLit, Cmp, Const, GenConfig, Neg, Program, Term, Var, programs
from .harness import diff_settings, norm, report, syllog_relations

CLINGO_PROGRAMS = GenConfig(aggregate_funcs=("count", "sum", "min", "max"))


class _Names:
    """Fresh clingo variable names for the `_` of aggregate bodies."""

    def __init__(self) -> None:
        self.count = itertools.count()

    def fresh(self) -> str:
        return f"Anon{next(self.count)}"


def _term(t: Term, anon: dict[int, str] | None = None) -> str:
    if isinstance(t, Var):
        return t.name if not t.name.startswith("_") else "U" + t.name  # clingo: `_X` is anonymous
    if isinstance(t, Anon):
        return anon[t.ident] if anon is not None else "_"
    return str(t.value)


def _atom(a: Atom, anon: dict[int, str] | None = None) -> str:
    if not a.args:
        return a.pred
    return f"{a.pred}({','.join(_term(t, anon) for t in a.args)})"


def _aggregate(lit: Agg, names: _Names) -> str:
    anon = {t.ident: names.fresh() for t in lit.body.args if isinstance(t, Anon)}
    local = list(dict.fromkeys(_term(t, anon) for t in lit.body.args if isinstance(t, (Var, Anon))))
    term = [_term(lit.term)] if lit.term is not None else []
    elements = ",".join(dict.fromkeys(term + local)) or "0"
    body = _atom(lit.body, anon)
    out = f"{_term(lit.result)} = #{lit.func} {{ {elements} : {body} }}"
    if lit.func in ("min", "max"):  # Syllog: no value over no match; clingo: #sup / #inf
        out = f"#count {{ {elements} : {body} }} >= 1, " + out
    return out


def _literal(lit: BodyLit, names: _Names) -> str:
    if isinstance(lit, Atom):
        return _atom(lit)
    if isinstance(lit, Neg):
        return "not " + _atom(lit.atom)
    if isinstance(lit, Cmp):
        return f"{_term(lit.left)} {lit.op} {_term(lit.right)}"
    return _aggregate(lit, names)


def to_clingo(program: Program) -> str:
    names = _Names()
    lines = [_atom(f) + "." for f in program.facts]
    for r in program.rules:
        head = _atom(r.head)
        lines.append(f"{head} :- {', '.join(_literal(b, names) for b in r.body)}." if r.body else f"{head}.")
    lines += [f"#show {p.name}/{p.arity}." for p in program.preds.values()]
    return "\n".join(lines) + "\n"


def clingo_relations(program: Program) -> dict[str, set[tuple[object, ...]]]:
    text = to_clingo(program)
    ctl = clingo.Control(["--warn=none"])
    ctl.add("base", [], text)
    ctl.ground([("base", [])])
    models: list[list[object]] = []
    ctl.solve(on_model=lambda m: models.append(list(m.symbols(shown=True))))
    assert len(models) == 1, f"clingo found {len(models)} models of a stratified program:\n{text}"
    out: dict[str, set[tuple[object, ...]]] = {p: set() for p in program.preds}
    for sym in models[0]:
        out[sym.name].add(tuple(_value(a) for a in sym.arguments))  # type: ignore[attr-defined]
    return out


def _value(sym: object) -> object:
    if sym.type == clingo.SymbolType.Number:  # type: ignore[attr-defined]
        return sym.number  # type: ignore[attr-defined]
    return sym.name  # type: ignore[attr-defined]


@diff_settings(200)
@given(programs(CLINGO_PROGRAMS))
def test_syllog_agrees_with_clingo(program: Program) -> None:
    expected = clingo_relations(program)
    actual = syllog_relations(program)
    assert all(expected[p] == actual[p] for p in program.preds), report(program, expected, actual, who="clingo")


@diff_settings(60)
@given(programs(CLINGO_PROGRAMS))
def test_duckdb_agrees_with_clingo(program: Program) -> None:
    import engine
    from engine.backends import evaluate_sql

    from .generator import render

    expected = clingo_relations(program)
    loaded = engine.load_text(render(program), path="gen.dl")
    with evaluate_sql(loaded.program, provenance=False) as model:
        actual = {p: {tuple(map(norm, row)) for row in model.relation(p)} for p in program.preds}
    assert all(expected[p] == actual[p] for p in program.preds), report(program, expected, actual, who="clingo",
                                                                        against="duckdb")


def test_the_translation_names_anonymous_variables_and_guards_min() -> None:
    """An aggregate's `_` is a named element in clingo, and min of nothing does not fire."""
    agg = Agg(Var("M"), "min", Var("X"), Atom("e", (Var("X"), Anon(1))))
    text = _aggregate(agg, _Names())
    assert text == "#count { X,Anon0 : e(X,Anon0) } >= 1, M = #min { X,Anon0 : e(X,Anon0) }"
    assert _term(Const("a")) == "a" and _term(Var("_V3")) == "U_V3"
