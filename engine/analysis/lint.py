"""Analysis pass: warnings that do not stop evaluation.

W101 a named variable that occurs once in a rule; W102 a predicate used but
never defined (no fact, rule or `.input`); W103 a rule that can never fire,
because a positive premise is never defined, a comparison of constants is
false, or, in a rule without variables, a ground premise given by facts alone
is no fact (Soufflé's lowercase variables, `path(x, y) :- edge(x, y).`, read
as symbols: the help says so).
"""

from __future__ import annotations

from .. import nodes as n
from ..errors import Diagnostic, warning
from ..syntax.habits import lowercase_variables_help
from ..syntax.pretty import atom as atom_text
from ..values import ArithmeticFault, compare
from .collect import Collected
from .program import Facts
from .walk import body_atoms


def _rule_var_occurrences(rule: n.Rule) -> dict[str, list[n.Var]]:
    occ: dict[str, list[n.Var]] = {}
    for a in rule.head.args:
        for v in n.expr_vars(a):
            occ.setdefault(v.name, []).append(v)
    for lit in rule.body:
        for v in n.literal_vars(lit):
            occ.setdefault(v.name, []).append(v)
    return occ


def undefined(atom: n.Atom, defined: set[str], declared: bool) -> Diagnostic:
    """W102 at an atom whose predicate nothing defines, naming the closest defined one (a likely typo)."""
    import difflib  # for a hint only: not imported by a clean program's check

    near = difflib.get_close_matches(atom.pred, sorted(defined), n=1, cutoff=0.75)
    always = " (it is declared, so it is always empty)" if declared else ""
    return warning(
        "W102",
        f"`{atom.pred}` is used but never defined by a fact, a rule or `.input`{always}",
        atom.span,
        help=f"did you mean `{near[0]}`?" if near else "check the spelling, or add its facts",
    )


def _no_such_fact(rule: n.Rule, facts: Facts, derived: set[str]) -> Diagnostic | None:
    """W103 for a rule without variables whose ground premise, of a predicate only facts give, is no fact."""
    if any(n.literal_vars(lit) for lit in rule.body) or any(n.expr_vars(a) for a in rule.head.args):
        return None
    for lit in rule.body:
        if not isinstance(lit, n.Atom) or lit.pred in derived:
            continue
        if not all(isinstance(a, n.Const) for a in lit.args):
            continue
        row = tuple(a.value for a in lit.args if isinstance(a, n.Const))
        if facts.statements_of(lit.pred, row):
            continue
        symbols = [str(a.value) for a in lit.args if isinstance(a, n.Const) and isinstance(a.value, str)]
        hint = lowercase_variables_help(list(dict.fromkeys(symbols))) if symbols else None
        return warning("W103", f"this rule can never fire: there is no fact `{atom_text(lit)}`", lit.span, help=hint)
    return None


def lint(c: Collected, facts: Facts) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    # what rules or `.input` give tuples to, and what anything (facts too) does
    derived = {r.head.pred for r in c.rules if r.body} | {io.pred for io in c.io if io.kind == "input"}
    defined = derived | {r.head.pred for r in c.rules} | {t.pred for _at, run in c.runs for t in run.tables}
    for r in c.rules:
        if not r.body:
            continue
        occurrences = _rule_var_occurrences(r)
        once = [name for name, vs in occurrences.items() if len(vs) == 1 and not name.startswith("_")]
        for name in once:
            # a misspelt variable leaves two of them alone: name the other
            import difflib  # for a hint only: not imported by a clean program's check

            near = difflib.get_close_matches(name, [o for o in once if o != name], n=1, cutoff=0.6)
            diags.append(
                warning(
                    "W101",
                    f"variable `{name}` occurs only once in this rule",
                    occurrences[name][0].span,
                    help=(f"did you mean `{near[0]}` (also only once here)?" if near
                          else f"write `_` (or `_{name}`) if any value will do"),
                )
            )
    warned: set[str] = set()
    bodies: list[tuple[n.Literal, ...]] = [r.body for r in c.rules] + c.goal_bodies()
    for body in bodies:
        for atom, _neg in body_atoms(body):
            if atom.pred not in defined and atom.pred not in warned:
                warned.add(atom.pred)
                diags.append(undefined(atom, defined, atom.pred in c.decls))
    for r in c.rules:
        for lit in r.body:
            if isinstance(lit, n.Atom) and lit.pred not in defined:
                diags.append(
                    warning("W103", f"this rule can never fire: `{lit.pred}` has no facts or rules", r.head.span)
                )
                break
            if isinstance(lit, n.Comparison) and isinstance(lit.left, n.Const) and isinstance(lit.right, n.Const):
                try:
                    holds = compare(lit.op, lit.left.value, lit.right.value)
                except ArithmeticFault:
                    holds = False
                if not holds:
                    diags.append(warning("W103", "this rule can never fire: the comparison is always false", lit.span))
                    break
        else:
            unmatched = _no_such_fact(r, facts, derived) if r.body else None
            if unmatched is not None:
                diags.append(unmatched)
    return diags
