"""Analysis pass: flatten modules into one statement list per kind.

Cite blocks become facts that carry their citations; duplicate declarations,
duplicate sources, and cited rules are reported. Fact runs read in bulk stay
runs (`runs`), each with its place among the rules, so that passes that care
about program order (`in_order`) see them where they were written.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .. import nodes as n
from ..errors import Diagnostic, error


@dataclass
class Collected:
    rules: list[n.Rule] = field(default_factory=list)  # facts included (empty body)
    decls: dict[str, n.Decl] = field(default_factory=dict)
    sources: dict[str, n.Source] = field(default_factory=dict)
    queries: list[n.Query] = field(default_factory=list)
    expects: list[n.Expect] = field(default_factory=list)
    constraints: list[n.Constraint] = field(default_factory=list)
    io: list[n.IODirective] = field(default_factory=list)
    runs: list[tuple[int, n.FactRun]] = field(default_factory=list)  # (rules written before it, the run)
    # each citation once (a block's once, not once per fact), but those only rules stand under (E410)
    citations: list[n.Citation] = field(default_factory=list)

    def in_order(self) -> Iterator[n.Rule | n.FactRun]:
        """Rules (facts included) and fact runs in program order."""
        k = 0
        for at, run in self.runs:
            yield from self.rules[k:at]
            k = at
            yield run
        yield from self.rules[k:]

    def goal_bodies(self) -> list[tuple[n.Literal, ...]]:
        """The bodies with no head: queries, expectations and constraints, checked as rule bodies are."""
        return [q.body for q in self.queries] + [e.body for e in self.expects] + [k.body for k in self.constraints]


def collect(modules: list[n.Module]) -> tuple[Collected, list[Diagnostic]]:
    """Every statement of the modules sorted by kind, in program order; E410, E303, E405 and E306."""
    c = Collector()
    for module in modules:
        for stmt in module.parts:
            c.add(stmt)
    c.diags += _check_constraint_names(c.out)
    return c.out, c.diags


class Collector:
    """Statements into a `Collected`, one at a time, with what is wrong with them."""

    def __init__(self) -> None:
        self.out = Collected()
        self.diags: list[Diagnostic] = []

    def add(self, stmt: object) -> None:
        out = self.out
        if isinstance(stmt, n.FactRun):
            out.runs.append((len(out.rules), stmt))
            out.citations.extend(stmt.cites)
        elif isinstance(stmt, n.Rule):
            if self.rule(stmt):
                out.citations.extend(stmt.cites)
        elif isinstance(stmt, n.CiteBlock):
            added = [self.rule(n.Rule(c.head, c.body, stmt.cites + c.cites, c.span)) for c in stmt.clauses]
            if any(added) or not stmt.clauses:
                out.citations.extend(stmt.cites)
        elif isinstance(stmt, n.Decl):
            self.once(out.decls, stmt.pred, stmt, "E303", f"`{stmt.pred}` is declared twice")
        elif isinstance(stmt, n.Source):
            self.once(out.sources, stmt.id, stmt, "E405", f"source `{stmt.id}` is declared twice")
        elif isinstance(stmt, n.Query):
            out.queries.append(stmt)
        elif isinstance(stmt, n.Expect):
            out.expects.append(stmt)
        elif isinstance(stmt, n.Constraint):
            out.constraints.append(stmt)
        elif isinstance(stmt, n.IODirective):
            out.io.append(stmt)

    def rule(self, rule: n.Rule) -> bool:
        """Keep a rule or fact; E410 (and False) for a cited rule."""
        if rule.cites and rule.body:
            self.diags.append(error("E410", "only facts can be cited; this is a rule", rule.span,
                                    help="rules take their evidence from the facts they use"))
            return False
        self.out.rules.append(rule)
        return True

    def once(self, table: dict[str, Any], key: str, stmt: Any, code: str, message: str) -> None:
        """Keep the first declaration of `key`; `code` at any later one."""
        prev = table.get(key)
        if prev is not None:
            self.diags.append(error(code, message, stmt.span, help=f"the first declaration is at {prev.span}"))
        else:
            table[key] = stmt


def _check_constraint_names(c: Collected) -> list[Diagnostic]:
    """`expect violated "m".` names the one constraint whose message is m."""
    diags: list[Diagnostic] = []
    by_message: dict[str, n.Constraint] = {}
    for k in c.constraints:
        if k.message is None:
            continue
        prev = by_message.setdefault(k.message, k)
        if prev is not k:
            diags.append(error("E306", "two constraints have this message", k.span,
                               help=f"the first is at {prev.span}; `expect violated` names a constraint by it"))
    for e in c.expects:
        if e.violated is not None and e.violated not in by_message:
            known = ", ".join(f'"{m}"' for m in sorted(by_message)) or "none"
            diags.append(error("E305", f'no constraint has the message "{e.violated}"', e.span,
                               help=f"constraints with a message: {known}"))
    return diags
