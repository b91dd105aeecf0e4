"""The `syllog` command: presentation only, over the public API.

Commands: check, run, query, why, test, snapshot, repl. Every error is
printed as `path:line:col: error[CODE]: message` with the source line and a
caret, and exits 1; no Python traceback reaches the user for bad input.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from . import api
from .errors import Diagnostic, SourceMap, Span, SyllogError, error, render
from .model import Answers
from .proof.tree import ProofNode
from .proofs import quote_of, to_dot, to_json
from .syntax.pretty import rule as rule_text
from .values import show
from .values import to_json as value_json


def _console(stream: Any = None) -> Console:
    return Console(file=stream or sys.stdout, highlight=False, soft_wrap=False, width=None if (stream or sys.stdout).isatty() else 100)


def _print_diags(diags: Sequence[Diagnostic], sources: SourceMap | None, console: Console | None = None) -> None:
    err = console or Console(file=sys.stderr, highlight=False, soft_wrap=True)
    for d in diags:
        text = render(d, sources)
        if err.is_terminal:
            color = "red" if d.is_error else "yellow"
            first, _, rest = text.partition("\n")
            err.print(f"[bold {color}]{escape(first)}[/]" + ("\n" + escape(rest) if rest else ""))
        elif console is not None:
            err.print(text, markup=False, highlight=False, soft_wrap=True)
        else:
            print(text, file=sys.stderr)


def _load(args: argparse.Namespace) -> api.Loaded:
    return api.load(args.paths, as_of=getattr(args, "as_of", None))


def _evaluate(args: argparse.Namespace, loaded: api.Loaded, provenance: bool | None = None) -> Any:
    prov = (not getattr(args, "no_provenance", False)) if provenance is None else provenance
    backend = getattr(args, "backend", "memory")
    if backend == "memory":
        return loaded.evaluate(provenance=prov, max_tuples=args.max_tuples, max_seconds=args.timeout)
    sql: dict[str, Any] = {}
    if args.database:
        sql["database"] = args.database
    if args.memory_limit:
        sql["memory_limit"] = args.memory_limit
    return loaded.evaluate(provenance=prov, max_tuples=args.max_tuples, max_seconds=args.timeout, backend=backend,
                           **sql)


# -- check ---------------------------------------------------------------
def cmd_check(args: argparse.Namespace) -> int:
    loaded = _load(args)
    _print_diags(loaded.warnings, loaded.program.text)
    p = loaded.program
    n_rules = len(p.rules)
    print(f"ok: {len(p.facts)} facts, {n_rules} rules, {len(p.arity)} predicates, "
          f"{len(p.warnings)} warning{'s' * (len(p.warnings) != 1)}")
    return 0


# -- run / query ---------------------------------------------------------
def _answers_table(answers: Answers, title: str) -> Table:
    graded = bool(answers.grades)
    table = Table(show_lines=False)
    for v in answers.variables:
        table.add_column(v)
    if graded:
        table.add_column("grade")
    if not answers.variables:
        table.add_column("answer")
        table.add_row("true" if answers.rows else "false")
        return table
    for k, r in enumerate(answers.rows):
        cells = [escape(show(v)) for v in r]
        if graded:
            cells.append(answers.grades[k] or "-")
        table.add_row(*cells)
    return table


def cmd_run(args: argparse.Namespace) -> int:
    from .evaluation.io import write_outputs

    loaded = _load(args)
    model = _evaluate(args, loaded)
    con = _console()
    p = loaded.program
    if p.warnings:
        print(f"{len(p.warnings)} warning{'s' * (len(p.warnings) != 1)}; `syllog check` shows them", file=sys.stderr)
    for q in p.queries:
        from .syntax.pretty import body

        text = body(q.body)
        answers = model.query(q.body, text)
        con.print(escape(f"?- {text}."))
        con.print(_answers_table(answers, f"?- {text}."))
        n = len(answers.rows)
        if answers.variables:
            con.print(f"{n} answer{'s' * (n != 1)}\n")
        else:
            con.print()
    if not p.queries:
        con.print("derived relations (the program has no `?-` queries):")
        table = Table()
        table.add_column("predicate")
        table.add_column("tuples", justify="right")
        derived = sorted({r.head.pred for r in p.rules})
        for pred in derived:
            table.add_row(pred, str(model.size(pred)))
        con.print(table)
    print_violations(model, con)
    for path in write_outputs(p, model.relation):
        print(f"wrote {path}", file=sys.stderr)
    return 0


def print_violations(model: Any, con: Console) -> None:
    """Each violated constraint after the answers, with its values, grade and the premises' proofs."""
    if not getattr(model.program, "constraints", None):
        return
    found = model.violations()
    for v in found:
        values = ", ".join(f"{k} = {show(x)}" for k, x in v.binding.items())
        grade = f" [{v.grade}]" if v.grade else ""
        tree = Tree(f"[bold red]violated[/]: {escape(v.what)}  [dim]({v.constraint.span.file}:{v.constraint.span.line})[/]")
        tree.add(escape(values or "the body holds") + grade)
        for p in v.premises:
            _tree(p, tree)
        con.print(tree)
    n_k = len(model.program.constraints)
    con.print(f"{len(found)} violation{'s' * (len(found) != 1)} of {n_k} constraint{'s' * (n_k != 1)}")


