"""The interactive prompt, `syllog repl`: presentation only, over `Session`.

Input: what the user types, one complete statement or command at a time.
Output: answer tables, changes, proof trees and errors on a rich `Console`.

Two layers, so that the commands are testable without a terminal:
- `Repl.handle(text)` runs one input (a `?-` query, a fact, rule or
  declaration to add, or a `:command`) and writes to the console it was given.
  It never raises for bad input or Ctrl-C: errors are printed with their
  caret, an interrupted change leaves the model as it was, and the next
  input works.
- `run_loop` reads with a prompt_toolkit `PromptSession`: history in a file,
  Tab completion of commands, predicates and source ids, multi-line input
  (Enter accepts only once the clause ends with its `.`), and highlighting
  by the Pygments lexer of engine.syntax.highlight (the one `pygmentize -l syllog` uses).
  Ctrl-C at the prompt clears the line; Ctrl-D on an empty line quits.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.completion import CompleteEvent, Completer, Completion, PathCompleter
from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.history import FileHistory, History
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.lexers import PygmentsLexer
from prompt_toolkit.output import ColorDepth
from prompt_toolkit.styles import Style
from pygments.lexer import inherit
from pygments.token import Keyword
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .editor.complete import candidates
from .errors import SyllogError
from .evaluation.limits import BY_BACKEND, for_backend
from .model import checked_goal
from .provenance import RELIABILITY_WORDS
from .render import (
    answers_count,
    answers_table,
    color_choice,
    make_console,
    print_diagnostics,
    proof_summary,
    proof_tree,
)
from .session import Change, Session
from .syntax.highlight import DIRECTIVES, SyllogLexer
from .syntax.pretty import rule as rule_text
from .syntax.pretty import statement
from .whatif import change_from, summary

DEFAULT_HISTORY = "~/.syllog_history"
PROMPT = "syllog> "
MAX_CHANGE_LINES = 60  # a `:load` can bring thousands of tuples; show the first ones


@dataclass(frozen=True)
class Command:
    name: str
    args: str
    help: str


COMMANDS: tuple[Command, ...] = (
    Command(":why", "ATOM [--alternatives K]", "show how an atom was derived, down to the quoted sentences"),
    Command(":retract", "FACT.", "remove a fact and everything that depended only on it"),
    Command(":load", "PATH...", "add files or folders to the session and reload"),
    Command(":reload", "", "re-read the files from disk, keeping what was typed here"),
    Command(":list", "[PRED]", "rules and declarations, with their doc strings"),
    Command(":sources", "", "the declared sources: title, publisher, date, reliability"),
    Command(":mark", "[NAME]", "remember the derived conclusions now, for `:diff NAME`"),
    Command(":diff", "[NAME]", "derived conclusions that appeared or vanished since the start (or a mark)"),
    Command(":whatif", "--drop-source ID | --drop-originator NAME | --reliability ID=L | --credibility ID:LINE=D ...",
            "what falls, appears or changes grade if evidence is dropped or regraded (the session stays as it is)"),
    Command(":save", "FILE", "write what was typed here as a .dl file"),
    Command(":explain", "[GOAL]", "which way the last ?- goal (or GOAL) was answered: on demand, with the rewritten rules, "
            "or from the whole model"),
    Command(":help", "", "this list"),
    Command(":quit", "", "leave (Ctrl-D does too)"),
)
COMMAND_NAMES = tuple(c.name for c in COMMANDS)
ALIASES = {":q": ":quit", ":exit": ":quit", ":h": ":help", ":?": ":help"}


# -- reading: when is an input complete? -----------------------------------
def _scan(text: str) -> tuple[int, str, bool]:
    """Bracket depth, last significant character and whether a string is open.

    Strings and comments are skipped; `%` starts a comment unless it follows an
    operand with no space (then it is the remainder, as in the grammar).
    """
    depth, last, in_str, prev = 0, "", False, "\n"
    i = 0
    while i < len(text):
        c = text[i]
        if in_str:
            if c == "\\":
                i += 2
                continue
            if c == '"' or c == "\n":  # strings do not span lines
                in_str = False
                last = c if c == '"' else last
            prev = c
            i += 1
            continue
        if c == "%" and not (prev.isalnum() or prev in "_)"):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            prev = "\n"
            continue
        if c == '"':
            in_str = True
        elif c in "({":
            depth += 1
        elif c in ")}":
            depth -= 1
        if not c.isspace():
            last = c
        prev = c
        i += 1
    return depth, last, in_str


def is_complete(text: str) -> bool:
    """Whether an input is ready to run, or needs continuation lines.

    A clause ends at its `.` outside strings and comments; a `.decl`,
    `.source`, `.include`, `.input` or `.output` ends with its closing `)`,
    `}` or string, a cite block with its `}`; a `:command` is one line.

    >>> is_complete("path(X, Z) :-"), is_complete("path(X, Z) :- path(X, Y), edge(Y, Z).")
    (False, True)
    """
    s = text.strip()
    if not s or s.startswith(":"):
        return True
    depth, last, in_str = _scan(s)
    if in_str or depth < 0:
        return True  # a continuation line cannot repair it: let the parser show where
    if depth > 0:
        return False
    if last == ".":
        return True
    if s.startswith(DIRECTIVES) and last in ')}"':
        return True
    return s.startswith("@cite") and last == "}"


# -- highlighting ------------------------------------------------------------
class ReplLexer(SyllogLexer):
    """The language's lexer, and a `:command` at the start of the input."""

    name = "Syllog REPL input"
    aliases = []
    filenames = []
    tokens = {"root": [(r"\A\s*:[A-Za-z?]+", Keyword.Pseudo), inherit]}


