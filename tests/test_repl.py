"""The REPL: `Repl.handle` for every command, and the prompt_toolkit loop fed through a pipe."""

from __future__ import annotations

import _thread
import argparse
import threading
from io import StringIO
from pathlib import Path

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.history import FileHistory
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.lexers import PygmentsLexer
from prompt_toolkit.output import DummyOutput
from rich.console import Console

from engine.repl import (
    STYLE,
    Repl,
    ReplLexer,
    SyllogCompleter,
    is_complete,
    make_prompt_session,
    open_session,
    run_loop,
)
from engine.session import Session

PROGRAM = """\
.source report {
    title: "A report on links", publisher: "The Desk", date: "2024-01-02",
    document: "doc.txt", reliability: b
}
.decl edge(from: symbol, to: symbol) "A one-way link."
.decl path(from: symbol, to: symbol) "To can be reached from from."
@cite(report, line: 1, credibility: 2)
edge(a, b).
edge(b, c).
path(X, Y) :- edge(X, Y).
path(X, Z) :- path(X, Y), edge(Y, Z).
"""


@pytest.fixture
def program(tmp_path: Path) -> Path:
    (tmp_path / "doc.txt").write_text("A links to B, the report says.\nB links to C.\n", encoding="utf-8")
    path = tmp_path / "graph.dl"
    path.write_text(PROGRAM, encoding="utf-8")
    return path


class Driver:
    """A Repl over a StringIO console; `run` returns only the output of one input."""

    def __init__(self, session: Session) -> None:
        self.out = StringIO()
        self.repl = Repl(session, Console(file=self.out, width=100, color_system=None))

    def run(self, text: str) -> str:
        start = len(self.out.getvalue())
        self.repl.handle(text)
        return self.out.getvalue()[start:]


@pytest.fixture
def repl(program: Path) -> Driver:
    return Driver(Session([program]))


def column(table: str, k: int = 0) -> list[str]:
    """The cells of column k of a rendered rich table (box-drawn rows only)."""
    rows = [line for line in table.splitlines() if line.startswith("│")]
    return [r.strip("│").split("│")[k].strip() for r in rows]


# -- Repl.handle ------------------------------------------------------------------
def test_query_prints_a_table_with_grades(repl: Driver) -> None:
    out = repl.run("?- path(a, X).")
    assert "grade" in out.splitlines()[1]
    assert column(out, 0) == ["b", "c"]
    assert column(out, 1) == ["B2", "B2"]
    assert out.rstrip().endswith("2 answers")


def test_ground_query_answers_true_or_false(repl: Driver) -> None:
    assert column(repl.run("?- path(a, c).")) == ["true"]
    assert column(repl.run("?- path(c, a).")) == ["false"]


def test_added_fact_changes_an_answer(repl: Driver) -> None:
    out = repl.run("edge(c, d).")
    assert out.splitlines() == ["+ edge(c, d)", "+ path(a, d)", "+ path(b, d)", "+ path(c, d)"]
    assert column(repl.run("?- path(a, X).")) == ["b", "c", "d"]
    # the new fact is uncited: it does not lower the grade of path(a, d), and path(b, d) has none
    out = repl.run("?- path(X, d).")
    assert column(out, 0) == ["a", "b", "c"]
    assert column(out, 1) == ["B2", "-", "-"]


def test_added_rule_is_shown_by_its_conclusions(repl: Driver) -> None:
    out = repl.run("source_of(X) :- edge(X, _), not edge(_, X).")
    assert out.splitlines() == ["+ source_of(a)"]


def test_retraction_removes_what_depended_only_on_the_fact(repl: Driver) -> None:
    out = repl.run(":retract edge(b, c).")
    assert out.splitlines() == ["- edge(b, c)", "- path(a, c)", "- path(b, c)"]
    assert column(repl.run("?- path(X, Y).")) == ["a"]


def test_retracting_a_derived_tuple_is_an_error(repl: Driver) -> None:
    out = repl.run(":retract path(a, c).")
    assert "error[E953]" in out
    assert column(repl.run("?- path(a, X).")) == ["b", "c"]


def test_a_retraction_survives_a_later_addition_and_retyping_takes_it_back(repl: Driver) -> None:
    repl.run(":retract edge(b, c).")
    repl.run("edge(x, y).")
    assert column(repl.run("?- path(a, X).")) == ["b"]
    assert repl.run("edge(b, c).").splitlines() == ["+ edge(b, c)", "+ path(a, c)", "+ path(b, c)"]
    assert column(repl.run("?- path(a, X).")) == ["b", "c"]


