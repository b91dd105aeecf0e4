"""Demand stage: a checked program and a goal to a program that derives only what the goal needs.

Stage: between analysis and evaluation, for `query` and `why`. Input: a
checked `Program` and a goal (a body, as after `?-`). Output: a `Demand`
holding a checked `Program` (the magic-sets rewrite) that the usual
`Evaluator` runs, and how its predicates map back to the original ones.

The rewrite (generalised magic sets, with sideways information passing):

- each derived predicate the goal reaches with some arguments bound gets an
  *adorned* copy per binding pattern (`path_bf` for `path` with its first
  argument bound) and a *magic* predicate holding the bound values asked for
  (`magic_path_bf`); the goal's constants are the first magic facts;
- each rule of an adorned predicate gets the magic atom as its first premise;
  its body is walked in a sideways order (the literals whose variables are
  bound first, then the atom with most bound arguments), and each derived
  atom on the way is adorned by what is bound at that point, with a magic
  rule passing the bindings of the literals before it;
- a derived predicate reached with no argument bound is evaluated fully, with
  its own rules, and so is everything below it; so is a predicate whose
  demand cannot pass soundly: read through `not` or inside an aggregate that
  its own demand would make recursive (the rewritten program must stay
  stratified, its aggregates as recursive as they were).

Contract: for every adorned predicate, the union of its adorned relations
holds exactly the tuples of the full model whose bound columns match a
demanded binding, and every rule instance of the full model that derives one
of them uses only tuples the rewritten program holds. So the goal's answers,
grades and proofs, found with the ORIGINAL rules over those relations
(`demand_relations`), are exactly those of the full model. See
docs/evaluation.md ("Demand: magic sets").
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from . import nodes as n
from .analysis import Fact, FactGroup, Facts, Program, const_eval
from .analysis.safety import aggregate_outside, group_vars
from .analysis.strata import dependency_edges, stratify
from .analysis.walk import body_atoms
from .errors import SyllogError
from .evaluation import Evaluator, Limits, Relation
from .evaluation.options import DEFAULT_OPTIONS
from .evaluation.relation import Row
from .model import Model
from .syntax.pretty import rule as rule_text
from .syntax.pretty import value as value_text
from .values import ArithmeticFault

MODES = ("auto", "on", "off")


@dataclass(frozen=True, slots=True)
class Adorned:
    """One binding pattern of a predicate: `pattern` has a `b` or `f` per argument."""

    pred: str
    pattern: str
    name: str  # the adorned predicate
    magic: str  # its magic predicate: the bound values asked for

    @property
    def bound(self) -> tuple[int, ...]:
        return tuple(i for i, c in enumerate(self.pattern) if c == "b")


@dataclass
class Demand:
    """The rewrite of a program for one goal.

    `program` is None when no sound rewrite exists (`refused` says why).
    `full` holds the derived predicates evaluated with their own rules;
    `risky` the reasons `auto` declines the rewrite (see `choose`).
    """

    original: Program
    goal: tuple[n.Literal, ...]
    program: Program | None = None
    adorned: dict[str, list[Adorned]] = field(default_factory=dict)
    full: set[str] = field(default_factory=set)
    risky: list[str] = field(default_factory=list)
    refused: str | None = None

    @property
    def restricts(self) -> bool:
        """Does some predicate get a bound argument (else the rewrite only leaves out what the goal does not use)?"""
        return bool(self.adorned)


@dataclass(frozen=True, slots=True)
class Choice:
    """Which way a goal is answered: on demand (`demand` set) or by full evaluation, and why."""

    demand: Demand | None
    reason: str

    @property
    def used(self) -> bool:
        return self.demand is not None and self.demand.program is not None


# ---- the sideways order ------------------------------------------------------


def _named(e: n.Expr) -> set[str]:
    return {v.name for v in n.expr_vars(e) if not v.anonymous}


def _aggregate_of(lit: n.Comparison) -> n.Aggregate | None:
    if isinstance(lit.left, n.Aggregate):
        return lit.left
    return lit.right if isinstance(lit.right, n.Aggregate) else None


def _bound_arg(e: n.Expr, bound: set[str]) -> bool:
    if isinstance(e, n.Const):
        return True
    if isinstance(e, n.Var):
        return not e.anonymous and e.name in bound
    if isinstance(e, n.Aggregate):
        return False
    return all(not v.anonymous and v.name in bound for v in n.expr_vars(e))


def pattern_of(atom: n.Atom, bound: set[str]) -> str:
    """`b` for each argument whose value is known from `bound` (constants included), `f` for the others."""
    return "".join("b" if _bound_arg(a, bound) else "f" for a in atom.args)


def _ready(lit: n.Literal, bound: set[str], groups: dict[int, list[str]]) -> bool:
    """Can a literal that is not a positive atom be placed (as a filter or a binding)?"""
    if isinstance(lit, n.Negation):
        return all(v.anonymous or v.name in bound for v in n.literal_vars(lit))
    if not isinstance(lit, n.Comparison):
        return False
    agg = _aggregate_of(lit)
    if agg is not None:
        other = lit.right if agg is lit.left else lit.left
        return set(groups[id(agg)]) <= bound and (_named(other) <= bound or (lit.op == "=" and isinstance(other, n.Var)))
    left, right = _named(lit.left) <= bound, _named(lit.right) <= bound
    if left and right:
        return True
    return lit.op == "=" and ((isinstance(lit.left, n.Var) and right) or (isinstance(lit.right, n.Var) and left))


def _binds(lit: n.Literal, bound: set[str]) -> set[str]:
    """The variables a placed literal binds."""
    if isinstance(lit, n.Atom):
        return {v.name for v in n.literal_vars(lit) if not v.anonymous}
    if isinstance(lit, n.Comparison) and lit.op == "=":
        return {s.name for s in (lit.left, lit.right) if isinstance(s, n.Var) and not s.anonymous} - bound
    return set()


def sideways_order(head: n.Atom | None, body: tuple[n.Literal, ...], bound: set[str]) -> list[int]:
    """The order in which bindings pass through a body: ready filters and bindings first, then the
    positive atom with most bound arguments (in body order among equals).

    >>> from engine.model import parse_goal
    >>> body, _ = parse_goal("path(X, Y), edge(Y, 3)")
    >>> sideways_order(None, body, set())
    [1, 0]
    """
    groups = {id(a): group_vars(a, aggregate_outside(head, body, a)) for a in n.body_aggregates(body)}
    order: list[int] = []
    pending = list(range(len(body)))
    bound = set(bound)

    def place(i: int) -> None:
        order.append(i)
        pending.remove(i)
        bound.update(_binds(body[i], bound))

    def aggregate(i: int) -> bool:
        lit = body[i]
        return isinstance(lit, n.Comparison) and _aggregate_of(lit) is not None

    while pending:
        # filters and bindings first, then atoms whose arguments are all bound, then aggregates
        ready = next((i for i in pending if not aggregate(i) and _ready(body[i], bound, groups)), None)
        if ready is None:
            ready = next((i for i in pending if isinstance(body[i], n.Atom)
                          and "f" not in pattern_of(body[i], bound)), None)  # type: ignore[arg-type]
        if ready is None:
            ready = next((i for i in pending if _ready(body[i], bound, groups)), None)
        if ready is not None:
            place(ready)
            continue
        atoms = [i for i in pending if isinstance(body[i], n.Atom)]
        if not atoms:
            order.extend(pending)  # cannot happen in a safe body
            break
        place(min(atoms, key=lambda i: (-pattern_of(body[i], bound).count("b"), i)))  # type: ignore[arg-type]
    return order


# ---- the rewrite -------------------------------------------------------------


def dependencies(program: Program) -> dict[str, set[str]]:
    """Each derived predicate's body predicates (through `not` and aggregates too)."""
    deps: dict[str, set[str]] = {}
    for r in program.rules:
        deps.setdefault(r.head.pred, set()).update(pred for pred, _kind, _lit in dependency_edges(r))
    return deps


