"""The kinds of value an expression can take: integers, decimals, symbols, strings.

One algebra for every stage that reasons about kinds without evaluating:
the analysis pass that refuses arithmetic on what the declarations make a
symbol or a string (engine.analysis.arithmetic), and the SQL backends,
which choose each column's representation from the kinds it can hold
(engine.backends.encoding). A set of kinds over-approximates: the value is
of one of them.

    >>> sorted(arith_kinds("/", frozenset({"int"}), frozenset({"int"})))
    ['dec', 'int', 'quo']
"""

from __future__ import annotations

from collections.abc import Mapping

from . import nodes as n
from .values import kind_of

Kinds = frozenset[str]  # subsets of {"int", "dec", "quo", "sym", "str"}
NUMBERS: Kinds = frozenset({"int", "dec"})
# with "dec": a decimal that may have more digits after the point than its operands (a quotient, a product
# of decimals): the SQL backends keep those digits apart (engine.backends.encoding)
QUO = "quo"
ALL: Kinds = frozenset({"int", "dec", QUO, "sym", "str"})  # anything (so that a computed kind narrows it)


def arith_kinds(op: str, a: Kinds, b: Kinds) -> Kinds:
    na, nb = a & NUMBERS, b & NUMBERS
    if not na or not nb:
        return frozenset()
    both_int = "int" in na and "int" in nb
    any_dec = "dec" in na or "dec" in nb
    if op == "%":
        return frozenset({"int"}) if both_int else frozenset()
    out: set[str] = set()
    if both_int:
        out.add("int")
        if op == "/":
            out.add("dec")
    if any_dec:
        out.add("dec")
    if "dec" in out and (op == "/" or QUO in a | b or (op == "*" and "dec" in na and "dec" in nb)):
        out.add(QUO)
    return frozenset(out)


def agg_kinds(func: str, term: Kinds) -> Kinds:
    if func == "count":
        return frozenset({"int"})
    if func == "sum":
        return frozenset({"int"} | ({"dec"} if "dec" in term else set()) | ({QUO} if QUO in term else set()))
    if func == "avg":  # the sum divided by the count: a decimal, even of integers, unless it divides evenly
        return arith_kinds("/", agg_kinds("sum", term), frozenset({"int"}))
    return term


def expr_kinds(e: n.Expr, var: Mapping[str, Kinds]) -> Kinds:
    if isinstance(e, n.Var):
        return var.get(e.name, frozenset())
    if isinstance(e, n.Const):
        return frozenset({kind_of(e.value)})
    if isinstance(e, n.Neg):
        return expr_kinds(e.operand, var) & (NUMBERS | {QUO})
    if isinstance(e, n.BinOp):
        return arith_kinds(e.op, expr_kinds(e.left, var), expr_kinds(e.right, var))
    return frozenset()
