"""The `syllog` command: presentation only, over the public API.

Commands: check, run, query, why, test, snapshot, whatif, report, repl,
lsp, completion. Every error is printed as `path:line:col: error[CODE]: message`
with the source line and a caret, and exits 1; no Python traceback reaches
the user for bad input. What is printed is built by engine.render (shared
with the REPL); colour follows `--color` and `NO_COLOR` there. While a
command computes, live progress goes to stderr when it is a terminal (not
with `--quiet`).
"""

# PYTHON_ARGCOMPLETE_OK  (argcomplete: this entry point answers shell completion)
from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from . import __version__, api
from .errors import Diagnostic, Span, SyllogError, error
from .evaluation.limits import BY_BACKEND
from .evaluation.memory import parse_size, show_size
from .loader import write_named
from .model import Answers, goal_text
from .proofs import to_dot, to_json
from .render import (
    COLOR_CHOICES,
    EvaluationProgress,
    answers_count,
    answers_csv,
    answers_json,
    answers_table,
    make_console,
    plural,
    print_diagnostics,
    proof_summary,
    proof_tree,
)
from .values import show


def _out(args: argparse.Namespace) -> Console:
    return make_console(color=getattr(args, "color", None))


def _err(args: argparse.Namespace | None = None) -> Console:
    return make_console(color=getattr(args, "color", None), stderr=True)


def _load(args: argparse.Namespace) -> api.Loaded:
    return api.load(args.paths, as_of=getattr(args, "as_of", None))


class _Working:
    """The live progress on stderr while a command computes (a terminal only, not with --quiet)."""

    def __init__(self, args: argparse.Namespace, loaded: api.Loaded) -> None:
        err = _err(args)
        shown = err.is_terminal and not getattr(args, "quiet", False) and getattr(args, "backend", "memory") == "memory"
        self.progress = EvaluationProgress(err, loaded.program) if shown else None
        self.err = err
        self.program = loaded.program
        self.warnings: list[Diagnostic] = []  # the evaluation's (W104), printed when the work is done

    def __enter__(self) -> _Working:
        if self.progress is not None:
            self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.__exit__()
        if exc[0] is None:
            print_diagnostics(self.warnings, self.program.text, self.err)

    def phase(self, text: str) -> None:
        if self.progress is not None:
            self.progress.begin(text)

    def evaluate_for(self, args: argparse.Namespace, loaded: api.Loaded, goal: str,
                     provenance: bool | None = None) -> Any:
        """The model that answers one goal: on demand or fully (`--demand`), the choice shown with `--explain`."""
        if getattr(args, "backend", "memory") != "memory":
            if args.demand == "on":
                raise SyllogError([error("E960", "--demand on works with the in-memory evaluator only",
                                         Span("<query>", 1, 1, 1, 1), help="drop --backend, or --demand")])
            # evaluated when first needed: `why` then evaluates what its goal needs (engine.backends.proof)
            return self.evaluate(args, loaded, provenance, defer=args.demand == "auto")
        prov = (not getattr(args, "no_provenance", False)) if provenance is None else provenance
        self.phase("evaluating")
        model, choice = loaded.evaluate_for(goal, args.demand, prov, args.max_tuples, args.timeout,
                                            max_memory=args.max_memory,
                                            progress=self.progress.update if self.progress else None)
        if args.explain:
            from .demand import explain

            print(explain(choice), file=sys.stderr if args.format in ("json", "csv", "dot") else sys.stdout)
        args.demand_used = choice.used
        return model

    def evaluate(self, args: argparse.Namespace, loaded: api.Loaded, provenance: bool | None = None,
                 defer: bool = False) -> Any:
        """Evaluate with the command's options: limits, backend, provenance (on a SQL backend, maybe `defer`red)."""
        prov = (not getattr(args, "no_provenance", False)) if provenance is None else provenance
        backend = getattr(args, "backend", "memory")
        limits: dict[str, Any] = {"provenance": prov, "max_tuples": args.max_tuples, "max_seconds": args.timeout,
                                  "max_growing_rounds": getattr(args, "max_growing_rounds", BY_BACKEND)}
        self.phase("evaluating")
        if backend == "memory":
            model = loaded.evaluate(max_memory=args.max_memory, progress=self.progress.update if self.progress else None,
                                    **limits)
        else:
            sql: dict[str, Any] = {}
            if args.database:
                sql["database"] = args.database
            if args.memory_limit:
                sql["memory_limit"] = args.memory_limit
            if args.spark_master:
                sql["spark_master"] = args.spark_master
            if defer:
                sql["defer"] = True
            model = loaded.evaluate(backend=backend, **limits, **sql, **self.keeping(args))
            if hasattr(args, "closing"):  # closed when the command ends (its locks, its connection)
                args.closing.callback(model.close)
            note = getattr(model, "kept_note", None)
            if note and not getattr(args, "quiet", False):
                print(note, file=sys.stderr)
        self.warnings = list(model.warnings)
        return model

    def keeping(self, args: argparse.Namespace) -> dict[str, Any]:
        """The kept model's options (docs/backends.md, "A model you keep"): `run` evaluates; the commands with
        `--rebuild` answer from a kept model of the same program unless it is given."""
        return {"reuse": getattr(args, "rebuild", True) is False, "wait": args.wait,
                "notify": lambda text: print(text, file=sys.stderr)}


