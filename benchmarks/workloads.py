"""Benchmark workloads: deterministic data generators and the rules, as data.

Every workload is a set of input relations plus a program. The graph ones
(integers only; transitive closure, same generation) are given as rules that
the generic engines (syllog, plain, pydatalog, clingo, swipl) translate
directly; duckdb gets a hand-written recursive CTE per family. OFAC (recursion
through a monotone sum) is written per engine in `engines.py`. The inline
ones (`facts_1m`, `pointsto_24k`) measure reading facts written in a program
file: their data is also written as `facts.dl` (Syllog, a fifth of it in cite
blocks), `facts.lp` (clingo) and `facts.pl` (SWI-Prolog), and their rules
(`INLINE_RULES`) read the same in all three languages.

The shape workloads (`pointsto_96k`, `triangles`, `complement`, `kg_100k`,
`aggregates`, `cspa`: programs that are not closures) read their data by
`.input` of CSV files; their rules are written once, in Syllog (`PROGRAMS`),
and `translate.py` writes them for clingo, SWI-Prolog and SQL.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import translate
from plain_seminaive import Atom, Rule, is_var

Row = tuple[int, ...]
Data = dict[str, list[Row]]

TC_RULES = (
    Rule(Atom("path", ("X", "Y")), (Atom("edge", ("X", "Y")),)),
    Rule(Atom("path", ("X", "Z")), (Atom("path", ("X", "Y")), Atom("edge", ("Y", "Z")))),
)
SG_RULES = (
    Rule(Atom("sg", ("X", "Y")), (Atom("par", ("X", "P")), Atom("par", ("Y", "P")))),
    Rule(Atom("sg", ("X", "Y")),
         (Atom("par", ("X", "P")), Atom("sg", ("P", "Q")), Atom("par", ("Y", "Q")))),
)
OFAC_SYLLOG = """\
blocked(C) :- designated(C).
blocked(C) :- company(C), S = sum { P : owns(O, C, P), blocked(O) }, S >= 50.
"""

# the inline families' rules, in the syntax Syllog, clingo and Prolog share (`facts`
# has none: it measures loading, and counts the facts)
INLINE_RULES = {
    "facts": [],
    "pointsto": [
        "pts(V, H) :- alloc(V, H).",
        "pts(V, H) :- assign(V, W), pts(W, H).",
        "hpts(H, F, G) :- store(V, F, W), pts(V, H), pts(W, G).",
        "pts(V, G) :- load(V, W, F), pts(W, H), hpts(H, F, G).",
    ],
}
# the workloads that read their facts written in a program (the others read CSV files by `.input`)
INLINE_WORKLOADS = ("facts_1m", "pointsto_24k")

# The shape families' rules in Syllog, one a line (`translate.parse`), read the same by every engine
PROGRAMS = {
    "pointsto": "\n".join(INLINE_RULES["pointsto"]),
    "triangles": """\
tri(X, Y, Z) :- e(X, Y), e(Y, Z), e(X, Z), X < Y, Y < Z.
triangles(N) :- N = count { : tri(X, Y, Z) }.""",
    "complement": """\
reach(X, Y) :- e(X, Y).
reach(X, Z) :- reach(X, Y), e(Y, Z).
unreach(X, Y) :- node(X), node(Y), not reach(X, Y).""",
    "kg": """\