def below(preds: set[str], deps: dict[str, set[str]]) -> set[str]:
    """`preds` and every predicate they depend on."""
    out = set(preds)
    todo = list(preds)
    while todo:
        for q in deps.get(todo.pop(), ()):
            if q not in out:
                out.add(q)
                todo.append(q)
    return out


class _Scope:
    """What is known at one point of a body walk: the variables bound, and the literals so far
    as a magic rule writes them (`kept`: those that read no demanded predicate through `not` or an
    aggregate, which could break stratification; a magic rule uses them when they bind what it needs).
    """

    def __init__(self, magic: n.Atom | None, bound: set[str]) -> None:
        self.bound = set(bound)  # the body's own names
        self.prefix: list[n.Literal] = [magic] if magic is not None else []
        self.kept: list[n.Literal] = list(self.prefix)
        self.kept_bound = set(bound)  # names as the magic rule writes them

    def braces(self, group: list[str]) -> _Scope:
        """The scope inside an aggregate's braces, whose groups are bound."""
        s = _Scope(None, set(group))
        s.prefix, s.kept, s.kept_bound = list(self.prefix), list(self.kept), set(self.kept_bound)
        return s

    def place(self, lit: n.Literal, shown: n.Literal, keep: bool, group: list[str] | None = None) -> None:
        """Place a body literal; `shown` is its rewritten form with the names a magic rule uses."""
        self.bound |= _binds(lit, self.bound)
        self.prefix.append(shown)
        if keep and _placeable(shown, self.kept_bound, group or []):
            self.kept.append(shown)
            self.kept_bound |= _binds(shown, self.kept_bound)

    def body_for(self, needed: set[str]) -> tuple[n.Literal, ...]:
        """The body of a magic rule whose head uses `needed`: the kept literals if they bind it, else all."""
        return tuple(self.kept if needed <= self.kept_bound else self.prefix)


