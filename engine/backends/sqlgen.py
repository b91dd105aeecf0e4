"""SQL backends: rule plans (engine.plan) to sqlglot SELECT expressions.

Input: a `RulePlan` (or a query's steps) and the column kinds of every
predicate. Output: a SELECT that yields the head tuples of every row of the
plan, and *checks*:
queries over the same prefix of the plan as the in-memory evaluator sees.
A row whose arithmetic is undefined (a symbol operand, division by zero, `%`
of a decimal) fails, as in memory: the step's condition drops it, and a
check finds the operands it failed on, for the W104 warning
(engine.evaluation.dropped). A check of a fault that stops the evaluation
(a negative number in a recursive `sum`: E602; an E901/E902 refusal) finds
whether any row meets it. Faults are taken in the order the in-memory
evaluator would meet them: a row counts for the first only.

Steps map to SQL as follows: a `Join` is a join (an EXISTS when it only tests
existence), an `AntiJoin` a NOT EXISTS, a `Filter` a WHERE condition, a `Bind`
a computed expression, an `AggregateStep` three CTEs (the distinct groups, the
distinct bindings of the braces' variables per group, the grouped result),
joined back LEFT for count/sum (0 for an empty group) and INNER for min/max
(no value, the rule does not fire). Values are sqlglot literals, never text
pasted into SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlglot import exp

from .. import plan as P
from ..aggregates import AGGREGATES
from ..errors import NO_SPAN, Span
from ..evaluation.dropped import CAP
from ..evaluation.growth import computed_columns
from ..kinds import NUMBERS, QUO, Kinds, arith_kinds
from ..values import DIVISION_BY_ZERO, NOT_A_NUMBER, REMAINDER_OF_DECIMAL, Value, kind_of
from .encoding import PARTS, SCALE, column_names, encode, rep_of

TRUE = exp.true()
FALSE = exp.false()


class Dialect:
    """What differs between the SQL engines: types, integer division, and exact arithmetic.

    `exact`: the engine computes arithmetic that may make more than 10 digits after the point (kind
    `quo`) exactly as in memory, on one value per number (`exact_of`, `exact_op`), split into the
    parts of an `any` column only at the outermost operation (`exact_split`): on DuckDB a text and
    Python functions (engine.backends.encoding's exact_*, registered by engine.backends.store), on
    PostgreSQL an exact NUMERIC (a decimal has a scale of 1 or more, an integer 0) and PL/pgSQL
    functions of the store's schema (`functions`). Spark refuses such a result (E902).
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.sqlglot = {"duckdb": "duckdb", "postgres": "postgres", "spark": "spark"}[name]
        num = {"duckdb": "HUGEINT", "postgres": "NUMERIC", "spark": "DECIMAL(38, 0)"}[name]
        self.num_type = exp.DataType.build(num, dialect=self.sqlglot)
        self.text_type = exp.DataType.build("TEXT", dialect=self.sqlglot)
        self.int_type = exp.DataType.build("BIGINT")
        self.bool_type = exp.DataType.build("BOOLEAN")
        self.exact = name in ("duckdb", "postgres")
        self.functions: str | None = None  # the schema of PostgreSQL's functions (set by the store)

    def call(self, name: str, *args: exp.Expr) -> exp.Expr:
        """One of the exact domain's functions (engine.backends.store defines them)."""
        fn: exp.Expr = exp.Anonymous(this=name, expressions=[a.copy() for a in args])
        if self.name == "postgres" and self.functions:
            fn = exp.Dot(this=exp.to_identifier(self.functions, quoted=True), expression=fn)
        return fn

    def exact_of(self, v: Val) -> exp.Expr:
        """The number `v` in the exact domain (a non-number gives some number: its row is dropped)."""
        if v.exact is not None:
            return v.exact
        if v.rep == "int":
            t = self.text_type if self.name == "duckdb" else self.num_type
            return exp.Cast(this=exp.paren(v.parts[0].copy()), to=t.copy())
        n, _t, dec, x = to_any(v, self).parts
        return self.call("syllog_text" if self.name == "duckdb" else "syllog_num", n, dec, x)

    def exact_op(self, op: str, a: exp.Expr, b: exp.Expr) -> exp.Expr:
        """`a op b` in the exact domain, as engine.values computes it (NULL for a division by zero)."""
        return self.call("syllog_arith", exp.Literal.string(op), a, b)

    def exact_zero(self, b: exp.Expr) -> exp.Expr:
        """The exact value `b` is 0."""
        if self.name == "duckdb":  # a number of at most 62 digits is 0 exactly when its double is
            return exp.EQ(this=exp.Cast(this=b.copy(), to=exp.DataType.build("DOUBLE")),
                          expression=exp.Literal.number(0))
        return exp.EQ(this=b.copy(), expression=exp.Literal.number(0))

    def exact_split(self, t: exp.Expr) -> tuple[exp.Expr, exp.Expr, exp.Expr, exp.Expr]:
        """The parts n, d, x of the exact value `t`, and "" or the code refusing it (E901, E902)."""
        return (self.call("syllog_n", t), self.call("syllog_d", t), self.call("syllog_x", t),
                self.call("syllog_fit", t))

    def sql(self, e: exp.Expr) -> str:
        return e.sql(dialect=self.sqlglot, identify=True)

    def num(self, e: exp.Expr) -> exp.Expr:
        return exp.Cast(this=e, to=self.num_type.copy())

    def intdiv(self, a: exp.Expr, b: exp.Expr) -> exp.Expr:
        """Integer division truncating towards zero (callers guard b = 0)."""
        a, b = exp.paren(a), exp.paren(b)
        if self.name == "spark":
            # Spark's DIV casts to a 64-bit long; an exact decimal division does not
            q = exp.Div(this=exp.paren(exp.Sub(this=a.copy(), expression=mod(a, b))), expression=b.copy())
            return exp.Cast(this=q, to=self.num_type.copy())
        return exp.IntDiv(this=a, expression=b)

    def type_of(self, rep: str) -> list[exp.DataType]:
        if rep == "int":
            return [self.int_type.copy()]
        if rep in ("sym", "str"):
            return [self.text_type.copy()]
        return [self.num_type.copy(), self.text_type.copy(), self.bool_type.copy(), self.num_type.copy()]


def mod(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    return exp.Mod(this=exp.paren(a.copy()), expression=exp.paren(b.copy()))


def mul(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    return exp.paren(exp.Mul(this=exp.paren(a.copy()), expression=exp.paren(b.copy())))


def lit_int(v: int) -> exp.Expr:
    return exp.Literal.number(v) if v >= 0 else exp.Neg(this=exp.Literal.number(-v))


def and_(conds: Sequence[exp.Expr]) -> exp.Expr:
    real = [c for c in conds if c is not TRUE]
    if not real:
        return TRUE
    return exp.and_(*real) if len(real) > 1 else real[0]


def or_(conds: Sequence[exp.Expr]) -> exp.Expr:
    return exp.or_(*conds) if len(conds) > 1 else conds[0]


def case(cond: exp.Expr, then: exp.Expr, other: exp.Expr) -> exp.Expr:
    return exp.Case(ifs=[exp.If(this=cond, true=then)], default=other)


@dataclass
class Val:
    """A value in SQL: one expression (rep int, sym, str) or four (n, t, d, x: engine.backends.encoding).

    `exact`: the same number in the dialect's exact domain, where arithmetic computed it (Dialect.exact_of);
    `fits`: the faults refusing it where the parts cannot hold it, dropped when only `exact` is used.
    """

    rep: str
    parts: tuple[exp.Expr, ...]
    kinds: Kinds
    exact: exp.Expr | None = None
    fits: tuple[RowFault, ...] = ()


@dataclass
class RowFault:
    """A condition under which a row's arithmetic fails.

    With `reason` (engine.values: NOT_A_NUMBER...), the operation `op` on
    `operands` is undefined and the row is dropped; without, the evaluation
    stops with `code` and `message`.
    """

    cond: exp.Expr
    code: str
    message: str
    reason: str | None = None
    op: str = ""
    operands: tuple[Val, ...] = ()


def undefined(cond: exp.Expr, op: str, reason: str, operands: tuple[Val, ...]) -> RowFault:
    return RowFault(cond, "W104", "", reason, op, operands)


@dataclass
class Check:
    """A query over the rows of the plan that meet a run-time fault.

    For an undefined operation (`reason` set), it returns the distinct
    operands (their parts, in the representations `reps`; at most CAP + 1
    rows); for a fault that stops the evaluation, a row if there is one.
    """

    query: exp.Select
    code: str
    message: str
    literal: int
    reason: str | None = None
    op: str = ""
    reps: tuple[str, ...] = ()


# ---- the value algebra -----------------------------------------------------


def const_val(v: Value, span: Span = NO_SPAN) -> Val:
    k = kind_of(v)
    rep = rep_of(frozenset({k}))
    parts = encode(v, rep, span, fine=True)  # kind `quo` where it has digits past the 10th
    out: list[exp.Expr] = []
    for p in parts:
        if isinstance(p, bool):
            out.append(exp.Boolean(this=p))
        elif isinstance(p, int):
            out.append(lit_int(p))
        else:
            out.append(exp.Literal.string(str(p)))
    kinds = {k} | ({QUO} if rep == "any" and parts[3] != 0 else set())
    return Val(rep, tuple(out), frozenset(kinds))


def to_any(v: Val, d: Dialect) -> Val:
    if v.rep == "any":
        return v
    (x,) = v.parts
    zero = d.num(exp.Literal.number(0))
    if v.rep == "int":
        n = mul(d.num(x.copy()), exp.Literal.number(SCALE))
        return Val("any", (n, exp.Literal.string(""), FALSE, zero), v.kinds)
    tag = "S" if v.rep == "sym" else "T"
    return Val("any", (zero.copy(), exp.DPipe(this=exp.Literal.string(tag), expression=x.copy()), FALSE, zero),
               v.kinds)


def to_rep(v: Val, rep: str, d: Dialect) -> Val:
    """`v` in a column of `rep` (its kinds fit `rep`, or the value never occurs)."""
    if v.rep == rep:
        return v
    if rep == "any":
        return to_any(v, d)
    if v.rep == "any":
        n, t = v.parts[0], v.parts[1]
        if rep == "int":
            return Val("int", (exp.Cast(this=d.intdiv(n.copy(), exp.Literal.number(SCALE)), to=d.int_type.copy()),),
                       v.kinds)
        return Val(rep, (exp.Substring(this=t.copy(), start=exp.Literal.number(2)),), v.kinds)
    # narrow to another narrow representation: no value can be both
    return Val(rep, (exp.Null(),), frozenset())


def _classes(ks: Kinds) -> set[str]:
    return {"num" if k in NUMBERS else k for k in ks if k != QUO}


def eq(a: Val, b: Val, d: Dialect) -> exp.Expr:
    if not (_classes(a.kinds) & _classes(b.kinds)):
        return FALSE
    if a.rep == b.rep and a.rep != "any":
        return exp.EQ(this=a.parts[0].copy(), expression=b.parts[0].copy())
    x, y = to_any(a, d), to_any(b, d)
    same = [exp.EQ(this=x.parts[0].copy(), expression=y.parts[0].copy()),
            exp.EQ(this=x.parts[1].copy(), expression=y.parts[1].copy())]
    if QUO in a.kinds | b.kinds:  # else both x are 0
        same.append(exp.EQ(this=x.parts[3].copy(), expression=y.parts[3].copy()))
    return and_(same)


_RANK = {"num": 0, "sym": 1, "str": 2}
_OPS: dict[str, Callable[..., exp.Expr]] = {
    "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE, "=": exp.EQ, "!=": exp.NEQ,
}


def compare(op: str, a: Val, b: Val, d: Dialect) -> exp.Expr:
    """`a op b` in the total order numbers < symbols < strings."""
    if op == "=":
        return eq(a, b, d)
    if op == "!=":
        e = eq(a, b, d)
        return TRUE if e is FALSE else exp.Not(this=exp.paren(e))
    if op in (">", ">="):
        return compare("<" if op == ">" else "<=", b, a, d)
    ca, cb = _classes(a.kinds), _classes(b.kinds)
    if ca and cb:
        if max(_RANK[c] for c in ca) < min(_RANK[c] for c in cb):
            return TRUE
        if min(_RANK[c] for c in ca) > max(_RANK[c] for c in cb):
            return FALSE
    if a.rep == b.rep and a.rep != "any":
        return _OPS[op](this=a.parts[0].copy(), expression=b.parts[0].copy())
    x, y = to_any(a, d), to_any(b, d)
    (xn, xt, _, xx), (yn, yt, _, yx) = x.parts, y.parts
    # (t, n) in order; then x, only where one of them may hold more digits
    last = _OPS[op](this=xn.copy(), expression=yn.copy())
    if QUO in a.kinds | b.kinds:
        last = or_([exp.LT(this=xn.copy(), expression=yn.copy()),
                    exp.paren(and_([exp.EQ(this=xn.copy(), expression=yn.copy()),
                                    _OPS[op](this=xx.copy(), expression=yx.copy())]))])
    return or_([exp.LT(this=xt.copy(), expression=yt.copy()),
                exp.paren(and_([exp.EQ(this=xt.copy(), expression=yt.copy()), exp.paren(last)]))])


def _not_number(v: Val) -> exp.Expr | None:
    """Condition under which `v` is not a number (None: it always is)."""
    if v.kinds <= NUMBERS | {QUO}:
        return None
    if v.rep == "any":
        return exp.NEQ(this=v.parts[1].copy(), expression=exp.Literal.string(""))
    return TRUE


def _range_fault(n: exp.Expr, dec: exp.Expr, faults: list[RowFault]) -> None:
    big = exp.Literal.number(10**34)
    faults.append(RowFault(exp.and_(dec.copy(), exp.GTE(this=exp.Abs(this=n.copy()), expression=big)), "E901",
                        "a decimal result of 10^24 or more, which the SQL backends cannot hold exactly"))


def _no_more_digits(v: Val) -> exp.Expr:
    """`v` holds no digits past the 10th after the point (TRUE when its kinds say so)."""
    if QUO not in v.kinds:
        return TRUE
    return exp.EQ(this=v.parts[3].copy(), expression=exp.Literal.number(0))


def arith(op: str, a: Val, b: Val, d: Dialect, faults: list[RowFault]) -> Val:
    """`a op b` with the language's semantics; run-time faults go to `faults`.

    Integers and decimals of at most 10 digits after the point are computed in SQL on the scaled
    integers. An operation that may make more digits (kind `quo`: a quotient such as `1 / 3`, a
    product of decimals, anything computed from them) is computed in the dialect's exact domain
    (Dialect.exact_of), exactly as in memory; Spark refuses it where it makes more than 10 (E902).
    """
    for v in (a, b):
        bad = _not_number(v)
        if bad is not None:
            faults.append(undefined(bad, op, NOT_A_NUMBER, (a, b)))
    kinds = arith_kinds(op, a.kinds, b.kinds)
    if not kinds:
        # no row can compute this: whichever reaches it fails
        numbers = (a.kinds & NUMBERS) and (b.kinds & NUMBERS)
        faults.append(undefined(TRUE, op, REMAINDER_OF_DECIMAL if op == "%" and numbers else NOT_A_NUMBER, (a, b)))
        return Val("int", (exp.Null(),), frozenset())
    if a.rep == "int" and b.rep == "int" and op in "+-*":
        cls = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul}[op]
        return Val("int", (exp.paren(cls(this=exp.paren(a.parts[0].copy()), expression=exp.paren(b.parts[0].copy()))),), kinds)
    if op == "%":
        return _remainder(a, b, d, faults, kinds)
    if QUO in kinds and d.exact:
        return _exact_arith(op, a, b, d, faults, kinds)
    x, y = to_any(a, d), to_any(b, d)
    n, dec, exact, zero = _scaled_arith(op, x, y, d)
    if zero is not None:
        faults.append(undefined(zero, op, DIVISION_BY_ZERO, (a, b)))
    plain = and_([exact, _no_more_digits(a), _no_more_digits(b)])
    if QUO in kinds:  # Spark
        faults.append(RowFault(exp.Not(this=exp.paren(plain)), "E902", f"a result of `{op}` with more than 10 digits "
                            "after the point, which this SQL backend cannot compute exactly"))
    _range_fault(n, dec, faults)
    return Val("any", (n, exp.Literal.string(""), dec, d.num(exp.Literal.number(0))), kinds)


def _exact_arith(op: str, a: Val, b: Val, d: Dialect, faults: list[RowFault], kinds: Kinds) -> Val:
    """`a op b` in the dialect's exact domain: one call whatever the depth of the expression; the parts
    are computed from it (and the result refused where the columns cannot hold it) where they are used."""
    ta, tb = d.exact_of(a), d.exact_of(b)
    # an operand used only in the exact domain need not fit the columns (as in memory, where an
    # intermediate result has no bound): `(1 / 3000000) * 3000000` is 1
    for v in (a, b):
        if v.exact is not None and v.fits:
            faults[:] = [f for f in faults if all(f is not g for g in v.fits)]
    if op == "/":
        faults.append(undefined(d.exact_zero(tb), op, DIVISION_BY_ZERO, (a, b)))
    t = d.exact_op(op, ta, tb)
    n, dec, x, fit = d.exact_split(t)
    too_large: exp.Expr = exp.EQ(this=fit, expression=exp.Literal.string("E901"))
    too_fine: exp.Expr = exp.EQ(this=fit.copy(), expression=exp.Literal.string("E902"))
    if a.exact is None and b.exact is None:
        # operands read from columns: where the scaled integers give the result exactly (`2.5 * 1.5`,
        # `10 / 4`), SQL computes it without the exact domain, which is slower (CASE evaluates a branch
        # only for the rows that take it)
        n0, dec0, exact0, _zero = _scaled_arith(op, to_any(a, d), to_any(b, d), d)
        plain = exp.paren(and_([exact0, _no_more_digits(a), _no_more_digits(b)]))
        big = exp.and_(dec0.copy(), exp.GTE(this=exp.Abs(this=n0.copy()), expression=exp.Literal.number(10**34)))
        n, dec, x = case(plain, n0, n), case(plain.copy(), dec0, dec), case(plain.copy(), d.num(exp.Literal.number(0)), x)
        too_large, too_fine = case(plain.copy(), big, too_large), case(plain.copy(), FALSE, too_fine)
    fits = (RowFault(too_large, "E901", "a result of 10^24 or more, which the SQL backends cannot hold exactly"),
            RowFault(too_fine, "E902", "a result with more than 38 digits after the point, which the SQL backends "
                                    "cannot hold"))
    faults.extend(fits)
    return Val("any", (n, exp.Literal.string(""), dec, x), kinds, t, fits)


def _remainder(a: Val, b: Val, d: Dialect, faults: list[RowFault], kinds: Kinds) -> Val:
    """`a % b`: integers only (a decimal operand fails the instance), with the sign of the divisor."""
    if a.rep == "int" and b.rep == "int":
        x, y = a.parts[0], b.parts[0]
    else:
        for v in (a, b):
            if "dec" in v.kinds:
                faults.append(undefined(to_any(v, d).parts[2].copy(), "%", REMAINDER_OF_DECIMAL, (a, b)))
        x = to_rep(a, "int", d).parts[0]
        y = to_rep(b, "int", d).parts[0]
    zero = exp.EQ(this=y.copy(), expression=exp.Literal.number(0))
    faults.append(undefined(zero, "%", DIVISION_BY_ZERO, (a, b)))
    # Python's % takes the sign of the divisor; SQL's that of the dividend
    m = mod(exp.Add(this=mod(x, y), expression=exp.paren(y.copy())), y)
    return Val("int", (case(zero.copy(), exp.Null(), m),), kinds)


def _scaled_arith(op: str, x: Val, y: Val, d: Dialect) -> tuple[exp.Expr, exp.Expr, exp.Expr, exp.Expr | None]:
    """`x op y` on the scaled integers (10 digits after the point): the result, whether it is a decimal,
    the condition under which it is exact, and (for `/`) the condition of division by zero."""
    (an, _at, ad, _ax), (bn, _bt, bd, _bx) = x.parts, y.parts
    scale = exp.Literal.number(SCALE)
    dec = exp.paren(exp.or_(ad.copy(), bd.copy()))
    if op in "+-":
        cls = exp.Add if op == "+" else exp.Sub
        return exp.paren(cls(this=exp.paren(an.copy()), expression=exp.paren(bn.copy()))), dec, TRUE, None
    if op == "*":
        prod = mul(an.copy(), bn.copy())
        n: exp.Expr = exp.Case(ifs=[exp.If(this=exp.Not(this=bd.copy()),
                                 true=mul(an.copy(), d.intdiv(bn.copy(), scale.copy()))),
                          exp.If(this=exp.Not(this=ad.copy()),
                                 true=mul(d.intdiv(an.copy(), scale.copy()), bn.copy()))],
                     default=d.intdiv(prod, scale.copy()))
        inexact = exp.and_(ad.copy(), bd.copy(),
                           exp.NEQ(this=mod(mul(an.copy(), bn.copy()), scale), expression=exp.Literal.number(0)))
        return n, dec, exp.Not(this=exp.paren(inexact)), None
    # division, long hand on the scaled integers
    zero = exp.EQ(this=bn.copy(), expression=exp.Literal.number(0))
    # NULL rather than 0 as the divisor: a check may compute this on the rows that divide by zero (the
    # database need not evaluate `b = 0 OR ...` left to right), and a NULL result is never used
    by = exp.Nullif(this=bn.copy(), expression=exp.Literal.number(0))
    rem = mod(an, by)
    frac = mul(rem.copy(), scale.copy())
    exact = exp.Or(this=zero.copy(), expression=exp.EQ(this=mod(frac, by), expression=exp.Literal.number(0)))
    q = exp.Add(this=mul(d.intdiv(an.copy(), by.copy()), scale.copy()), expression=d.intdiv(frac.copy(), by.copy()))
    n = case(zero.copy(), d.num(exp.Literal.number(0)), q)
    if "int" in x.kinds and "int" in y.kinds:
        # two integers give an integer when the division is exact
        dec = exp.paren(exp.or_(dec, exp.NEQ(this=rem.copy(), expression=exp.Literal.number(0))))
    return n, dec, exp.paren(exact), zero


def negate(a: Val, d: Dialect, faults: list[RowFault]) -> Val:
    bad = _not_number(a)
    if bad is not None:
        faults.append(undefined(bad, "-", NOT_A_NUMBER, (a,)))
    kinds = a.kinds & (NUMBERS | {QUO})
    if a.rep == "int":
        return Val("int", (exp.Neg(this=exp.paren(a.parts[0].copy())),), kinds)
    n, _t, dec, x = to_any(a, d).parts
    # the exact value, for an operation on this one (0 - a: the same number, and an integer stays one)
    exact = d.exact_op("-", d.exact_of(const_val(0)), d.exact_of(a)) if QUO in kinds and d.exact else None
    return Val("any", (exp.Neg(this=exp.paren(n.copy())), exp.Literal.string(""), dec,
                       exp.Neg(this=exp.paren(x.copy()))), kinds, exact, a.fits if exact is not None else ())


# ---- plans to SELECTs --------------------------------------------------------


@dataclass
class Schema:
    """The physical tables: column kinds per predicate and table names."""

    kinds: dict[str, list[Kinds]]
    table: Callable[[str], exp.Table]  # a predicate's full relation
    delta: Callable[[str], exp.Table]  # its last round's delta

    def reps(self, pred: str) -> list[str]:
        return [rep_of(k) for k in self.kinds.get(pred, [])]


def column_vals(alias: str, kinds: list[Kinds]) -> list[Val]:
    out = []
    for i, ks in enumerate(kinds):
        rep = rep_of(ks)
        out.append(Val(rep, tuple(exp.column(c, alias) for c in column_names(i, rep)), ks))
    return out


@dataclass
class Builder:
    """One SELECT under construction: FROM, joins, WHERE, and the row's slots."""

    d: Dialect
    schema: Schema
    literal_span: Callable[[int], Span]
    ctes: list[tuple[str, exp.Select]] = field(default_factory=list)
    from_: exp.Expr | None = None
    joins: list[tuple[exp.Expr, exp.Expr, str]] = field(default_factory=list)
    wheres: list[exp.Expr] = field(default_factory=list)
    slots: list[Val] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    counter: list[int] = field(default_factory=lambda: [0])

    def fresh(self, prefix: str) -> str:
        self.counter[0] += 1
        return f"{prefix}{self.counter[0]}"

    # -- building ---------------------------------------------------------
    def select(self, cols: list[exp.Expr], distinct: bool = False, with_ctes: bool = True) -> exp.Select:
        q = exp.select(*cols) if cols else exp.select(exp.Literal.number(1).as_("_u"))
        q = q.from_(self.from_.copy() if self.from_ is not None else _seed(), copy=False)
        for table, on, kind in self.joins:
            q = q.join(table.copy(), on=on.copy(), join_type=kind, copy=False)
        cond = and_(self.wheres)
        if cond is not TRUE:
            q = q.where(cond.copy(), copy=False)
        if distinct:
            q = q.distinct(copy=False)
        if with_ctes:
            for name, cte in self.ctes:
                q = q.with_(name, as_=cte.copy(), copy=False)
        return q

    def fault(self, faults: list[RowFault], literal: int) -> None:
        """A check for each fault over the rows so far; then the rows whose arithmetic is undefined are dropped.

        A row meets the first fault whose condition it satisfies, in order, as
        the in-memory evaluator raises at the first: later ones are not checked on it.
        """
        failed: list[exp.Expr] = []  # the undefined operations so far: a row that meets one goes no further
        for f in faults:
            if f.cond is FALSE:
                continue
            cond = and_([f.cond.copy()] + [exp.Not(this=exp.paren(c.copy())) for c in failed])
            if f.reason is None:
                snap = self.select([exp.Literal.number(1).as_("_f")])
                self.checks.append(Check(snap.where(cond).limit(1), f.code, f.message, literal))
                continue
            parts = [p.copy().as_(f"_o{k}") for k, p in enumerate(x for v in f.operands for x in v.parts)]
            snap = self.select(parts, distinct=True).where(cond).limit(CAP + 1)
            self.checks.append(Check(snap, f.code, f.message, literal, f.reason, f.op,
                                     tuple(v.rep for v in f.operands)))
            failed.append(f.cond)
        if failed:
            self.wheres.append(exp.Not(this=exp.paren(or_([c.copy() for c in failed]))))

    def expr(self, e: P.PExpr, literal: int) -> Val:
        faults: list[RowFault] = []
        v = self._expr(e, faults, literal)
        self.fault(faults, literal)
        return v

    def _expr(self, e: P.PExpr, faults: list[RowFault], literal: int) -> Val:
        if isinstance(e, P.Slot):
            return self.slots[e.index]
        if isinstance(e, P.Lit):
            return const_val(e.value, self.literal_span(literal))
        if isinstance(e, P.Minus):
            return negate(self._expr(e.operand, faults, literal), self.d, faults)
        return arith(e.op, self._expr(e.left, faults, literal), self._expr(e.right, faults, literal), self.d, faults)

    def add_table(self, table: exp.Expr, conds: list[exp.Expr]) -> None:
        if self.from_ is None:
            self.from_ = table
            self.wheres.extend(conds)
        else:
            self.joins.append((table, and_(conds), "inner"))

    def _atom_conds(self, step: P.Join | P.AntiJoin, cols: list[Val]) -> list[exp.Expr]:
        conds: list[exp.Expr] = []
        for col, key in zip(step.key_cols, step.key):
            conds.append(eq(cols[col], self.expr(key, step.literal), self.d))
        for col, v in step.const_cols:
            conds.append(eq(cols[col], const_val(v, self.literal_span(step.literal)), self.d))
        for a, b in step.eq_cols:
            conds.append(eq(cols[a], cols[b], self.d))
        return conds

    def join(self, step: P.Join) -> None:
        alias = self.fresh("j")
        kinds = self.schema.kinds.get(step.pred)
        if kinds is None:  # a predicate no rule or fact mentions: empty
            self.wheres.append(FALSE)
            self.slots.extend(Val("int", (exp.Null(),), frozenset()) for _ in step.out_cols)
            return
        cols = column_vals(alias, kinds)
        conds = self._atom_conds(step, cols)
        table = (self.schema.delta if step.delta else self.schema.table)(step.pred).as_(alias)
        if not step.out_cols:
            sub = exp.select(exp.Literal.number(1)).from_(table)
            cond = and_(conds)
            if cond is not TRUE:
                sub = sub.where(cond)
            self.wheres.append(exp.Exists(this=sub))
            return
        self.add_table(table, conds)
        self.slots.extend(cols[c] for c in step.out_cols)

    def anti(self, step: P.AntiJoin) -> None:
        alias = self.fresh("n")
        kinds = self.schema.kinds.get(step.pred)
        if kinds is None:
            return
        cols = column_vals(alias, kinds)
        conds = self._atom_conds(step, cols)
        sub = exp.select(exp.Literal.number(1)).from_(self.schema.table(step.pred).as_(alias))
        cond = and_(conds)
        if cond is not TRUE:
            sub = sub.where(cond)
        self.wheres.append(exp.Not(this=exp.Exists(this=sub)))

    def filter(self, step: P.Filter) -> None:
        left = self.expr(step.left, step.literal)
        right = self.expr(step.right, step.literal)
        self.wheres.append(compare(step.op, left, right, self.d))

    def bind(self, step: P.Bind) -> None:
        self.slots.append(self.expr(step.expr, step.literal))

    def run(self, steps: tuple[P.Step, ...]) -> None:
        for step in steps:
            if isinstance(step, P.Join):
                self.join(step)
            elif isinstance(step, P.AntiJoin):
                self.anti(step)
            elif isinstance(step, P.Filter):
                self.filter(step)
            elif isinstance(step, P.Bind):
                self.bind(step)
            else:
                self.aggregate(step)

    # -- materialising into CTEs ------------------------------------------------
    def materialize(self, prefix: str, distinct: bool = False) -> tuple[str, list[Val]]:
        """Turn the rows so far into a CTE; returns its name and slots over it."""
        name = self.fresh(prefix)
        cols: list[exp.Expr] = []
        new_slots: list[Val] = []
        for i, v in enumerate(self.slots):
            names = [f"s{i}"] if v.rep != "any" else [f"s{i}{c}" for c in PARTS]
            cols.extend(p.copy().as_(nm) for p, nm in zip(v.parts, names))
            new_slots.append(Val(v.rep, tuple(exp.column(nm, name) for nm in names), v.kinds))
        self.ctes.append((name, self.select(cols, distinct, with_ctes=False)))
        self.from_ = exp.to_table(name)
        self.joins, self.wheres = [], []
        self.slots = new_slots
        return name, new_slots

    def aggregate(self, step: P.AggregateStep) -> None:
        pname, _pslots = self.materialize("p")
        outer_slots = list(self.slots)
        gname, gnames = self._groups(step, outer_slots, pname)
        inner, iname, islots, term = self._braces(step, outer_slots, gname, gnames)
        # the matches that count: those whose term is defined (and a number, for `sum`)
        keep = and_(inner.wheres)

        def matches() -> exp.Select:
            q = exp.select().from_(iname)
            return q if keep is TRUE else q.where(keep.copy())

        group_keys = [islots[k] for k in range(len(step.group))]
        key_cols = [p.copy() for v in group_keys for p in v.parts]
        key_names = [nm for names in gnames for nm in names]
        aname = self.fresh("a")
        agg_cols: list[exp.Expr] = [c.as_(nm) for c, nm in zip(key_cols, key_names)]
        if step.func in ("count", "sum"):
            value = self._count_sum(step.func, term, aname, agg_cols)
            base = matches().select(*agg_cols)
        else:
            assert term is not None
            base, value = self._min_max(step.func, term, matches, aname, key_cols, key_names, agg_cols)
        if key_cols:
            base = base.group_by(*[c.copy() for c in key_cols])
        elif step.func in ("min", "max"):
            # no groups: an aggregate over no rows still gives one row, of NULLs
            base = base.having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(0)))
        self.ctes.append((aname, base))
        on = and_([exp.EQ(this=p.copy(), expression=exp.column(nm, aname))
                   for v, names in zip([outer_slots[s] for s in step.group], gnames)
                   for p, nm in zip(v.parts, names)])
        kind = "left" if step.func in ("count", "sum") else "inner"
        self.joins.append((exp.to_table(aname), on, kind))
        self.slots = outer_slots + [value]

    def _groups(self, step: P.AggregateStep, outer_slots: list[Val], pname: str) -> tuple[str, list[list[str]]]:
        """A CTE of the distinct groups of the rows so far (CTE `pname`): its name and each key's columns."""
        gname = self.fresh("g")
        gcols: list[exp.Expr] = []
        gnames: list[list[str]] = []
        for k, s in enumerate(step.group):
            v = outer_slots[s]
            names = [f"g{k}"] if v.rep != "any" else [f"g{k}{c}" for c in PARTS]
            gnames.append(names)
            gcols.extend(p.copy().as_(nm) for p, nm in zip(v.parts, names))
        if not gcols:
            gcols = [exp.Literal.number(1).as_("_u")]
        self.ctes.append((gname, exp.select(*gcols).from_(pname).distinct()))
        return gname, gnames

    def _braces(self, step: P.AggregateStep, outer_slots: list[Val], gname: str, gnames: list[list[str]]
                ) -> tuple[Builder, str, list[Val], Val | None]:
        """The braces' bindings, starting from each group, as a CTE: the inner builder, the CTE's name,
        its slots and the aggregated term (with its faults checked)."""
        inner = Builder(self.d, self.schema, self.literal_span, list(self.ctes), exp.to_table(gname),
                        counter=self.counter)
        inner.slots = [Val(outer_slots[s].rep, tuple(exp.column(nm, gname) for nm in gnames[k]), outer_slots[s].kinds)
                       for k, s in enumerate(step.group)]
        inner.run(step.body)
        iname, islots = inner.materialize("i", distinct=True)
        self.ctes = inner.ctes
        term = inner.expr(step.term, step.literal) if step.term is not None else None
        inner.fault(self._term_faults(step, term), step.literal)
        self.checks.extend(inner.checks)
        return inner, iname, islots, term

    def _term_faults(self, step: P.AggregateStep, term: Val | None) -> list[RowFault]:
        """What makes a numeric aggregate's term undefined, or not computable as in memory."""
        faults: list[RowFault] = []
        if term is not None and AGGREGATES[step.func].numeric:
            bad = _not_number(term)
            if bad is not None:  # left out of the sum, as in memory (AggregateFunction.left_out)
                faults.append(undefined(bad, step.func, NOT_A_NUMBER, (term,)))
            if step.recursive:
                neg = compare("<", term, const_val(0), self.d)
                faults.append(RowFault(neg, "E602", "recursive `sum` met a negative number; it would not be monotone"))
            if QUO in term.kinds:
                faults.append(RowFault(exp.Not(this=_no_more_digits(term)), "E902", "a sum of numbers with more than 10 "
                                    "digits after the point, which the SQL backends cannot compute as in memory"))
        return faults

    def _count_sum(self, func: str, term: Val | None, aname: str, agg_cols: list[exp.Expr]) -> Val:
        """Adds `count`'s or `sum`'s columns to `agg_cols`; the value read from CTE `aname` (0 for no match)."""
        d = self.d
        if func == "count":
            agg_cols.append(exp.Count(this=exp.Star()).as_("v"))
            return Val("int", (exp.Coalesce(this=exp.column("v", aname), expressions=[exp.Literal.number(0)]),),
                       frozenset({"int"}))
        assert term is not None
        if term.rep == "int":
            agg_cols.append(exp.Cast(this=exp.Sum(this=term.parts[0].copy()), to=d.int_type.copy()).as_("v"))
            return Val("int", (exp.Coalesce(this=exp.column("v", aname), expressions=[exp.Literal.number(0)]),),
                       frozenset({"int"}))
        n, _t, dec, _x = to_any(term, d).parts  # x is 0: a sum of more digits is refused (E902)
        agg_cols.append(d.num(exp.Sum(this=n.copy())).as_("vn"))
        agg_cols.append(exp.Max(this=case(dec.copy(), exp.Literal.number(1), exp.Literal.number(0))).as_("vd"))
        return Val("any", (
            exp.Coalesce(this=exp.column("vn", aname), expressions=[d.num(exp.Literal.number(0))]),
            exp.Literal.string(""),
            exp.EQ(this=exp.Coalesce(this=exp.column("vd", aname), expressions=[exp.Literal.number(0)]),
                   expression=exp.Literal.number(1)), d.num(exp.Literal.number(0))),
            frozenset({"int"} | ({"dec"} if "dec" in term.kinds else set())))

    def _min_max(self, func: str, term: Val, matches: Callable[[], exp.Select], aname: str,
                 key_cols: list[exp.Expr], key_names: list[str], agg_cols: list[exp.Expr]) -> tuple[exp.Select, Val]:
        cls = exp.Min if func == "min" else exp.Max
        if term.rep != "any":
            agg_cols.append(cls(this=term.parts[0].copy()).as_("v"))
            return matches().select(*agg_cols), Val(term.rep, (exp.column("v", aname),), term.kinds)
        # (t, n, x) order: the extreme tag first, then the extreme number among that tag (and the extreme
        # more digits among those), then whether that number was written as a decimal
        n, t, dec, x = to_any(term, self.d).parts
        tiers = [(t, "mt"), (n, "mn")] + ([(x, "mx")] if QUO in term.kinds else [])
        name, on = self._extremes(cls, tiers, matches, key_cols, key_names)
        agg_cols.append(exp.Max(this=exp.column("mt", name)).as_("vt"))
        agg_cols.append(exp.Max(this=exp.column("mn", name)).as_("vn"))
        agg_cols.append(exp.Min(this=case(dec.copy(), exp.Literal.number(1), exp.Literal.number(0))).as_("vd"))
        more = exp.column("mx", name) if QUO in term.kinds else self.d.num(exp.Literal.number(0))
        agg_cols.append(exp.Max(this=more).as_("vx"))
        base = matches().select(*agg_cols).join(exp.to_table(name), on=on, join_type="inner")
        value = Val("any", (exp.column("vn", aname), exp.column("vt", aname),
                            exp.EQ(this=exp.column("vd", aname), expression=exp.Literal.number(1)),
                            exp.column("vx", aname)), term.kinds)
        return base, value

    def _extremes(self, cls: Callable[..., exp.Expr], tiers: list[tuple[exp.Expr, str]],
                  matches: Callable[[], exp.Select], key_cols: list[exp.Expr],
                  key_names: list[str]) -> tuple[str, exp.Expr]:
        """CTEs of the extreme of each tier among the matches that reach the extremes of the tiers before
        it, per group; the last CTE's name and the condition that a match reaches them all."""
        prev: str | None = None
        names: list[str] = []
        for part, col in tiers:
            name = self.fresh("m")
            keys = [c.copy().as_(nm) for c, nm in zip(key_cols, key_names)]
            kept = [exp.column(c, prev).as_(c) for c in names] if prev is not None else []
            q = matches().select(*keys, *kept, cls(this=part.copy()).as_(col))
            if prev is not None:
                q = q.join(exp.to_table(prev), on=self._reach(prev, tiers[:len(names)], key_cols, key_names),
                           join_type="inner")
            group = [c.copy() for c in key_cols] + [exp.column(c, prev) for c in names if prev is not None]
            if group:
                q = q.group_by(*group)
            self.ctes.append((name, q))
            prev = name
            names.append(col)
        assert prev is not None
        return prev, self._reach(prev, tiers, key_cols, key_names)

    @staticmethod
    def _reach(name: str, tiers: list[tuple[exp.Expr, str]], key_cols: list[exp.Expr],
               key_names: list[str]) -> exp.Expr:
        return and_([exp.EQ(this=c.copy(), expression=exp.column(nm, name)) for c, nm in zip(key_cols, key_names)]
                    + [exp.EQ(this=part.copy(), expression=exp.column(col, name)) for part, col in tiers])


