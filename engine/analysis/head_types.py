"""Analysis: the declared head columns a rule may fill with values of another type (checked at run time, E604).

Input: a checked program (its rules and declarations). Output: a `HeadCheck`
for every head argument of a rule whose values may be of its column's
declared type or of another: a variable taken from an `any` column into an
`int` one, `M = V / 2` or `avg` into an `int` column (a decimal when it does
not divide evenly), a number from an `any` column into a `symbol` one. The
static pass (engine.analysis.arithmetic) already refuses an argument whose
kinds the column excludes entirely (E302); what may go either way is left to
the data, so the evaluators check it: after each stratum, every tuple a
checked rule's predicate holds is looked at in the checked column (in memory,
`Evaluator.check_head_types`; on the SQL backends one query a check), and a
value of another kind stops evaluation with E604 at the rule's argument. So
a declared column holds values of its type only, which the rest relies on
(E302 "such a rule could never match", the SQL columns' encodings, a reader
of the output). A program with no such rule (most are) pays nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .. import nodes as n
from ..column_types import declared_kinds
from ..errors import SyllogError, error
from ..kinds import QUO, Kinds, expr_kinds
from ..values import KIND_WORDS, Value, kind_of, show
from .arithmetic import Typing, body_typing
from .flow import column_kinds
from .program import Program


@dataclass(frozen=True)
class HeadCheck:
    """Rule `rule_index` may put, at column `column` of `pred` (declared `param` of `declared`: `pred` itself,
    or the predicate an adorned copy stands for, engine.demand), values of kinds `allowed` lacks (those of
    `may` that it does not hold); `computed`: the value is computed (arithmetic, `=`, an aggregate), not
    taken from a premise's column."""

    rule_index: int
    pred: str
    column: int
    declared: str
    param: n.Param
    allowed: Kinds
    may: Kinds
    arg: n.Expr
    computed: bool


def head_checks(program: Program) -> list[HeadCheck]:
    """The head arguments whose declared column's type the data may break, rule by rule, in program order."""
    checks: list[HeadCheck] = []
    for index, rule in enumerate(program.rules):
        decl = program.decls.get(rule.head.pred)
        if decl is None or len(decl.params) != len(rule.head.args) or not rule.body:
            continue
        typing = None
        from_atoms = {v.name for lit in rule.body if isinstance(lit, n.Atom) for v in n.literal_vars(lit)}
        for col, (arg, param) in enumerate(zip(rule.head.args, decl.params)):
            if param.type == "any" or isinstance(arg, n.Const) or (isinstance(arg, n.Var) and arg.anonymous):
                continue  # constants are checked with the declarations (engine.analysis.arity)
            if typing is None:
                typing = with_equal_decimals(program.decls, rule.body, body_typing(program.decls, rule.body, {}, {})[0])
            may = expr_kinds(arg, typing) - {QUO}
            allowed = declared_kinds(param.type)
            if may - allowed and may & allowed:
                computed = not (isinstance(arg, n.Var) and arg.name in from_atoms)
                checks.append(HeadCheck(index, rule.head.pred, col, decl.pred, param, allowed, may, arg, computed))
    return checks


def checks_by_column(program: Program) -> dict[tuple[str, int], list[HeadCheck]]:
    """The head checks grouped by the column they check, in (predicate, column) order (the order the
    evaluators report in)."""
    out: dict[tuple[str, int], list[HeadCheck]] = {}
    for check in head_checks(program):
        out.setdefault((check.pred, check.column), []).append(check)
    return dict(sorted(out.items()))


def with_equal_decimals(decls: dict[str, n.Decl], body: tuple[n.Literal, ...], typing: Typing) -> Typing:
    """The kinds a variable's value may be of, where the declarations narrow it to integers: a decimal too when
    one of its atoms' columns may hold decimals, since an integral one (50.0) equals an integer (50) and a join
    lets it through as it is (`h(X) :- r(X), t(X)` with `r` of `any` and `t` of `int`)."""
    out = dict(typing)
    for lit in body:
        if not isinstance(lit, n.Atom):
            continue
        for i, a in enumerate(lit.args):
            if isinstance(a, n.Var) and not a.anonymous and "int" in out.get(a.name, frozenset()) \
                    and "dec" in column_kinds(decls, lit.pred, i)[0]:
                out[a.name] = out[a.name] | {"dec"}
    return out


def outside(check: HeadCheck, value: Value) -> bool:
    """Is this value of a kind the checked column does not hold?"""
    return kind_of(value) not in check.allowed


def integral(value: Value) -> int | None:
    """The integer an integral decimal (50.0) equals; None for any other value."""
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return None


def as_integer(check: HeadCheck, value: Value) -> int | None:
    """The integer an integral decimal (50.0) of an `int` column stands for (it equals it); None otherwise."""
    return integral(value) if "int" in check.allowed else None


def head_type_error(program: Program, checks: list[HeadCheck], value: Value) -> SyllogError:
    """E604 at the argument of the first of these checks (of one column) whose rule can give the value's kind."""
    kind = kind_of(value)
    check = next((c for c in checks if kind in c.may), checks[0])
    pred, param = check.declared, check.param
    what = "a decimal" if kind == "dec" else "an integer" if kind == "int" else f"a {KIND_WORDS[kind]}"
    source = "or compute a value of that type" if check.computed else \
        f"or declare the columns this value comes from as `{param.type}`"
    return SyllogError([error(
        "E604", f"this rule derived `{show(value)}` ({what}) for `{pred}`'s `{param.name}: {param.type}`",
        check.arg.span,
        help=f"a declared column holds values of its type only: declare `{param.name}` as "
             f"{_wider(param.type, kind)}, {source}")],
        program.text)


def _wider(typ: str, kind: str) -> str:
    """The types that would hold both the declared type's values and a value of `kind`."""
    if typ == "int" and kind == "dec":
        return "`number` (or `any`)"
    return "`any`"
