"""Command-line conventions: --version, E903 for a missing SQL extra, grades shown as `B3`."""

from __future__ import annotations

import os
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
