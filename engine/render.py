"""Presentation shared by the CLI, the REPL and the report: consoles, tables, trees, diagnostics.

Input: the public API's values (`Answers`, `ProofNode`, `Diagnostic`).
Output: rich renderables and plain text. Nothing here evaluates or checks;
the CLI (engine.cli) and the REPL (engine.repl) print what these functions
build, so both show an answer table, a proof tree or an error the same way.

Colour is decided in one place, `make_console`: `--color always|never|auto`
when given, else `never` when the `NO_COLOR` environment variable is set
(https://no-color.org), else colour only on a terminal. A console that is
not a terminal is 100 columns wide, so piped output is the same everywhere.
"""

from __future__ import annotations

import csv
import io
import os
import sys
import time
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any, Literal

from rich.console import Console, ConsoleOptions, RenderResult
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from .analysis import Program
from .errors import Diagnostic, SourceMap, render
from .evaluation.fixpoint import strata_of
from .model import Answers
from .proof.tree import ProofNode
from .proofs import citation_text
from .syntax.pretty import rule as rule_text
from .values import String, show
from .values import to_json as value_json

if TYPE_CHECKING:  # imported where a progress display starts
    from rich.live import Live

ColorChoice = Literal["auto", "always", "never"]
COLOR_CHOICES: tuple[ColorChoice, ...] = ("auto", "always", "never")
PIPE_WIDTH = 100  # the width of output that is not a terminal



# -- consoles ----------------------------------------------------------------
def color_choice(flag: str | None = None, environ: dict[str, str] | None = None) -> ColorChoice:
    """The colour setting: the `--color` flag if given, else `never` under `NO_COLOR`, else `auto`.

    >>> color_choice(None, {"NO_COLOR": "1"}), color_choice("always", {"NO_COLOR": "1"}), color_choice(None, {})
    ('never', 'always', 'auto')
    """
    env = os.environ if environ is None else environ
    for choice in COLOR_CHOICES:
        if flag == choice:
            return choice
    if env.get("NO_COLOR"):
        return "never"
    return "auto"


def make_console(stream: IO[str] | None = None, color: str | None = None, stderr: bool = False) -> Console:
    """A console on `stream` (stdout, or stderr) coloured as `color_choice(color)` says.

    `never` writes no escape codes at all; `always` writes them into a pipe too.
    """
    choice = color_choice(color)
    target = stream if stream is not None else (sys.stderr if stderr else sys.stdout)
    tty = _isatty(target)
    kwargs: dict[str, Any] = {"no_color": False}  # rich's own reading of NO_COLOR is done above
    if choice == "never":
        kwargs["color_system"] = None
    elif choice == "always":
        kwargs["force_terminal"] = True
        kwargs["color_system"] = "standard" if not tty else "auto"
    return Console(file=target, highlight=False, emoji=False, soft_wrap=False,
                   width=None if tty else PIPE_WIDTH, **kwargs)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def print_diagnostics(diags: Sequence[Diagnostic], sources: SourceMap | None, console: Console) -> None:
    """Each diagnostic as `render` writes it, its first line bold red (yellow for a warning) in colour."""
    for d in diags:
        first, _, rest = render(d, sources).partition("\n")
        color = "red" if d.is_error else "yellow"
        text = Text()
        text.append(first, style=f"bold {color}")
        if rest:
            text.append("\n" + rest)
        console.print(text, soft_wrap=True)


def plural(k: int, word: str, words: str | None = None) -> str:
    """>>> plural(1, "answer"), plural(2, "answer"), plural(2, "query", "queries")
    ('1 answer', '2 answers', '2 queries')
    """
    return f"{k:,} {word if k == 1 else words or word + 's'}"


# -- answers -------------------------------------------------------------------
def truth(answers: Answers) -> str:
    """`true` or `false`: the answer of a goal without variables."""
    return "true" if answers.rows else "false"


def answers_table(answers: Answers) -> Table:
    """One column per variable (or `answer`: true/false for a goal without any), then `grade` when graded."""
    graded = bool(answers.grades)
    table = Table(show_lines=False)
    for v in answers.variables or ["answer"]:
        table.add_column(v)
    if graded:
        table.add_column("grade")
    if not answers.variables:
        table.add_row(truth(answers), *([answers.grades[0] or "-"] if graded else []))
        return table
    for k, r in enumerate(answers.rows):
        cells = [escape(show(v)) for v in r]
        if graded:
            cells.append(answers.grades[k] or "-")
        table.add_row(*cells)
    return table


def answers_count(answers: Answers) -> str:
    """`2 answers` under a table (empty for a goal without variables: its table says true or false)."""
    return plural(len(answers.rows), "answer") if answers.variables else ""


def answers_json(answers: Answers) -> dict[str, Any]:
    """The object of LANGUAGE.md: query, variables, answers (and grades when graded)."""
    out: dict[str, Any] = {
        "query": answers.query,
        "variables": answers.variables,
        "answers": [{k: value_json(v) for k, v in zip(answers.variables, r)} for r in answers.rows],
    }
    if answers.grades:
        out["grades"] = answers.grades
    return out


