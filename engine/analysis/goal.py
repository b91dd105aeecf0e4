"""Analysis of a goal typed after the program was checked (`syllog query`, `why`, the REPL's `?-`).

Input: a checked `Program` and a goal's body. `check_goal` raises
`SyllogError` for what the body would be refused for in a file (arity against
the program's predicates, with the place each is declared or first used;
types; safety) and returns the warnings a file would get: W102 for a
predicate that no fact, rule or `.input` defines, naming the closest defined
one, since in a typed goal that is most often a typo (its answer is empty).
"""

from __future__ import annotations

from .. import nodes as n
from ..errors import NO_SPAN, Diagnostic, SourceMap, SyllogError
from .arity import check_arity
from .collect import Collected
from .lint import undefined
from .program import Program
from .safety import check_safety
from .walk import body_atoms


def defined_predicates(program: Program) -> set[str]:
    """The predicates a fact, a rule or an `.input` gives tuples to."""
    return ({r.head.pred for r in program.rules} | {f.pred for f in program.facts}
            | {io.pred for io in program.io if io.kind == "input"})


def check_goal(program: Program, body: tuple[n.Literal, ...], sources: SourceMap) -> list[Diagnostic]:
    """Raise for an ill-formed goal; return its warnings (W102 for an undefined predicate)."""
    c = Collected()
    c.decls = dict(program.decls)
    query = n.Query(body)
    c.queries = [query]
    known = {p: (k, program.first_use.get(p, NO_SPAN)) for p, k in program.arity.items()}
    _arity, _first, diags = check_arity(c, known)
    diags += check_safety([], [query], [])
    errors = [d for d in diags if d.is_error]
    if errors:
        raise SyllogError(errors, sources)
    defined = defined_predicates(program)
    warnings: dict[str, Diagnostic] = {}
    for atom, _neg in body_atoms(body):
        if atom.pred not in defined and atom.pred not in warnings:
            warnings[atom.pred] = undefined(atom, defined, atom.pred in program.decls)
    return list(warnings.values())
