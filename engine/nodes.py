"""The AST: frozen, slotted dataclasses built by the parser.

Every node carries a `span`; spans are excluded from equality so that
`parse(pretty(p)) == p` compares meaning, not layout. Runs of ground facts
that the parser read in bulk are `FactRun`s: their values by predicate, by
column, and their nodes only when something asks (`Module.statements`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol, Union

from .errors import NO_SPAN, Span
from .values import Value


def _span() -> Span:
    return field(default=NO_SPAN, compare=False, repr=False)



@dataclass(frozen=True, slots=True)
class Var:
    name: str  # "_" for an anonymous variable
    span: Span = _span()

    @property
    def anonymous(self) -> bool:
        return self.name == "_"


@dataclass(frozen=True, slots=True)
class Const:
    value: Value
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class BinOp:
    op: str  # + - * / %
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Neg:
    operand: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Aggregate:
    func: str  # count sum min max
    term: Expr | None
    body: tuple[Literal, ...]
    span: Span = _span()


Expr = Union[Var, Const, BinOp, Neg, Aggregate]


@dataclass(frozen=True, slots=True)
class Atom:
    pred: str
    args: tuple[Expr, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Negation:
    atom: Atom
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Comparison:
    op: str  # = != < <= > >=
    left: Expr
    right: Expr
    span: Span = _span()


Literal = Union[Atom, Negation, Comparison]


@dataclass(frozen=True, slots=True)
class Citation:
    source: str
    line: int
    credibility: int
    originator: Value | None = None
    span: Span = _span()
    line_span: Span = _span()
    credibility_span: Span = _span()
    source_span: Span = _span()  # the source id


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule, or a fact when `body` is empty."""

    head: Atom
    body: tuple[Literal, ...]
    cites: tuple[Citation, ...] = ()
    span: Span = _span()

    @property
    def is_fact(self) -> bool:
        return not self.body