def answers_csv(answers: Answers) -> str:
    """A header of the variables (or `answer`), then a row per answer; strings without their quotes."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    graded = bool(answers.grades)
    w.writerow((answers.variables or ["answer"]) + (["grade"] if graded else []))
    if not answers.variables:
        w.writerow([truth(answers)] + ([answers.grades[0] or ""] if graded else []))
        return buf.getvalue()
    for k, r in enumerate(answers.rows):
        w.writerow([v.text if isinstance(v, String) else show(v) for v in r]
                   + ([answers.grades[k] or ""] if graded else []))
    return buf.getvalue()


# -- proofs --------------------------------------------------------------------
def node_label(node: ProofNode) -> str:
    """A proof node's line in a tree, as rich markup."""
    grade = f" [bold]\\[{node.grade_text}][/]" if node.grade_text else ""
    fact = escape(node.fact)
    if node.kind == "rule" and node.rule is not None:
        where = f"{node.rule.span.file}:{node.rule.span.line}"
        return f"[bold]{fact}[/]{grade}  [dim]by {escape(rule_text(node.rule))}  ({escape(where)})[/]"
    if node.kind == "fact":
        if not node.citations:
            where = f"  [dim](fact at {escape(f'{node.span.file}:{node.span.line}')})[/]" if node.span else ""
            return f"{fact}{where}"
        return f"{fact}{grade}"
    if node.kind == "absent":
        return f"[italic]{escape(node.note or node.fact)}[/]"
    if node.kind == "aggregate":
        return f"{fact}{grade}  [dim]({escape(node.note or '')})[/]"
    return f"[red]{fact}[/]  [dim]{escape(node.note or '')}[/]"


def proof_tree(node: ProofNode, tree: Tree | None = None) -> Tree:
    """The proof as a rich tree: each premise under its conclusion, each citation's quote under its leaf."""
    label = node_label(node)
    branch = Tree(label) if tree is None else tree.add(label)
    for c, info in node.citations:
        quote, where = citation_text(c, info)
        branch.add(f"[green]\u201c{escape(quote)}\u201d[/]  [dim]{escape(where)}[/]")
    for child in node.children:
        proof_tree(child, branch)
    return branch


def proof_summary(node: ProofNode) -> str:
    """`grade: B3; evidence: nyt line 7, ...`: the line under a proof tree."""
    grade = node.grade_text or "ungraded (no cited premise)"
    cited = ", ".join(f"{s} line {ln}" for s, ln in node.evidence()) or "none"
    return f"grade: {grade}; evidence: {cited}"


# -- progress ------------------------------------------------------------------
class EvaluationProgress:
    """Live progress of a long evaluation on stderr: stratum, round, tuples so far, elapsed, the rule at work.

    Shown only once a run has lasted `delay` seconds (a quick run prints
    nothing) and cleared when it ends; the CLI makes one only when stderr is
    a terminal and `--quiet` is not given. `update` is the callback that
    `engine.evaluation.Limits.progress` calls.
    """

    def __init__(self, console: Console, program: Program, delay: float = 0.5) -> None:
        self.console = console
        self.delay = delay
        strata = [indices for _comp, indices, _rec in strata_of(program)]
        self.stratum_of = {i: k for k, rules in enumerate(strata) for i in rules}
        self.strata = len(strata)
        self.rules = program.rules
        self.start = time.monotonic()
        self.phase = "loading"
        self.stratum = -1
        self.rule = -1
        self.round = 0
        self.first_round = 0
        self.rounds = 0
        self.tuples = 0
        self.live: Live | None = None

    def line(self) -> str:
        """What the display shows now (empty before `delay`)."""
        elapsed = time.monotonic() - self.start
        if elapsed < self.delay:
            return ""
        if self.stratum < 0:
            return f"{self.phase} ... {elapsed:.0f} s"
        text = (f"stratum {self.stratum + 1} of {self.strata}, round {self.round:,}: "
                f"{plural(self.tuples, 'tuple')} so far, {elapsed:.0f} s")
        if 0 <= self.rule < len(self.rules):
            r = self.rules[self.rule]
            text += f"\n  deriving: {rule_text(r)}  ({r.span.file}:{r.span.line}); Ctrl-C stops"
        return text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        text = self.line()
        if text:
            yield Text(text, style="dim", overflow="ellipsis", no_wrap=True)

    def begin(self, phase: str) -> None:
        """A new phase (`evaluating`, `finding the proof`...): shown with the elapsed time until rounds report."""
        self.phase, self.stratum = phase, -1

    def update(self, rule_index: int, tuples: int, rounds: int) -> None:
        stratum = self.stratum_of.get(rule_index, self.stratum)
        if stratum != self.stratum:  # its rounds began after the last report of the stratum before
            self.stratum, self.first_round = stratum, self.rounds
        self.rounds = rounds
        self.round = rounds - self.first_round
        self.rule = rule_index
        self.tuples = tuples

    def __enter__(self) -> EvaluationProgress:
        from rich.live import Live  # only a run long enough to show progress needs it

        self.live = Live(self, console=self.console, transient=True, refresh_per_second=4)
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.__exit__(None, None, None)
            self.live = None