in_region(X, R) :- located_in(X, R).
in_region(X, S) :- in_region(X, R), part_of(R, S).
controls(X, Y) :- owns(X, Y), type(Y, company).
controls(X, Z) :- controls(X, Y), owns(Y, Z), type(Z, company).
alert(X, crimea_bank) :- owns(X, Y), located_in(Y, crimea), type(Y, bank).
alert(X, sanctioned_subsidiary) :- controls(X, Y), sanctioned(Y), type(X, company).
alert(P, russian_bank_director) :- director_of(P, C), in_region(C, russia), type(C, bank).
alert(V, iranian_owner) :- type(V, vessel), owns(O, V), in_region(O, iran).
alert(P, director_of_sanctioned) :- director_of(P, C), sanctioned(C), type(P, person).
alert(X, fund_in_sanctioned_bank) :- type(X, fund), owns(X, B), type(B, bank), sanctioned(B).
alert(C, unscreened_eu_director) :- type(C, company), in_region(C, eu), director_of(P, C), not screened(P).
alert(X, offshore_vessel_owner) :- owns(X, V), type(V, vessel), in_region(X, offshore).
alert(X, board_shared_with_sanctioned) :- director_of(P, X), director_of(P, Y), sanctioned(Y), type(X, bank).""",
    "aggregates": """\
dept_size(D, N) :- dept(D, _), N = count { E : emp(E, D, _) }.
payroll(D, T) :- dept(D, _), T = sum { S : emp(_, D, S) }.
lowest(D, M) :- dept(D, _), M = min { S : emp(_, D, S) }.
highest(D, M) :- dept(D, _), M = max { S : emp(_, D, S) }.
sales_of(E, T) :- emp(E, _, _), T = sum { A : sale(_, E, A) }.
star(E, D) :- emp(E, D, _), sales_of(E, T), T >= 2500.
stars(D, N) :- dept(D, _), N = count { E : star(E, D) }.
region_best(R, M) :- dept(_, R), M = max { T : dept(D, R), payroll(D, T) }.
flag(D, large) :- dept_size(D, N), N >= 55.
flag(D, costly) :- payroll(D, T), T >= 3000000.
flag(D, unequal) :- lowest(D, L), highest(D, H), H - L >= 9500.
flag(D, starry) :- stars(D, N), N >= 4.
flag(D, best_in_region) :- dept(D, R), payroll(D, T), region_best(R, T).""",
    # CSPA, the context-sensitive pointer analysis of Graspan as in Souffle's benchmarks
    "cspa": """\
