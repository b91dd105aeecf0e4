"""Command-line conventions: --version, E903 for a missing SQL extra, grades shown as `B3`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import engine
from engine.provenance import Grade, encode

ROOT = Path(__file__).parent.parent


def syllog(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "engine", *args], cwd=cwd, capture_output=True, text=True, env=full)


def test_version_is_the_package_version() -> None:
    proc = syllog("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"syllog {engine.__version__}"


def test_duckdb_without_the_sql_extra_is_e903_with_the_install_command(tmp_path: Path) -> None:
    """`pip install .` without extras: sqlglot (and duckdb) missing; a stub module of None makes the import fail."""
    (tmp_path / "p.dl").write_text("e(1).\n")
    for missing in ("sqlglot", "duckdb"):
        blocker = tmp_path / f"block_{missing}"
        blocker.mkdir()
        (blocker / "sitecustomize.py").write_text(f"import sys\nsys.modules[{missing!r}] = None\n")
        proc = syllog("run", "p.dl", "--backend", "duckdb", cwd=tmp_path, env={"PYTHONPATH": f"{blocker}:{ROOT}"})
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
        assert proc.stderr.splitlines() == [
            f"<unknown>:0:0: error[E903]: The `duckdb` backend needs the Python package `{missing}`, which is not "
            "installed", "  = help: pip install 'syllog[sql]'"]


def test_grades_from_the_api_show_as_the_admiralty_code() -> None:
    text = ('.source s { title: "T", publisher: "P", date: "2024-01-02", document: "doc.txt", reliability: b }\n'
            "@cite(s, line: 2, credibility: 3) trades(beta, gamma).\n")
    model = engine.load_text(text, base=ROOT / "tests" / "golden" / "query").evaluate()
    g = model.grade("trades", ("beta", "gamma"))
    assert repr(g) == "Grade('B3')" and str(g) == "B3" and g is not None and g.text == "B3"
    assert g == encode("b", 3) and g > Grade(encode("c", 3)) and g < Grade(encode("b", 2))


def test_a_proof_node_repr_is_one_line() -> None:
    model = engine.load(ROOT / "tests" / "golden" / "query" / "graded.dl").evaluate()
    proof = model.why("reaches(acme, gamma)")[0]
    assert repr(proof) == "ProofNode(rule: reaches(acme, gamma) [B3], 2 premises)"
    assert "Acme owns" not in repr(proof.children[0])


# -- colour ------------------------------------------------------------------
BAD = "p(X) :- q(Y). q(a).\n"


def test_no_color_and_color_flags(tmp_path: Path) -> None:
    (tmp_path / "bad.dl").write_text(BAD)
    piped = syllog("check", "bad.dl", cwd=tmp_path)
    assert "\x1b[" not in piped.stderr and "error[E201]" in piped.stderr  # a pipe: no colour by default
    forced = syllog("check", "bad.dl", "--color", "always", cwd=tmp_path)
    assert "\x1b[1;31mbad.dl:1:3: error[E201]" in forced.stderr
    assert forced.stderr.replace("\x1b[1;31m", "").replace("\x1b[0m", "") == piped.stderr
    # NO_COLOR on a terminal: no escape codes at all; --color always wins over NO_COLOR
    tty = run_in_terminal(["check", "bad.dl"], tmp_path, {"NO_COLOR": "1"})
    assert "error[E201]" in tty and "\x1b[" not in tty
    assert "\x1b[1;31m" in run_in_terminal(["check", "bad.dl"], tmp_path)
    assert "\x1b[1;31m" in run_in_terminal(["check", "bad.dl", "--color", "always"], tmp_path, {"NO_COLOR": "1"})
    assert "\x1b[" not in run_in_terminal(["check", "bad.dl", "--color", "never"], tmp_path)


def test_the_repl_honours_no_color(tmp_path: Path) -> None:
    from io import StringIO

    from engine.render import make_console
    from engine.repl import Repl
    from engine.session import Session

    for env, flag, coloured in (({}, "always", True), ({"NO_COLOR": "1"}, None, False), ({}, "never", False)):
        out = StringIO()
        old = dict(os.environ)
        os.environ.update(env)
        try:
            console = make_console(out, color=flag)
        finally:
            os.environ.clear()
            os.environ.update(old)
        Repl(Session(text="e(1)."), console).handle("?- nope(X).")
        assert ("\x1b[" in out.getvalue()) == coloured, (env, flag, out.getvalue())
        assert "warning[W102]" in out.getvalue()


# -- progress and the memory limit -------------------------------------------------
RUNAWAY = "n(0).\nn(X + 1) :- n(X).\n"


def run_in_terminal(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 60) -> str:
    """Run `syllog ARGS` with stdout and stderr on a pseudo-terminal; everything it wrote."""
    import pty
    import select

    full = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120", "TERM": "xterm", **(env or {})}
    full.pop("NO_COLOR", None) if "NO_COLOR" not in (env or {}) else None
    pid, fd = pty.fork()
    if pid == 0:  # the child: becomes the command
        os.chdir(cwd)
        os.execve(sys.executable, [sys.executable, "-m", "engine", *args], full)
    out = b""
    while True:
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            break
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    return out.decode("utf-8", "replace")


def test_progress_on_a_terminal_names_stratum_round_tuples_and_rule(tmp_path: Path) -> None:
    (tmp_path / "runaway.dl").write_text(RUNAWAY)
    # the tuple limit, not the growth one (engine.evaluation.growth), stops it here
    shown = run_in_terminal(["run", "runaway.dl", "--max-tuples", "400000", "--max-growing-rounds", "none"], tmp_path)
    assert "stratum 1 of 1, round " in shown and " tuples so far, " in shown
    assert "deriving: n(X + 1) :- n(X).  (runaway.dl:2); Ctrl-C stops" in shown
    assert "error[E601]: more than 400,000 tuples were derived" in shown
    quiet = run_in_terminal(["run", "runaway.dl", "--max-tuples", "400000", "--max-growing-rounds", "none", "--quiet"],
                            tmp_path)
    assert "error[E601]" in quiet and "so far" not in quiet


def test_no_progress_when_piped(tmp_path: Path) -> None:
    (tmp_path / "runaway.dl").write_text(RUNAWAY)
    proc = syllog("run", "runaway.dl", "--max-tuples", "400000", cwd=tmp_path)
    assert proc.returncode == 1 and "so far" not in proc.stderr
    assert proc.stderr.startswith("runaway.dl:2:1: error[E601]")


def test_the_memory_limit_stops_a_runaway_with_the_rule_named() -> None:
    from engine.errors import SyllogError
    from engine.evaluation.memory import resident_bytes

    wide = "".join(f"n({k}, 0).\n" for k in range(2000)) + "n(K, X + 1) :- n(K, X).\n"
    loaded = engine.load_text(wide, "wide.dl")
    used = resident_bytes()
    assert used is not None
    try:
        loaded.evaluate(max_tuples=None, max_memory=used + 40_000_000, max_growing_rounds=None)
    except SyllogError as exc:
        text = str(exc)
    else:
        raise AssertionError("the runaway was not stopped")
    assert text.startswith("wide.dl:2001:1: error[E601]: the evaluation used ")
    assert "of memory, past the limit of " in text and "n(K, X + 1) :- n(K, X)." in text


def test_max_memory_takes_sizes(tmp_path: Path) -> None:
    from engine.evaluation.memory import parse_size

    assert parse_size("2GB") == 2_000_000_000 and parse_size("512MiB") == 512 * 2**20 and parse_size("x") is None
    (tmp_path / "p.dl").write_text("e(1).\n")
    proc = syllog("run", "p.dl", "--max-memory", "lots", cwd=tmp_path)
    assert proc.returncode == 2 and "`lots` is not a size (write 2GB, 500MB or none)" in proc.stderr
    assert syllog("run", "p.dl", "--max-memory", "none", cwd=tmp_path).returncode == 0


# -- shell completion ---------------------------------------------------------------
def completions(line: str, tmp_path: Path) -> list[str]:
    """What the Python side of argcomplete offers for the command line `line` (the cursor at its end)."""
    out = tmp_path / "completions"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "_ARGCOMPLETE": "1", "_ARGCOMPLETE_IFS": "\n",
           "COMP_LINE": line, "COMP_POINT": str(len(line)), "_ARGCOMPLETE_STDOUT_FILENAME": str(out)}
    subprocess.run([sys.executable, "-m", "engine"], cwd=tmp_path, env=env, capture_output=True, check=False)
    return [c.strip() for c in out.read_text().split("\n")] if out.exists() else []


def test_completion_offers_commands_and_options(tmp_path: Path) -> None:
    assert {"run", "repl", "report"} <= set(completions("syllog r", tmp_path))
    assert "--max-memory" in completions("syllog run --max-m", tmp_path)
    assert completions("syllog query x --format ", tmp_path) == ["table", "json", "csv"]
    (tmp_path / "rules").mkdir()
    assert "rules/" in completions("syllog run ru", tmp_path)


def wrapper(tmp_path: Path) -> dict[str, str]:
    """A PATH with a `syllog` that runs this checkout, as the installed command would."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "syllog"
    exe.write_text(f"#!/bin/sh\nPYTHONPATH={ROOT} exec {sys.executable} -m engine \"$@\"\n")
    exe.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}


