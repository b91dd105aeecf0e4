"""One runner per engine, executed inside a fresh worker process.

`prepare(engine)` does the imports (untimed) and returns a runner; a runner takes
a workload and its data folder, loads the data, evaluates, and returns the
number of tuples of the workload's output relation, plus its own measurement of
the time when the worker's clock would include something else (swipl's start-up).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import translate
from plain_seminaive import blocked_fixpoint, evaluate, is_var
from workloads import INLINE_RULES, OFAC_SYLLOG, PROGRAMS, Workload, read_data, rule_text, variables

ROOT = Path(__file__).resolve().parent.parent
# `syllog` is the default path (proofs and grades on); `syllog-noprov` is `--no-provenance`;
# `duckdb1` is DuckDB on one thread (`SET threads = 1`), `sqlite` Python's sqlite3
ENGINES = ("syllog", "syllog-noprov", "plain", "pydatalog", "clingo", "swipl", "duckdb", "duckdb1", "sqlite")
SQL_ENGINES = ("duckdb", "duckdb1", "sqlite")
Result = tuple[int, float | None]
Runner = Callable[[Workload, Path], Result]


def installed(engine: str) -> bool:
    if engine == "swipl":
        return shutil.which("swipl") is not None
    module = {"pydatalog": "pyDatalog", "clingo": "clingo", "duckdb": "duckdb", "duckdb1": "duckdb"}.get(engine)
    return module is None or importlib.util.find_spec(module) is not None


def not_applicable(engine: str, w: Workload) -> str | None:
    """Why an engine does not run a workload, or None when it does."""
    if w.family == "article" and not engine.startswith("syllog"):
        return "the article program is Syllog only"
    if w.family == "graded" and not engine.startswith("syllog"):
        return "grades are Syllog's own"
    if w.family == "ofac" and engine == "pydatalog":
        return "pyDatalog has no recursion through aggregates"
    if w.inline and engine in ("plain", "pydatalog", *SQL_ENGINES):
        return "the inline workloads read facts written in a program: Syllog, clingo and SWI-Prolog"
    if w.shape and engine == "pydatalog":
        return "pyDatalog runs the closures (tc, sg) only"
    if w.shape and engine == "plain" and not w.rules:
        return "the plain evaluator has positive rules only (no comparison, negation or aggregate)"
    return None


def prepare(engine: str, syllog_facts: str | None = None, preimport: list[str] | None = None) -> Runner:
    """The engine's imports, done here before the clock, and its runner.

    `preimport`: modules Syllog imports on first use (numpy when a stratum goes vectorized or a
    large file is read as columns, pyarrow for large files of symbols), found by an untimed probe
    run of the same workload (`run.py`), imported here like every engine's own modules."""
    if engine in ("syllog", "syllog-noprov"):
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        syllog = importlib.import_module("engine")
        for module in preimport or ():
            importlib.import_module(module)
        provenance = engine == "syllog"
        return lambda w, data: (run_syllog(syllog, w, data, provenance, syllog_facts), None)
    if engine == "plain":
        return lambda w, data: (run_plain(w, data), None)
    if engine == "pydatalog":
        pyd = importlib.import_module("pyDatalog.pyDatalog")
        return lambda w, data: (run_pydatalog(pyd, w, data), None)
    if engine == "clingo":
        clingo = importlib.import_module("clingo")
        return lambda w, data: (run_clingo(clingo, w, data), None)
    if engine in ("duckdb", "duckdb1"):
        duckdb = importlib.import_module("duckdb")
        threads = 1 if engine == "duckdb1" else None
        return lambda w, data: (run_duckdb(duckdb, w, data, threads), None)
    if engine == "sqlite":
        return lambda w, data: (run_sqlite(w, data), None)
    if engine == "swipl":
        return run_swipl
    raise ValueError(f"unknown engine {engine!r}")


# --- syllog ---------------------------------------------------------------------

# modules Syllog imports lazily that a probe run reports, to be imported before the clock
LAZY_IMPORTS = ("numpy", "pyarrow", "pyarrow.csv", "pyarrow.compute")


def lazy_imports(before: set[str]) -> list[str]:
    """Those of LAZY_IMPORTS imported since `before` (a snapshot of sys.modules' names)."""
    return [m for m in LAZY_IMPORTS if m in sys.modules and m not in before]


