"""The shape workloads' rules, written once in Syllog, read and written for the other engines.

The rules (`workloads.PROGRAMS`) use a small subset of Syllog, one rule a line:
positive atoms, `not` atoms, comparisons (`X < Y`, `H - L >= 9000`) and
aggregates `V = count|sum|min|max { Term : atom, ... }`; a term is a variable,
`_`, an integer or a symbol. `parse` reads them into `Rule`s; `clingo_rule`,
`prolog_rule` and `SqlProgram` write them for clingo, SWI-Prolog (tabling) and
SQL (SQLite and DuckDB: one `SELECT` a rule, strata in dependency order, a
recursive CTE for a linear recursion of one predicate, else a semi-naive loop
driven from Python over delta tables).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import plain_seminaive


@dataclass(frozen=True)
class Lit:
    """A body literal: `atom`, `not` (a negated atom), `cmp` or `agg`."""

    kind: str
    pred: str = ""  # atom, not
    terms: tuple[str, ...] = ()  # atom, not
    op: str = ""  # cmp: = != < <= > >=; agg: count | sum | min | max
    left: str = ""  # cmp: the left expression; agg: the result variable
    right: str = ""  # cmp: the right expression; agg: the term aggregated ("" for count)
    body: tuple[Lit, ...] = ()  # agg: its atoms


@dataclass(frozen=True)
class Rule:
    pred: str
    terms: tuple[str, ...]
    body: tuple[Lit, ...]

    @property
    def positive(self) -> bool:
        return all(lit.kind == "atom" for lit in self.body)


WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def is_var(term: str) -> bool:
    return term[:1].isupper() or term[:1] == "_"


def split_top(text: str) -> list[str]:
    """Split at the commas outside parentheses and braces."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch in "({"
        depth -= ch in ")}"
        if ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def parse_atom(text: str) -> tuple[str, tuple[str, ...]]:
    m = re.fullmatch(r"(\w+)\s*\((.*)\)", text.strip())
    if m is None:
        raise ValueError(f"not an atom: {text!r}")
    return m.group(1), tuple(t.strip() for t in m.group(2).split(","))


def parse_lit(text: str) -> Lit:
    agg = re.fullmatch(r"([A-Z]\w*)\s*=\s*(count|sum|min|max)\s*\{(.*):(.*)\}", text, re.S)
    if agg:
        body = tuple(Lit("atom", *parse_atom(a)) for a in split_top(agg.group(4)))
        return Lit("agg", op=agg.group(2), left=agg.group(1), right=agg.group(3).strip(), body=body)
    if text.startswith("not "):
        return Lit("not", *parse_atom(text[4:]))
    if re.fullmatch(r"\w+\s*\(.*\)", text):
        return Lit("atom", *parse_atom(text))
    cmp = re.fullmatch(r"(.+?)\s*(<=|>=|!=|<|>|=)\s*(.+)", text)
    if cmp is None:
        raise ValueError(f"not a literal: {text!r}")
    return Lit("cmp", op=cmp.group(2), left=cmp.group(1), right=cmp.group(3))


def parse(text: str) -> list[Rule]:
    """The rules of `text`, one a line (`%` comments and blank lines skipped)."""
    rules = []
    for line in text.splitlines():
        line = line.split("%")[0].strip()
        if not line:
            continue
        head, _, body = line.rstrip(".").partition(":-")
        pred, terms = parse_atom(head)
        rules.append(Rule(pred, terms, tuple(parse_lit(b) for b in split_top(body))))
    return rules


def plain_rules(rules: Iterable[Rule]) -> tuple[plain_seminaive.Rule, ...]:
    """Positive rules as the plain evaluator's data (integers as ints, each `_` a fresh variable)."""
    def term(t: str) -> object:
        return int(t) if re.fullmatch(r"-?\d+", t) else t
    def atom(pred: str, terms: tuple[str, ...]) -> plain_seminaive.Atom:
        return plain_seminaive.Atom(pred, tuple(term(t) for t in terms))
    return tuple(plain_seminaive.Rule(atom(r.pred, r.terms),
                                      tuple(atom(b.pred, b.terms) for b in name_anonymous(r.body, "Anon")))
                 for r in rules)


def derived(rules: Iterable[Rule]) -> list[tuple[str, int]]:
    """The derived predicates with their arities, in the order of their first rule."""
    seen: dict[str, int] = {}
    for r in rules:
        seen.setdefault(r.pred, len(r.terms))
    return list(seen.items())


def variables_of(text: str) -> list[str]:
    return [w for w in WORD.findall(text) if is_var(w) and w != "_"]


def lit_vars(lit: Lit) -> list[str]:
    if lit.kind in ("atom", "not"):
        return [t for t in lit.terms if is_var(t) and t != "_"]
    if lit.kind == "cmp":
        return variables_of(lit.left) + variables_of(lit.right)
    return [lit.left]  # an aggregate shares only its result with the rule (and its group variables)


def atom_text(pred: str, terms: Iterable[str]) -> str:
    return f"{pred}({', '.join(terms)})"


# --- clingo ---------------------------------------------------------------------

def name_anonymous(atoms: Iterable[Lit], prefix: str) -> list[Lit]:
    """The atoms with each `_` a fresh variable (an aggregate ranges over the bindings of them all)."""
    count = 0
    out = []
    for a in atoms:
        terms = []
        for t in a.terms:
            if t == "_":
                t, count = f"{prefix}{count}", count + 1
            terms.append(t)
        out.append(Lit(a.kind, a.pred, tuple(terms)))
    return out


def agg_locals(rule: Rule, lit: Lit, atoms: list[Lit]) -> list[str]:
    outside = {v for other in rule.body if other is not lit for v in lit_vars(other)} | set(rule.terms)
    local: list[str] = []
    for a in atoms:
        local += [t for t in a.terms if is_var(t) and t not in outside and t not in local]
    return local


def dialect_rule(rule: Rule, negation: str, comparison: Callable[[Lit], str],
                 aggregate: Callable[[Lit], str]) -> str:
    """A rule in a Prolog-like dialect: atoms as they are, `not` as `negation`, comparisons and aggregates
    as the dialect writes them."""
    def lit(b: Lit) -> str:
        if b.kind == "atom":
            return atom_text(b.pred, b.terms)
        if b.kind == "not":
            return negation + atom_text(b.pred, b.terms)
        return comparison(b) if b.kind == "cmp" else aggregate(b)
    return f"{atom_text(rule.pred, rule.terms)} :- {', '.join(lit(b) for b in rule.body)}."


def clingo_rule(rule: Rule) -> str:
    def aggregate(b: Lit) -> str:
        atoms = name_anonymous(b.body, "Anon")
        local = agg_locals(rule, b, atoms)
        elems = [b.right] + [v for v in local if v != b.right] if b.right else local or ["1"]
        cond = ", ".join(atom_text(a.pred, a.terms) for a in atoms)
        return f"{b.left} = #{b.op} {{ {', '.join(elems)} : {cond} }}"
    return dialect_rule(rule, "not ", lambda b: f"{b.left} {b.op} {b.right}", aggregate)


# --- SWI-Prolog -------------------------------------------------------------------

PROLOG_CMP = {"=": "=:=", "!=": "=\\=", "<": "<", "<=": "=<", ">": ">", ">=": ">="}


def prolog_rule(rule: Rule) -> str:
    """Comparisons are arithmetic (the shape programs compare numbers only); `not` is `\\+` (each
    negated predicate is complete before: `prolog_tables` makes it subsumptive)."""
    def aggregate(b: Lit) -> str:
        template = "count" if b.op == "count" else f"{b.op}({b.right})"
        goal = ", ".join(atom_text(a.pred, a.terms) for a in b.body)
        return f"aggregate_all({template}, ({goal}), {b.left})"
    return dialect_rule(rule, "\\+ ", lambda b: f"{b.left} {PROLOG_CMP[b.op]} {b.right}", aggregate)


def prolog_tables(rules: list[Rule]) -> list[str]:
    """`:- table` for every derived predicate; subsumptive for one under `not`, so that its
    ground calls read the table of the whole relation."""
    negated = {b.pred for r in rules for b in r.body if b.kind == "not"}
    return [f":- table {p}/{n}{' as subsumptive' if p in negated else ''}." for p, n in derived(rules)]


def prolog_goal(rules: list[Rule], output: tuple[str, int]) -> str:
    """Every derived relation evaluated whole, in the order of the program (so that a
    negated one is complete before its use), then the output counted into N."""
    def count(pred: str, arity: int, var: str) -> str:
        return f"aggregate_all(count, {atom_text(pred, ['_'] * arity)}, {var})"
    warm = [count(p, n, "_") for p, n in derived(rules) if p != output[0]]
    return ", ".join([*warm, count(*output, "N")])


# --- SQL --------------------------------------------------------------------------

def sql_const(term: str) -> str:
    return term if re.fullmatch(r"-?\d+", term) else "'" + term.replace("'", "''") + "'"


@dataclass
class Select:
    """A conjunction compiled to FROM / WHERE, with each variable's column expression."""

    source: Callable[[str, int], str]  # (predicate, position of the atom in the rule) -> table
    tables: list[str] = field(default_factory=list)
    where: list[str] = field(default_factory=list)
    bound: dict[str, str] = field(default_factory=dict)
    alias: str = "t"

    def atom(self, pred: str, terms: tuple[str, ...], at: int) -> None:
        name = f"{self.alias}{len(self.tables)}"
        self.tables.append(f"{'JOIN ' if self.tables else ''}{self.source(pred, at)} AS {name}"
                           f"{' ON TRUE' if self.tables else ''}")
        for i, t in enumerate(terms):
            col = f"{name}.c{i}"
            if t == "_":
                continue
            if not is_var(t):
                self.where.append(f"{col} = {sql_const(t)}")
            elif t in self.bound:
                self.where.append(f"{col} = {self.bound[t]}")
            else:
                self.bound[t] = col

    def expr(self, text: str) -> str:
        return WORD.sub(lambda m: self.bound[m.group()] if is_var(m.group())
                        else sql_const(m.group()), text)

    def sql(self, outputs: list[str], distinct: bool = False) -> str:
        where = f" WHERE {' AND '.join(self.where)}" if self.where else ""
        cols = ", ".join(f"{o} AS c{i}" for i, o in enumerate(outputs)) or "1 AS c0"
        return f"SELECT {'DISTINCT ' if distinct else ''}{cols} FROM {' '.join(self.tables)}{where}"


SQL_OP = {"!=": "<>"}


def rule_sql(rule: Rule, source: Callable[[str, int], str]) -> str:
    """One SELECT of the rule's head tuples; `source(pred, i)` names the table the i-th body literal reads."""
    q = Select(source)
    for i, b in enumerate(rule.body):
        if b.kind == "atom":
            q.atom(b.pred, b.terms, i)
    for k, b in enumerate(rule.body):
        if b.kind != "agg":
            continue
        atoms = name_anonymous(b.body, "Anon")
        local = agg_locals(rule, b, atoms)
        group = [v for v in dict.fromkeys(v for a in b.body for v in lit_vars(a)) if v not in local]
        # distinct bindings of the group and local variables (anonymous ones included: their columns)
        named = Select(lambda p, _: p, alias=f"a{k}_")
        for a in atoms:
            named.atom(a.pred, a.terms, -1)
        cols = group + [v for v in named.bound if v not in group]
        sub = named.sql([named.bound[v] for v in cols], distinct=True)
        value = "count(*)" if b.op == "count" else f"{b.op}(c{cols.index(b.right)})"
        gcols = [f"c{cols.index(g)}" for g in group]
        agg = (f"SELECT {''.join(f'{c} AS g{j}, ' for j, c in enumerate(gcols))}{value} AS v FROM ({sub}) AS s{k}"
               + (f" GROUP BY {', '.join(gcols)}" if gcols else ""))
        name = f"agg{k}"
        on = " AND ".join(f"{name}.g{j} = {q.bound[g]}" for j, g in enumerate(group)) or "TRUE"
        if not q.tables:  # no atom outside the braces: the aggregate's one row
            q.tables.append(f"({agg}) AS {name}")
            q.bound[b.left] = f"COALESCE({name}.v, 0)" if b.op in ("count", "sum") else f"{name}.v"
            if b.op not in ("count", "sum"):
                q.where.append(f"{name}.v IS NOT NULL")
        elif b.op in ("count", "sum"):
            q.tables.append(f"LEFT JOIN ({agg}) AS {name} ON {on}")
            q.bound[b.left] = f"COALESCE({name}.v, 0)"
        else:
            q.tables.append(f"JOIN ({agg}) AS {name} ON {on}")
            q.where.append(f"{name}.v IS NOT NULL")
            q.bound[b.left] = f"{name}.v"
    for i, b in enumerate(rule.body):
        if b.kind == "cmp":
            q.where.append(f"{q.expr(b.left)} {SQL_OP.get(b.op, b.op)} {q.expr(b.right)}")
        elif b.kind == "not":
            conds = [f"n{i}.c{j} = {q.bound[t] if is_var(t) else sql_const(t)}"
                     for j, t in enumerate(b.terms) if t != "_"]
            q.where.append(f"NOT EXISTS (SELECT 1 FROM {source(b.pred, i)} AS n{i} WHERE {' AND '.join(conds)})")
    return q.sql([q.bound[t] if is_var(t) else sql_const(t) for t in rule.terms])


def strata(rules: list[Rule]) -> list[list[str]]:
    """The derived predicates in strongly connected components, each after those it reads."""
    preds = [p for p, _ in derived(rules)]
    deps = {p: {b.pred for r in rules if r.pred == p for lit in r.body
                for b in ([lit] if lit.kind != "agg" else lit.body) if b.pred in preds} for p in preds}
    reach = {p: set(deps[p]) for p in preds}
    changed = True
    while changed:
        changed = False
        for p in preds:
            more = set().union(*(reach[q] for q in reach[p])) - reach[p]
            if more:
                reach[p] |= more
                changed = True
    out: list[list[str]] = []
    done: set[str] = set()
    while len(done) < len(preds):
        for p in preds:
            if p in done:
                continue
            scc = [q for q in preds if q == p or (q in reach[p] and p in reach[q])]
            if all(d in done or d in scc for q in scc for d in reach[q]):
                out.append(scc)
                done.update(scc)
    return out


def sqlite_indexes(table: str, arity: int) -> list[str]:
    """An index on (c0, ..., cn) and one on each other column: what joins, `NOT EXISTS` and
    `EXCEPT` look up by."""
    cols = [f"c{i}" for i in range(arity)]
    return [f"CREATE INDEX {table}_all ON {table} ({', '.join(cols)})",
            *(f"CREATE INDEX {table}_{c} ON {table} ({c})" for c in cols[1:])]


SQL_TYPES = {"sqlite": {"int": "INTEGER", "symbol": "TEXT"}, "duckdb": {"int": "BIGINT", "symbol": "VARCHAR"}}


class SqlProgram:
    """The shape program evaluated in an SQL database through a DB-API connection (`execute`)."""

    def __init__(self, con: Any, rules: list[Rule], types: dict[str, tuple[str, ...]], dialect: str) -> None:
        self.con, self.rules, self.dialect = con, rules, dialect
        self.types = dict(types)
        self.infer_types()

    def infer_types(self) -> None:
        """Column types of the derived relations, from where each head variable is bound."""
        pending = dict(derived(self.rules))
        while pending:
            progress = False
            for r in self.rules:
                if r.pred not in pending:
                    continue
                bound: dict[str, str] = {}
                for b in r.body:
                    if b.kind == "atom" and b.pred in self.types:
                        bound.update((t, ty) for t, ty in zip(b.terms, self.types[b.pred]) if is_var(t))
                    elif b.kind == "agg":
                        inner = {t: ty for a in b.body if a.pred in self.types
                                 for t, ty in zip(a.terms, self.types[a.pred])}
                        bound[b.left] = "int" if b.op == "count" else inner.get(b.right, "int")
                cols = [bound.get(t, "") if is_var(t) else "int" if re.fullmatch(r"-?\d+", t) else "symbol"
                        for t in r.terms]
                if all(cols):
                    self.types[r.pred] = tuple(cols)
                    del pending[r.pred]
                    progress = True
            if not progress:
                raise ValueError(f"cannot type the columns of {sorted(pending)}")

    def create(self, name: str, pred: str) -> None:
        cols = ", ".join(f"c{i} {SQL_TYPES[self.dialect][t]}" for i, t in enumerate(self.types[pred]))
        self.con.execute(f"CREATE TABLE {name} ({cols})")

    def index(self, table: str) -> None:
        """SQLite: an index on all columns and one on each other column, as for an input table
        (`sqlite_indexes`); DuckDB joins by hashing and gets none."""
        if self.dialect == "sqlite":
            for sql in sqlite_indexes(table, len(self.types[table])):
                self.con.execute(sql)

    def count(self, table: str) -> int:
        row = self.con.execute(f"SELECT count(*) FROM {table}").fetchone()
        return int(row[0])

    def run(self) -> None:
        for scc in strata(self.rules):
            for pred in scc:
                self.create(pred, pred)
            rules = [r for r in self.rules if r.pred in scc]
            recursive = [r for r in rules if any(b.pred in scc for b in self._reads(r))]
            if not recursive:
                (pred,) = scc
                self.con.execute(f"INSERT INTO {pred} {self.union(rules, lambda p, _: p)}")
            elif self.linear(scc, recursive):
                self.cte(scc[0], [r for r in rules if r not in recursive], recursive[0])
            else:
                for pred in scc:  # the loop's joins read the whole relations: indexed as they grow
                    self.index(pred)
                self.loop(scc, rules, recursive)
                continue
            for pred in scc:
                self.index(pred)

    @staticmethod
    def _reads(rule: Rule) -> list[Lit]:
        return [b for lit in rule.body for b in ([lit] if lit.kind != "agg" else lit.body) if b.kind != "cmp"]

    def union(self, rules: list[Rule], source: Callable[[str, int], str]) -> str:
        return "SELECT DISTINCT * FROM (" + " UNION ".join(rule_sql(r, source) for r in rules) + ") AS u"

    def linear(self, scc: list[str], recursive: list[Rule]) -> bool:
        """One predicate, one recursive rule reading it once, positively: a recursive CTE."""
        return (len(scc) == 1 and len(recursive) == 1
                and [b.kind for b in self._reads(recursive[0]) if b.pred == scc[0]] == ["atom"])

    def cte(self, pred: str, base: list[Rule], step: Rule) -> None:
        cols = ", ".join(f"c{i}" for i in range(len(self.types[pred])))
        rec = rule_sql(step, lambda p, _: f"{pred}_r" if p == pred else p)
        self.con.execute(f"INSERT INTO {pred} WITH RECURSIVE {pred}_r({cols}) AS "
                         f"({self.union(base, lambda p, _: p)} UNION {rec}) SELECT * FROM {pred}_r")

    def loop(self, scc: list[str], rules: list[Rule], recursive: list[Rule]) -> None:
        """Semi-naive: each round, every recursive rule once per recursive atom, that atom on the last
        round's new tuples (`d_p`), the others on the whole relations; what is new goes to `n_p`."""
        base = [r for r in rules if r not in recursive]
        for pred in scc:
            mine = [r for r in base if r.pred == pred]
            if mine:
                self.con.execute(f"INSERT INTO {pred} {self.union(mine, lambda p, _: p)}")
            self.con.execute(f"CREATE TABLE d_{pred} AS SELECT * FROM {pred}")
        while True:
            fresh = 0
            for pred in scc:
                variants = []
                for r in (r for r in recursive if r.pred == pred):
                    for i, b in enumerate(r.body):
                        if b.kind == "atom" and b.pred in scc:
                            variants.append(rule_sql(r, lambda p, j, i=i: f"d_{p}" if j == i else p))
                self.create(f"n_{pred}", pred)
                if variants:
                    self.con.execute(f"INSERT INTO n_{pred} SELECT * FROM ({' UNION '.join(variants)}) AS u "
                                     f"EXCEPT SELECT * FROM {pred}")
                fresh += self.count(f"n_{pred}")
            for pred in scc:
                self.con.execute(f"INSERT INTO {pred} SELECT * FROM n_{pred}")
                self.con.execute(f"DROP TABLE d_{pred}")
                self.con.execute(f"ALTER TABLE n_{pred} RENAME TO d_{pred}")
            if not fresh:
                break