def _answers_json(answers: Answers) -> dict[str, Any]:
    out: dict[str, Any] = {
        "query": answers.query,
        "variables": answers.variables,
        "answers": [{k: value_json(v) for k, v in zip(answers.variables, r)} for r in answers.rows],
    }
    if answers.grades:
        out["grades"] = answers.grades
    return out


def _for_goal(args: argparse.Namespace, loaded: api.Loaded, goal: str, provenance: bool | None = None) -> Any:
    """The model that answers one goal: on demand or fully (`--demand`), the choice shown with `--explain`."""
    if getattr(args, "backend", "memory") != "memory":
        if args.demand == "on":
            raise SyllogError([error("E960", "--demand on works with the in-memory evaluator only",
                                     Span("<query>", 1, 1, 1, 1), help="drop --backend, or --demand")])
        return _evaluate(args, loaded, provenance)
    prov = (not getattr(args, "no_provenance", False)) if provenance is None else provenance
    model, choice = loaded.evaluate_for(goal, args.demand, prov, args.max_tuples, args.timeout)
    if args.explain:
        from .demand import explain

        print(explain(choice), file=sys.stderr if args.format in ("json", "csv", "dot") else sys.stdout)
    args.demand_used = choice.used
    return model


def cmd_query(args: argparse.Namespace) -> int:
    loaded = _load(args)
    model = _for_goal(args, loaded, args.goal)
    answers = model.query(args.goal)
    if args.format == "json":
        print(json.dumps(_answers_json(answers), ensure_ascii=False))
    elif args.format == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(answers.variables + (["grade"] if answers.grades else []))
        for k, r in enumerate(answers.rows):
            w.writerow([v.text if hasattr(v, "text") else show(v) for v in r]
                       + ([answers.grades[k] or ""] if answers.grades else []))
        sys.stdout.write(buf.getvalue())
    else:
        con = _console()
        con.print(escape(f"?- {args.goal.strip().rstrip('.')}."))
        con.print(_answers_table(answers, ""))
    return 0


# -- why -----------------------------------------------------------------
def _tree_label(node: ProofNode) -> str:
    grade = f" [bold]\\[{node.grade_text}][/]" if node.grade_text else ""
    fact = escape(node.fact)
    if node.kind == "rule" and node.rule is not None:
        return f"[bold]{fact}[/]{grade}  [dim]by {escape(rule_text(node.rule))}  ({node.rule.span.file}:{node.rule.span.line})[/]"
    if node.kind == "fact":
        if not node.citations:
            where = f"  [dim](fact at {node.span.file}:{node.span.line})[/]" if node.span else ""
            return f"{fact}{where}"
        return f"{fact}{grade}"
    if node.kind == "absent":
        return f"[italic]{escape(node.note or node.fact)}[/]"
    if node.kind == "aggregate":
        return f"{fact}{grade}  [dim]({escape(node.note or '')})[/]"
    return f"[red]{fact}[/]  [dim]{escape(node.note or '')}[/]"


def _tree(node: ProofNode, tree: Tree | None = None) -> Tree:
    label = _tree_label(node)
    branch = Tree(label) if tree is None else tree.add(label)
    for c, info in node.citations:
        q = quote_of(c, info)
        who = f", originator: {show(c.originator)}" if c.originator is not None else ""
        from .provenance import encode
        from .provenance import show as gshow

        g = gshow(encode(info.reliability, c.credibility)) if info is not None else "?"
        src = escape(f"{c.source} line {c.line} [{g}]{who}")
        branch.add(f"[green]\u201c{escape(q or '')}\u201d[/]  [dim]{src}[/]")
    for child in node.children:
        _tree(child, branch)
    return branch