def syllog_program(w: Workload, data: Path, inline: bool) -> str:
    """Declarations, the data (`.input` of the CSV files, or `.include` of the same facts written
    as a .dl file, `workloads.write_data`) and the rules."""
    lines = []
    for pred, cols in w.schema.items():
        lines.append(f".decl {pred}({', '.join(f'{c}: {t}' for c, t in zip(cols, w.types[pred]))})")
        if not inline:
            lines.append(f'.input {pred} {{ file: "{data / (pred + ".csv")}", format: csv }}')
    if inline:
        lines.append(f'.include "{data / "inline.dl"}"')
    if w.shape:
        lines.append(PROGRAMS[w.family])
    else:
        lines.extend(rule_text(r) for r in w.rules)
    if w.family == "ofac":
        lines.append(OFAC_SYLLOG)
    return "\n".join(lines) + "\n"


def run_syllog(syllog: Any, w: Workload, data: Path, provenance: bool, facts: str | None) -> int:
    """Load, evaluate, and answer the program's `?-` queries (graded by default), as `syllog run` does.

    `facts`: "input" (.input of the CSV files) or "inline" (facts in a .dl file); by default each
    workload's own way: .input for the graph ones, facts.dl for the inline ones."""
    if w.family == "article":
        prog = syllog.load([ROOT / "rules", ROOT / "facts"])
    elif w.family == "graded":
        prog = syllog.load(data / "kb.dl")
    elif w.inline and facts != "input":
        prog = syllog.load([data / "rules.dl", data / "facts.dl"])
    elif w.inline:
        inputs = [f'.input {pred} {{ file: "{data / (pred + ".csv")}", format: csv }}' for pred in w.schema]
        prog = syllog.load_text((data / "rules.dl").read_text() + "\n".join(inputs) + "\n", path=str(data / "bench.dl"))
    else:
        prog = syllog.load_text(syllog_program(w, data, inline=facts == "inline"), path=str(data / "bench.dl"))
    model = prog.evaluate(provenance=provenance)
    answers = [model.query(q.body) for q in prog.program.queries]
    if provenance and model.graded:
        assert all(len(a.grades) == len(a.rows) for a in answers)
    if w.family == "article":
        return int(syllog_model_size(model))
    return int(model.size(w.output[0]))


def syllog_model_size(model: Any) -> int:
    """All tuples of a model (facts included), for the article."""
    if hasattr(model, "count"):
        return int(model.count())
    return sum(len(model.relation(name)) for name in model.relations)


# --- plain ----------------------------------------------------------------------

def run_plain(w: Workload, data: Path) -> int:
    facts = read_data(w, data)
    if w.family == "ofac":
        company = {c for (c,) in facts["company"]}
        designated = {c for (c,) in facts["designated"]}
        owns = [(o, a, p) for o, a, p in facts["owns"]]
        return len(blocked_fixpoint(company, designated, owns))
    return len(evaluate(w.rules, facts)[w.output[0]])


# --- pyDatalog ------------------------------------------------------------------

def run_pydatalog(pyd: Any, w: Workload, data: Path) -> int:
    """Through the API objects only: terms, assert_fact, `head <= body` and a query."""
    facts = read_data(w, data)
    pred, arity = w.output
    out_vars = [f"Out{i}" for i in range(arity)]
    names = sorted({r.head.pred for r in w.rules} | set(w.schema)) + variables(w.rules) + out_vars
    made = pyd.create_terms(", ".join(names))
    terms = dict(zip(names, made if isinstance(made, tuple) else (made,), strict=True))
    for name, rows in facts.items():
        for row in rows:
            pyd.assert_fact(name, *row)

    def atom(a: Any) -> Any:
        return terms[a.pred](*(terms[t] if is_var(t) else t for t in a.terms))

    for rule in w.rules:
        body = atom(rule.body[0])
        for b in rule.body[1:]:
            body = body & atom(b)
        atom(rule.head) <= body  # noqa: B015 (pyDatalog: `head <= body` adds the clause)
    return len(terms[pred](*(terms[v] for v in out_vars)))


# --- clingo ---------------------------------------------------------------------

