"""Random Datalog programs as data, and their Syllog source text.

The programs are built to be valid by construction:

* **Typed columns.** Every column of every predicate has a kind: `int`
  (integers of 0..5), `sym` (symbols a, b, c) or `any` (both); each program
  draws its domain, a prefix 0..k-1 of the integers and a prefix of the symbols
  (small domains make joins succeed). Constants are always of their column's
  kind. Ordering comparisons (`<`, `<=`, `>`, `>=`) and `min` / `max` may mix
  kinds (all values are totally ordered, numbers before symbols), unless
  `GenConfig.cross_kind_order` is off (for pyDatalog, where Python would raise
  on `1 < 'a'`). `sum` only ranges over int columns. A variable's kind is
  that of the positive columns it occupies (`int` if any of them is an int
  column, and so on). Without `.decl` a variable may sit in both an int and a
  sym column (a join that never succeeds); with `.decl` it may not, as Syllog
  then rejects it statically (E302, "a variable holds one kind of value").
* **Safe.** Every variable of a head, a negated atom or a comparison is bound
  by a positive atom of the body, by `B = t` (docs: "`X = expr` binds `X` when
  `X` is not yet bound"; t a bound variable, another such B, or a constant) or
  is the result variable of an aggregate. The grouping variables of an
  aggregate are bound by positive atoms. Negated atoms and aggregate bodies may
  also hold `_` and constants.
* **Stratified.** Each IDB predicate has a level (0..2); EDB predicates sit
  below every level. A positive atom may use a predicate of the same or a lower
  level (hence recursion, also mutual and non-linear); `not` and aggregates only
  use strictly lower levels. The first rule of a predicate is mostly a base case
  (no predicate of its own level).

Also generated: repeated variables in atoms (`p(X, X)`), constants in body
atoms and heads, zero-arity predicates, anonymous `_`, named variables that
start with an underscore (`_V3`, ordinary variables per docs/language.md),
facts for IDB predicates, rules with no positive atom (`q :- not r.`), body
literals in any order (comparisons and negations before the atoms that bind
their variables), `.decl` lines or none, and aggregates `count` / `sum` / `min`
/ `max` over one positive atom (with constants, `_` and repeated local
variables) whose variables shared with the rest of the rule group it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal as Lit

from hypothesis import strategies as st

Value = int | str  # int for integers, str for symbols
Kind = Lit["int", "sym", "any"]

INTS: tuple[int, ...] = (0, 1, 2, 3, 4, 5)
SYMS: tuple[str, ...] = ("a", "b", "c")
ORDER_OPS: tuple[str, ...] = ("<", "<=", ">", ">=")
EQ_OPS: tuple[str, ...] = ("=", "!=")


# ---------------------------------------------------------------- the data


@dataclass(frozen=True)
class Var:
    name: str


@dataclass(frozen=True)
class Const:
    value: Value


@dataclass(frozen=True)
class Anon:
    """`_`: every occurrence is a fresh variable (compared by identity)."""

    ident: int


Term = Var | Const | Anon


@dataclass(frozen=True)
class Atom:
    pred: str
    args: tuple[Term, ...] = ()


@dataclass(frozen=True)
class Neg:
    atom: Atom


@dataclass(frozen=True)
class Cmp:
    op: str  # one of = != < <= > >=
    left: Var | Const
    right: Var | Const


@dataclass(frozen=True)
class Agg:
    """`result = func { term : body }`; `term` is None for count."""

    result: Var
    func: str  # count | sum | min | max
    term: Var | None
    body: Atom


BodyLit = Atom | Neg | Cmp | Agg


@dataclass(frozen=True)
class Rule:
    head: Atom
    body: tuple[BodyLit, ...] = ()


@dataclass(frozen=True)
class Pred:
    name: str
    kinds: tuple[Kind, ...]
    level: int  # -1 for EDB

    @property
    def arity(self) -> int:
        return len(self.kinds)


@dataclass
class Program:
    preds: dict[str, Pred] = field(default_factory=dict)
    facts: list[Atom] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    declare: bool = False  # render `.decl` lines
    decl_style: int = 0  # bit 0: int columns declared `number`; bit 1: field names in upper case

    @property
    def edb(self) -> list[str]:
        return [p.name for p in self.preds.values() if p.level < 0]

    @property
    def idb(self) -> list[str]:
        return [p.name for p in self.preds.values() if p.level >= 0]

    def __str__(self) -> str:
        return render(self)


@dataclass(frozen=True)
class GenConfig:
    aggregates: bool = True
    max_edb: int = 3
    max_idb: int = 4
    max_arity: int = 3
    max_levels: int = 3
    max_rules_per_pred: int = 3
    max_positive: int = 3
    max_negative: int = 2
    max_comparisons: int = 2
    max_bindings: int = 2  # `B = t` with B bound by nothing else
    max_aggregates: int = 2
    max_facts_per_pred: int = 10
    cross_kind_order: bool = True  # `<` and min/max between an integer and a symbol
    aggregate_funcs: tuple[str, ...] = ("count", "sum", "min", "max", "avg")


# ---------------------------------------------------------------- rendering


def render_term(t: Term) -> str:
    if isinstance(t, Var):
        return t.name
    if isinstance(t, Anon):
        return "_"
    return str(t.value)


def render_atom(a: Atom) -> str:
    if not a.args:
        return a.pred
    return f"{a.pred}({', '.join(render_term(t) for t in a.args)})"


def render_lit(lit: BodyLit) -> str:
    if isinstance(lit, Atom):
        return render_atom(lit)
    if isinstance(lit, Neg):
        return "not " + render_atom(lit.atom)
    if isinstance(lit, Cmp):
        return f"{render_term(lit.left)} {lit.op} {render_term(lit.right)}"
    term = "" if lit.term is None else render_term(lit.term) + " "
    return f"{lit.result.name} = {lit.func} {{ {term}: {render_atom(lit.body)} }}"


_DECL_TYPE: dict[str, str] = {"int": "int", "sym": "symbol", "any": "any"}


def render(program: Program) -> str:
    """Syllog source text of `program`."""
    lines: list[str] = []
    if program.declare:
        types = dict(_DECL_TYPE, int="number") if program.decl_style & 1 else _DECL_TYPE
        field = "C" if program.decl_style & 2 else "c"
        for p in program.preds.values():
            params = ", ".join(f"{field}{i}: {types[k]}" for i, k in enumerate(p.kinds))
            lines.append(f".decl {p.name}({params})")
    for f in program.facts:
        lines.append(render_atom(f) + ".")
    for r in program.rules:
        if r.body:
            lines.append(f"{render_atom(r.head)} :- {', '.join(render_lit(b) for b in r.body)}.")
        else:
            lines.append(render_atom(r.head) + ".")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- helpers


def term_vars(terms: tuple[Term, ...]) -> list[Var]:
    return [t for t in terms if isinstance(t, Var)]


def lit_vars(lit: BodyLit) -> list[Var]:
    """The named variables of a literal (for aggregates: result and body)."""
    if isinstance(lit, Atom):
        return term_vars(lit.args)
    if isinstance(lit, Neg):
        return term_vars(lit.atom.args)
    if isinstance(lit, Cmp):
        return term_vars((lit.left, lit.right))
    return [lit.result, *term_vars(lit.body.args)]


def _kind_of(kinds: set[str]) -> str:
    """Effective kind of a variable seen in positive columns of `kinds`."""
    if "int" in kinds and "sym" in kinds:
        return "none"
    if "int" in kinds:
        return "int"
    if "sym" in kinds:
        return "sym"
    return "any"


def _fits(var_kind: str, col: Kind) -> bool:
    if var_kind == "none":
        return False
    return col == "any" or var_kind == col


class _Ctx:
    """Per rule: fresh names, the program's domain, whether kinds are strict."""

    def __init__(self, ints: tuple[int, ...], syms: tuple[str, ...], strict: bool) -> None:
        self.n = 0
        self.ints = ints
        self.syms = syms
        # with `.decl`, Syllog checks that a variable holds one kind of value
        # (E302), so then a variable never sits in both an int and a sym column
        self.strict = strict

    def fresh(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def anon(self) -> Anon:
        self.n += 1
        return Anon(self.n)

    def values(self, kind: Kind) -> tuple[Value, ...]:
        if kind == "int":
            return self.ints
        if kind == "sym":
            return self.syms
        return self.ints + self.syms

    def may_join(self, seen: set[str], col: Kind) -> bool:
        """May a variable seen in columns `seen` also go in a `col` column?"""
        return not self.strict or _kind_of(seen | {col}) != "none"


# ---------------------------------------------------------------- strategies


def _const(draw: st.DrawFn, kind: Kind, ctx: _Ctx) -> Const:
    return Const(draw(st.sampled_from(ctx.values(kind))))


def _few(draw: st.DrawFn, most: int) -> int:
    """0 half of the time, else 1..most (shrinks to 0)."""
    return max(0, draw(st.integers(-most, most)))


def _positive_atom(draw: st.DrawFn, pred: Pred, seen: dict[Var, set[str]], ctx: _Ctx) -> Atom:
    """`seen`: the variables so far and the kinds of the columns they are in."""
    args: list[Term] = []
    for kind in pred.kinds:
        # 0-4: an existing variable (if any), 5-7: new, 8: anon, 9: const
        c = draw(st.integers(0, 9))
        existing = [v for v, k in seen.items() if ctx.may_join(k, kind)]
        fitting = [v for v in existing if _kind_of(seen[v] | {kind}) != "none"]
        if c <= 4 and existing:
            # mostly a variable of a fitting kind (a join that can succeed)
            prefer_fitting = draw(st.integers(0, 7)) > 0
            v = draw(st.sampled_from(fitting if fitting and prefer_fitting else existing))
        elif c <= 7:
            # mostly `V3`, sometimes `_V3` (a named variable, not anonymous)
            v = Var(ctx.fresh("_V" if draw(st.integers(0, 7)) == 7 else "V"))
        elif c == 8:
            args.append(ctx.anon())
            continue
        else:
            args.append(_const(draw, kind, ctx))
            continue
        seen.setdefault(v, set()).add(kind)
        args.append(v)
    return Atom(pred.name, tuple(args))


def _neg_atom(draw: st.DrawFn, pred: Pred, seen: dict[Var, set[str]], ctx: _Ctx) -> Atom:
    """`seen`: the bound variables and the columns they have been in so far."""
    args: list[Term] = []
    for kind in pred.kinds:
        # 0-4: a bound variable, 5: a constant, 6: anon
        c = draw(st.integers(0, 6))
        fitting = [v for v, k in seen.items() if ctx.may_join(k, kind)]
        if c <= 4 and fitting:
            v = draw(st.sampled_from(fitting))
            seen[v].add(kind)
            args.append(v)
        elif c <= 5:
            args.append(_const(draw, kind, ctx))
        else:
            args.append(ctx.anon())
    return Atom(pred.name, tuple(args))


def _aggregate(
    draw: st.DrawFn, pred: Pred, seen: dict[Var, set[str]], ctx: _Ctx, cfg: GenConfig
) -> tuple[Agg, str]:
    """An aggregate over `pred`, and the kind of its result (`seen` as for `_neg_atom`)."""
    args: list[Term] = []
    local: dict[Var, set[str]] = {}
    for kind in pred.kinds:
        # 0-1 grouping var, 2-4 local var (new or repeated), 5 const, 6 anon
        c = draw(st.integers(0, 6))
        grouping = [v for v, k in seen.items() if ctx.may_join(k, kind)]
        if c <= 1 and grouping:
            v = draw(st.sampled_from(grouping))
            seen[v].add(kind)
            args.append(v)
        elif c <= 4:
            again = [v for v, k in local.items() if ctx.may_join(k, kind)]
            if again and draw(st.integers(0, 3)) == 0:
                v = draw(st.sampled_from(again))
            else:
                v = Var(ctx.fresh("L"))
            local.setdefault(v, set()).add(kind)
            args.append(v)
        elif c == 5:
            args.append(_const(draw, kind, ctx))
        else:
            args.append(ctx.anon())
    func = draw(st.sampled_from(cfg.aggregate_funcs))
    kinds = {v: _kind_of(k) for v, k in local.items()}
    ints = [v for v, k in kinds.items() if k == "int"]
    ordered = list(kinds) if cfg.cross_kind_order else [v for v, k in kinds.items() if k in ("int", "sym")]
    term: Var | None = None
    result_kind = "int"
    if func in ("sum", "avg") and ints:
        term = draw(st.sampled_from(ints))
        result_kind = "any" if func == "avg" else "int"  # a mean may be a decimal
    elif func in ("min", "max") and ordered:
        term = draw(st.sampled_from(ordered))
        result_kind = kinds[term] if kinds[term] != "none" else "any"
    else:
        func = "count"
    return Agg(Var(ctx.fresh("N")), func, term, Atom(pred.name, tuple(args))), result_kind


def _comparison(draw: st.DrawFn, kinds: dict[Var, str], ctx: _Ctx, cfg: GenConfig) -> Cmp:
    op = draw(st.sampled_from(EQ_OPS + ORDER_OPS))
    if op in EQ_OPS or cfg.cross_kind_order:
        variables = list(kinds)
        consts = [Const(x) for x in ctx.values("any")]
    else:
        k: Kind = draw(st.sampled_from(("int", "sym")))
        variables = [v for v, vk in kinds.items() if vk == k]
        consts = [Const(x) for x in ctx.values(k)]
    # mostly a variable on the left; the right one a variable or a constant
    left: Var | Const
    right: Var | Const
    var_left: bool = draw(st.integers(0, 7)) > 0
    var_right: bool = draw(st.booleans())
    left = draw(st.sampled_from(variables)) if variables and var_left else draw(st.sampled_from(consts))
    right = draw(st.sampled_from(variables)) if variables and var_right else draw(st.sampled_from(consts))
    if draw(st.booleans()):
        left, right = right, left
    return Cmp(op, left, right)


def _rule(draw: st.DrawFn, head: Pred, preds: list[Pred], cfg: GenConfig, ctx: _Ctx, base: bool) -> Rule:
    """A rule for `head`; a `base` rule uses no predicate of its own level."""
    lower = [p for p in preds if p.level < head.level]
    same_or_lower = lower if base else [p for p in preds if p.level <= head.level]
    n_pos = draw(st.integers(1, cfg.max_positive))
    if draw(st.integers(0, 15)) == 0:
        n_pos = 0  # a rule with no positive atom: only constants in the head
    seen: dict[Var, set[str]] = {}
    body: list[BodyLit] = [_positive_atom(draw, draw(st.sampled_from(same_or_lower)), seen, ctx) for _ in range(n_pos)]
    kinds: dict[Var, str] = {v: _kind_of(k) for v, k in seen.items()}  # and `=` / aggregate results
    # `B = t` binds a fresh B to a bound variable (even a later one: B2 = B1) or a constant
    by_eq: dict[Var, set[str]] = {}  # shares its sets with `seen`: B and t are of one kind
    for _ in range(_few(draw, cfg.max_bindings)):
        new = Var(ctx.fresh("B"))
        sources = [*seen, *by_eq]
        src: Var | Const
        if sources and draw(st.integers(0, 3)) > 0:
            src = draw(st.sampled_from(sources))
            by_eq[new] = seen[src] if src in seen else by_eq[src]
        else:
            src = _const(draw, "any", ctx)
            by_eq[new] = {"int" if isinstance(src.value, int) else "sym"}
        kinds[new] = _kind_of(by_eq[new])
        body.append(Cmp("=", new, src) if draw(st.booleans()) else Cmp("=", src, new))
    if lower:
        for _ in range(_few(draw, cfg.max_negative)):
            body.append(Neg(_neg_atom(draw, draw(st.sampled_from(lower)), {**seen, **by_eq}, ctx)))
        if cfg.aggregates:
            for _ in range(_few(draw, cfg.max_aggregates)):
                agg, kind = _aggregate(draw, draw(st.sampled_from(lower)), seen, ctx, cfg)
                body.append(agg)
                kinds[agg.result] = kind
    for _ in range(_few(draw, cfg.max_comparisons)):
        body.append(_comparison(draw, kinds, ctx, cfg))
    # head: variables whose kind fits the column, else a constant
    head_args: list[Term] = []
    for col in head.kinds:
        fitting = [v for v, k in kinds.items() if _fits(k, col)]
        if fitting and draw(st.integers(0, 5)) > 0:
            head_args.append(draw(st.sampled_from(fitting)))
        else:
            head_args.append(_const(draw, col, ctx))
    order = draw(st.permutations(range(len(body))))
    return Rule(Atom(head.name, tuple(head_args)), tuple(body[i] for i in order))


def _kinds(draw: st.DrawFn, cfg: GenConfig) -> tuple[Kind, ...]:
    # arity 1 first (shrinks there), zero-arity now and then
    arity = min(draw(st.sampled_from((1, 2, 1, 2, 3, 0))), cfg.max_arity)
    k: list[Kind] = [draw(st.sampled_from(("int", "any", "sym"))) for _ in range(arity)]
    return tuple(k)


@st.composite
def programs(draw: st.DrawFn, cfg: GenConfig = GenConfig()) -> Program:
    """A random safe, stratified program (see the module docstring)."""
    # a domain per program: 0..k-1 (k <= 6) and some of a, b, c; smaller
    # domains make joins succeed more often
    ints = INTS[: draw(st.integers(1, len(INTS)))]
    syms = SYMS[: draw(st.integers(1, len(SYMS)))]
    n_edb = draw(st.integers(1, cfg.max_edb))
    n_idb = draw(st.integers(1, cfg.max_idb))
    preds: list[Pred] = [Pred(f"e{i}", _kinds(draw, cfg), -1) for i in range(n_edb)]
    levels = sorted(draw(st.integers(0, cfg.max_levels - 1)) for _ in range(n_idb))
    preds += [Pred(f"p{i}", _kinds(draw, cfg), lvl) for i, lvl in enumerate(levels)]
    prog = Program(preds={p.name: p for p in preds}, declare=draw(st.booleans()), decl_style=draw(st.integers(0, 3)))
    fact_ctx = _Ctx(ints, syms, prog.declare)
    for p in preds:
        if p.level < 0:
            if p.arity == 0:
                n = draw(st.integers(0, 1))
            else:
                n = draw(st.integers(0, cfg.max_facts_per_pred))
                n = max(n, draw(st.sampled_from((1, 1, 1, 0))))  # mostly not empty
        else:
            n = 1 if draw(st.integers(0, 7)) == 0 else 0  # a fact for an IDB predicate
        prog.facts += [Atom(p.name, tuple(_const(draw, k, fact_ctx) for k in p.kinds)) for _ in range(n)]
    for p in preds:
        if p.level < 0:
            continue
        for i in range(draw(st.integers(1, cfg.max_rules_per_pred))):
            base = i == 0 and draw(st.integers(0, 7)) > 0  # mostly a base case first
            prog.rules.append(_rule(draw, p, preds, cfg, _Ctx(ints, syms, prog.declare), base))
    return prog
