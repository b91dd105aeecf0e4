"""Analysis pass: arities and declared types.

Without a `.decl`, a predicate's arity is fixed by its first use and every
other use must agree (E301). With one, constants are checked against the
declared types (E302), and so are variables used at columns of two
incompatible types within one rule.
"""

from __future__ import annotations

from collections.abc import Mapping

from .. import nodes as n
from ..errors import Diagnostic, Span, error
from ..values import String
from .collect import Collected
from .walk import body_atoms

TYPES = ("symbol", "string", "int", "number", "any")


def type_ok(t: str, value: object) -> bool:
    if t == "any":
        return True
    if t == "symbol":
        return isinstance(value, str)
    if t == "string":
        return isinstance(value, String)
    if t == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if t == "number":
        from decimal import Decimal

        return isinstance(value, (int, Decimal)) and not isinstance(value, bool)
    return True


def _compatible(a: str, b: str) -> bool:
    if "any" in (a, b) or a == b:
        return True
    return {a, b} == {"int", "number"}


def _kind_name(value: object) -> str:
    from ..values import kind

    k = kind(value)
    if k == "number":
        return "an integer" if isinstance(value, int) else "a decimal"
    return {"symbol": "a symbol", "string": "a string"}.get(k, k)


def _at(span: Span) -> str:
    """` at file:line:col`, or nothing for a place that is not known."""
    return f" at {span}" if span.line > 0 else ""


def check_arity(c: Collected, known: Mapping[str, tuple[int, Span]] | None = None
                ) -> tuple[dict[str, int], dict[str, Span], list[Diagnostic]]:
    """Arities, the place each predicate is declared or first used, and E301/E302/E304/E701.

    `known` seeds arities and places from a checked program (for a goal typed later).
    """
    diags: list[Diagnostic] = []
    arity: dict[str, int] = {p: k for p, (k, _span) in (known or {}).items()}
    first: dict[str, Span] = {p: span for p, (_k, span) in (known or {}).items()}
    for d in c.decls.values():
        arity[d.pred] = len(d.params)
        first[d.pred] = d.span
        for p in d.params:
            if p.type not in TYPES:
                diags.append(
                    error("E304", f"unknown type `{p.type}`", p.span, help="the types are " + ", ".join(TYPES))
                )

    def use(atom: n.Atom) -> None:
        k = len(atom.args)
        if atom.pred not in arity:
            arity[atom.pred] = k
            first[atom.pred] = atom.span
            return
        if arity[atom.pred] != k:
            declared = atom.pred in c.decls
            where = "declared" if declared else "first used"
            diags.append(
                error(
                    "E301",
                    f"`{atom.pred}` takes {arity[atom.pred]} argument{'s' * (arity[atom.pred] != 1)}, "
                    f"here it has {k}",
                    atom.span,
                    help=f"`{atom.pred}` is {where} with {arity[atom.pred]}{_at(first[atom.pred])}",
                )
            )

    for r in c.rules:
        use(r.head)
        for a, _neg in body_atoms(r.body):
            use(a)
    for goal in c.goal_bodies():
        for a, _neg in body_atoms(goal):
            use(a)
    for io in c.io:
        if io.pred not in c.decls:
            diags.append(
                error(
                    "E701",
                    f"`.{io.kind} {io.pred}` needs a `.decl` of `{io.pred}`",
                    io.span,
                    help="the declaration gives the columns' types for reading and writing",
                )
            )
    diags.extend(_check_types(c, arity))
    return arity, first, diags


def _check_types(c: Collected, arity: dict[str, int]) -> list[Diagnostic]:
    diags: list[Diagnostic] = []

    def check_atoms(atoms: list[n.Atom]) -> None:
        seen: dict[str, tuple[str, Span, str]] = {}
        for atom in atoms:
            decl = c.decls.get(atom.pred)
            if decl is None or len(decl.params) != len(atom.args):
                continue
            for param, arg in zip(decl.params, atom.args):
                if isinstance(arg, n.Const):
                    if not type_ok(param.type, arg.value):
                        diags.append(
                            error(
                                "E302",
                                f"`{atom.pred}` expects {param.type} for `{param.name}`, got {_kind_name(arg.value)}",
                                arg.span,
                                help=f"declared at {decl.span}",
                            )
                        )
                elif isinstance(arg, n.Var) and not arg.anonymous:
                    prev = seen.get(arg.name)
                    if prev is None:
                        seen[arg.name] = (param.type, arg.span, f"{atom.pred}.{param.name}")
                    elif not _compatible(prev[0], param.type):
                        diags.append(
                            error(
                                "E302",
                                f"`{arg.name}` is {param.type} here ({atom.pred}.{param.name}) but "
                                f"{prev[0]} at {prev[1]} ({prev[2]})",
                                arg.span,
                                help="a variable holds one kind of value",
                            )
                        )

    for r in c.rules:
        check_atoms([r.head] + [a for a, neg in body_atoms(r.body) if not neg])
    return diags