# -- check ---------------------------------------------------------------
def cmd_check(args: argparse.Namespace) -> int:
    loaded = _load(args)
    print_diagnostics(loaded.warnings, loaded.program.text, _err(args))
    p = loaded.program
    print(f"ok: {len(p.facts)} facts, {len(p.rules)} rules, {len(p.arity)} predicates, "
          f"{plural(len(p.warnings), 'warning')}")
    return 0


# -- run / query ---------------------------------------------------------
def _show_answers(con: Console, goal: str, answers: Answers) -> None:
    con.print(escape(f"?- {goal}."))
    con.print(answers_table(answers))
    if answers.variables:
        con.print(answers_count(answers))


def cmd_run(args: argparse.Namespace) -> int:
    from .evaluation.io import write_outputs
    from .syntax.pretty import body

    loaded = _load(args)
    p = loaded.program
    with _Working(args, loaded) as work:
        model = work.evaluate(args, loaded)
        work.phase("answering the queries")
        answered = [(body(q.body), model.query(q.body, body(q.body))) for q in p.queries]
        # the evaluation's warnings (W104) and the queries', after the answers
        warned, work.warnings = work.warnings + [w for _text, answers in answered for w in answers.warnings], []
    con = _out(args)
    # a predicate nothing defines (W102) is most often a typo that empties answers: shown in full, the rest counted
    typos = [w for w in p.warnings if w.code == "W102"]
    print_diagnostics(typos, p.text, _err(args))
    if len(p.warnings) > len(typos):
        what = "more warning" if typos else "warning"
        print(f"{plural(len(p.warnings) - len(typos), what)}; `syllog check` shows them", file=sys.stderr)
    for text, answers in answered:
        _show_answers(con, text, answers)
        con.print()
    if not p.queries:
        con.print("derived relations (the program has no `?-` queries):")
        table = Table()
        table.add_column("predicate")
        table.add_column("tuples", justify="right")
        for pred in sorted({r.head.pred for r in p.rules}):
            table.add_row(pred, str(model.size(pred)))
        con.print(table)
    print_violations(model, con)
    for path in write_outputs(p, model.relation, getattr(model, "write_output", None)):
        print(f"wrote {path}", file=sys.stderr)
    print_diagnostics(warned, p.text, _err(args))
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
            proof_tree(p, tree)
        con.print(tree)
    n_k = len(model.program.constraints)
    con.print(f"{plural(len(found), 'violation')} of {plural(n_k, 'constraint')}")


def cmd_query(args: argparse.Namespace) -> int:
    loaded = _load(args)
    with _Working(args, loaded) as work:
        model = work.evaluate_for(args, loaded, args.goal)
        work.phase("answering")
        answers = model.query(args.goal)
    print_diagnostics(answers.warnings, answers.sources, _err(args))
    if args.format == "json":
        print(json.dumps(answers_json(answers), ensure_ascii=False))
    elif args.format == "csv":
        sys.stdout.write(answers_csv(answers))
    else:
        _show_answers(_out(args), goal_text(args.goal), answers)
    # W102, a goal's predicate that nothing defines, is most often a typo: a script must not take the
    # empty answer for a true one (W104, matches dropped for undefined arithmetic, is a warning only)
    return 1 if any(w.code == "W102" for w in answers.warnings) else 0


