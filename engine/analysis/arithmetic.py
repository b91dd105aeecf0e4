"""Analysis pass: arithmetic that the declarations make fail for every instance (E307).

Input: the collected statements. Output: diagnostics. With `.decl`, a
variable standing in a positive atom's column of type `symbol` or `string`
can hold nothing else; an operand of `+ - * / %` (or the term of `sum` and
`avg`) that can only be a symbol or a string, or a constant that is one,
would make every instance of the rule fail at run time, so it is refused
here, at the operand, before any evaluation (as Soufflé's types and clingo's
grounder would not let it through). So is `%` on what can only be a decimal,
and a head expression whose value cannot fit its declared column (E302).

Without declarations nothing is known of a column: such arithmetic is left
to run time, where the instance fails and W104 reports it
(engine.evaluation.dropped).
"""

from __future__ import annotations

from collections.abc import Iterator

from .. import nodes as n
from ..aggregates import AGGREGATES
from ..errors import Diagnostic, error
from ..kinds import NUMBERS, Kinds, expr_kinds
from .collect import Collected
from .flow import Narrowing, Typed, column_kinds, flow, kinds_of

Typing = dict[str, Kinds]  # a variable's possible kinds
Origins = dict[str, str]  # where a variable's kinds come from, for the message

_NAMES = {"int": "an integer", "dec": "a decimal", "sym": "a symbol", "str": "a string"}


def check_arithmetic(c: Collected) -> list[Diagnostic]:
    """E307 for arithmetic on operands the declarations make symbols, strings (or, for `%`, decimals); E302
    for a head expression that cannot fit its declared column."""
    diags: list[Diagnostic] = []
    for rule in c.rules:
        if rule.body:
            typing, origins = body_typing(c.decls, rule.body, {}, {})
            diags += _check_exprs(_rule_exprs(rule), typing, origins, c)
            diags += _check_head(rule, typing, c)
    for body in c.goal_bodies():
        typing, origins = body_typing(c.decls, body, {}, {})
        diags += _check_exprs(_body_exprs(body), typing, origins, c)
    return diags


def body_typing(decls: dict[str, n.Decl], body: tuple[n.Literal, ...], outer: Typing,
                outer_origins: Origins) -> tuple[Typing, Origins]:
    """The kinds each variable of `body` can take, from `outer` on, and the declared column that makes one
    a non-number (engine.analysis.flow's `Narrowing` says how)."""
    state = {name: Typed(kinds, outer_origins.get(name, "")) for name, kinds in outer.items()}
    for lit in body:  # every variable starts as anything (kinds.expr_kinds reads a missing one as nothing)
        for v in n.literal_vars(lit):
            state.setdefault(v.name, Narrowing.unknown)
    flow(body, Narrowing(decls), state)
    return kinds_of(state), {name: t.origin for name, t in state.items() if t.origin}


def _check_exprs(exprs: Iterator[tuple[n.Expr, tuple[n.Literal, ...] | None]], typing: Typing, origins: Origins,
                 c: Collected) -> list[Diagnostic]:
    diags = []
    for e, scope in exprs:
        if scope is not None:  # inside an aggregate's braces: its own variables too
            inner, inner_origins = body_typing(c.decls, scope, typing, origins)
            diags += _check_expr(e, inner, inner_origins)
        else:
            diags += _check_expr(e, typing, origins)
    return diags


def _check_expr(e: n.Expr, typing: Typing, origins: Origins) -> list[Diagnostic]:
    if isinstance(e, n.BinOp):
        return _operand(e.left, e.op, typing, origins) + _operand(e.right, e.op, typing, origins)
    if isinstance(e, n.Neg):
        return _operand(e.operand, "-", typing, origins)
    if isinstance(e, n.Aggregate) and e.term is not None and AGGREGATES[e.func].numeric:
        return _operand(e.term, e.func, typing, origins)
    return []