STYLE = Style.from_dict(
    {
        "pygments.comment": "italic ansibrightblack",
        "pygments.literal.string": "ansigreen",
        "pygments.keyword.declaration": "bold ansimagenta",
        "pygments.name.decorator": "bold ansimagenta",
        "pygments.keyword": "bold ansiblue",
        "pygments.name.builtin": "bold ansiblue",
        "pygments.keyword.pseudo": "bold ansimagenta",
        "pygments.punctuation": "",
        "pygments.literal.number": "ansicyan",
        "pygments.name.variable": "ansiyellow",
        "pygments.error": "ansired",
        "punct": "bold",  # the continuation prompt
    }
)


# -- completion --------------------------------------------------------------
_WORD = re.compile(r"[.@:]?[A-Za-z_][A-Za-z0-9_]*$|[.@:]$")


class SyllogCompleter(Completer):
    """Tab completion: commands, predicate names, source ids, keywords, paths, marks."""

    def __init__(self, repl: Repl) -> None:
        self.repl = repl
        self.paths = PathCompleter(expanduser=True)

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        before = document.text_before_cursor
        stripped = before.lstrip()
        if stripped.startswith(":") and not any(c.isspace() for c in stripped):
            for cmd in COMMANDS:
                if cmd.name.startswith(stripped):
                    yield Completion(cmd.name, -len(stripped), display_meta=cmd.help)
            return
        command = stripped.split(None, 1)[0] if stripped.startswith(":") else ""
        if command in (":load", ":save"):
            arg = re.split(r"\s", before)[-1]
            yield from self.paths.get_completions(Document(arg, len(arg)), complete_event)
            return
        m = _WORD.search(before)
        word = m.group() if m else ""
        if command in (":diff", ":mark"):
            for mark in sorted(self.repl.session.marks):
                if mark.startswith(word) and mark != word:
                    yield Completion(mark, -len(word))
            return
        if word.startswith(":"):
            return
        p = self.repl.session.program
        for c in candidates(word, sorted(set(p.arity) | set(p.decls)), sorted(p.sources)):
            yield Completion(c.text, -len(word))