def run_clingo(clingo: Any, w: Workload, data: Path) -> int:
    pred, arity = w.output
    if w.inline:  # clingo reads the facts, the rules and a count of the output from facts.lp itself
        ctl = clingo.Control(["--warn=none"])
        ctl.load(str(data / "facts.lp"))
        ctl.ground([("base", [])])
        totals: list[int] = []
        ctl.solve(on_model=lambda m: totals.extend(s.arguments[0].number for s in m.symbols(shown=True)))
        if len(totals) != 1:
            raise RuntimeError(f"expected one count, got {totals}")
        return totals[0]
    facts = read_data(w, data)
    parts = [f"{p}({','.join(map(str, row))}).\n" for p, rows in facts.items() for row in rows]
    if w.shape:
        parts.extend(translate.clingo_rule(r) + "\n" for r in translate.parse(PROGRAMS[w.family]))
    else:
        parts.extend(rule_text(r) + "\n" for r in w.rules)
    if w.family == "ofac":
        parts.append("blocked(C) :- designated(C).\n"
                     "blocked(C) :- company(C), #sum { P,O : owns(O,C,P), blocked(O) } >= 50.\n")
    parts.append(f"#show {pred}/{arity}.\n")
    ctl = clingo.Control(["--warn=none"])
    ctl.add("base", [], "".join(parts))
    return clingo_count(ctl, pred)


def clingo_count(ctl: Any, pred: str) -> int:
    """Ground and solve; the number of shown atoms of `pred` in the one model."""
    ctl.ground([("base", [])])
    counts: list[int] = []
    ctl.solve(on_model=lambda m: counts.append(sum(1 for s in m.symbols(shown=True) if s.name == pred)))
    if len(counts) != 1:
        raise RuntimeError(f"expected one model, got {len(counts)}")
    return counts[0]


# --- duckdb ---------------------------------------------------------------------

TC_SQL = """
WITH RECURSIVE path(a, b) AS (
    SELECT src, dst FROM edge
    UNION
    SELECT path.a, edge.dst FROM path JOIN edge ON path.b = edge.src)
SELECT count(*) FROM path"""
SG_SQL = """
WITH RECURSIVE sg(x, y) AS (
    SELECT a.child, b.child FROM par a JOIN par b ON a.parent = b.parent
    UNION
    SELECT a.child, b.child FROM sg JOIN par a ON a.parent = sg.x JOIN par b ON b.parent = sg.y)
SELECT count(*) FROM sg"""
OFAC_STEP_SQL = """
INSERT INTO blocked
SELECT o.asset FROM owns o JOIN blocked b ON o.owner = b.id JOIN company c ON c.id = o.asset
GROUP BY o.asset HAVING sum(o.pct) >= 50
EXCEPT SELECT id FROM blocked"""


def run_duckdb(duckdb: Any, w: Workload, data: Path, threads: int | None = None) -> int:
    con = duckdb.connect()
    if threads is not None:
        con.execute(f"SET threads = {threads}")
    sql_types = translate.SQL_TYPES["duckdb"]
    for pred, cols in w.schema.items():
        path = str(data / f"{pred}.csv").replace("'", "''")
        # the shape programs' SQL names the columns c0, c1, ... (translate.rule_sql)
        names = [f"c{i}" for i in range(len(cols))] if w.shape else cols
        types = ", ".join(f"'{c}': '{sql_types[t]}'" for c, t in zip(names, w.types[pred]))
        con.execute(f"CREATE TABLE {pred} AS SELECT * FROM read_csv('{path}', header = false, "
                    f"columns = {{{types}}})")
    return run_sql(con, w, "duckdb")


def run_sqlite(w: Workload, data: Path) -> int:
    """Python's sqlite3, in memory: the CSV files read by `read_data` and inserted (the shape
    workloads' tables indexed, `translate.sqlite_indexes`)."""
    con = sqlite3.connect(":memory:")
    sql_types = translate.SQL_TYPES["sqlite"]
    for pred, rows in read_data(w, data).items():
        cols = [f"c{i}" for i in range(len(w.schema[pred]))] if w.shape else w.schema[pred]
        con.execute(f"CREATE TABLE {pred} ({', '.join(f'{c} {sql_types[t]}' for c, t in zip(cols, w.types[pred]))})")
        con.executemany(f"INSERT INTO {pred} VALUES ({', '.join('?' * len(cols))})", rows)
        for sql in translate.sqlite_indexes(pred, len(cols)) if w.shape else ():
            con.execute(sql)
    return run_sql(con, w, "sqlite")


