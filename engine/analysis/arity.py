"""Analysis pass: arities and declared types.

Without a `.decl`, a predicate's arity is fixed by its first use and every
other use must agree (E301). With one, constants are checked against the
declared types (E302), and so are variables used at columns of two
incompatible types within one rule. Fact runs are checked a table at a time
(one arity, and the set of value types of each column); only the facts with
a mistake are built as nodes, to report each as lark's nodes would.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .. import nodes as n
from ..column_types import TYPES, column_ok, compatible, type_ok
from ..errors import Diagnostic, Span, error
from ..syntax.habits import lowercase_variables_help
from ..values import Value, kind_of
from .collect import Collected
from .walk import body_atoms


def _kind_name(value: Value) -> str:
    return {"int": "an integer", "dec": "a decimal", "sym": "a symbol", "str": "a string"}[kind_of(value)]


def _at(span: Span) -> str:
    """` at file:line:col`, or nothing for a place that is not known."""
    return f" at {span}" if span.line > 0 else ""


class _Arities:
    """Each predicate's arity and the place it was fixed (a declaration or its first use), with E301/E304."""

    def __init__(self, c: Collected, known: Mapping[str, tuple[int, Span]] | None) -> None:
        self.decls = c.decls
        self.diags: list[Diagnostic] = []
        self.arity: dict[str, int] = {p: k for p, (k, _span) in (known or {}).items()}
        # where each predicate's arity was fixed: a span, or how to find it in a fact run
        self.first: dict[str, Span | Callable[[], Span]] = {p: span for p, (_k, span) in (known or {}).items()}
        for d in c.decls.values():
            self.arity[d.pred] = len(d.params)
            self.first[d.pred] = d.span
            for p in d.params:
                if p.type not in TYPES:
                    self.diags.append(
                        error("E304", f"unknown type `{p.type}`", p.span, help="the types are " + ", ".join(TYPES))
                    )

    def place(self, pred: str) -> Span:
        at = self.first[pred]
        if not isinstance(at, Span):
            at = self.first[pred] = at()
        return at

    def use(self, atom: n.Atom) -> None:
        arity = self.arity
        k = len(atom.args)
        if atom.pred not in arity:
            arity[atom.pred] = k
            self.first[atom.pred] = atom.span
            return
        if arity[atom.pred] != k:
            declared = atom.pred in self.decls
            where = "declared" if declared else "first used"
            self.diags.append(
                error(
                    "E301",
                    f"`{atom.pred}` takes {arity[atom.pred]} argument{'s' * (arity[atom.pred] != 1)}, "
                    f"here it has {k}",
                    atom.span,
                    help=f"`{atom.pred}` is {where} with {arity[atom.pred]}{_at(self.place(atom.pred))}",
                )
            )

    def use_table(self, run: n.FactRun, table: n.FactTable) -> None:
        if table.pred not in self.arity:
            self.arity[table.pred] = table.arity
            self.first[table.pred] = lambda: run.fact_of(table, 0).head.span
        elif self.arity[table.pred] != table.arity:
            for rule in run.facts_of(table):
                self.use(rule.head)


def _undeclared_io(c: Collected) -> list[Diagnostic]:
    """E701: an `.input` or `.output` of a predicate with no `.decl`."""
    return [
        error(
            "E701",
            f"`.{io.kind} {io.pred}` needs a `.decl` of `{io.pred}`",
            io.span,
            help="the declaration gives the columns' types for reading and writing",
        )
        for io in c.io if io.pred not in c.decls
    ]