# -- the commands ------------------------------------------------------------
class Repl:
    """One REPL session: `handle` runs what was typed and prints the outcome.

    >>> from io import StringIO
    >>> out = StringIO()
    >>> r = Repl(Session(text="e(1, 2)."), Console(file=out, width=80, color_system=None))
    >>> r.handle("e(2, 3).")
    >>> out.getvalue()
    '+ e(2, 3)\\n'
    """

    def __init__(self, session: Session, console: Console, loaded: bool = True) -> None:
        self.session = session
        self.console = console
        self.done = False
        # False when the files failed to load at start: the first good (re)load sets the `start` mark
        self.loaded = loaded

    # -- entry point ---------------------------------------------------------
    def handle(self, text: str) -> None:
        """Run one input; print answers, changes or errors. Never raises for bad input or Ctrl-C."""
        text = text.strip()
        if not text:
            return
        try:
            if text.startswith(":"):
                self._command(text)
            elif text.startswith("?-"):
                self._query(text[2:])
            else:
                self._show_change(self.session.add(text), "added")
        except SyllogError as exc:
            self.show_error(exc)
        except KeyboardInterrupt:
            self.console.print("[yellow]interrupted[/]: the model is as it was")
        except RecursionError:
            self.console.print("[red]error[/]: too deeply nested (Python recursion limit); the model is as it was")
        except Exception as exc:  # a bug in the engine must not end the session
            self.console.print(
                f"[red]internal error[/] (a bug in syllog, please report it): "
                f"{escape(type(exc).__name__)}: {escape(str(exc))}"
            )

    def show_error(self, exc: SyllogError) -> None:
        print_diagnostics(exc.diagnostics, exc.sources, self.console)

    # -- queries and changes -----------------------------------------------------
    def _query(self, goal: str) -> None:
        answers = self.session.answer(goal)
        self.console.print(answers_table(answers))
        if answers.variables:
            self.console.print(answers_count(answers))
        # an unknown name is not an error (it is an empty relation), but it is most often a typo: W102
        print_diagnostics(answers.warnings, answers.sources, self.console)

    def _show_change(self, change: Change, verb: str, empty: str | None = None) -> None:
        lines = change.lines()
        if not lines:
            self.console.print(empty or f"ok, {verb}: no tuple appeared or vanished")
            return
        for line in lines[:MAX_CHANGE_LINES]:
            color = "green" if line.startswith("+") else "red"
            self.console.print(f"[{color}]{escape(line)}[/]")
        if len(lines) > MAX_CHANGE_LINES:
            self.console.print(f"[dim]... and {len(lines) - MAX_CHANGE_LINES} more[/]")

    # -- :commands -------------------------------------------------------------
    def _command(self, text: str) -> None:
        name, _, arg = text.partition(" ")
        name = ALIASES.get(name, name)
        arg = arg.strip()
        handler = getattr(self, "cmd_" + name[1:], None) if name in COMMAND_NAMES else None
        if handler is None:
            close = difflib.get_close_matches(name, COMMAND_NAMES, n=1)
            hint = f"; did you mean `{close[0]}`?" if close else "; `:help` lists the commands"
            self.console.print(f"[red]error[/]: unknown command `{escape(name)}`{escape(hint)}")
            return
        handler(arg)

    def _usage(self, name: str) -> None:
        c = next(c for c in COMMANDS if c.name == name)
        self.console.print(f"[red]error[/]: usage: {escape(c.name)} {escape(c.args)}")

    def cmd_explain(self, arg: str) -> None:
        from .demand import choose, explain

        if arg:
            body, _sources, _warnings = checked_goal(self.session.program, arg)
            choice = self.session.last_choice if self.session.evaluated else None
            shown = explain(choose(self.session.program, body)) if choice is None else f"% {choice.reason}\n"
        elif self.session.last_choice is None:
            shown = "% no goal asked yet: `?- goal.` answers it, `:explain GOAL` shows how it would be\n"
        else:
            shown = explain(self.session.last_choice)
        self.console.print(escape(shown.rstrip("\n")), soft_wrap=True)

    def cmd_why(self, arg: str) -> None:
        atom, _, k = arg.partition(" --alternatives ")
        if not atom.strip() or (k and not k.strip().isdigit()):
            self._usage(":why")
            return
        for node in self.session.model.why(atom, alternatives=int(k) if k else 1):
            self.console.print(proof_tree(node))
            if node.kind != "missing":
                self.console.print(escape(proof_summary(node)), soft_wrap=True)

    def cmd_retract(self, arg: str) -> None:
        if not arg:
            self._usage(":retract")
            return
        self._show_change(self.session.retract(arg), "retracted")

    def cmd_load(self, arg: str) -> None:
        try:
            paths = [Path(p) for p in shlex.split(arg)]
        except ValueError as exc:
            self.console.print(f"[red]error[/]: {escape(str(exc))}")
            return
        if not paths:
            self._usage(":load")
            return
        old = list(self.session.paths)
        self.session.paths.extend(p for p in paths if p not in old)
        try:
            change = self.session.reload()
        except BaseException:
            self.session.paths[:] = old
            raise
        self._loaded_ok(change, "loaded")

    def cmd_reload(self, arg: str) -> None:
        self._loaded_ok(self.session.reload(), "reloaded")

    def _loaded_ok(self, change: Change, verb: str) -> None:
        self._show_change(change, verb)
        if not self.loaded:
            self.loaded = True
            self.session.mark("start")

    def cmd_list(self, arg: str) -> None:
        p = self.session.program
        facts: dict[str, int] = {}
        for f in p.facts:
            facts[f.pred] = facts.get(f.pred, 0) + 1
        preds = sorted(set(p.decls) | {r.head.pred for r in p.rules})
        if arg:
            pred = arg.rstrip(".").split("(")[0].strip()
            if pred not in p.arity and pred not in p.decls:
                close = difflib.get_close_matches(pred, list(p.arity), n=3)
                hint = f"; did you mean {', '.join(f'`{c}`' for c in close)}?" if close else ""
                self.console.print(f"[red]error[/]: no predicate `{escape(pred)}`{escape(hint)}")
                return
            preds = [pred]
        if not preds:
            self.console.print("no rules or declarations")
        for k, pred in enumerate(preds):
            if k:
                self.console.print()
            decl = p.decls.get(pred)
            if decl is not None:
                self.console.print(f"[bold]{escape(statement(decl))}[/]")
            for r in p.rules:
                if r.head.pred == pred:
                    where = f"{r.span.file}:{r.span.line}"
                    self.console.print(f"{escape(rule_text(r))}  [dim]% {escape(where)}[/]", soft_wrap=True)
            if facts.get(pred):
                self.console.print(f"[dim]% {facts[pred]} fact{'s' * (facts[pred] != 1)}[/]")

    def cmd_sources(self, arg: str) -> None:
        sources = self.session.program.sources
        if not sources:
            self.console.print("no sources are declared")
            return
        table = Table()
        for col in ("id", "title", "publisher", "date", "reliability"):
            table.add_column(col)
        for sid in sorted(sources):
            s = sources[sid]
            rel = f"{s.reliability.upper()} ({RELIABILITY_WORDS.get(s.reliability.lower(), '?')})"
            table.add_row(escape(sid), escape(s.title), escape(s.publisher), escape(s.date), rel)
        self.console.print(table)

    def cmd_mark(self, arg: str) -> None:
        name = arg or "mark"
        self.session.mark(name)
        self.console.print(f"marked `{escape(name)}`; `:diff {escape(name)}` shows what changed since")

    def cmd_diff(self, arg: str) -> None:
        since = arg or "start"
        if since not in self.session.marks:
            known = ", ".join(f"`{m}`" for m in sorted(self.session.marks))
            self.console.print(f"[red]error[/]: no mark `{escape(since)}` (marks: {escape(known)})")
            return
        where = "the start" if since == "start" else f"mark `{since}`"
        self._show_change(
            self.session.diff(since), "diff", empty=f"no derived conclusion appeared or vanished since {escape(where)}"
        )

    def cmd_whatif(self, arg: str) -> None:
        try:
            words = shlex.split(arg)
        except ValueError:
            words = []
        options: dict[str, list[str]] = {"drop_source": [], "drop_originator": [], "reliability": [], "credibility": []}
        flag = None
        for w in words:
            if flag is None and w.startswith("--") and w[2:].replace("-", "_") in options:
                flag = w[2:].replace("-", "_")
            elif flag is not None:
                options[flag].append(w)
                flag = None
            else:
                flag = "?"
                break
        if not words or flag is not None:
            self._usage(":whatif")
            return
        changes = self.session.model.whatif(change_from(options["drop_source"], options["drop_originator"],
                                                        options["reliability"], options["credibility"]))
        for c in changes:
            self.console.print(escape("\n".join(c.lines())))
        self.console.print(summary(changes))

    def cmd_save(self, arg: str) -> None:
        if not arg:
            self._usage(":save")
            return
        path = Path(os.path.expanduser(arg))
        try:
            k = self.session.save(path)
        except OSError as exc:
            self.console.print(f"[red]error[/]: cannot write {escape(str(path))}: {escape(exc.strerror or str(exc))}")
            return
        self.console.print(f"wrote {escape(str(path))}: {k} statement{'s' * (k != 1)}")

    def cmd_help(self, arg: str) -> None:
        table = Table(box=None, show_header=False, pad_edge=False)
        table.add_column(no_wrap=True)
        table.add_column()
        table.add_row("?- GOAL.", "answer a goal (a table, with grades when the facts are cited)")
        table.add_row("FACT. / RULE. / .decl", "add it to the session and show what appeared or vanished")
        for c in COMMANDS:
            table.add_row(escape(f"{c.name} {c.args}".strip()), escape(c.help))
        self.console.print(table)
        self.console.print(
            "Keys: Enter runs the input once it ends with its `.` (else a new line); Tab completes; "
            "Up/Down and Ctrl-R search history; Ctrl-C clears the line or stops an evaluation; "
            "Ctrl-D quits."
        )

    def cmd_quit(self, arg: str) -> None:
        self.done = True


