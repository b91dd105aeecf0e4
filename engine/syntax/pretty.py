"""AST back to canonical text. `parse(pretty(m)) == m` for every module."""

from __future__ import annotations

from decimal import Decimal

from .. import nodes as n
from ..values import String, quote

_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "%": 2}


def value(v: object) -> str:
    if isinstance(v, String):
        return quote(v.text)
    if isinstance(v, Decimal):
        s = format(v, "f")
        return s if "." in s else s + ".0"
    return str(v)


def expr(e: n.Expr, prec: int = 0) -> str:
    if isinstance(e, n.Var):
        return e.name
    if isinstance(e, n.Const):
        text = value(e.value)
        return f"({text})" if prec > 0 and text.startswith("-") else text
    if isinstance(e, n.Neg):
        return f"-{expr(e.operand, 3)}"
    if isinstance(e, n.BinOp):
        p = _PREC[e.op]
        left = expr(e.left, p)
        right = expr(e.right, p + 1)
        text = f"{left}{e.op}{right}" if e.op == "%" else f"{left} {e.op} {right}"
        return f"({text})" if p < prec else text
    term = expr(e.term) + " " if e.term is not None else ""
    return f"{e.func} {{ {term}: {body(e.body)} }}"


def atom(a: n.Atom) -> str:
    if not a.args:
        return a.pred
    return f"{a.pred}({', '.join(expr(x) for x in a.args)})"


def literal(lit: n.Literal) -> str:
    if isinstance(lit, n.Atom):
        return atom(lit)
    if isinstance(lit, n.Negation):
        return f"not {atom(lit.atom)}"
    return f"{expr(lit.left)} {lit.op} {expr(lit.right)}"


def body(lits: tuple[n.Literal, ...]) -> str:
    return ", ".join(literal(x) for x in lits)


def rule(r: n.Rule) -> str:
    if r.body:
        return f"{atom(r.head)} :- {body(r.body)}."
    return f"{atom(r.head)}."


def citation(c: n.Citation) -> str:
    extra = f", originator: {value(c.originator)}" if c.originator is not None else ""
    return f"@cite({c.source}, line: {c.line}, credibility: {c.credibility}{extra})"


def fields(fs: tuple[n.Field, ...]) -> str:
    return ", ".join(f"{f.key}: {value(f.value)}" for f in fs)


def statement(s: n.Statement) -> str:
    if isinstance(s, n.Rule):
        prefix = "".join(citation(c) + "\n" for c in s.cites)
        return prefix + rule(s)
    if isinstance(s, n.CiteBlock):
        head = "\n".join(citation(c) for c in s.cites)
        inner = "".join(f"    {rule(r)}\n" for r in s.clauses)
        return f"{head} {{\n{inner}}}"
    if isinstance(s, n.Decl):
        params = ", ".join(f"{p.name}: {p.type}" for p in s.params)
        doc = f" {quote(s.doc)}" if s.doc is not None else ""
        return f".decl {s.pred}({params}){doc}"
    if isinstance(s, n.Include):
        return f".include {quote(s.path)}"
    if isinstance(s, n.Query):
        return f"?- {body(s.body)}."
    if isinstance(s, n.Expect) and s.violated is not None:
        return f"expect {'not ' if s.negated else ''}violated {quote(s.violated)}."
    if isinstance(s, n.Expect):
        graded = f" grade {s.grade.op} {s.grade.grade}" if s.grade is not None else ""
        return f"expect {'not ' if s.negated else ''}{body(s.body)}{graded}."
    if isinstance(s, n.Constraint):
        message = f"{quote(s.message)}: " if s.message is not None else ""
        return f":- {message}{body(s.body)}."
    if isinstance(s, n.Source):
        return f".source {s.id} {{ {fields(s.fields)} }}"
    return f".{s.kind} {s.pred} {{ {fields(s.fields)} }}"


def pretty(module: n.Module) -> str:
    """Canonical text of a module, one statement a line.

    >>> from engine.syntax import parse
    >>> pretty(parse("p(X):-q(X , 1)."))
    'p(X) :- q(X, 1).\\n'
    """
    return "".join(statement(s) + "\n" for s in module.statements)
