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
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

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
INLINE_FAMILIES = tuple(INLINE_RULES)

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
}
# the Syllog type of each column of the inline families (the graph ones are all int)
TYPES = {"owns": ("symbol", "symbol", "int"), "alloc": ("symbol",) * 2, "assign": ("symbol",) * 2,
         "load": ("symbol",) * 3, "store": ("symbol",) * 3}
OUTPUTS = {"tc": ("path", 2), "sg": ("sg", 2), "ofac": ("blocked", 1), "graded": ("controlled", 2),
           "article": ("", 0), "facts": ("owns", 3), "pointsto": ("pts", 2)}


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
    def output(self) -> tuple[str, int]:
        return OUTPUTS[self.family]

    @property
    def inline(self) -> bool:
        """Does the workload measure reading facts written in the program (facts.dl)?"""
        return self.family in INLINE_FAMILIES

    @property
    def rules(self) -> tuple[Rule, ...]:
        """The program as rule data (empty for OFAC, the article and the inline families)."""
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
        if self.family == "pointsto":
            return f"points-to analysis of {p['n']:,} cited facts, seed {p['seed']}"
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
        return {}


FAMILIES = {
    "tc_chain_1000": "tc", "tc_chain_2000": "tc", "tc_random_2000": "tc",
    "sg_tree_8": "sg", "sg_tree_10": "sg", "ofac_100k": "ofac", "graded_kb": "graded", "article": "article",
    "ofac_1m": "ofac", "tc_random_100k": "tc",
    "facts_1m": "facts", "pointsto_24k": "pointsto",
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
    decls = [f".decl {pred}({', '.join(f'{c}: {t}' for c, t in zip(cols, TYPES[pred]))})"
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
    """Read back the CSV files of a workload (done inside the timed region)."""
    data: Data = {}
    for pred in w.schema:
        with open(folder / f"{pred}.csv", newline="") as fh:
            data[pred] = [tuple(map(int, rec)) for rec in csv.reader(fh)]
    return data


def rule_text(rule: Rule) -> str:
    """A rule in the `head :- body.` syntax shared by Syllog, clingo and Prolog."""
    def atom(a: Atom) -> str:
        return f"{a.pred}({', '.join(str(t) for t in a.terms)})"
    return f"{atom(rule.head)} :- {', '.join(atom(b) for b in rule.body)}."


def variables(rules: tuple[Rule, ...]) -> list[str]:
    seen = {t for r in rules for a in (r.head, *r.body) for t in a.terms if is_var(t)}
    return sorted(str(t) for t in seen)
