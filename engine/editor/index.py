"""Editor support, navigation: every name written in a program, with its place and role.

Input: parsed modules (an `Analysis`'s). Output: an `NameIndex` of `Occurrence`s,
one per predicate, source id, variable and included file as written, each
with the span of the name itself and its role (declared, defined, used), and
the clauses by place. It answers what stands at a position, where that is
defined and used, and a file's outline (`Symbol`s). Spans are the parser's:
1-based lines and columns in code points.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, assert_never

from .. import nodes as n
from ..analysis.walk import body_atoms
from ..errors import Span
from ..loader import file_of
from ..syntax.pretty import body as body_text
from ..syntax.pretty import rule as rule_text
from ..syntax.pretty import statement as statement_text
from ..values import String

Kind = Literal["predicate", "source", "variable", "include"]
Role = Literal["declaration", "definition", "use"]


@dataclass(frozen=True)
class Occurrence:
    """A name as written: `scope` is the span of the clause a variable belongs to."""

    kind: Kind
    name: str
    span: Span
    role: Role
    scope: Span | None = None


@dataclass
class Symbol:
    """An entry of a file's outline; `selection` is the name within `span`."""

    name: str
    detail: str
    kind: Literal["declaration", "source", "rule", "fact", "query", "expectation", "io"]
    span: Span
    selection: Span
    children: list[Symbol] = field(default_factory=list)


def name_span(atom: n.Atom) -> Span:
    """The predicate's name at the start of an atom."""
    s = atom.span
    return Span(s.file, s.line, s.col, s.line, s.col + len(atom.pred))


def signature(decl: n.Decl) -> str:
    """A declaration without its doc string: `.decl owns(owner: symbol, asset: symbol, pct: number)`."""
    return statement_text(n.Decl(decl.pred, decl.params))


def contains(span: Span, line: int, col: int) -> bool:
    """Whether a position lies in a span (its end included: the cursor just after a name is on it)."""
    if span.line < 1 or not span.line <= line <= span.end_line:
        return False
    after_start = line > span.line or col >= span.col
    before_end = line < span.end_line or col <= span.end_col
    return after_start and before_end