def _placeable(lit: n.Literal, bound: set[str], group: list[str]) -> bool:
    """Can `lit` follow literals that bind `bound` (its aggregate grouped by `group`)?"""
    if isinstance(lit, n.Atom):
        return True
    if isinstance(lit, n.Comparison) and _aggregate_of(lit) is not None:
        agg = _aggregate_of(lit)
        return _ready(lit, bound, {id(agg): group})
    return _ready(lit, bound, {})


class _Rewriter:
    """One attempt at the rewrite, with a given set of fully evaluated predicates."""

    def __init__(self, program: Program, full: set[str]) -> None:
        self.program = program
        self.rules_of: dict[str, list[int]] = {}
        for i, r in enumerate(program.rules):
            self.rules_of.setdefault(r.head.pred, []).append(i)
        self.full = full
        self.taken = set(program.arity)
        self.adorned: dict[tuple[str, str], Adorned] = {}
        self.queue: list[Adorned] = []
        self.rules: list[n.Rule] = []
        self.seen_rules: set[n.Rule] = set()
        self.seeds: list[Fact] = []
        self.more_full: set[str] = set()  # reached with nothing bound: to evaluate fully
        self.risky: list[str] = []
        self.used: set[str] = set()  # original predicates read as they are
        self.component = {p: k for k, comp in enumerate(program.strata) for p in comp}
        self.recursive = {k for k, rec in enumerate(program.recursive) if rec}
        self.fresh = 0
        self.names: set[str] = set()  # the variables of the rule being rewritten, which fresh names avoid

    def unique(self, name: str) -> str:
        while name in self.taken:
            name += "_"
        self.taken.add(name)
        return name

    def adorn(self, pred: str, pattern: str) -> Adorned:
        got = self.adorned.get((pred, pattern))
        if got is None:
            got = Adorned(pred, pattern, self.unique(f"{pred}_{pattern}"), self.unique(f"magic_{pred}_{pattern}"))
            self.adorned[(pred, pattern)] = got
            self.queue.append(got)
        return got

    def emit(self, r: n.Rule) -> None:
        if r not in self.seen_rules:
            self.seen_rules.add(r)
            self.rules.append(r)

    def demanded(self, pred: str) -> bool:
        return pred in self.rules_of and pred not in self.full

    # -- atoms -----------------------------------------------------------------
    def use(self, atom: n.Atom, scope: _Scope, head: str | None, rename: dict[str, str]) -> n.Atom:
        """The atom as the rewritten program reads it, with the magic rule that asks for its bindings."""
        if not self.demanded(atom.pred):
            self.used.add(atom.pred)
            return atom
        pattern = pattern_of(atom, scope.bound)
        if "b" not in pattern:
            self.more_full.add(atom.pred)
            self.used.add(atom.pred)
            return atom
        a = self.adorn(atom.pred, pattern)
        args = tuple(_rename(atom.args[i], rename) for i in a.bound)
        needed = {v for e in args for v in _named(e)}
        body = scope.body_for(needed)
        magic = n.Atom(a.magic, args, atom.span)
        if not body:
            try:
                self.seeds.append(Fact(a.magic, tuple(const_eval(e) for e in args), (), atom.span))
            except ArithmeticFault:
                self.more_full.add(atom.pred)  # the goal itself will report it
        elif not (len(body) == 1 and body[0] == magic):
            self.emit(n.Rule(magic, body, (), atom.span))
            if head is not None and self.same_recursion(head, atom.pred) and "f" in pattern \
                    and any(isinstance(x, n.Atom) for x in body[1:]):
                self.risky.append(f"`{atom.pred}` is asked for values that its own recursion computes "
                                  f"({a.name}, through `{rule_text(n.Rule(magic, body))}`)")
        return n.Atom(a.name, atom.args, atom.span)

    def same_recursion(self, p: str, q: str) -> bool:
        k = self.component.get(p)
        return k is not None and k in self.recursive and self.component.get(q) == k

    # -- bodies ------------------------------------------------------------------
    def body(self, head: n.Atom | None, body: tuple[n.Literal, ...], scope: _Scope) -> tuple[n.Literal, ...]:
        """The body rewritten (in its own order), walking it in sideways order from `scope`."""
        out: list[n.Literal | None] = [None] * len(body)
        pred = head.pred if head is not None else None
        for i in sideways_order(head, body, scope.bound):
            lit = body[i]
            group: list[str] | None = None
            if isinstance(lit, n.Atom):
                new: n.Literal = self.use(lit, scope, pred, {})
                keep = True
            elif isinstance(lit, n.Negation):
                inner = self.use(lit.atom, scope, pred, {})
                new = n.Negation(inner, lit.span)
                keep = inner.pred == lit.atom.pred  # not adorned: reads a complete relation
            elif isinstance(lit, n.Comparison) and (agg := _aggregate_of(lit)) is not None:
                group = group_vars(agg, aggregate_outside(head, body, agg))
                new, keep = self.aggregate(lit, agg, group, scope, pred)
            else:
                new, keep = lit, True
            out[i] = new
            scope.place(lit, new, keep, group)
        return tuple(x for x in out if x is not None)

    def aggregate(self, lit: n.Comparison, agg: n.Aggregate, group: list[str], scope: _Scope,
                  pred: str | None) -> tuple[n.Comparison, bool]:
        """The aggregate literal rewritten, and whether it reads no demanded predicate."""
        inner = scope.braces(group)
        # the braces' own variables get new names where a magic rule writes them outside the braces
        rename = {v.name: self.fresh_name(v.name) for v in n.aggregate_vars(agg)
                  if not v.anonymous and v.name not in group}
        out: list[n.Literal | None] = [None] * len(agg.body)
        plain = True
        for j in sideways_order(None, agg.body, inner.bound):
            x = agg.body[j]
            if isinstance(x, n.Atom):
                new: n.Literal = self.use(x, inner, pred, rename)
                keep = True
            elif isinstance(x, n.Negation):
                a = self.use(x.atom, inner, pred, rename)
                new, keep = n.Negation(a, x.span), a.pred == x.atom.pred
            else:
                new, keep = x, True
            plain = plain and new == x
            out[j] = new
            inner.place(x, _rename_literal(new, rename), keep)
        new_agg = n.Aggregate(agg.func, agg.term, tuple(y for y in out if y is not None), agg.span)
        left = new_agg if lit.left is agg else lit.left
        right = new_agg if lit.right is agg else lit.right
        return n.Comparison(lit.op, left, right, lit.span), plain

    def fresh_name(self, name: str) -> str:
        """A variable name no variable of the rule (or of the goal) has."""
        while True:
            self.fresh += 1
            fresh = f"{name}_{self.fresh}"
            if fresh not in self.names:
                self.names.add(fresh)
                return fresh

    # -- rules -------------------------------------------------------------------
    def goal(self, goal: tuple[n.Literal, ...]) -> None:
        self.names = _variables(goal)
        self.body(None, goal, _Scope(None, set()))

    def rules_for(self, a: Adorned) -> None:
        for i in self.rules_of[a.pred]:
            self.rule(self.program.rules[i], a)
        if self.has_base(a.pred):
            self.used.add(a.pred)
            k = len(a.pattern)
            vs = tuple(n.Var(f"V{i}") for i in range(k))
            self.emit(n.Rule(n.Atom(a.name, vs), (n.Atom(a.magic, tuple(vs[i] for i in a.bound)), n.Atom(a.pred, vs))))

    def has_base(self, pred: str) -> bool:
        return pred in self.program.facts.predicates() or \
            any(io.kind == "input" and io.pred == pred for io in self.program.io)

    def rule(self, r: n.Rule, a: Adorned) -> None:
        self.names = _variables(r.body) | {v.name for v in n.literal_vars(r.head)}
        args: list[n.Expr] = []
        extra: list[n.Literal] = []
        for i in a.bound:
            e = r.head.args[i]
            if isinstance(e, (n.Var, n.Const)):
                args.append(e)
            else:  # an expression in the head: asked for by value, computed from the body
                v = n.Var(self.fresh_name("Head"), e.span)
                args.append(v)
                extra.append(n.Comparison("=", v, e, e.span))
        magic = n.Atom(a.magic, tuple(args), r.head.span)
        bound = {v for e in args for v in _named(e)}
        body = self.body(r.head, r.body + tuple(extra), _Scope(magic, bound))
        self.emit(n.Rule(n.Atom(a.name, r.head.args, r.head.span), (magic,) + body, r.cites, r.span))

    def run(self, goal: tuple[n.Literal, ...]) -> None:
        self.goal(goal)
        while self.queue:
            self.rules_for(self.queue.pop(0))


