"""The command line: exit codes, the JSON contract of LANGUAGE.md, and no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from golden_util import run_cli

ROOT = Path(__file__).parent.parent


def write(tmp: Path, text: str, name: str = "p.dl") -> Path:
    p = tmp / name
    p.write_text(text, encoding="utf-8")
    return p


PROGRAM = """
edge(a, b). edge(b, c). edge(c, d).
path(X, Y) :- edge(X, Y).
path(X, Z) :- path(X, Y), edge(Y, Z).
label(a, "Alpha"). weight(a, 2.5). weight(b, 3).
?- path(a, X).
"""


def test_query_json_shape(tmp_path: Path) -> None:
    write(tmp_path, PROGRAM)
    code, out = run_cli(["query", "p.dl", "path(X, Y), Y != c", "--format", "json"], tmp_path)
    assert code == 0
    data = json.loads(out)
    assert data["query"] == "path(X, Y), Y != c"
    assert data["variables"] == ["X", "Y"]
    assert data["answers"] == [{"X": "a", "Y": "b"}, {"X": "a", "Y": "d"}, {"X": "b", "Y": "d"}, {"X": "c", "Y": "d"}]
    assert "grades" not in data


def test_query_json_true_false_and_values(tmp_path: Path) -> None:
    write(tmp_path, PROGRAM)
    assert json.loads(run_cli(["query", "p.dl", "path(a, d)", "--format", "json"], tmp_path)[1])["answers"] == [{}]
    assert json.loads(run_cli(["query", "p.dl", "path(d, a)", "--format", "json"], tmp_path)[1])["answers"] == []
    data = json.loads(run_cli(["query", "p.dl", "label(X, L)", "--format", "json"], tmp_path)[1])
    assert data["answers"] == [{"X": "a", "L": "Alpha"}]
    data = json.loads(run_cli(["query", "p.dl", "weight(X, W)", "--format", "json"], tmp_path)[1])
    assert data["answers"] == [{"X": "a", "W": 2.5}, {"X": "b", "W": 3}]


def test_query_csv(tmp_path: Path) -> None:
    write(tmp_path, PROGRAM)
    code, out = run_cli(["query", "p.dl", "path(b, X)", "--format", "csv"], tmp_path)
    assert (code, out) == (0, "X\nc\nd\n")


def test_query_accepts_the_goal_as_written_in_a_file(tmp_path: Path) -> None:
    write(tmp_path, PROGRAM)
    plain = run_cli(["query", "p.dl", "path(b, X)", "--format", "csv"], tmp_path)
    for goal in ("?- path(b, X).", "  ?-path(b, X) .  ", "path(b, X)."):
        assert run_cli(["query", "p.dl", goal, "--format", "csv"], tmp_path) == plain
    code, out = run_cli(["query", "p.dl", "?- path(b, X)."], tmp_path)
    assert code == 0 and out.startswith("?- path(b, X).\n"), out


def test_a_capitalised_predicate_in_a_goal_is_named_as_in_a_file(tmp_path: Path) -> None:
    write(tmp_path, PROGRAM)
    code, out = run_cli(["query", "p.dl", "edge(X, Y), Path(Y, Z)"], tmp_path)
    assert code == 1
    assert out == (
        "<query>:1:16: error[E001]: unexpected variable `Path`: predicate names start with a lowercase letter\n"
        "1 | ?- edge(X, Y), Path(Y, Z).\n"
        "  |                ^^^^\n"
        "  = help: write `path`\n"
    )


def test_run_prints_queries(tmp_path: Path) -> None:
    write(tmp_path, PROGRAM)
    code, out = run_cli(["run", "p.dl"], tmp_path)
    assert code == 0
    assert "?- path(a, X)." in out and "3 answers" in out
    for node in ("b", "c", "d"):
        assert f"│ {node} │" in out


def test_check_exit_codes(tmp_path: Path) -> None:
    write(tmp_path, PROGRAM)
    assert run_cli(["check", "p.dl"], tmp_path)[0] == 0
    write(tmp_path, "p(X) :- q(Y). q(a).", "bad.dl")
    code, out = run_cli(["check", "bad.dl"], tmp_path)
    assert code == 1 and "bad.dl:1:3: error[E201]" in out


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    code, out = run_cli(["run", "nowhere/"], tmp_path)
    assert code == 1 and "error[E103]" in out


def test_why_json_contract() -> None:
    code, out = run_cli(["why", "rules/", "facts/", "sanctions_bypass_risk(north_korea, turkey)", "--format", "json"],
                        ROOT)
    assert code == 0
    root = json.loads(out)
    assert root["fact"] == "sanctions_bypass_risk(north_korea, turkey)"
    assert root["grade"] and root["rule"]["file"].endswith(".dl") and root["rule"]["line"] > 0
    lines = {(e["source"], e["line"]) for e in root["evidence"]}
    assert ("nyt_2024_02_06", 7) in lines and ("nyt_2024_02_06", 11) in lines

    def leaves(node: dict[str, object]) -> list[dict[str, object]]:
        kids = node["children"]
        assert isinstance(kids, list)
        if not kids:
            return [node]
        return [leaf for k in kids for leaf in leaves(k)]

    cited = [leaf for leaf in leaves(root) if "source" in leaf]
    assert cited and all(isinstance(leaf["quote"], str) and leaf["credibility"] in range(1, 7) for leaf in cited)


def test_why_missing_atom_exit_1(tmp_path: Path) -> None:
    write(tmp_path, PROGRAM)
    code, out = run_cli(["why", "p.dl", "path(d, a)"], tmp_path)
    assert code == 1 and "does not hold" in out


def test_test_command_counts(tmp_path: Path) -> None:
    write(tmp_path, PROGRAM + "expect path(a, d).\nexpect not path(d, _).\nexpect path(d, a).\n")
    code, out = run_cli(["test", "p.dl"], tmp_path)
    assert code == 1
    assert out.rstrip().endswith("2 passed, 1 failed")
    assert "p.dl:9:1: expectation failed: expect path(d, a)." in out


def test_snapshot_round_trip_and_diff(tmp_path: Path) -> None:
    write(tmp_path, PROGRAM)
    assert run_cli(["snapshot", "p.dl", "--out", "s.snap"], tmp_path)[0] == 0
    first = (tmp_path / "s.snap").read_bytes()
    # a rule edit that changes nothing leaves the file byte-identical
    write(tmp_path, PROGRAM.replace("path(X, Z) :- path(X, Y), edge(Y, Z).", "path(X, Z) :- edge(Y, Z), path(X, Y)."))
    assert run_cli(["snapshot", "p.dl", "--out", "s.snap"], tmp_path)[0] == 0
    assert (tmp_path / "s.snap").read_bytes() == first
    assert run_cli(["test", "p.dl", "--snapshot", "s.snap"], tmp_path) == (0, "0 passed, 0 failed\n")
    # drop the recursive rule: exactly the longer paths vanish
    write(tmp_path, PROGRAM.replace("path(X, Z) :- path(X, Y), edge(Y, Z).", ""))
    code, out = run_cli(["test", "p.dl", "--snapshot", "s.snap"], tmp_path)
    assert code == 1
    removed = sorted(line.split("\t")[0] for line in out.splitlines() if line.startswith("  - "))
    assert removed == ["  - path(a, c)", "  - path(a, d)", "  - path(b, d)"]
    assert run_cli(["test", "p.dl", "--snapshot", "s.snap", "--update"], tmp_path)[0] == 0
    assert run_cli(["test", "p.dl", "--snapshot", "s.snap"], tmp_path)[0] == 0


def test_no_traceback_from_the_real_command(tmp_path: Path) -> None:
    write(tmp_path, "p(X :- q(.\n")
    proc = subprocess.run([sys.executable, "-m", "engine", "run", "p.dl"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "error[E" in proc.stderr


def test_failing_expectations_golden(update_goldens: bool) -> None:
    from golden_util import compare

    here = ROOT / "tests" / "golden" / "expect"
    code, out = run_cli(["test", "failing.dl"], here)
    assert code == 1
    compare(here / "failing.expected", out, update_goldens)


@pytest.mark.parametrize("args", [
    ["why", "tests/golden/proofs/equal_derivations.dl", "reach(hub, port)", "--format", "json"],
    ["why", "rules/", "facts/", "sanctions_bypass_risk(north_korea, turkey)"],
    ["why", "examples/mrb_bank", "sanctions_bypass_risk(north_korea, turkey)", "--alternatives", "3"],
    ["why", "examples/ofac", "blocked(X)", "--format", "json"],
    ["snapshot", "examples/mrb_bank", "--out", "/dev/stdout"],
])
def test_proofs_are_the_same_under_every_hash_seed(args: list[str]) -> None:
    """Byte-identical output from separate processes with different PYTHONHASHSEED values."""
    root = Path(__file__).parent.parent
    outputs = set()
    for seed in ("0", "1", "2", "3", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=str(root))
        proc = subprocess.run([sys.executable, "-m", "engine", *args], cwd=root, capture_output=True, text=True, env=env)
        assert proc.returncode == 0, proc.stderr
        outputs.add(proc.stdout)
    assert len(outputs) == 1


def test_why_alternatives_differ_in_evidence_best_grade_first() -> None:
    root = Path(__file__).parent.parent
    code, out = run_cli(["why", "examples/mrb_bank", "sanctions_bypass_risk(north_korea, turkey)",
                         "--alternatives", "2", "--format", "json"], root)
    assert code == 0
    proofs = json.loads(out)
    assert [p["grade"] for p in proofs] == ["B2", "B3"]
    lines = [{(e["source"], e["line"]) for e in p["evidence"]} for p in proofs]
    assert lines[0] != lines[1]
    assert ("ofac_2024_09_19", 3) in lines[0] and ("ofac_2024_09_19", 3) not in lines[1]
    # one proof asked for: still a list with --alternatives
    code, out = run_cli(["why", "rules/", "facts/", "partner_access(russia, turkey)", "--alternatives", "2",
                         "--format", "json"], root)
    assert isinstance(json.loads(out), list)


def test_why_refuses_no_provenance(tmp_path: Path) -> None:
    (tmp_path / "p.dl").write_text("e(1). p(X) :- e(X).\n")
    code, out = run_cli(["why", "p.dl", "p(1)", "--no-provenance"], tmp_path)
    assert code == 1
    assert "error[E802]" in out and "--no-provenance" in out


def test_graded_expectations_and_constraints_golden(update_goldens: bool) -> None:
    """`expect ... grade >= B3` fails with the grade got and the weakest premise; a violation fails `test`."""
    from golden_util import compare

    here = ROOT / "tests" / "golden" / "expect"
    code, out = run_cli(["test", "graded_and_constraints.dl"], here)
    assert code == 1
    compare(here / "graded_and_constraints.expected", out, update_goldens)
    code, out = run_cli(["run", "graded_and_constraints.dl"], here)
    assert code == 0
    compare(here / "graded_and_constraints.run.expected", out, update_goldens)


def test_violations_as_data() -> None:
    import engine

    model = engine.load(ROOT / "tests" / "golden" / "expect" / "graded_and_constraints.dl").evaluate()
    found = {(v.what, tuple(sorted(v.binding.items())), v.grade) for v in model.violations()}
    assert found == {("the bridge is both closed and open", (("X", "bridge"),), "C3"),
                     ("two counts of one thing", (("A", 2), ("B", 5), ("X", "bridge")), "C3")}
    [v] = [v for v in model.violations() if v.what == "two counts of one thing"]
    assert [p.fact for p in v.premises] == ["count(bridge, 2)", "count(bridge, 5)"]


@pytest.mark.parametrize("backend", ["memory", "duckdb"])
def test_a_misspelt_predicate_in_a_goal_exits_1_with_did_you_mean(tmp_path: Path, backend: str) -> None:
    if backend == "duckdb":
        pytest.importorskip("duckdb")
    write(tmp_path, PROGRAM)
    code, out = run_cli(["query", "p.dl", "pth(a, X)", "--format", "csv", "--backend", backend], tmp_path)
    assert code == 1
    assert out.startswith("X\n") and "warning[W102]: `pth` is used but never defined" in out
    assert "did you mean `path`?" in out


def test_a_goal_warning_other_than_w102_keeps_exit_0(tmp_path: Path) -> None:
    write(tmp_path, "e(0). e(2).\n")
    code, out = run_cli(["query", "p.dl", "e(X), Y = 4 / X", "--format", "csv"], tmp_path)
    assert code == 0 and "warning[W104]" in out and out.startswith("X,Y\n2,2\n")