def check_arity(c: Collected, known: Mapping[str, tuple[int, Span]] | None = None
                ) -> tuple[dict[str, int], dict[str, Span], list[Diagnostic]]:
    """Arities, the place each predicate is declared or first used, and E301/E302/E304/E701.

    `known` seeds arities and places from a checked program (for a goal typed later).
    """
    a = _Arities(c, known)
    for r in c.in_order():
        if isinstance(r, n.FactRun):
            for table in r.tables:
                a.use_table(r, table)
            continue
        a.use(r.head)
        for atom, _neg in body_atoms(r.body):
            a.use(atom)
    for goal in c.goal_bodies():
        for atom, _neg in body_atoms(goal):
            a.use(atom)
    diags = a.diags + _undeclared_io(c)
    diags.extend(_check_types(c, a.arity))
    return a.arity, {p: a.place(p) for p in a.first}, diags


def _check_types(c: Collected, arity: dict[str, int]) -> list[Diagnostic]:
    diags: list[Diagnostic] = []

    def check_atoms(atoms: list[n.Atom], in_rule: bool, constants: bool = True) -> None:
        seen: dict[str, tuple[str, Span, str]] = {}
        symbols: list[tuple[n.Atom, n.Param, n.Const, n.Decl]] = []  # symbols at columns that take none
        for atom in atoms:
            decl = c.decls.get(atom.pred)
            if decl is None or len(decl.params) != len(atom.args):
                continue
            for param, arg in zip(decl.params, atom.args):
                if isinstance(arg, n.Const):
                    if not constants or type_ok(param.type, arg.value):
                        continue
                    if in_rule and isinstance(arg.value, str):
                        symbols.append((atom, param, arg, decl))
                    else:
                        diags.append(_wrong_constant(atom, param, arg, decl))
                elif isinstance(arg, n.Var) and not arg.anonymous:
                    prev = seen.get(arg.name)
                    if prev is None:
                        seen[arg.name] = (param.type, arg.span, f"{atom.pred}.{param.name}")
                    elif not compatible(prev[0], param.type):
                        diags.append(
                            error(
                                "E302",
                                f"`{arg.name}` is {param.type} here ({atom.pred}.{param.name}) but "
                                f"{prev[0]} at {prev[1]} ({prev[2]})",
                                arg.span,
                                help="a variable holds one kind of value",
                            )
                        )
        if symbols:
            diags.append(_lowercase_variables(symbols))

    for r in c.rules:
        check_atoms([r.head] + [a for a, neg in body_atoms(r.body) if not neg], bool(r.body))
    for body in c.goal_bodies():  # a variable in columns of two kinds, as in a rule; a constant of
        # another kind is no error in a goal (it has no answers)
        check_atoms([a for a, neg in body_atoms(body) if not neg], False, constants=False)
    for _at, run in c.runs:
        for table in run.tables:
            decl = c.decls.get(table.pred)
            if decl is None or len(decl.params) != table.arity:
                continue
            bad = {k for p, column in zip(decl.params, table.columns) if not column_ok(p.type, column)
                   for k, v in enumerate(column) if not type_ok(p.type, v)}
            for k in sorted(bad):  # only the facts with a mistake are built
                check_atoms([run.fact_of(table, k).head], False)
    return diags


def _wrong_constant(atom: n.Atom, param: n.Param, arg: n.Const, decl: n.Decl) -> Diagnostic:
    return error("E302", f"`{atom.pred}` expects {param.type} for `{param.name}`, got {_kind_name(arg.value)}",
                 arg.span, help=f"declared at {decl.span}")


def _lowercase_variables(symbols: list[tuple[n.Atom, n.Param, n.Const, n.Decl]]) -> Diagnostic:
    """One E302 for the symbols of a rule where its declarations take none: most often variables
    written in lowercase, as Soufflé writes them, so one error with that hint, not one a symbol."""
    atom, param, arg, decl = symbols[0]
    names = list(dict.fromkeys(str(s[2].value) for s in symbols))
    more = len(symbols) - 1
    also = f", as at {more} more place{'s' * (more != 1)} in this rule" if more else ""
    return error(
        "E302",
        f"`{atom.pred}` expects {param.type} for `{param.name}`, got the symbol `{arg.value}`{also}",
        arg.span,
        help=f"{lowercase_variables_help(names)} (`{atom.pred}` is declared at {decl.span})",
    )