# -- why -----------------------------------------------------------------
def cmd_why(args: argparse.Namespace) -> int:
    if getattr(args, "no_provenance", False):
        raise SyllogError([error("E802", "`why` shows proofs, which --no-provenance turns off",
                                 Span("<why>", 1, 1, 1, 1), help="drop --no-provenance")])
    loaded = _load(args)
    k = args.alternatives
    with _Working(args, loaded) as work:
        model = work.evaluate_for(args, loaded, args.atom, provenance=True)
        work.phase("finding the proof")
        nodes = model.why(args.atom, alternatives=k) if k > 1 else model.why(args.atom)
        if getattr(args, "demand_used", False) and nodes and nodes[0].kind == "missing":
            # which premise is missing is told from the full model (its relations are complete)
            nodes = work.evaluate(args, loaded, provenance=True).why(args.atom)
    if args.format == "json":
        data = [to_json(nd) for nd in nodes]
        shown: Any = data[0] if len(data) == 1 and k == 1 else data
        print(json.dumps(shown, ensure_ascii=False, indent=2))
    elif args.format == "dot":
        sys.stdout.write(to_dot(nodes))
    else:
        con = _out(args)
        for nd in nodes:
            con.print(proof_tree(nd))
            if nd.kind != "missing":
                con.print(escape(proof_summary(nd)) + "\n", soft_wrap=True)  # one line, for grep
    return 0 if nodes and nodes[0].kind != "missing" else 1


# -- test ----------------------------------------------------------------
def cmd_test(args: argparse.Namespace) -> int:
    from .expect import check_constraints, run_expectations

    loaded = _load(args)
    with _Working(args, loaded) as work:
        model = in_memory(work.evaluate(args, loaded))
        work.phase("checking the expectations")
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


def in_memory(model: Any) -> Any:
    """An in-memory `Model` of a SQL backend's (its relations read back whole), for the commands that search every
    relation (test, snapshot); an in-memory model as it is."""
    return model.in_memory() if hasattr(model, "in_memory") else model


def cmd_snapshot(args: argparse.Namespace) -> int:
    from .snapshot import write_snapshot

    loaded = _load(args)
    with _Working(args, loaded) as work:
        model = in_memory(work.evaluate(args, loaded))
        work.phase("grading every tuple")
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
    with _Working(args, loaded) as work:
        model = work.evaluate(args, loaded, provenance=True)
        work.phase("revising the evidence")
        changes = model.whatif(change)
    if args.format == "json":
        print(json.dumps({"changes": [c.to_json() for c in changes], "summary": summary(changes)}, ensure_ascii=False))
        return 0
    for c in changes:
        print("\n".join(c.lines()))
    print(summary(changes))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from .report import build_report

    loaded = _load(args)
    with _Working(args, loaded) as work:
        model = work.evaluate(args, loaded, provenance=True)
        work.phase("writing the report")
        html = build_report(model, title=args.title)
    write_named(args.out, html)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def cmd_repl(args: argparse.Namespace) -> int:
    from .repl import run_repl

    return run_repl(args.paths, args)


def cmd_completion(args: argparse.Namespace) -> int:
    from argcomplete import shell_integration

    sys.stdout.write(shell_integration.shellcode(["syllog"], shell=args.shell))
    return 0


def _count(text: str) -> int | None:
    """`--max-tuples`, `--max-growing-rounds`: a whole number, or `none` for no limit."""
    if text.lower() in ("none", "off"):
        return None
    try:
        got = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        got = -1
    if got < 0:
        raise argparse.ArgumentTypeError(f"`{text}` is not a count (write 1000000 or none)")
    return got


def _size(text: str) -> int | None:
    """`--max-memory`: a size such as 2GB, or `none` for no limit."""
    if text.lower() in ("none", "off", "0"):
        return None
    got = parse_size(text)
    if got is None:
        raise argparse.ArgumentTypeError(f"`{text}` is not a size (write 2GB, 500MB or none)")
    return got


def cmd_lsp(args: argparse.Namespace) -> int:
    from .editor.lsp import serve

    return serve()


def _output_options() -> argparse.ArgumentParser:
    """The options of every command: colour and progress."""
    output = argparse.ArgumentParser(add_help=False)
    output.add_argument("--color", choices=COLOR_CHOICES, default=None,
                        help="colour the output: auto (on a terminal; the default, `never` under NO_COLOR), "
                             "always, never")
    output.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    return output