def run_sql(con: Any, w: Workload, dialect: str) -> int:
    """The workload's program on a connection whose input tables are loaded (DuckDB or SQLite)."""
    if w.shape:
        translate.SqlProgram(con, translate.parse(PROGRAMS[w.family]), w.types, dialect).run()
        return _scalar(con, f"SELECT count(*) FROM {w.output[0]}")
    if w.family == "ofac":
        # No aggregates in a recursive CTE: iterate to the fixpoint from Python.
        con.execute("CREATE TABLE blocked AS SELECT DISTINCT id FROM designated")
        size = _scalar(con, "SELECT count(*) FROM blocked")
        while True:
            con.execute(OFAC_STEP_SQL)
            new = _scalar(con, "SELECT count(*) FROM blocked")
            if new == size:
                return size
            size = new
    return _scalar(con, TC_SQL if w.family == "tc" else SG_SQL)


def _scalar(con: Any, sql: str) -> int:
    row = con.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


# --- SWI-Prolog -----------------------------------------------------------------

PROLOG_MAIN = """
main :-
    get_time(T0),
    load_files('{facts}', [silent(true)]),
    {goal},
    get_time(T1),
    T is T1 - T0,
    format("~d ~6f~n", [N, T]).
:- initialization(main, main).
"""
PROLOG_OFAC = """
:- dynamic blocked/1, share/2.
ofac(N) :-
    findall(C, designated(C), D0), sort(D0, D),
    forall(member(C, D), assertz(blocked(C))),
    ofac_loop(D),
    aggregate_all(count, blocked(_), N).
ofac_loop([]) :- !.
ofac_loop(Delta) :-
    findall(C-P, (member(O, Delta), owns(O, C, P), company(C)), Stakes),
    ofac_add(Stakes, [], New0), sort(New0, New),
    forall(member(C, New), assertz(blocked(C))),
    ofac_loop(New).
ofac_add([], New, New).
ofac_add([C-P|Rest], Acc, New) :-
    ( retract(share(C, S0)) -> S is S0 + P ; S = P ),
    assertz(share(C, S)),
    ( S >= 50, \\+ blocked(C) -> ofac_add(Rest, [C|Acc], New) ; ofac_add(Rest, Acc, New) ).
"""


def swipl_program(w: Workload, data: Path) -> str:
    lines = [":- set_prolog_flag(table_space, 16_000_000_000)."]
    if w.family == "ofac":
        lines.append(PROLOG_OFAC)
        goal = "ofac(N)"
    elif w.shape:
        rules = translate.parse(PROGRAMS[w.family])
        lines.extend(translate.prolog_tables(rules))
        lines.extend(translate.prolog_rule(r) for r in rules)
        goal = translate.prolog_goal(rules, w.output)
    elif w.inline:
        pred, arity = w.output
        heads = sorted({r.split("(")[0] + "/" + str(r.split(":-")[0].count(",") + 1) for r in INLINE_RULES[w.family]})
        if heads:
            lines.append(f":- table {', '.join(heads)}.")
        lines.extend(INLINE_RULES[w.family])
        goal = f"aggregate_all(count, {pred}({', '.join(['_'] * arity)}), N)"
    else:
        pred, arity = w.output
        lines.append(f":- table {pred}/{arity}.")
        lines.extend(rule_text(r) for r in w.rules)
        goal = f"aggregate_all(count, {pred}({', '.join(['_'] * arity)}), N)"
    facts = str(data / "facts.pl").replace("'", "\\'")
    lines.append(PROLOG_MAIN.format(facts=facts, goal=goal))
    return "\n".join(lines)


def run_swipl(w: Workload, data: Path) -> Result:
    """Tabled evaluation in SWI-Prolog; the time is measured inside Prolog."""
    script = data / "bench_swipl.pl"
    script.write_text(swipl_program(w, data))
    proc = subprocess.run(["swipl", "--stack-limit=16g", "-q", str(script)],
                          capture_output=True, text=True, env={**os.environ, "LANG": "C.UTF-8"})
    match = re.search(r"^(\d+) ([0-9.]+)$", proc.stdout, re.MULTILINE)
    if proc.returncode != 0 or match is None:
        raise RuntimeError(f"swipl exit {proc.returncode}: {(proc.stderr or proc.stdout).strip()[:300]}")
    return int(match.group(1)), float(match.group(2))