# -- the prompt ----------------------------------------------------------------
def _key_bindings() -> KeyBindings:
    kb = KeyBindings()

    @kb.add("enter")
    def _enter(event: KeyPressEvent) -> None:
        buf = event.current_buffer
        if is_complete(buf.text):
            buf.validate_and_handle()
        else:  # keep reading: a continuation line, indented
            line = buf.document.current_line
            margin = line[: len(line) - len(line.lstrip())] or "    "
            buf.insert_text("\n" + margin)

    return kb


def _continuation(width: int, line_number: int, is_soft_wrap: int) -> StyleAndTextTuples:
    return [("class:punct", "...".rjust(width - 1) + " ")]


def make_prompt_session(repl: Repl, history: History, color: bool = True) -> PromptSession[str]:
    """The line editor; input and output come from the current prompt_toolkit app session.

    Without `color` (`--color never`, `NO_COLOR`) the input is not highlighted and no colour is written.
    """
    return PromptSession(
        history=history,
        multiline=True,
        key_bindings=_key_bindings(),
        prompt_continuation=_continuation,
        lexer=PygmentsLexer(ReplLexer) if color else None,
        style=STYLE,
        color_depth=None if color else ColorDepth.DEPTH_1_BIT,
        completer=SyllogCompleter(repl),
        complete_while_typing=False,
        auto_suggest=AutoSuggestFromHistory(),
        enable_history_search=False,
    )