def _evaluation_options(sp: argparse.ArgumentParser, paths: str = "+") -> None:
    """The paths of a command that evaluates, and its limits, provenance and date."""
    sp.add_argument("paths", nargs=paths, metavar="PATH", help="files or folders of .dl files")
    sp.add_argument("--max-tuples", type=_count, default=BY_BACKEND, metavar="N",
                    help="stop with an error past N derived tuples, or none (default 20,000,000 in memory, "
                         "1,000,000,000 rows on a SQL backend)")
    sp.add_argument("--max-growing-rounds", type=_count, default=BY_BACKEND, metavar="N",
                    help="stop a rule that makes nothing but new numbers for N rounds in a row, or none "
                         "(default 100,000 in memory, 1,000 on a SQL backend; see docs/evaluation.md)")
    default_memory = api.DEFAULT_MAX_MEMORY
    sp.add_argument("--max-memory", type=_size, default=default_memory, metavar="SIZE",
                    help="stop with an error past this much memory, e.g. 2GB or none (default half the "
                         f"machine's memory{f', {show_size(default_memory)}' if default_memory else ''})")
    sp.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                    help="stop with an error past this many seconds of evaluation")
    sp.add_argument("--no-provenance", action="store_true",
                    help="answers without grades, and no proofs")
    sp.add_argument("--as-of", metavar="YYYY-MM-DD", default=None,
                    help="only the sources dated on or before this day (facts citing none always count)")


def _demand_options(sp: argparse.ArgumentParser) -> None:
    """How a goal is answered: magic sets or not, and `--explain`."""
    sp.add_argument("--demand", choices=["auto", "on", "off"], default="auto",
                    help="evaluate only what the goal needs (magic sets): auto (default) decides by a "
                         "documented rule, on and off force it (see docs/evaluation.md)")
    sp.add_argument("--explain", action="store_true",
                    help="print which way the goal is answered, and the rewritten program")


def _backend_options(sp: argparse.ArgumentParser) -> None:
    """Where the program is evaluated: in memory or inside a SQL engine."""
    sp.add_argument("--backend", choices=["memory", "duckdb", "postgres", "spark"], default="memory",
                    help="evaluate in memory (default) or inside a SQL engine (needs the `sql` extra: "
                         "pip install 'syllog[sql]'; see docs/backends.md)")
    sp.add_argument("--database", metavar="DB", default=None,
                    help="with --backend: a DuckDB file, or a PostgreSQL connection string")
    sp.add_argument("--memory-limit", metavar="SIZE", default=None,
                    help="with --backend duckdb: its memory limit (e.g. 2GB); it spills to disk past it")
    sp.add_argument("--wait", type=float, default=600.0, metavar="SECONDS",
                    help="with --database: wait this long for another run using the database (default 600; "
                         "0 refuses at once)")
    sp.add_argument("--spark-master", metavar="URL", default=None,
                    help="with --backend spark: the cluster to run on (spark://host:7077, yarn, "
                         "local-cluster[2,1,1024], ...; default $SPARK_MASTER, else Spark's spark.master)")


def _kept_options(sp: argparse.ArgumentParser) -> None:
    """Where the program is evaluated, and whether a model the database keeps is answered from."""
    _backend_options(sp)
    sp.add_argument("--rebuild", action="store_true",
                    help="with --database: evaluate again, even when the database keeps the model of this "
                         "program and inputs (which is answered from otherwise)")