def cmd_why(args: argparse.Namespace) -> int:
    if getattr(args, "no_provenance", False):
        raise SyllogError([error("E802", "`why` shows proofs, which --no-provenance turns off",
                                 Span("<why>", 1, 1, 1, 1), help="drop --no-provenance")])
    loaded = _load(args)
    model = _for_goal(args, loaded, args.atom, provenance=True)
    k = args.alternatives
    nodes = model.why(args.atom, alternatives=k) if k > 1 else model.why(args.atom)
    if getattr(args, "demand_used", False) and nodes and nodes[0].kind == "missing":
        # which premise is missing is told from the full model (its relations are complete)
        nodes = _evaluate(args, loaded, provenance=True).why(args.atom)
    if args.format == "json":
        data = [to_json(nd) for nd in nodes]
        shown: Any = data[0] if len(data) == 1 and k == 1 else data
        print(json.dumps(shown, ensure_ascii=False, indent=2))
    elif args.format == "dot":
        sys.stdout.write(to_dot(nodes))
    else:
        con = _console()
        for nd in nodes:
            con.print(_tree(nd))
            if nd.kind != "missing":
                con.print(escape(proof_summary(nd)) + "\n")
    return 0 if nodes and nodes[0].kind != "missing" else 1


def proof_summary(node: ProofNode) -> str:
    """`grade: B3; evidence: nyt line 7, ...`: the line under a proof tree."""
    grade = node.grade_text or "ungraded (no cited premise)"
    cited = ", ".join(f"{s} line {ln}" for s, ln in node.evidence()) or "none"
    return f"grade: {grade}; evidence: {cited}"


# -- test ----------------------------------------------------------------
def cmd_test(args: argparse.Namespace) -> int:
    from .expect import check_constraints, run_expectations

    loaded = _load(args)
    model = _evaluate(args, loaded)
    outcomes = run_expectations(model)
    failed: list[Any] = [o for o in outcomes if not o.passed]
    failed += check_constraints(model)
    for o in failed:
        print(o.report())
        print()
    snap_failed = 0
    if args.snapshot:
        from .snapshot import compare_snapshot

        snap_failed = compare_snapshot(model, args.snapshot, args.update, args.only)
    passed = len(outcomes) - len(failed)
    print(f"{passed} passed, {len(failed) + snap_failed} failed")
    return 1 if failed or snap_failed else 0


def cmd_snapshot(args: argparse.Namespace) -> int:
    from .snapshot import write_snapshot

    loaded = _load(args)
    model = _evaluate(args, loaded)
    n = write_snapshot(model, args.out, args.only)
    print(f"wrote {args.out}: {n} tuples", file=sys.stderr)
    return 0


def cmd_whatif(args: argparse.Namespace) -> int:
    from .whatif import change_from, summary

    change = change_from(args.drop_source, args.drop_originator, args.reliability, args.credibility)
    if not change:
        raise SyllogError([error("E960", "nothing to change", Span("<whatif>", 1, 1, 1, 1),
                                 help="give --drop-source, --drop-originator, --reliability or --credibility")])
    loaded = _load(args)
    model = _evaluate(args, loaded, provenance=True)
    changes = model.whatif(change)
    if args.format == "json":
        print(json.dumps({"changes": [c.to_json() for c in changes], "summary": summary(changes)}, ensure_ascii=False))
        return 0
    for c in changes:
        print("\n".join(c.lines()))
    print(summary(changes))
    return 0