@dataclass(frozen=True, slots=True)
class CiteBlock:
    cites: tuple[Citation, ...]
    clauses: tuple[Rule, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Decl:
    pred: str
    params: tuple[Param, ...]
    doc: str | None = None
    span: Span = _span()
    name_span: Span = _span()  # the predicate's name


@dataclass(frozen=True, slots=True)
class Include:
    path: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Query:
    body: tuple[Literal, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class GradeTest:
    """`grade >= B3` after an expectation: `op` compares the conclusion's grade with `grade`."""

    op: str  # >= | <= | =
    grade: str  # as written: a letter A-F and a digit 1-6
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Expect:
    body: tuple[Literal, ...]
    negated: bool
    span: Span = _span()
    grade: GradeTest | None = None
    violated: str | None = None  # `expect violated "message".`: the constraint of that message is (not) violated


@dataclass(frozen=True, slots=True)
class Field:
    key: str
    value: Value
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    fields: tuple[Field, ...]
    span: Span = _span()
    name_span: Span = _span()  # the source id

    def get(self, key: str) -> Field | None:
        for f in self.fields:
            if f.key == key:
                return f
        return None


@dataclass(frozen=True, slots=True)
class IODirective:
    kind: str  # input | output
    pred: str
    fields: tuple[Field, ...]
    span: Span = _span()
    name_span: Span = _span()  # the predicate's name

    def get(self, key: str) -> Field | None:
        for f in self.fields:
            if f.key == key:
                return f
        return None


@dataclass(frozen=True, slots=True)
class Constraint:
    """`:- "message": body.`: a denial. Every match of the body in the model is a violation."""

    body: tuple[Literal, ...]
    message: str | None = None
    span: Span = _span()


Statement = Union[Rule, CiteBlock, Decl, Include, Query, Expect, Constraint, Source, IODirective]


@dataclass(frozen=True, slots=True, eq=False)
class FactTable:
    """The facts of one predicate and arity in a `FactRun`, by column, in the order written."""

    pred: str
    columns: tuple[list[Value], ...]  # one list a column, all of `count` values
    count: int
    # where each of its facts stands among the run's (0-based); None when the run is this table alone
    places: list[int] | None = None

    @property
    def arity(self) -> int:
        return len(self.columns)

    def rows(self) -> list[tuple[Value, ...]]:
        """The facts' argument tuples, in the order written (duplicates kept)."""
        if not self.columns:
            return [()] * self.count
        return list(zip(*self.columns))


class FactReader(Protocol):
    """How a `FactRun` gets its nodes (the parser's fast path supplies it)."""

    def statements(self) -> tuple[Statement, ...]:
        """The run's statements, as lark builds them."""
        ...

    def fact(self, place: int) -> Rule:
        """The run's fact statement at `place` (0-based, in the order written; a block's clause)."""
        ...


@dataclass(frozen=True, slots=True, eq=False)
class FactRun:
    """Consecutive ground fact statements read in bulk: plain facts, one cited fact, or one cite block.

    `tables` hold their values by predicate and arity, in order of first
    appearance; `cites` are the citations they all carry. Their nodes, the
    ones lark builds for the same text (`Rule`s, or one `CiteBlock`), spans
    included, are built when asked, all of them or one fact at a time.
    """

    tables: tuple[FactTable, ...]
    cites: tuple[Citation, ...]
    span: Span  # from the statements' first character to their last
    reader: FactReader = field(repr=False)

    @property
    def count(self) -> int:
        return sum(t.count for t in self.tables)

    def statements(self) -> tuple[Statement, ...]:
        return self.reader.statements()

    def facts(self) -> list[Rule]:
        """The fact statements as nodes, in the order written (a block's clauses)."""
        out: list[Rule] = []
        for s in self.reader.statements():
            if isinstance(s, CiteBlock):
                out.extend(s.clauses)
            elif isinstance(s, Rule):
                out.append(s)
        return out

    def facts_of(self, table: FactTable) -> list[Rule]:
        """The fact statements of one of its tables, as nodes, in the order written."""
        return [r for r in self.facts() if r.head.pred == table.pred and len(r.head.args) == table.arity]

    def fact_of(self, table: FactTable, k: int) -> Rule:
        """The `k`-th fact statement of one of its tables, built alone."""
        return self.reader.fact(k if table.places is None else table.places[k])


Part = Union[Statement, FactRun]


@dataclass(frozen=True, slots=True)
class Module:
    """One parsed file: its statements, with runs of facts held in bulk."""

    path: str
    parts: tuple[Part, ...]

    @property
    def statements(self) -> tuple[Statement, ...]:
        """Every statement as a node, fact runs built out (for tools; analysis reads `parts`)."""
        out: list[Statement] = []
        for part in self.parts:
            if isinstance(part, FactRun):
                out.extend(part.statements())
            else:
                out.append(part)
        return tuple(out)


def equalities(body: tuple[Literal, ...]) -> Iterator[tuple[Expr, Expr]]:
    """Each `a = b` of a body both ways, `(a, b)` then `(b, a)`: engine.analysis.flow, the one fixpoint
    over a body, gives a side what the other holds (tests/test_architecture.py keeps it the only reader)."""
    for lit in body:
        if isinstance(lit, Comparison) and lit.op == "=":
            yield lit.left, lit.right
            yield lit.right, lit.left


def expr_vars(e: Expr) -> list[Var]:
    """Variables of an expression, in order (not those local to an aggregate)."""
    if isinstance(e, Var):
        return [e]
    if isinstance(e, BinOp):
        return expr_vars(e.left) + expr_vars(e.right)
    if isinstance(e, Neg):
        return expr_vars(e.operand)
    return []


def map_vars(e: Expr, f: Callable[[Var], Expr]) -> Expr:
    """`e` with each variable `v` replaced by `f(v)` (renaming, or substituting values)."""
    if isinstance(e, Var):
        return f(e)
    if isinstance(e, BinOp):
        return BinOp(e.op, map_vars(e.left, f), map_vars(e.right, f), e.span)
    if isinstance(e, Neg):
        return Neg(map_vars(e.operand, f), e.span)
    return e


def literal_vars(lit: Literal) -> list[Var]:
    if isinstance(lit, Atom):
        return [v for a in lit.args for v in expr_vars(a)]
    if isinstance(lit, Negation):
        return literal_vars(lit.atom)
    out = expr_vars(lit.left) + expr_vars(lit.right)
    for side in (lit.left, lit.right):
        if isinstance(side, Aggregate):
            out += aggregate_vars(side)
    return out


def aggregate_vars(agg: Aggregate) -> list[Var]:
    out = expr_vars(agg.term) if agg.term is not None else []
    for lit in agg.body:
        out += literal_vars(lit)
    return out


def body_aggregates(body: tuple[Literal, ...]) -> list[Aggregate]:
    out = []
    for lit in body:
        if isinstance(lit, Comparison):
            for side in (lit.left, lit.right):
                if isinstance(side, Aggregate):
                    out.append(side)
    return out