def _check_arguments(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("paths", nargs="+", metavar="PATH")


def _query_arguments(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("goal", metavar="GOAL")
    sp.add_argument("--format", choices=["table", "json", "csv"], default="table")


def _why_arguments(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("atom", metavar="ATOM")
    sp.add_argument("--format", choices=["tree", "json", "dot"], default="tree")
    sp.add_argument("--alternatives", type=int, default=1, metavar="K",
                    help="up to K proofs of each match whose cited lines differ pairwise, best grade first "
                         "(JSON: always a list)")


def _test_arguments(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--snapshot", metavar="FILE", help="compare the derived relations with this snapshot")
    sp.add_argument("--update", action="store_true", help="rewrite the snapshot instead of comparing")
    sp.add_argument("--only", action="append", metavar="PRED", help="only these predicates (repeatable)")


def _snapshot_arguments(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--out", required=True, metavar="FILE")
    sp.add_argument("--only", action="append", metavar="PRED", help="only these predicates (repeatable)")


def _whatif_arguments(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--drop-source", action="append", default=[], metavar="ID", help="leave out every citation of a source")
    sp.add_argument("--drop-originator", action="append", default=[], metavar="NAME",
                    help="leave out every citation with this originator")
    sp.add_argument("--reliability", action="append", default=[], metavar="ID=LETTER",
                    help="give a source another reliability (a-f)")
    sp.add_argument("--credibility", action="append", default=[], metavar="ID:LINE=DIGIT",
                    help="give a cited line another credibility (1-6)")
    sp.add_argument("--format", choices=["text", "json"], default="text")


def _report_arguments(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--out", required=True, metavar="FILE", help="the HTML file to write")
    sp.add_argument("--title", default=None, help="the report's title (default: the paths given)")


def _repl_arguments(sp: argparse.ArgumentParser) -> None:
    _evaluation_options(sp, paths="*")
    sp.add_argument("--history", metavar="FILE", default=None, help="history file (default ~/.syllog_history)")


def _completion_arguments(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("shell", choices=["bash", "zsh", "fish"])


_Arguments = Callable[[argparse.ArgumentParser], None]

# each command: its name, its help, what adds its arguments (shared groups first, in order), its function
COMMANDS: tuple[tuple[str, str, tuple[_Arguments, ...], Callable[[argparse.Namespace], int]], ...] = (
    ("check", "report every static error and warning", (_check_arguments,), cmd_check),
    ("run", "evaluate and print every ?- query's answers", (_evaluation_options, _backend_options), cmd_run),
    ("query", "answer one goal", (_evaluation_options, _kept_options, _demand_options, _query_arguments),
     cmd_query),
    ("why", "show how an atom was derived, down to the quoted sentences",
     (_evaluation_options, _kept_options, _demand_options, _why_arguments), cmd_why),
    ("test", "run every expect / expect not (and compare a snapshot)",
     (_evaluation_options, _kept_options, _test_arguments),
     cmd_test),
    ("snapshot", "write every derived relation, sorted, with grades",
     (_evaluation_options, _kept_options, _snapshot_arguments),
     cmd_snapshot),
    ("whatif", "what if a source is wrong: the conclusions that fall, appear or regrade",
     (_evaluation_options, _whatif_arguments), cmd_whatif),
    ("report", "write one self-contained HTML file: conclusions, grades, proofs, quotes, sources",
     (_evaluation_options, _report_arguments), cmd_report),
    ("repl", "an interactive prompt", (_repl_arguments,), cmd_repl),
    ("lsp", "a Language Server Protocol server on stdin/stdout, for editors (docs/editors.md)", (), cmd_lsp),
    ("completion", "print the shell completion script (bash, zsh or fish); see the README",
     (_completion_arguments,), cmd_completion),
)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser; given a `command`, only that command's own arguments are added (the others
    are listed, with their help, but take none): building them all is a few milliseconds of every run."""
    p = argparse.ArgumentParser(prog="syllog", description="Datalog with evidence: rules, facts, proofs and grades.")
    p.add_argument("--version", action="version", version=f"syllog {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    output = _output_options()
    for name, help, arguments, func in COMMANDS:
        sp = sub.add_parser(name, help=help, description=help, parents=[output])
        if command is None or command == name:
            for add in arguments:
                add(sp)
        sp.set_defaults(func=func)
    return p


def command_named(argv: list[str]) -> str | None:
    """The command `argv` names (its first word not an option: the top level takes no option with a value),
    or None to build every command's arguments (none named, or the shell asks for completions)."""
    if "_ARGCOMPLETE" in os.environ:
        return None
    first = next((a for a in argv if not a.startswith("-")), None)
    return first if any(first == name for name, *_ in COMMANDS) else None


def main(argv: list[str] | None = None) -> int:
    parser = build_parser(command_named(sys.argv[1:] if argv is None else argv))
    _complete(parser)
    args = parser.parse_args(argv)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 100_000))
    if getattr(args, "backend", None) == "postgres":
        signal.signal(signal.SIGTERM, _terminate)
    try:
        with contextlib.ExitStack() as args.closing:
            result: int = args.func(args)
        return result
    except SyllogError as exc:
        print_diagnostics(exc.diagnostics, exc.sources, _err(args))
        return 1
    except KeyboardInterrupt as exc:
        print("terminated" if isinstance(exc, Terminated) else "interrupted", file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130
    except BrokenPipeError:
        return 0


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised as an interrupt: psycopg then cancels the statement running on the server (as on Ctrl-C)
    before the command ends (docs/backends.md, "Concurrent runs, and clients that die")."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated()


def _complete(parser: argparse.ArgumentParser) -> None:
    """Answer the shell's completion request (argcomplete sets `_ARGCOMPLETE`) and exit; else nothing."""
    if "_ARGCOMPLETE" in os.environ:
        import argcomplete

        argcomplete.autocomplete(parser)