def _operand(e: n.Expr, op: str, typing: Typing, origins: Origins) -> list[Diagnostic]:
    kinds = expr_kinds(e, typing)
    if not kinds:  # a contradiction reported elsewhere (E302), or a value nothing can compute
        return []
    if not kinds & NUMBERS:
        need = f"`{op}` needs numbers"
    elif op == "%" and "int" not in kinds:
        need = "`%` is defined on integers only"
    else:
        return []
    what = _describe(kinds)
    if isinstance(e, n.Const):
        message = f"this is {what}, and {need}"
    elif isinstance(e, n.Var):
        where = origins.get(e.name)
        message = f"`{e.name}` can only be {what}" + (f" (it stands in {where})" if where else "") + f", and {need}"
    else:
        message = f"this can only be {what}, and {need}"
    return [error("E307", message, e.span,
                  help="every instance of this would fail at run time; compute on a number, or fix the declaration")]


def _check_head(rule: n.Rule, typing: Typing, c: Collected) -> list[Diagnostic]:
    """E302 for a head argument computed by arithmetic (or bound by `=`) whose kinds its declared column excludes."""
    decl = c.decls.get(rule.head.pred)
    if decl is None or len(decl.params) != len(rule.head.args):
        return []
    atom_bound = {v.name for lit in rule.body if isinstance(lit, n.Atom) for v in n.literal_vars(lit)}
    diags = []
    for i, a in enumerate(rule.head.args):
        if isinstance(a, n.Const) or (isinstance(a, n.Var) and (a.anonymous or a.name in atom_bound)):
            continue  # constants and atom-bound variables: checked with the declarations (engine.analysis.arity)
        kinds = expr_kinds(a, typing)
        allowed, _where = column_kinds(c.decls, rule.head.pred, i)
        if kinds and not kinds & allowed:
            what = _describe(kinds)
            param = decl.params[i]
            diags.append(error("E302", f"`{rule.head.pred}` expects {param.type} for `{param.name}`, got {what}",
                               a.span, help=f"declared at {decl.span}"))
    return diags


def _describe(kinds: Kinds) -> str:
    """`a symbol`, `a number`, `a symbol or a string`..."""
    names = ["a number"] if NUMBERS <= kinds else [_NAMES[k] for k in ("int", "dec") if k in kinds]
    return " or ".join(names + [_NAMES[k] for k in ("sym", "str") if k in kinds])


def _rule_exprs(rule: n.Rule) -> Iterator[tuple[n.Expr, tuple[n.Literal, ...] | None]]:
    for a in rule.head.args:
        yield from _subexprs(a, None)
    yield from _body_exprs(rule.body)


def _body_exprs(body: tuple[n.Literal, ...],
                scope: tuple[n.Literal, ...] | None = None) -> Iterator[tuple[n.Expr, tuple[n.Literal, ...] | None]]:
    """Every expression of a body with the aggregate braces it stands in (None: the body itself)."""
    for lit in body:
        if isinstance(lit, n.Atom):
            for a in lit.args:
                yield from _subexprs(a, scope)
        elif isinstance(lit, n.Negation):
            for a in lit.atom.args:
                yield from _subexprs(a, scope)
        else:
            yield from _subexprs(lit.left, scope)
            yield from _subexprs(lit.right, scope)


def _subexprs(e: n.Expr, scope: tuple[n.Literal, ...] | None) -> Iterator[tuple[n.Expr, tuple[n.Literal, ...] | None]]:
    if isinstance(e, n.BinOp):
        yield e, scope
        yield from _subexprs(e.left, scope)
        yield from _subexprs(e.right, scope)
    elif isinstance(e, n.Neg):
        yield e, scope
        yield from _subexprs(e.operand, scope)
    elif isinstance(e, n.Aggregate):
        inner = e.body if scope is None else scope + e.body
        yield e, inner
        if e.term is not None:
            yield from _subexprs(e.term, inner)
        yield from _body_exprs(e.body, inner)