def _variables(body: tuple[n.Literal, ...]) -> set[str]:
    """Every variable name of a body, those inside aggregates included."""
    names = {v.name for lit in body for v in n.literal_vars(lit)}
    for agg in n.body_aggregates(body):
        names |= {v.name for v in n.aggregate_vars(agg)}
    return names


def _rename(e: n.Expr, rename: dict[str, str]) -> n.Expr:
    if not rename:
        return e
    return n.map_vars(e, lambda v: n.Var(rename[v.name], v.span) if v.name in rename else v)


def _rename_literal(lit: n.Literal, rename: dict[str, str]) -> n.Literal:
    if not rename:
        return lit
    if isinstance(lit, n.Atom):
        return n.Atom(lit.pred, tuple(_rename(a, rename) for a in lit.args), lit.span)
    if isinstance(lit, n.Negation):
        inner = _rename_literal(lit.atom, rename)
        assert isinstance(inner, n.Atom)
        return n.Negation(inner, lit.span)
    return n.Comparison(lit.op, _rename(lit.left, rename), _rename(lit.right, rename), lit.span)


def rewrite(program: Program, goal: tuple[n.Literal, ...]) -> Demand:
    """The magic-sets rewrite of `program` for a (checked) goal.

    >>> import engine
    >>> from engine.model import parse_goal
    >>> prog = engine.load_text("e(1, 2). e(2, 3). p(X, Y) :- e(X, Y). p(X, Z) :- p(X, Y), e(Y, Z).").program
    >>> d = rewrite(prog, parse_goal("p(1, Y)")[0])
    >>> [a.name for a in d.adorned["p"]]
    ['p_bf']
    """
    deps = dependencies(program)
    full: set[str] = set()
    while True:
        rw = _Rewriter(program, full)
        rw.run(goal)
        if rw.more_full - full:
            full = below(full | rw.more_full, deps) & set(rw.rules_of)
            continue
        built = _checked(program, rw)
        if isinstance(built, set):  # demand that cannot pass soundly: evaluate those fully
            full = below(full | built, deps) & set(rw.rules_of)
            continue
        if isinstance(built, str):
            return Demand(program, goal, refused=built, full=full)
        adorned: dict[str, list[Adorned]] = {}
        for a in rw.adorned.values():
            adorned.setdefault(a.pred, []).append(a)
        return Demand(program, goal, built, adorned, full, rw.risky)


