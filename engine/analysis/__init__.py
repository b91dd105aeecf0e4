"""Analysis stage: parsed modules to a checked `Program`.

Runs every pass (collect, arity and types, arithmetic on declared types,
safety, evidence, stratification, lint), gathers all their diagnostics, and raises one `SyllogError` when any is
an error, so a user sees every mistake in one run.
"""

from __future__ import annotations

from .. import nodes as n
from ..errors import NO_SPAN, Diagnostic, SourceMap, SyllogError, error
from ..formats import check_formats
from ..loader import LoadedModules
from ..values import ARITH, ArithmeticFault, Value, neg
from .arithmetic import check_arithmetic
from .arity import check_arity
from .collect import Collected, collect
from .evidence import check_sources
from .lint import lint, undefined
from .program import Fact, FactGroup, Facts, Program, SourceInfo
from .safety import check_safety
from .strata import stratify
from .walk import body_atoms

__all__ = ["Program", "Fact", "FactGroup", "Facts", "SourceInfo", "check", "check_goal", "const_eval"]


def const_eval(e: n.Expr) -> Value:
    """Value of a ground expression; raises ArithmeticFault."""
    if isinstance(e, n.Const):
        return e.value
    if isinstance(e, n.Neg):
        return neg(const_eval(e.operand))
    if isinstance(e, n.BinOp):
        return ARITH[e.op](const_eval(e.left), const_eval(e.right))
    raise ArithmeticFault("not a constant")


def defined_predicates(program: Program) -> set[str]:
    """The predicates a fact, a rule or an `.input` gives tuples to."""
    return ({r.head.pred for r in program.rules} | program.facts.predicates()
            | {io.pred for io in program.io if io.kind == "input"})


def check_goal(program: Program, body: tuple[n.Literal, ...], sources: SourceMap) -> list[Diagnostic]:
    """Check a goal typed against a checked program (`syllog query`, `why`, the REPL's `?-`).

    Raises `SyllogError` for what the body would be refused for in a file:
    arity against the program's predicates (the help names where each is
    declared or first used), types, safety. Returns the warnings a file would
    get: W102 for a predicate no fact, rule or `.input` defines, naming the
    closest defined one, since in a typed goal that is most often a typo.
    """
    c = Collected()
    c.decls = dict(program.decls)
    c.queries = [n.Query(body)]
    known = {p: (k, program.first_use.get(p, NO_SPAN)) for p, k in program.arity.items()}
    _arity, _first, diags = check_arity(c, known)
    diags += check_arithmetic(c)
    diags += check_safety([], [body])
    errors = [d for d in diags if d.is_error]
    if errors:
        raise SyllogError(errors, sources)
    defined = defined_predicates(program)
    warnings: dict[str, Diagnostic] = {}
    for atom, _neg in body_atoms(body):
        if atom.pred not in defined and atom.pred not in warnings:
            warnings[atom.pred] = undefined(atom, defined, atom.pred in program.decls)
    return list(warnings.values())


def check(loaded: LoadedModules) -> Program:
    """Check parsed modules; return the program or raise `SyllogError`."""
    c, diags = collect(loaded.modules)
    arity, first_use, d = check_arity(c)
    diags += d
    diags += check_arithmetic(c)
    diags += check_safety(c.rules, c.goal_bodies())
    sources, d = check_sources(c, loaded.base_dirs)
    diags += d
    diags += check_formats(c.io)
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
    if errors:
        raise SyllogError(_ordered(errors), loaded.sources)
    all_facts = Facts(facts)
    warnings = lint(c, all_facts)
    return Program(
        rules=rules,
        facts=all_facts,
        decls=c.decls,
        arity=arity,
        sources=sources,
        queries=c.queries,
        expects=c.expects,
        constraints=c.constraints,
        io=c.io,
        strata=strata,
        recursive=recursive,
        warnings=_ordered(warnings),
        text=loaded.sources,
        base_dirs=loaded.base_dirs,
        first_use=first_use,
    )


def _ordered(diags: list[Diagnostic]) -> list[Diagnostic]:
    return sorted(diags, key=lambda d: (d.span.file, d.span.line, d.span.col, d.code))
