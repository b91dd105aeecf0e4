"""A deliberately naive bottom-up evaluator for the programs of `generator`.

Obviously right rather than fast: predicates are put in strata (a predicate
sits at least as high as what it uses positively, strictly higher than what it
negates or aggregates over); then, stratum by stratum, every rule is evaluated
against the full current relations by nested loops over its positive atoms
(then its aggregates, then its negations and comparisons, each as soon as its
variables are bound, `X = t` binding an unbound X), and this is repeated until
nothing changes.

Aggregate semantics (docs/language.md, "Aggregates"): the aggregate ranges
over the distinct bindings of the variables local to the braces, anonymous
ones included; the variables it shares with the rest of the rule group it;
`count` and `sum` of no matches are 0 and the rule still fires; `min`,
`max` and `avg` of no matches have no value and the rule does not fire;
`avg` is the mean as Syllog's `/` gives it (an integer when the sum divides
evenly, else a decimal of 34 significant digits).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Context, Decimal

from .generator import (
    Agg,
    Anon,
    Atom,
    BodyLit,
    Cmp,
    Const,
    Neg,
    Program,
    Rule,
    Term,
    Value,
    Var,
    lit_vars,
    term_vars,
)

Env = dict[Term, Value]  # Var and Anon keys
Relations = dict[str, set[tuple[Value, ...]]]


def match(atom: Atom, row: tuple[Value, ...], env: Env) -> Env | None:
    """`env` extended so that `atom` equals `row`, or None."""
    if len(row) != len(atom.args):
        return None
    out = dict(env)
    for t, v in zip(atom.args, row, strict=True):
        if isinstance(t, Const):
            if not same(t.value, v):
                return None
        elif t in out:
            if not same(out[t], v):
                return None
        else:
            out[t] = v
    return out


def same(a: Value, b: Value) -> bool:
    return type(a) is type(b) and a == b


def value(t: Term, env: Env) -> Value:
    return t.value if isinstance(t, Const) else env[t]


def order(v: Value) -> tuple[int, int, str]:
    """The total order of values: numbers (by value) before symbols (by code point)."""
    return (0, v, "") if isinstance(v, (int, Decimal)) else (1, 0, v)


def compare(op: str, a: Value, b: Value) -> bool:
    if op == "=":
        return same(a, b)
    if op == "!=":
        return not same(a, b)
    x, y = order(a), order(b)
    return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]


def solutions(atoms: list[Atom], rels: Relations, env: Env) -> Iterator[Env]:
    """All extensions of `env` matching every atom (nested loops)."""
    if not atoms:
        yield env
        return
    for row in rels.get(atoms[0].pred, set()):
        e = match(atoms[0], row, env)
        if e is not None:
            yield from solutions(atoms[1:], rels, e)


def aggregate(agg: Agg, rule: Rule, rels: Relations, env: Env) -> Value | None:
    """The aggregate's value for the group fixed by `env`, or None (no value)."""
    elsewhere = set(term_vars(rule.head.args)).union(*(lit_vars(b) for b in rule.body if b is not agg))
    group = [t for t in agg.body.args if isinstance(t, Var) and t in elsewhere]
    outer: Env = {v: env[v] for v in group}  # KeyError: a grouping variable not bound outside
    local = [t for t in dict.fromkeys(agg.body.args) if isinstance(t, (Var, Anon)) and t not in outer]
    bindings = {tuple(e[t] for t in local) for e in solutions([agg.body], rels, outer)}
    if agg.func == "count":
        return len(bindings)
    assert agg.term is not None
    vals = [b[local.index(agg.term)] for b in bindings]
    if agg.func in ("sum", "avg"):
        ints = [v for v in vals if isinstance(v, int)]
        assert len(ints) == len(vals), "sum over a symbol"
        if agg.func == "sum":
            return sum(ints)
        if not ints:
            return None  # the mean of nothing has no value
        total, k = sum(ints), len(ints)
        # as Syllog's `/`: an integer when the sum divides evenly, else a decimal of 34 digits
        return total // k if total % k == 0 else Context(prec=34).divide(Decimal(total), Decimal(k))
    if not vals:
        return None
    return min(vals, key=order) if agg.func == "min" else max(vals, key=order)


def ready(lit: Neg | Cmp, env: Env) -> bool:
    """Can `lit` be evaluated (or, for `X = t`, bind X) under `env`?"""
    unbound = [v for v in lit_vars(lit) if v not in env]
    if isinstance(lit, Cmp) and lit.op == "=" and lit.left != lit.right:
        return len(unbound) <= 1
    return not unbound


def fire(rule: Rule, rels: Relations) -> set[tuple[Value, ...]]:
    """The head tuples `rule` derives from `rels`."""
    out: set[tuple[Value, ...]] = set()
    positives = [b for b in rule.body if isinstance(b, Atom)]
    for env in solutions(positives, rels, {}):
        ok = True
        for lit in rule.body:  # aggregates first: comparisons may use their results
            if isinstance(lit, Agg):
                v = aggregate(lit, rule, rels, env)
                if v is None:
                    ok = False
                    break
                env = {**env, lit.result: v}
        # then negations and comparisons, each once its variables are bound;
        # `X = t` with X unbound and t bound binds X
        todo = [b for b in rule.body if isinstance(b, (Neg, Cmp))]
        while ok and todo:
            lit = next(b for b in todo if ready(b, env))  # StopIteration: unsafe rule
            todo.remove(lit)
            if isinstance(lit, Neg):
                ok = not any(True for _ in solutions([lit.atom], rels, env))
            elif lit.op == "=" and isinstance(lit.left, Var) and lit.left not in env:
                env = {**env, lit.left: value(lit.right, env)}
            elif lit.op == "=" and isinstance(lit.right, Var) and lit.right not in env:
                env = {**env, lit.right: value(lit.left, env)}
            else:
                ok = compare(lit.op, value(lit.left, env), value(lit.right, env))
        if ok:
            out.add(tuple(value(t, env) for t in rule.head.args))
    return out


def uses(lit: BodyLit) -> tuple[str, bool] | None:
    """(predicate, strictly lower?) for a literal that reads a relation."""
    if isinstance(lit, Atom):
        return lit.pred, False
    if isinstance(lit, Neg):
        return lit.atom.pred, True
    if isinstance(lit, Agg):
        return lit.body.pred, True
    return None


def strata(program: Program) -> dict[str, int]:
    preds = {a.pred for a in program.facts} | {r.head.pred for r in program.rules}
    for r in program.rules:
        preds |= {u[0] for u in map(uses, r.body) if u is not None}
    level = dict.fromkeys(preds, 0)
    for _ in range(len(preds) + 1):
        changed = False
        for r in program.rules:
            for u in map(uses, r.body):
                if u is not None and level[r.head.pred] < level[u[0]] + u[1]:
                    level[r.head.pred] = level[u[0]] + u[1]
                    changed = True
        if not changed:
            return level
    raise ValueError("program is not stratified")


def evaluate(program: Program) -> Relations:
    """Every relation of the program's least (stratified) model."""
    level = strata(program)
    rels: Relations = {p: set() for p in level}
    for f in program.facts:
        rels[f.pred].add(tuple(value(t, {}) for t in f.args))
    for s in sorted(set(level.values())):
        rules = [r for r in program.rules if level[r.head.pred] == s]
        changed = True
        while changed:
            changed = False
            for r in rules:
                new = fire(r, rels) - rels[r.head.pred]
                if new:
                    rels[r.head.pred] |= new
                    changed = True
    return rels