def _seed() -> exp.Expr:
    return exp.select(exp.Literal.number(1).as_("_u")).subquery("seed")


def head_columns(b: Builder, args: tuple[P.PExpr, ...], reps: list[str], literal: int) -> list[exp.Expr]:
    """The head tuple's physical columns, named as the head relation's."""
    cols: list[exp.Expr] = []
    for i, (a, rep) in enumerate(zip(args, reps)):
        v = to_rep(b.expr(a, literal), rep, b.d)
        cols.extend(p.copy().as_(nm) for p, nm in zip(v.parts, column_names(i, rep)))
    return cols


@dataclass
class CompiledPlan:
    plan: P.RulePlan
    select: exp.Select
    checks: list[Check]
    grows: tuple[int, ...] = ()  # the head columns arithmetic computes (engine.evaluation.growth)


def compile_plan(plan: P.RulePlan, d: Dialect, schema: Schema, literal_span: Callable[[int], Span]) -> CompiledPlan:
    """A rule plan to the SELECT of its head tuples and its run-time checks."""
    b = Builder(d, schema, literal_span)
    b.run(plan.steps)
    cols = head_columns(b, plan.head_args, schema.reps(plan.head), -1)
    return CompiledPlan(plan, b.select(cols), b.checks, computed_columns(plan))