def run_loop(repl: Repl, prompt: PromptSession[str]) -> int:
    """Read, run, print until `:quit` or Ctrl-D."""
    while not repl.done:
        try:
            text = prompt.prompt(PROMPT)
        except KeyboardInterrupt:  # Ctrl-C at the prompt: drop the line, keep going
            continue
        except EOFError:  # Ctrl-D on an empty line
            break
        try:
            repl.handle(text)
        except KeyboardInterrupt:  # in case it lands between two statements of `handle`
            repl.console.print("[yellow]interrupted[/]")
    return 0


def open_session(paths: list[str], args: argparse.Namespace, console: Console) -> Repl:
    """A `Repl` over the files; if they do not load, their errors are shown and the session starts empty."""

    max_tuples, growing = for_backend("memory", getattr(args, "max_tuples", BY_BACKEND),
                                      getattr(args, "max_growing_rounds", BY_BACKEND))

    def new(files: list[str | Path]) -> Session:
        return Session(
            files,
            provenance=not getattr(args, "no_provenance", False),
            max_tuples=max_tuples,
            max_growing_rounds=growing,
            max_memory=getattr(args, "max_memory", None),
            max_seconds=getattr(args, "timeout", None),
            as_of=getattr(args, "as_of", None),
            lazy=True,  # `?-` goals are answered on demand until something needs the whole model
        )

    try:
        return Repl(new(list(paths)), console)
    except SyllogError as exc:
        repl = Repl(new([]), console, loaded=False)
        repl.show_error(exc)
        repl.session.paths = [Path(p) for p in paths]
        console.print("[yellow]the files did not load[/]: the session starts empty; fix them and type `:reload`")
        return repl


def banner(repl: Repl) -> str:
    """The line printed when the prompt opens."""
    p = repl.session.program
    return f"syllog repl: {len(p.facts)} facts, {len(p.rules)} rules. `:help` lists the commands; Ctrl-D quits."


def run_repl(paths: list[str], args: argparse.Namespace) -> int:
    """`syllog repl [PATH...]`: the interactive prompt."""
    console = make_console(color=getattr(args, "color", None))
    repl = open_session(paths, args, console)
    console.print(banner(repl))
    history_path = Path(os.path.expanduser(getattr(args, "history", None) or DEFAULT_HISTORY))
    color = color_choice(getattr(args, "color", None)) != "never"
    return run_loop(repl, make_prompt_session(repl, FileHistory(str(history_path)), color))