def cmd_repl(args: argparse.Namespace) -> int:
    from .repl import run_repl

    return run_repl(args.paths, args)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="syllog", description="Datalog with evidence: rules, facts, proofs and grades.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(sp: argparse.ArgumentParser, paths: str = "+") -> None:
        sp.add_argument("paths", nargs=paths, metavar="PATH", help="files or folders of .dl files")
        sp.add_argument("--max-tuples", type=int, default=20_000_000, metavar="N",
                        help="stop with an error past N derived tuples (default 20,000,000)")
        sp.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                        help="stop with an error past this many seconds of evaluation")
        sp.add_argument("--no-provenance", action="store_true",
                        help="answers without grades, and no proofs")
        sp.add_argument("--as-of", metavar="YYYY-MM-DD", default=None,
                        help="only the sources dated on or before this day (facts citing none always count)")

    def demand(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--demand", choices=["auto", "on", "off"], default="auto",
                        help="evaluate only what the goal needs (magic sets): auto (default) decides by a "
                             "documented rule, on and off force it (see docs/evaluation.md)")
        sp.add_argument("--explain", action="store_true",
                        help="print which way the goal is answered, and the rewritten program")

    def backend(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--backend", choices=["memory", "duckdb", "postgres", "spark"], default="memory",
                        help="evaluate in memory (default) or inside a SQL engine (see docs/backends.md)")
        sp.add_argument("--database", metavar="DB", default=None,
                        help="with --backend: a DuckDB file, or a PostgreSQL connection string")
        sp.add_argument("--memory-limit", metavar="SIZE", default=None,
                        help="with --backend duckdb: its memory limit (e.g. 2GB); it spills to disk past it")

    sp = sub.add_parser("check", help="report every static error and warning")
    sp.add_argument("paths", nargs="+", metavar="PATH")
    sp.set_defaults(func=cmd_check)
    sp = sub.add_parser("run", help="evaluate and print every ?- query's answers")
    common(sp)
    backend(sp)
    sp.set_defaults(func=cmd_run)
    sp = sub.add_parser("query", help="answer one goal")
    common(sp)
    backend(sp)
    demand(sp)
    sp.add_argument("goal", metavar="GOAL")
    sp.add_argument("--format", choices=["table", "json", "csv"], default="table")
    sp.set_defaults(func=cmd_query)
    sp = sub.add_parser("why", help="show how an atom was derived, down to the quoted sentences")
    common(sp)
    backend(sp)
    demand(sp)
    sp.add_argument("atom", metavar="ATOM")
    sp.add_argument("--format", choices=["tree", "json", "dot"], default="tree")
    sp.add_argument("--alternatives", type=int, default=1, metavar="K",
                    help="up to K proofs of each match whose cited lines differ pairwise, best grade first "
                         "(JSON: always a list)")
    sp.set_defaults(func=cmd_why)
    sp = sub.add_parser("test", help="run every expect / expect not (and compare a snapshot)")
    common(sp)
    sp.add_argument("--snapshot", metavar="FILE", help="compare the derived relations with this snapshot")
    sp.add_argument("--update", action="store_true", help="rewrite the snapshot instead of comparing")
    sp.add_argument("--only", action="append", metavar="PRED", help="only these predicates (repeatable)")
    sp.set_defaults(func=cmd_test)
    sp = sub.add_parser("snapshot", help="write every derived relation, sorted, with grades")
    common(sp)
    sp.add_argument("--out", required=True, metavar="FILE")
    sp.add_argument("--only", action="append", metavar="PRED", help="only these predicates (repeatable)")
    sp.set_defaults(func=cmd_snapshot)
    sp = sub.add_parser("whatif", help="what if a source is wrong: the conclusions that fall, appear or regrade")
    common(sp)
    sp.add_argument("--drop-source", action="append", default=[], metavar="ID", help="leave out every citation of a source")
    sp.add_argument("--drop-originator", action="append", default=[], metavar="NAME",
                    help="leave out every citation with this originator")
    sp.add_argument("--reliability", action="append", default=[], metavar="ID=LETTER",
                    help="give a source another reliability (a-f)")
    sp.add_argument("--credibility", action="append", default=[], metavar="ID:LINE=DIGIT",
                    help="give a cited line another credibility (1-6)")
    sp.add_argument("--format", choices=["text", "json"], default="text")
    sp.set_defaults(func=cmd_whatif)
    sp = sub.add_parser("repl", help="an interactive prompt")
    common(sp, paths="*")
    sp.add_argument("--history", metavar="FILE", default=None, help="history file (default ~/.syllog_history)")
    sp.set_defaults(func=cmd_repl)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 100_000))
    if hasattr(args, "paths") and args.command not in ("repl",):
        if "goal" in args and args.goal is None:
            pass
    try:
        result: int = args.func(args)
        return result
    except SyllogError as exc:
        _print_diags(exc.diagnostics, exc.sources)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