def _checked(program: Program, rw: _Rewriter) -> Program | set[str] | str:
    """The rewritten program, stratified; or the predicates whose demand breaks stratification; or why not."""
    for r in rw.rules:
        rw.used.update(a.pred for a, _neg in body_atoms(r.body))
    deps = dependencies(program)
    rw.used |= below({p for p in rw.used if p in rw.full}, deps)
    rules = list(rw.rules) + [r for r in program.rules if r.head.pred in rw.used and r.head.pred in rw.full]
    arity = {p: k for p, k in program.arity.items() if p in rw.used}
    for a in rw.adorned.values():
        arity[a.name] = len(a.pattern)
        arity[a.magic] = len(a.bound)
    for r in rules:  # a predicate of the goal that no fact or rule has: empty
        arity.update((x.pred, len(x.args)) for x, _neg in body_atoms(r.body) if x.pred not in arity)
    strata, recursive, diags = stratify(rules, sorted(arity))
    comp = {p: k for k, c in enumerate(strata) for p in c}
    original = {a.name: a.pred for a in rw.adorned.values()}
    # demand that made a negation or a (formerly non-recursive) aggregate recursive
    broken: set[str] = set()
    for r in rules:
        head = comp[r.head.pred]
        for lit in r.body:
            if isinstance(lit, n.Negation) and lit.atom.pred in original and comp[lit.atom.pred] == head:
                broken.add(original[lit.atom.pred])
            for agg in n.body_aggregates((lit,)):
                for inner, _neg in body_atoms(agg.body):
                    q = inner.pred
                    if q in original and comp[q] == head and not _recursive_in(program, r, q, original):
                        broken.add(original[q])
    if broken:
        return broken
    if diags:
        return f"the rewritten program is not stratified ({diags[0].message})"
    kept: list[Fact | FactGroup] = [x for x in program.facts.items if x.pred in rw.used]
    facts = Facts(kept + list(rw.seeds))
    decls = {p: d for p, d in program.decls.items() if p in rw.used}
    # an adorned copy holds its predicate's columns: their types are checked as the original's (E604)
    decls.update({a.name: program.decls[a.pred] for a in rw.adorned.values() if a.pred in program.decls})
    return Program(
        rules=rules, facts=facts, decls=decls, arity=arity,
        sources=program.sources, io=[io for io in program.io if io.kind == "input" and io.pred in rw.used],
        strata=strata, recursive=recursive, text=program.text, base_dirs=program.base_dirs,
    )