class NameIndex:
    """The names of a program's modules.

    >>> from engine.syntax import parse
    >>> index = NameIndex([parse("e(a, b). p(X) :- e(X, _).", "m.dl")])
    >>> [(o.name, o.role) for o in index.named("predicate", "e")]
    [('e', 'definition'), ('e', 'use')]
    """

    def __init__(self, modules: list[n.Module]) -> None:
        self.modules = modules
        self.occurrences: list[Occurrence] = []
        self.clauses: list[n.Rule] = []  # facts and rules, cite blocks flattened, with their citations
        self.io: list[n.IODirective] = []
        self.decls: dict[str, n.Decl] = {}  # the first of each, as analysis keeps it
        self.sources: dict[str, n.Source] = {}
        for module in modules:
            folder = (file_of(module.path) or Path(module.path)).parent
            for stmt in module.statements:
                self._statement(stmt, folder)

    # -- building --------------------------------------------------------------
    def _add(self, kind: Kind, name: str, span: Span, role: Role, scope: Span | None = None) -> None:
        self.occurrences.append(Occurrence(kind, name, span, role, scope))

    def _statement(self, stmt: n.Statement, folder: Path) -> None:
        if isinstance(stmt, n.Rule):
            self._citations(stmt.cites)
            self._clause(stmt, stmt.cites)
        elif isinstance(stmt, n.CiteBlock):
            self._citations(stmt.cites)
            for clause in stmt.clauses:
                self._clause(clause, stmt.cites + clause.cites)
        elif isinstance(stmt, n.Decl):
            self.decls.setdefault(stmt.pred, stmt)
            self._add("predicate", stmt.pred, stmt.name_span, "declaration")
        elif isinstance(stmt, n.Source):
            self.sources.setdefault(stmt.id, stmt)
            self._add("source", stmt.id, stmt.name_span, "declaration")
        elif isinstance(stmt, n.IODirective):
            self.io.append(stmt)
            self._add("predicate", stmt.pred, stmt.name_span, "definition" if stmt.kind == "input" else "use")
        elif isinstance(stmt, n.Query | n.Expect | n.Constraint):
            self._body(stmt.body, stmt.span)
        elif isinstance(stmt, n.Include):
            self._add("include", str((folder / stmt.path).resolve()), stmt.span, "use")
        else:
            assert_never(stmt)

    def _clause(self, rule: n.Rule, cites: tuple[n.Citation, ...]) -> None:
        self.clauses.append(n.Rule(rule.head, rule.body, cites, rule.span))
        self._add("predicate", rule.head.pred, name_span(rule.head), "definition")
        for arg in rule.head.args:
            for var in n.expr_vars(arg):
                self._variable(var, rule.span)
        self._body(rule.body, rule.span)

    def _citations(self, cites: tuple[n.Citation, ...]) -> None:
        for cite in cites:
            self._add("source", cite.source, cite.source_span, "use")

    def _body(self, body: tuple[n.Literal, ...], scope: Span) -> None:
        for atom, _negated in body_atoms(body):
            self._add("predicate", atom.pred, name_span(atom), "use")
        for lit in body:
            for var in n.literal_vars(lit):
                self._variable(var, scope)

    def _variable(self, var: n.Var, scope: Span) -> None:
        if not var.anonymous:
            self._add("variable", var.name, var.span, "use", scope)

    # -- questions -------------------------------------------------------------
    def at(self, file: str, line: int, col: int) -> Occurrence | None:
        """The name at a position (1-based), if any."""
        hits = [o for o in self.occurrences if o.span.file == file and contains(o.span, line, col)]
        inside = [o for o in hits if o.kind != "include" and col < o.span.end_col]
        best = inside or hits
        return best[0] if best else None

    def clause_at(self, file: str, line: int, col: int) -> n.Rule | None:
        """The fact or rule at a position, with every citation that stands before it."""
        for clause in self.clauses:
            if clause.span.file == file and contains(clause.span, line, col):
                return clause
        return None

    def named(self, kind: Kind, name: str) -> list[Occurrence]:
        return [o for o in self.occurrences if o.kind == kind and o.name == name]

    def same(self, occ: Occurrence) -> list[Occurrence]:
        """Every occurrence of the thing `occ` names (a variable: within its clause)."""
        return [o for o in self.named(occ.kind, occ.name) if occ.kind != "variable" or o.scope == occ.scope]

    def definitions(self, occ: Occurrence) -> list[Occurrence]:
        """A predicate's `.decl`, else its rules and facts; a source's `.source`; a variable's first place."""
        same = self.same(occ)
        declared = [o for o in same if o.role == "declaration"]
        if occ.kind == "variable":
            return same[:1]
        return declared or [o for o in same if o.role == "definition"]

    def references(self, occ: Occurrence, include_declaration: bool = True) -> list[Occurrence]:
        return [o for o in self.same(occ) if include_declaration or o.role != "declaration"]

    def names(self, kind: Kind) -> list[str]:
        return sorted({o.name for o in self.occurrences if o.kind == kind})

    def declaration(self, pred: str) -> n.Decl | None:
        return self.decls.get(pred)

    def source(self, sid: str) -> n.Source | None:
        return self.sources.get(sid)

    # -- outline ---------------------------------------------------------------
    def outline(self, file: str) -> list[Symbol]:
        """A file's declarations, sources, rules by head and facts by predicate, queries and expectations."""
        out: list[Symbol] = []
        groups: dict[tuple[str, str], Symbol] = {}
        for module in self.modules:
            if module.path != file:
                continue
            for stmt in module.statements:
                for clause in stmt.clauses if isinstance(stmt, n.CiteBlock) else (stmt,):
                    symbol = _symbol(clause)
                    if symbol is None:
                        continue
                    if isinstance(clause, n.Rule):
                        self._group(groups, out, clause, symbol)
                    else:
                        out.append(symbol)
        for group in groups.values():
            count = len(group.children)
            noun = group.kind if count == 1 else group.kind + "s"
            group.detail = f"{count} {noun}"
        return out

    @staticmethod
    def _group(groups: dict[tuple[str, str], Symbol], out: list[Symbol], clause: n.Rule, symbol: Symbol) -> None:
        key = (symbol.kind, clause.head.pred)
        group = groups.get(key)
        if group is None:
            group = groups[key] = Symbol(clause.head.pred, "", symbol.kind, clause.span, symbol.selection)
            out.append(group)
        first = group.span
        group.span = Span(first.file, first.line, first.col, clause.span.end_line, clause.span.end_col)
        group.children.append(symbol)


def _symbol(stmt: n.Statement) -> Symbol | None:
    if isinstance(stmt, n.Rule):
        kind: Literal["rule", "fact"] = "rule" if stmt.body else "fact"
        return Symbol(rule_text(stmt), "", kind, stmt.span, name_span(stmt.head))
    if isinstance(stmt, n.Decl):
        return Symbol(stmt.pred, statement_text(stmt), "declaration", stmt.span, stmt.name_span)
    if isinstance(stmt, n.Source):
        title = stmt.get("title")
        detail = title.value.text if title is not None and isinstance(title.value, String) else ""
        return Symbol(stmt.id, detail, "source", stmt.span, stmt.name_span)
    if isinstance(stmt, n.IODirective):
        return Symbol(f".{stmt.kind} {stmt.pred}", "", "io", stmt.span, stmt.name_span)
    if isinstance(stmt, n.Query):
        return Symbol(f"?- {body_text(stmt.body)}.", "", "query", stmt.span, stmt.span)
    if isinstance(stmt, n.Expect):
        text = f"expect {'not ' if stmt.negated else ''}{body_text(stmt.body)}."
        return Symbol(text, "", "expectation", stmt.span, stmt.span)
    return None  # includes and cite blocks (their clauses are listed)