def test_why_shows_the_proof_tree_down_to_the_quote(repl: Driver) -> None:
    out = repl.run(":why path(a, c)")
    assert out.startswith("path(a, c) [B2]  by path(X, Z) :- path(X, Y), edge(Y, Z).")
    assert "edge(b, c)  (fact at " in out
    assert "\u201cA links to B, the report says.\u201d  report line 1 [B2]" in out
    assert out.rstrip().endswith("grade: B2; evidence: report line 1")


def test_why_of_an_atom_that_does_not_hold(repl: Driver) -> None:
    out = repl.run(":why path(c, a)")
    assert out.startswith("path(c, a)")
    assert "grade:" not in out


def test_why_in_a_program_without_citations() -> None:
    d = Driver(Session(text="e(1, 2). e(2, 3). p(X, Y) :- e(X, Y). p(X, Z) :- p(X, Y), e(Y, Z)."))
    out = d.run(":why p(1, 3)")
    assert out.startswith("p(1, 3)  by p(X, Z) :- p(X, Y), e(Y, Z).")
    assert out.rstrip().endswith("grade: ungraded (no cited premise); evidence: none")


def test_an_engine_bug_is_reported_and_the_session_goes_on(repl: Driver, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(goal: str) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(repl.repl.session.model, "query", broken)
    out = repl.run("?- path(a, X).")
    assert out.strip() == "internal error (a bug in syllog, please report it): RuntimeError: boom"
    monkeypatch.undo()
    assert column(repl.run("?- path(a, X).")) == ["b", "c"]


def test_error_shows_the_caret_and_the_session_goes_on(repl: Driver) -> None:
    out = repl.run("path(X, Y) :- edge(X, Z).")
    lines = out.splitlines()
    assert lines[0] == "<input 1>:1:9: error[E201]: variable `Y` occurs in the head but in no positive body literal"
    assert lines[1:3] == ["1 | path(X, Y) :- edge(X, Z).", "  |         ^"]
    assert repl.repl.session.added == []
    # a syntax error, then a good input: the session goes on
    out = repl.run("edge(a b).")
    assert "error[E" in out and "^" in out
    assert repl.run("edge(c, d).").splitlines()[0] == "+ edge(c, d)"
    assert column(repl.run("?- path(a, X).")) == ["b", "c", "d"]


def test_query_errors_and_unknown_names(repl: Driver) -> None:
    out = repl.run("?- path(X).")
    assert "error[E301]" in out and "^^^^^^^" in out
    assert "declared with 2 at " in out and "<unknown>" not in out
    out = repl.run("?- pth(a, X).")
    assert "0 answers" in out
    assert "<query>:1:4: warning[W102]: `pth` is used but never defined" in out
    assert "= help: did you mean `path`?" in out
    assert "unknown command `:wyh`; did you mean `:why`?" in repl.run(":wyh path(a, b)")


def test_diff_since_start_and_since_a_mark(repl: Driver) -> None:
    assert repl.run(":diff").strip() == "no derived conclusion appeared or vanished since the start"
    repl.run("edge(c, d).")
    repl.run(":mark before_e")
    repl.run("edge(d, e).")
    since_start = repl.run(":diff").splitlines()
    assert "+ path(a, d)" in since_start and "+ path(a, e)" in since_start
    assert not any(line.startswith("+ edge") for line in since_start)  # derived conclusions only
    since_mark = repl.run(":diff before_e").splitlines()
    assert "+ path(a, e)" in since_mark and "+ path(a, d)" not in since_mark
    assert "no mark `nope`" in repl.run(":diff nope")


def test_list_shows_declarations_doc_strings_and_rules(repl: Driver) -> None:
    out = repl.run(":list")
    assert '.decl edge(from: symbol, to: symbol) "A one-way link."' in out
    assert "path(X, Z) :- path(X, Y), edge(Y, Z).  % " in out
    assert "% 2 facts" in out
    only = repl.run(":list path")
    assert ".decl path(" in only and "path(X, Y) :- edge(X, Y)." in only and ".decl edge" not in only
    assert "did you mean `path`?" in repl.run(":list pat")


def test_sources_table(repl: Driver) -> None:
    out = repl.run(":sources")
    assert column(out, 0) == ["report"]
    assert column(out, 2) == ["The Desk"]
    assert column(out, 3) == ["2024-01-02"]
    assert column(out, 4) == ["B (usually reliable)"]
    assert "A report on links" in out


def test_save_then_load_the_saved_file(repl: Driver, program: Path, tmp_path: Path) -> None:
    repl.run("edge(c, d).")
    repl.run("reach(X) :- path(a, X).")
    saved = tmp_path / "added.dl"
    assert repl.run(f":save {saved}").strip() == f"wrote {saved}: 2 statements"
    fresh = Driver(Session([program]))
    assert column(fresh.run("?- path(a, X).")) == ["b", "c"]
    out = fresh.run(f":load {saved}")
    assert "+ edge(c, d)" in out.splitlines() and "+ reach(d)" in out.splitlines()
    assert column(fresh.run("?- reach(X).")) == ["b", "c", "d"]
    assert fresh.repl.session.paths == [program, saved]


def test_load_error_keeps_the_paths(repl: Driver, program: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.dl"
    bad.write_text("edge(a, b, c).\n", encoding="utf-8")
    out = repl.run(f":load {bad}")
    assert "error[E301]" in out and "bad.dl:1:1" in out
    assert repl.repl.session.paths == [program]


def test_reload_after_editing_the_file(repl: Driver, program: Path) -> None:
    repl.run("edge(x, y).")
    program.write_text(PROGRAM + "edge(c, d).\n", encoding="utf-8")
    out = repl.run(":reload").splitlines()
    assert "+ edge(c, d)" in out and "+ path(a, d)" in out
    assert column(repl.run("?- edge(x, Y).")) == ["y"]  # what was typed is kept


def test_ctrl_c_during_evaluation_leaves_the_model_as_it_was() -> None:
    d = Driver(Session(text="n(0)."))
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    try:
        out = d.run("n(X + 1) :- n(X), X < 100_000_000.")
    finally:
        timer.cancel()
    assert out.strip() == "interrupted: the model is as it was"
    assert d.repl.session.added == []
    assert column(d.run("?- n(X).")) == ["0"]


def test_help_and_quit(repl: Driver) -> None:
    out = repl.run(":help")
    for name in (":why", ":retract", ":load", ":reload", ":list", ":sources", ":diff", ":mark", ":save", ":quit"):
        assert name in out
    assert not repl.repl.done
    repl.run(":quit")
    assert repl.repl.done


def test_files_that_do_not_load_start_an_empty_session(program: Path) -> None:
    program.write_text("edge(a, b).\npath(X, Y) :- edge(X, Z).\n", encoding="utf-8")
    out = StringIO()
    args = argparse.Namespace(max_tuples=1000, timeout=None, no_provenance=False, history=None)
    repl = open_session([str(program)], args, Console(file=out, width=100, color_system=None))
    assert "error[E201]" in out.getvalue() and "the session starts empty" in out.getvalue()
    assert repl.session.model.relation("edge") == set()
    program.write_text("edge(a, b).\npath(X, Y) :- edge(X, Y).\n", encoding="utf-8")
    repl.handle(":reload")
    assert repl.session.model.relation("path") == {("a", "b")}
    repl.handle(":diff")
    assert out.getvalue().rstrip().endswith("no derived conclusion appeared or vanished since the start")


# -- reading, highlighting, completion ---------------------------------------------
@pytest.mark.parametrize(
    ("text", "complete"),
    [
        ("path(X, Z) :-", False),
        ("path(X, Z) :-\n  path(X, Y), edge(Y, Z).", True),
        ('note("a sentence.")', False),  # the `.` is inside the string
        ("p(1). % ends here.", True),
        ("p(1) % not yet.", False),
        ("m(X, Y) :- n(X), Y = X%2.", True),  # `%` after an operand is the remainder
        ('.decl p(x: int) "doc"', True),
        (".decl p(x: int,", False),
        ("@cite(s, line: 1, credibility: 2) {\n  p(1).", False),
        ("@cite(s, line: 1, credibility: 2) {\n  p(1).\n}", True),
        (":why p(1)", True),
        ("", True),
    ],
)
def test_is_complete(text: str, complete: bool) -> None:
    assert is_complete(text) is complete


def _styled(text: str) -> list[tuple[str, str]]:
    """(style, text) pairs of the first line as the prompt colours it."""
    line = PygmentsLexer(ReplLexer).lex_document(Document(text))(0)
    return [(style, part) for style, part, *_ in line]


def test_highlighting_colours_each_kind_of_token() -> None:
    text = 'p(X, "s") :- not q(X, 2.5), N = count { Y : r(Y) }. % done'
    toks = _styled(text)
    assert "".join(t for _, t in toks) == text
    classes = {t: c for c, t in toks if t.strip()}
    assert classes["X"] == "class:pygments.name.variable"
    assert classes['"s"'] == "class:pygments.literal.string.double"
    assert classes["not"] == "class:pygments.keyword" and classes["count"] == "class:pygments.name.builtin"
    assert classes["2.5"] == "class:pygments.literal.number"
    assert classes["% done"] == "class:pygments.comment.single"
    assert _styled(":why p(a)")[0] == ("class:pygments.keyword.pseudo", ":why")
    assert ("class:pygments.name.function", "min") in _styled("min(X).")  # a predicate named min, not the aggregate
    assert ("class:pygments.punctuation", ":-") in _styled("p(X) :- q(X)")  # `:` starts a command only first
    # every kind the prompt colours has a style of its own (the colours of the REPL before the lexer)
    attrs = {c: STYLE.get_attrs_for_style_str(c) for c in ("class:pygments.name.variable",
             "class:pygments.literal.string.double", "class:pygments.keyword", "class:pygments.name.builtin",
             "class:pygments.literal.number", "class:pygments.comment.single", "class:pygments.keyword.pseudo",
             "class:pygments.keyword.declaration", "class:pygments.name.decorator")}
    assert attrs["class:pygments.name.variable"].color == "ansiyellow"
    assert attrs["class:pygments.literal.string.double"].color == "ansigreen"
    assert attrs["class:pygments.comment.single"].italic
    assert all(a.bold for c, a in attrs.items() if "keyword" in c or "builtin" in c or "decorator" in c)


def test_completion_of_commands_predicates_and_sources(repl: Driver) -> None:
    completer = SyllogCompleter(repl.repl)

    def complete(text: str) -> list[str]:
        return [c.text for c in completer.get_completions(Document(text), CompleteEvent(completion_requested=True))]

    assert complete(":re") == [":retract", ":reload"]
    assert complete("?- pa") == ["path"]
    assert complete("@cite(rep") == ["report"]
    assert complete("x(X) :- no") == ["not"]
    repl.run("edge(c, d).")
    repl.run("reachable(X) :- path(a, X).")
    assert complete("?- rea") == ["reachable"]
    repl.run(":mark m1")
    assert complete(":diff ") == ["m1", "start"]


# -- the real prompt_toolkit loop ------------------------------------------------
def test_prompt_loop_multiline_rule_query_ctrl_c_and_ctrl_d(tmp_path: Path) -> None:
    d = Driver(Session(text="edge(a, b). edge(b, c)."))
    history_file = tmp_path / "history"
    keys = (
        "path(X, Y) :- edge(X, Y).\r"
        "path(X, Z) :-\r"  # incomplete: Enter gives a continuation line
        "path(X, Y),\r"
        "edge(Y, Z).\r"
        "junk(\x03"  # Ctrl-C at the prompt drops the line
        "?- path(a, X).\r"
        "\x04"  # Ctrl-D on an empty line quits
    )
    with create_pipe_input() as inp:
        inp.send_text(keys)
        with create_app_session(input=inp, output=DummyOutput()):
            rc = run_loop(d.repl, make_prompt_session(d.repl, FileHistory(str(history_file))))
    assert rc == 0
    out = d.out.getvalue()
    assert out.splitlines()[:2] == ["+ path(a, b)", "+ path(b, c)"]
    assert out.splitlines()[2] == "+ path(a, c)"  # the second rule, typed on three lines
    assert column(out) == ["b", "c"]
    assert out.rstrip().endswith("2 answers")
    assert "junk" not in out and "error" not in out
    # the history file keeps each input whole, the multi-line rule as one entry
    entries = list(FileHistory(str(history_file)).load_history_strings())
    assert entries[::-1] == [
        "path(X, Y) :- edge(X, Y).",
        "path(X, Z) :-\n    path(X, Y),\n    edge(Y, Z).",
        "?- path(a, X).",
    ]


def test_prompt_loop_quit_command_and_errors_kept_in_history(tmp_path: Path) -> None:
    d = Driver(Session(text="e(1)."))
    history_file = tmp_path / "history"
    with create_pipe_input() as inp:
        inp.send_text("e(1, 2).\r:quit\r?- e(X).\r")
        with create_app_session(input=inp, output=DummyOutput()):
            run_loop(d.repl, make_prompt_session(d.repl, FileHistory(str(history_file))))
    out = d.out.getvalue()
    assert "error[E301]" in out
    assert "answer" not in out  # `:quit` stopped before the query
    assert list(FileHistory(str(history_file)).load_history_strings())[::-1] == ["e(1, 2).", ":quit"]


def test_syllog_repl_command_end_to_end(program: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from engine.cli import main

    history_file = tmp_path / "hist"
    with create_pipe_input() as inp:
        inp.send_text("?- path(a, X).\r:quit\r")
        with create_app_session(input=inp, output=DummyOutput()):
            rc = main(["repl", str(program), "--history", str(history_file)])
    out = capsys.readouterr().out
    assert rc == 0
    assert out.splitlines()[0] == "syllog repl: 2 facts, 2 rules. `:help` lists the commands; Ctrl-D quits."
    assert column(out, 0) == ["b", "c"] and "2 answers" in out
    assert list(FileHistory(str(history_file)).load_history_strings())[::-1] == ["?- path(a, X).", ":quit"]