def _recursive_in(program: Program, r: n.Rule, adorned: str, original: dict[str, str]) -> bool:
    """Was the aggregate's predicate in the recursion of the rule's head in the original program?"""
    head = original.get(r.head.pred)
    if head is None:
        return False
    comp = {p: k for k, c in enumerate(program.strata) for p in c}
    return comp.get(head) == comp.get(original[adorned])


# ---- the choice --------------------------------------------------------------


def choose(program: Program, goal: tuple[n.Literal, ...], mode: str = "auto") -> Choice:
    """Answer the goal on demand or by full evaluation (`mode`: auto, on or off).

    `auto` takes the rewrite unless a demanded recursive predicate would be
    asked for values its own recursion computes while it has a free argument
    (`path(X, Z) :- edge(X, Y), path(Y, Z)` asked `path(0, X)`): the demand
    then grows with the relation and can cost more than full evaluation.
    Evaluation then guards the rest (`evaluate` with `guard`): a demand that
    derives much of the data's size gives way to full evaluation.
    """
    if mode == "off":
        return Choice(None, "full evaluation (--demand off)")
    d = rewrite(program, goal)
    if d.program is None:
        return Choice(None, f"full evaluation: {d.refused}")
    if mode == "auto" and d.risky:
        return Choice(None, f"full evaluation: {d.risky[0]}")
    if not d.restricts:
        return Choice(d, "on demand: no argument is bound, only the predicates the goal depends on are evaluated")
    names = ", ".join(sorted(a.name for ads in d.adorned.values() for a in ads))
    return Choice(d, f"on demand ({names})" + (" (--demand on)" if mode == "on" else ""))