def script(shell: str) -> str:
    proc = syllog("completion", shell)
    assert proc.returncode == 0
    return proc.stdout


def test_bash_completion_in_bash(tmp_path: Path) -> None:
    (tmp_path / "c.bash").write_text(script("bash"))
    probe = ('source c.bash; COMP_WORDS=(syllog wh); COMP_CWORD=1; COMP_LINE="syllog wh"; COMP_POINT=9; '
             '_python_argcomplete syllog; printf "%s\\n" "${COMPREPLY[@]}"')
    proc = subprocess.run(["bash", "-c", probe], cwd=tmp_path, env=wrapper(tmp_path), capture_output=True, text=True)
    assert sorted(proc.stdout.split()) == ["whatif", "why"], proc.stderr


def test_fish_completion_in_fish(tmp_path: Path) -> None:
    fish = shutil.which("fish")
    assert fish is not None, "fish is not installed (.ci/run installs it)"
    (tmp_path / "c.fish").write_text(script("fish"))
    proc = subprocess.run([fish, "--no-config", "-c", "source c.fish; complete -C 'syllog wh'"], cwd=tmp_path,
                          env=wrapper(tmp_path), capture_output=True, text=True)
    assert [line.split("\t")[0] for line in proc.stdout.split("\n") if line] == ["whatif", "why"], proc.stderr