value_flow(Y, X) :- assign(Y, X).
value_flow(X, Y) :- assign(X, Z), memory_alias(Z, Y).
value_flow(X, Y) :- value_flow(X, Z), value_flow(Z, Y).
memory_alias(X, W) :- deref(Y, X), value_alias(Y, Z), deref(Z, W).
value_alias(X, Y) :- value_flow(Z, X), value_flow(Z, Y).
value_alias(X, Y) :- value_flow(Z, X), memory_alias(Z, W), value_flow(W, Y).
value_flow(X, X) :- assign(X, _).
value_flow(X, X) :- assign(_, X).
memory_alias(X, X) :- assign(_, X).
memory_alias(X, X) :- assign(X, _).""",
}
SHAPES = tuple(PROGRAMS)

GRADED_RULES = """\
controlled(X, Y) :- controls(X, Y).
controlled(X, Z) :- controlled(X, Y), controls(Y, Z).
exposed(X) :- controlled(X, Y), sanctioned(Y).
?- exposed(X).
"""
# the graded workload's sources: reliability a to e, and a ten-line document each cites
GRADED_SOURCES = ("a", "b", "b", "c", "d", "e")

SCHEMAS: dict[str, dict[str, tuple[str, ...]]] = {
    "tc": {"edge": ("src", "dst")},
    "sg": {"par": ("child", "parent")},
    "ofac": {"company": ("id",), "designated": ("id",), "owns": ("owner", "asset", "pct")},
    "graded": {"controls": ("owner", "asset"), "sanctioned": ("id",)},
    "article": {},
    "facts": {"owns": ("owner", "asset", "pct")},
    "pointsto": {"alloc": ("var", "heap"), "assign": ("to", "from"), "load": ("to", "base", "field"),
                 "store": ("base", "field", "from")},
    "triangles": {"e": ("src", "dst")},
    "complement": {"node": ("id",), "e": ("src", "dst")},
    "kg": {"type": ("id", "kind"), "owns": ("owner", "asset"), "director_of": ("person", "company"),
           "located_in": ("id", "region"), "part_of": ("region", "wider"), "sanctioned": ("id",),
           "screened": ("person",)},
    "aggregates": {"dept": ("id", "region"), "emp": ("id", "dept", "salary"), "sale": ("id", "emp", "amount")},
    "cspa": {"assign": ("to", "from"), "deref": ("pointer", "target")},
}
# the Syllog type of each column that is not an int, by family
TYPES = {
    "facts": {"owns": ("symbol", "symbol", "int")},
    "pointsto": {"alloc": ("symbol",) * 2, "assign": ("symbol",) * 2, "load": ("symbol",) * 3,
                 "store": ("symbol",) * 3},
    "kg": {"type": ("int", "symbol"), "located_in": ("int", "symbol"), "part_of": ("symbol", "symbol")},
    "aggregates": {"dept": ("int", "symbol")},
}
OUTPUTS = {"tc": ("path", 2), "sg": ("sg", 2), "ofac": ("blocked", 1), "graded": ("controlled", 2),
           "article": ("", 0), "facts": ("owns", 3), "pointsto": ("pts", 2), "triangles": ("tri", 3),
           "complement": ("unreach", 2), "kg": ("alert", 2), "aggregates": ("flag", 2),
           "cspa": ("value_alias", 2)}


@dataclass(frozen=True)
class Workload:
    """One benchmark workload at one size."""

    name: str
    family: str  # tc | sg | ofac | article
    params: dict[str, int] = field(default_factory=dict)

    @property
    def schema(self) -> dict[str, tuple[str, ...]]:
        return SCHEMAS[self.family]

    @property
    def types(self) -> dict[str, tuple[str, ...]]:
        """The Syllog type of each column of each input relation."""
        return {pred: TYPES.get(self.family, {}).get(pred, ("int",) * len(cols)) for pred, cols in self.schema.items()}

    @property
    def output(self) -> tuple[str, int]:
        return OUTPUTS[self.family]

    @property
    def inline(self) -> bool:
        """Does the workload measure reading facts written in the program (facts.dl)?"""
        return self.name in INLINE_WORKLOADS

    @property
    def shape(self) -> bool:
        """Are its rules Syllog text (`PROGRAMS`, read by `translate.parse`) rather than rule data?"""
        return self.family in PROGRAMS and not self.inline

    @property
    def rules(self) -> tuple[Rule, ...]:
        """The program as rule data (empty for OFAC, the article and the inline families; the
        shape families' positive programs parsed, for the plain evaluator)."""
        if self.shape:
            parsed = translate.parse(PROGRAMS[self.family])
            return translate.plain_rules(parsed) if all(r.positive for r in parsed) else ()
        return {"tc": TC_RULES, "sg": SG_RULES}.get(self.family, ())

    @property
    def expected(self) -> int | None:
        """The known tuple count, when there is a closed form."""
        if self.name.startswith("tc_chain"):
            n = self.params["n"]
            return n * (n - 1) // 2
        if self.family == "sg":
            return int(4 ** (self.params["depth"] + 1) - 4) // 3
        return None

    def describe(self) -> str:
        p = self.params
        if self.name.startswith("tc_chain"):
            return f"chain of {p['n']} nodes"
        if self.name.startswith("tc_random"):
            return f"random graph, {p['n']} nodes, {p['m']} edges, seed {p['seed']}"
        if self.family == "sg":
            return f"complete binary tree, depth {p['depth']}"
        if self.family == "ofac":
            return f"{p['n']} companies, seed {p['seed']}"
        if self.family == "graded":
            return f"{p['n']} entities, cited facts of varied grades, seed {p['seed']} (Syllog only)"
        if self.family == "facts":
            return f"{p['n']:,} facts owns(symbol, symbol, int), a fifth in cite blocks, counted; seed {p['seed']}"
        if self.family == "pointsto" and self.inline:
            return f"points-to analysis of {p['n']:,} cited facts, seed {p['seed']}"
        if self.family == "pointsto":
            return f"points-to analysis of {p['n']:,} facts by .input, seed {p['seed']}"
        if self.family == "triangles":
            return f"triangles of a random graph, {p['n']:,} nodes, {p['m']:,} edges, seed {p['seed']}"
        if self.family == "complement":
            return f"unreachable pairs, {p['n']:,} nodes, {p['m']:,} random edges, seed {p['seed']}"
        if self.family == "kg":
            return f"knowledge graph of {p['n']:,} entities, 13 rules, seed {p['seed']}"
        if self.family == "aggregates":
            return f"{p['n']:,} employees, {p['n'] // 50:,} departments, stratified aggregates, seed {p['seed']}"
        if self.family == "cspa":
            return f"CSPA over {p['n']:,} variables, seed {p['seed']}"
        return "rules/ + facts/ (Syllog only)"

    def generate(self) -> Data:
        p = self.params
        if self.name.startswith("tc_chain"):
            return {"edge": chain(p["n"])}
        if self.name.startswith("tc_random"):
            return {"edge": random_graph(p["n"], p["m"], p["seed"])}
        if self.family == "sg":
            return {"par": binary_tree(p["depth"])}
        if self.family == "ofac":
            return ownership(p["n"], p["seed"])
        if self.family == "graded":
            return control_groups(p["n"], p["seed"])
        if self.family == "facts":
            return {"owns": stakes(p["n"], p["seed"])}
        if self.family == "pointsto":
            return pointsto(p["n"], p["seed"])
        if self.family == "triangles":
            return {"e": random_graph(p["n"], p["m"], p["seed"])}
        if self.family == "complement":
            return {"node": [(i,) for i in range(p["n"])], "e": random_graph(p["n"], p["m"], p["seed"])}
        if self.family == "kg":
            return knowledge_graph(p["n"], p["seed"])
        if self.family == "aggregates":
            return staff(p["n"], p["seed"])
        if self.family == "cspa":
            return cspa(p["n"], p["seed"])
        return {}


FAMILIES = {
    "tc_chain_1000": "tc", "tc_chain_2000": "tc", "tc_random_2000": "tc",
    "sg_tree_8": "sg", "sg_tree_10": "sg", "ofac_100k": "ofac", "graded_kb": "graded", "article": "article",
    "ofac_1m": "ofac", "tc_random_100k": "tc",
    "facts_1m": "facts", "pointsto_24k": "pointsto",
    "pointsto_96k": "pointsto", "triangles": "triangles", "complement": "complement", "kg_100k": "kg",
    "aggregates": "aggregates", "cspa": "cspa",
}
# Workloads for questions (benchmarks/demand.py): their whole models are too large for every engine of
# run.py (the closure of tc_random_100k is 21 million pairs), so run.py leaves them out unless named.
QUESTION_ONLY = ("ofac_1m", "tc_random_100k")
SIZES: dict[str, dict[str, dict[str, int]]] = {
    "full": {
        "tc_chain_1000": {"n": 1000},
        "tc_chain_2000": {"n": 2000},
        "tc_random_2000": {"n": 2000, "m": 6000, "seed": 42},
        "sg_tree_8": {"depth": 8},
        "sg_tree_10": {"depth": 10},
        "ofac_100k": {"n": 100_000, "seed": 7},
        "graded_kb": {"n": 5_000, "seed": 11},
        "article": {},
        "ofac_1m": {"n": 1_000_000, "seed": 7},
        # just past the critical density (m/n = 1.04): a giant component forms, the closure has millions
        # of pairs, and node 0 reaches 20 nodes
        "tc_random_100k": {"n": 100_000, "m": 104_000, "seed": 6},
        "facts_1m": {"n": 1_000_000, "seed": 11},
        "pointsto_24k": {"n": 24_000, "seed": 5},
        "pointsto_96k": {"n": 96_000, "seed": 5},
        "triangles": {"n": 2_000, "m": 110_000, "seed": 3},
        "complement": {"n": 1_400, "m": 1_700, "seed": 4},
        "kg_100k": {"n": 100_000, "seed": 8},
        "aggregates": {"n": 100_000, "seed": 9},
        "cspa": {"n": 5_000, "seed": 10},
    },
    "smoke": {
        "tc_chain_1000": {"n": 50},
        "tc_chain_2000": {"n": 100},
        "tc_random_2000": {"n": 100, "m": 300, "seed": 42},
        "sg_tree_8": {"depth": 4},
        "sg_tree_10": {"depth": 5},
        "ofac_100k": {"n": 1_000, "seed": 7},
        "graded_kb": {"n": 250, "seed": 11},
        "article": {},
        "ofac_1m": {"n": 2_000, "seed": 7},
        "tc_random_100k": {"n": 1_000, "m": 1_040, "seed": 6},
        "facts_1m": {"n": 10_000, "seed": 11},
        "pointsto_24k": {"n": 2_400, "seed": 5},
        "pointsto_96k": {"n": 2_400, "seed": 5},
        "triangles": {"n": 200, "m": 2_000, "seed": 3},
        "complement": {"n": 60, "m": 70, "seed": 4},
        "kg_100k": {"n": 2_000, "seed": 8},
        "aggregates": {"n": 2_000, "seed": 9},
        "cspa": {"n": 500, "seed": 10},
    },
}
WORKLOADS = tuple(FAMILIES)
SUITE = tuple(w for w in WORKLOADS if w not in QUESTION_ONLY)


def workload(name: str, size: str) -> Workload:
    return Workload(name, FAMILIES[name], dict(SIZES[size][name]))


# --- generators ---------------------------------------------------------------

def chain(n: int) -> list[Row]:
    """0 -> 1 -> ... -> n-1."""
    return [(i, i + 1) for i in range(n - 1)]


def random_graph(n: int, m: int, seed: int) -> list[Row]:
    """m distinct directed edges between n nodes, no self-loops."""
    rng = random.Random(seed)
    edges: set[Row] = set()
    while len(edges) < m:
        a, b = rng.randrange(n), rng.randrange(n)
        if a != b:
            edges.add((a, b))
    return sorted(edges)


def binary_tree(depth: int) -> list[Row]:
    """par(child, parent) for a complete binary tree; node k has children 2k+1, 2k+2."""
    last = 2 ** (depth + 1) - 1
    return [(c, (c - 1) // 2) for c in range(1, last)]


def ownership(n: int, seed: int) -> Data:
    """An ownership graph of n companies.

    Companies are laid out in chains of 1 to 10 (each owns part of the next),
    about one chain in ten closes into a cycle, and every company gets up to two
    extra minority owners from anywhere (so that sums of several stakes
    matter). Stakes in one company never add up to more than 100 percent. Two
    percent of the companies are designated.
    """
    rng = random.Random(seed)
    owns: dict[tuple[int, int], int] = {}
    held = [0] * n

    def add(owner: int, asset: int, pct: int) -> None:
        pct = min(pct, 100 - held[asset])
        if owner != asset and pct > 0 and (owner, asset) not in owns:
            owns[owner, asset] = pct
            held[asset] += pct

    start = 0
    while start < n:
        members = list(range(start, min(start + rng.randint(1, 10), n)))
        start += len(members)
        for a, b in pairwise(members):
            add(a, b, rng.choice((20, 25, 30, 40, 49, 50, 51, 60, 75, 100)))
        if len(members) >= 3 and rng.random() < 0.1:
            add(members[-1], members[0], rng.choice((25, 50, 60)))
    for asset in range(n):
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            add(rng.randrange(n), asset, rng.choice((5, 10, 15, 20, 25, 30)))
    return {
        "company": [(c,) for c in range(n)],
        "designated": sorted((c,) for c in rng.sample(range(n), n // 50)),
        "owns": sorted((o, a, p) for (o, a), p in owns.items()),
    }


def control_groups(n: int, seed: int) -> Data:
    """Who controls whom among n entities: groups of 25, each a random DAG of about two controllers a member.

    A few controls reach across groups; three percent of the entities are
    sanctioned. Every fact is cited, with a grade drawn per fact
    (`graded_facts`).
    """
    rng = random.Random(seed)
    edges: set[Row] = set()
    for start in range(0, n, 25):
        members = list(range(start, min(start + 25, n)))
        for k, m in enumerate(members[1:], 1):
            for _ in range(rng.choice((1, 2, 2, 3))):
                edges.add((members[rng.randrange(k)], m))
    for _ in range(n // 50):
        a, b = rng.randrange(n), rng.randrange(n)
        if a < b:
            edges.add((a, b))
    return {"controls": sorted(edges), "sanctioned": sorted((c,) for c in rng.sample(range(n), n * 3 // 100))}


def graded_facts(data: Data, seed: int) -> str:
    """The graded workload's facts as Syllog text: each cites one of six sources, a line and a credibility."""
    rng = random.Random(seed)
    lines = [f'.source s{k} {{ title: "report {k}", publisher: "p{k}", date: "2024-01-0{k + 1}", '
             f'document: "doc.txt", reliability: {r} }}' for k, r in enumerate(GRADED_SOURCES)]
    for pred in ("controls", "sanctioned"):
        for row in data[pred]:
            cite = f"@cite(s{rng.randrange(len(GRADED_SOURCES))}, line: {rng.randint(1, 10)}, credibility: {rng.randint(1, 6)})"
            lines.append(f"{cite} {pred}({', '.join(map(str, row))}).")
    return "\n".join(lines) + "\n"


def stakes(n: int, seed: int) -> list[tuple[str, str, int]]:
    """n distinct owns(owner, asset, pct): owner `c<i>`, an asset among the first half, pct 0 to 100."""
    rng = random.Random(seed)
    return [(f"c{i}", f"c{rng.randrange(max(1, n // 2))}", rng.randrange(101)) for i in range(n)]


def pointsto(n: int, seed: int) -> Data:
    """n facts of a program's pointer statements for Andersen's analysis.

    Variables `v<i>` in functions of 12, each allocating heap objects
    (`h<i>`), copying pointers within the function, and loading and storing
    through four fields: the points-to sets stay small, as a real program's do.
    """
    rng = random.Random(seed)
    size = max(24, n // 2)
    out: dict[str, set[tuple[str, ...]]] = {"alloc": set(), "assign": set(), "load": set(), "store": set()}
    quota = {"alloc": n // 4, "assign": n // 2, "load": n // 8, "store": n - n // 4 - n // 2 - n // 8}

    def var(near: int) -> str:
        return f"v{min(size - 1, near - near % 12 + rng.randrange(12))}"

    for pred, k in quota.items():
        while len(out[pred]) < k:
            i = rng.randrange(size)
            if pred == "alloc":
                out[pred].add((f"v{i}", f"h{i // 2}"))
            elif pred == "assign":
                out[pred].add((f"v{i}", var(i)))
            else:
                field = f"f{rng.randrange(4)}"
                out[pred].add((f"v{i}", var(i), field) if pred == "load" else (f"v{i}", field, var(i)))
    return {pred: sorted(rows) for pred, rows in out.items()}


# regions of the knowledge graph: (region, the wider regions it is part of); entities are located in
# the cities and countries, and a few in crimea itself
COUNTRIES = {"russia": ("cis",), "iran": (), "ukraine": (), "germany": ("eu",), "france": ("eu",),
             "cyprus": ("eu", "offshore"), "panama": ("offshore",), "bvi": ("offshore",), "uk": (),
             "turkey": (), "uae": (), "china": (), "kazakhstan": ("cis",), "belarus": ("cis",)}
KINDS = ("person", "person", "person", "person", "company", "company", "company", "bank", "fund", "vessel")


def knowledge_graph(n: int, seed: int) -> Data:
    """n entities (`type`: person, company, bank, fund, vessel) in groups of 20.

    Within a group, each company, bank, vessel and fund has one or two owners
    among the group's earlier entities (a DAG, so control chains stay short),
    one in fifty an owner from anywhere; companies and banks have one to three
    directors, persons of the group; every non-person is located in a city
    (five a country, part of their country) or a country, one in forty in
    crimea (part of ukraine and of russia). One percent are sanctioned;
    three persons in five are screened.
    """
    rng = random.Random(seed)
    part_of = [("crimea", "ukraine"), ("crimea", "russia")]
    places = ["crimea"]
    for country, wider in COUNTRIES.items():
        part_of += [(country, w) for w in wider]
        places.append(country)
        for k in range(5):
            part_of.append((f"{country}_city{k}", country))
            places.append(f"{country}_city{k}")
    kind = [rng.choice(KINDS) for _ in range(n)]
    owns: set[Row] = set()
    directs: set[Row] = set()
    located = []
    for x in range(n):
        if kind[x] == "person":
            continue
        start = x - x % 20
        owners = [o for o in range(start, x) if kind[o] != "vessel"]
        for _ in range(rng.choice((1, 1, 2))):
            if rng.random() < 0.02:
                owns.add((rng.randrange(n), x))
            elif owners:
                owns.add((rng.choice(owners), x))
        people = [p for p in range(start, min(start + 20, n)) if kind[p] == "person"]
        if kind[x] in ("company", "bank") and people:
            directs.update((rng.choice(people), x) for _ in range(rng.randint(1, 3)))
        located.append((x, "crimea" if rng.random() < 0.025 else rng.choice(places)))
    owns = {(o, a) for o, a in owns if o != a}
    return {
        "type": [(x, kind[x]) for x in range(n)],
        "owns": sorted(owns),
        "director_of": sorted(directs),
        "located_in": located,
        "part_of": sorted(set(part_of)),
        "sanctioned": sorted((x,) for x in rng.sample(range(n), n // 100)),
        "screened": sorted((x,) for x in range(n) if kind[x] == "person" and rng.random() < 0.6),
    }


def staff(n: int, seed: int) -> Data:
    """n employees in n/50 departments (every one with at least one employee) in 12 regions; salaries
    20,000 to 120,000 in steps of 100; three sales a employee on average, 10 to 1,500 each."""
    rng = random.Random(seed)
    depts = max(1, n // 50)
    emp = [(e, e if e < depts else rng.randrange(depts), 100 * rng.randint(200, 1200)) for e in range(n)]
    sales = [(s, rng.randrange(n), rng.randint(10, 1500)) for s in range(3 * n)]
    return {"dept": [(d, f"r{d % 12}") for d in range(depts)], "emp": emp, "sale": sales}


def cspa(n: int, seed: int) -> Data:
    """A program's assignments and dereferences over n variables for CSPA, in functions of 10.

    Each variable is assigned from one or two variables of its function, one
    in twenty from anywhere (a call); one in five is dereferenced, to a
    variable of its function.
    """
    rng = random.Random(seed)
    assign: set[Row] = set()
    deref: set[Row] = set()

    def near(x: int) -> int:
        return min(n - 1, x - x % 10 + rng.randrange(10))

    for x in range(n):
        for _ in range(rng.choice((1, 1, 2))):
            y = rng.randrange(n) if rng.random() < 0.05 else near(x)
            if y != x:
                assign.add((x, y))
        if rng.random() < 0.2:
            deref.add((x, near(x)))
    return {"assign": sorted(assign), "deref": sorted(deref)}


# --- files --------------------------------------------------------------------

def write_data(w: Workload, folder: Path) -> None:
    """Write each relation as a header-less CSV, plus all of them as Prolog facts and as Syllog
    facts (for the inline families, with a Syllog and a clingo program)."""
    folder.mkdir(parents=True, exist_ok=True)
    data = w.generate()
    if w.family == "graded":
        (folder / "doc.txt").write_text("".join(f"Line {i} of the report.\n" for i in range(1, 11)))
        (folder / "kb.dl").write_text(graded_facts(data, w.params["seed"]) + GRADED_RULES)
    for pred, rows in data.items():
        with open(folder / f"{pred}.csv", "w", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)
    with open(folder / "facts.pl", "w") as fh:
        for pred, rows in data.items():
            fh.writelines(f"{pred}({','.join(map(str, row))}).\n" for row in rows)
    if w.inline:
        write_inline(w, data, folder)
    else:  # the same facts as a .dl file, for `--syllog-facts inline`
        with open(folder / "inline.dl", "w") as fh:
            for pred, rows in data.items():
                fh.writelines(f"{pred}({', '.join(map(str, row))}).\n" for row in rows)


BLOCK = 1000  # facts a cite block holds
DOCUMENT_LINES = 100


def write_inline(w: Workload, data: Data, folder: Path) -> None:
    """facts.dl (a source, the facts: every fifth thousand in a cite block) and rules.dl (the
    declarations and rules) for Syllog; facts.lp (the same facts, the rules, a count of the
    output relation) for clingo."""
    (folder / "report.txt").write_text("".join(f"Sentence {i}.\n" for i in range(1, DOCUMENT_LINES + 1)))
    with open(folder / "facts.dl", "w") as fh:
        fh.write('.source report { title: "Benchmark report", publisher: "Syllog", date: "2026-12-01", '
                 'document: "report.txt", reliability: b }\n')
        k = 0
        for pred, rows in data.items():
            for start in range(0, len(rows), BLOCK):
                lines = [f"{pred}({', '.join(map(str, row))}).\n" for row in rows[start : start + BLOCK]]
                k += 1
                if k % 5 == 0:
                    fh.write(f"@cite(report, line: {k % DOCUMENT_LINES + 1}, credibility: 2) {{\n")
                    fh.writelines("    " + line for line in lines)
                    fh.write("}\n")
                else:
                    fh.writelines(lines)
    decls = [f".decl {pred}({', '.join(f'{c}: {t}' for c, t in zip(cols, w.types[pred]))})"
             for pred, cols in w.schema.items()]
    (folder / "rules.dl").write_text("\n".join(decls + INLINE_RULES[w.family]) + "\n")
    with open(folder / "facts.lp", "w") as fh:
        for pred, rows in data.items():
            fh.writelines(f"{pred}({','.join(map(str, row))}).\n" for row in rows)
        pred, arity = w.output
        variables = ", ".join(f"X{i}" for i in range(arity))
        # clingo counts the output relation itself (showing a million atoms would time Python)
        fh.write("\n".join(INLINE_RULES[w.family])
                 + f"\ntotal(N) :- N = #count {{ {variables} : {pred}({variables}) }}.\n#show total/1.\n")


def read_data(w: Workload, folder: Path) -> Data:
    """Read back the CSV files of a workload (done inside the timed region): integers as ints, symbols as str."""
    data: Data = {}
    for pred, types in w.types.items():
        convert = [int if t == "int" else str for t in types]
        with open(folder / f"{pred}.csv", newline="") as fh:
            if all(t == "int" for t in types):
                data[pred] = [tuple(map(int, rec)) for rec in csv.reader(fh)]
            else:
                data[pred] = [tuple(f(v) for f, v in zip(convert, rec)) for rec in csv.reader(fh)]
    return data


def rule_text(rule: Rule) -> str:
    """A rule in the `head :- body.` syntax shared by Syllog, clingo and Prolog."""
    def atom(a: Atom) -> str:
        return f"{a.pred}({', '.join(str(t) for t in a.terms)})"
    return f"{atom(rule.head)} :- {', '.join(atom(b) for b in rule.body)}."


def variables(rules: tuple[Rule, ...]) -> list[str]:
    seen = {t for r in rules for a in (r.head, *r.body) for t in a.terms if is_var(t)}
    return sorted(str(t) for t in seen)
