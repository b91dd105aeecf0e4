"""Analysis pass: flatten modules into one statement list per kind.

Cite blocks become facts that carry their citations; duplicate declarations,
duplicate sources, and cited rules are reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import nodes as n
from ..errors import Diagnostic, error


@dataclass
class Collected:
    rules: list[n.Rule] = field(default_factory=list)  # facts included (empty body)
    decls: dict[str, n.Decl] = field(default_factory=dict)
    sources: dict[str, n.Source] = field(default_factory=dict)
    queries: list[n.Query] = field(default_factory=list)
    expects: list[n.Expect] = field(default_factory=list)
    io: list[n.IODirective] = field(default_factory=list)


def collect(modules: list[n.Module]) -> tuple[Collected, list[Diagnostic]]:
    out = Collected()
    diags: list[Diagnostic] = []

    def add_rule(rule: n.Rule) -> None:
        if rule.cites and rule.body:
            diags.append(
                error(
                    "E410",
                    "only facts can be cited; this is a rule",
                    rule.span,
                    help="rules take their evidence from the facts they use",
                )
            )
            return
        out.rules.append(rule)

    for module in modules:
        for stmt in module.statements:
            if isinstance(stmt, n.Rule):
                add_rule(stmt)
            elif isinstance(stmt, n.CiteBlock):
                for clause in stmt.clauses:
                    add_rule(n.Rule(clause.head, clause.body, stmt.cites + clause.cites, clause.span))
            elif isinstance(stmt, n.Decl):
                prev = out.decls.get(stmt.pred)
                if prev is not None:
                    diags.append(
                        error(
                            "E303",
                            f"`{stmt.pred}` is declared twice",
                            stmt.span,
                            help=f"the first declaration is at {prev.span}",
                        )
                    )
                else:
                    out.decls[stmt.pred] = stmt
            elif isinstance(stmt, n.Source):
                prev_src = out.sources.get(stmt.id)
                if prev_src is not None:
                    diags.append(
                        error(
                            "E405",
                            f"source `{stmt.id}` is declared twice",
                            stmt.span,
                            help=f"the first declaration is at {prev_src.span}",
                        )
                    )
                else:
                    out.sources[stmt.id] = stmt
            elif isinstance(stmt, n.Query):
                out.queries.append(stmt)
            elif isinstance(stmt, n.Expect):
                out.expects.append(stmt)
            elif isinstance(stmt, n.IODirective):
                out.io.append(stmt)
    return out, diags