def test_zsh_completion_script_loads_in_zsh(tmp_path: Path) -> None:
    zsh = shutil.which("zsh")
    assert zsh is not None, "zsh is not installed (.ci/run installs it)"
    (tmp_path / "_syllog").write_text(script("zsh"))
    probe = "autoload -U compinit && compinit -u && source ./_syllog && whence -w _python_argcomplete"
    proc = subprocess.run([zsh, "-f", "-c", probe], cwd=tmp_path, env=wrapper(tmp_path), capture_output=True, text=True)
    assert proc.returncode == 0 and "_python_argcomplete: function" in proc.stdout, proc.stderr


def test_import_syllog_is_the_engine_api() -> None:
    import syllog

    assert syllog.Model is engine.Model and syllog.load is engine.load and syllog.__version__ == engine.__version__
    assert set(syllog.__all__) == set(engine.__all__)
    assert syllog.load_text("e(1). p(X) :- e(X).").evaluate().relation("p") == {(1,)}


def test_the_repl_prompt_has_no_colour_under_color_never() -> None:
    from prompt_toolkit.history import InMemoryHistory
    from prompt_toolkit.output import ColorDepth

    from engine.render import make_console
    from engine.repl import Repl, make_prompt_session
    from engine.session import Session

    repl = Repl(Session(text="e(1)."), make_console(color="never"))
    plain = make_prompt_session(repl, InMemoryHistory(), color=False)
    assert plain.lexer is None and plain.color_depth == ColorDepth.DEPTH_1_BIT
    coloured = make_prompt_session(repl, InMemoryHistory())
    assert coloured.lexer is not None and coloured.color_depth is None
