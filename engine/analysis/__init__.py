"""Analysis stage: parsed modules to a checked `Program`.

Runs every pass (collect, arity and types, safety, evidence, stratification,
lint), gathers all their diagnostics, and raises one `SyllogError` when any is
an error, so a user sees every mistake in one run.
"""

from __future__ import annotations

from .. import nodes as n
from ..errors import Diagnostic, SyllogError, error
from ..loader import Loaded
from ..values import ARITH, ArithmeticFault, Value, neg
from .arity import check_arity
from .collect import collect
from .evidence import check_sources
from .lint import lint
from .program import Fact, FactGroup, Facts, Program, SourceInfo
from .safety import check_safety
from .strata import stratify

__all__ = ["Program", "Fact", "FactGroup", "Facts", "SourceInfo", "check", "const_eval"]


def const_eval(e: n.Expr) -> Value:
    """Value of a ground expression; raises ArithmeticFault."""
    if isinstance(e, n.Const):
        return e.value
    if isinstance(e, n.Neg):
        return neg(const_eval(e.operand))
    if isinstance(e, n.BinOp):
        return ARITH[e.op](const_eval(e.left), const_eval(e.right))
    raise ArithmeticFault("not a constant")


def check(loaded: Loaded) -> Program:
    """Check parsed modules; return the program or raise `SyllogError`."""
    c, diags = collect(loaded.modules)
    arity, d = check_arity(c)
    diags += d
    diags += check_safety(c.rules, c.queries, c.expects)
    sources, d = check_sources(c, loaded.base_dirs)
    diags += d
    preds = sorted(arity)
    rules = [r for r in c.rules if r.body]
    strata, recursive, d = stratify(rules, preds)
    diags += d
    facts: list[Fact | FactGroup] = []
    for r in c.in_order():
        if isinstance(r, n.FactRun):
            facts.extend(FactGroup(r, table) for table in r.tables)
            continue
        if r.body:
            continue
        if any(n.expr_vars(a) for a in r.head.args):
            continue  # reported by safety
        try:
            row = tuple(const_eval(a) for a in r.head.args)
        except ArithmeticFault as exc:
            diags.append(error("E602", f"cannot compute this fact: {exc}", r.head.span))
            continue
        facts.append(Fact(r.head.pred, row, r.cites, r.span))
    errors = [x for x in diags if x.is_error]
    warnings = lint(c) if not errors else []
    if errors:
        raise SyllogError(_ordered(errors), loaded.sources)
    return Program(
        rules=rules,
        facts=Facts(facts),
        decls=c.decls,
        arity=arity,
        sources=sources,
        queries=c.queries,
        expects=c.expects,
        io=c.io,
        strata=strata,
        recursive=recursive,
        warnings=_ordered(warnings),
        text=loaded.sources,
        base_dirs=loaded.base_dirs,
    )


def _ordered(diags: list[Diagnostic]) -> list[Diagnostic]:
    return sorted(diags, key=lambda d: (d.span.file, d.span.line, d.span.col, d.code))