def explain(choice: Choice) -> str:
    """The choice and the rewritten program, as Syllog text (what `--explain` prints)."""
    lines = [f"% {choice.reason}"]
    d = choice.demand
    if d is None or d.program is None:
        return "\n".join(lines) + "\n"
    if d.full:
        lines.append(f"% evaluated fully: {', '.join(sorted(d.full))}")
    for f in d.program.facts:
        if any(f.pred == a.magic for ads in d.adorned.values() for a in ads):
            lines.append(f"{f.pred}({', '.join(value_text(v) for v in f.row)}).")
    lines += [rule_text(r) for r in d.program.rules]
    return "\n".join(lines) + "\n"


# ---- evaluation --------------------------------------------------------------


# `auto` gives up a demand evaluation past this many derived tuples, or this share of the tuples loaded
# (whichever is larger): the goal then depends on much of the data, and full evaluation (whose closures,
# chain strata and vectorized strata are faster on large relations) takes over, from the relations already
# loaded. A tuple derived on demand (the tuple path, a round at a time) costs some 20 times a tuple read by
# full evaluation on the vectorized path (ofac_100k: 12,908 derived in 0.07 s against 258,000 rows read and
# evaluated in 0.06 s), so 1 % of the data keeps what a demand that gives way wastes to about a fifth of
# the full evaluation it then runs.
GUARD_TUPLES = 2_000
GUARD_SHARE = 0.01
# The rewritten program runs on the tuple path: its strata are driven by magic sets, small by design, and the
# vectorized path would encode every relation they read whole (ofac_1m's 2.6 million ownership rows: 2.3 s on
# demand against 1.0 s so, and 1.4 s for full evaluation); a demand that grows large gives way to full
# evaluation (above), which chooses its paths as usual.
DEMAND_OPTIONS = dataclasses.replace(DEFAULT_OPTIONS, vectorized="off")


def evaluate(choice: Choice, limits: Limits, provenance: bool = True, guard: bool = False) -> tuple[Model, Choice]:
    """The model that answers the choice's goal, and the way taken.

    On demand, the rewritten program is evaluated and the model answers and
    proves with the ORIGINAL rules: each original predicate holds the union
    of its adorned relations (or its relation as evaluated, when it is not
    adorned); predicates the goal does not depend on are empty (see
    `demand_relations`). With `guard` (`--demand auto`), a demand evaluation
    that derives more than `GUARD_TUPLES` tuples or `GUARD_SHARE` of the
    tuples loaded gives way to full evaluation.
    """
    d = choice.demand
    if d is None or d.program is None:
        raise ValueError("no demand to evaluate")
    bounded = dataclasses.replace(limits, max_derived=GUARD_TUPLES, max_derived_share=GUARD_SHARE) if guard else limits
    ev = Evaluator(d.program, bounded, options=DEMAND_OPTIONS)
    try:
        ev.run()
    except SyllogError:
        limit = ev.derived_limit()
        if limit is None or ev.total - ev.loaded <= limit:
            raise
        # the data read for the demand is the data of the full model: read once
        rules = {r.head.pred for r in d.program.rules}
        full = Evaluator(d.original, limits, {p: r for p, r in ev.rels.items() if p not in rules})
        full.run()
        return Model(d.original, full, provenance), Choice(None, f"full evaluation: on demand, more than {limit:,} "
                                                                 "tuples were derived, much of the data's size")
    shown = Evaluator(d.original, limits)  # holds the original program's relations, not run
    shown.rels, shown.base = demand_relations(d, ev)
    return Model(d.original, shown, provenance), choice


def demand_relations(d: Demand, ev: Evaluator) -> tuple[dict[str, Relation], dict[str, set[Row]]]:
    """The original predicates' relations after a demand evaluation, and the facts and input rows of the derived ones."""
    rels: dict[str, Relation] = {}
    base: dict[str, set[Row]] = {}
    derived = {r.head.pred for r in d.original.rules}
    for p, k in d.original.arity.items():
        if p in d.adorned:
            rel = Relation(p, k)
            rel.tuples = set().union(*(ev.rels[a.name].tuples for a in d.adorned[p]))
            rels[p] = rel
        else:
            rels[p] = ev.rels[p] if p in ev.rels else Relation(p, k)
        if p in derived and p in ev.rels:
            base[p] = ev.base_of(p)
    return rels, base
