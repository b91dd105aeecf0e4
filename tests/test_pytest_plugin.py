"""The pytest plugin's `syllog` fixture: relative paths are resolved against pytest's rootdir."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_the_fixture_loads_the_projects_files_from_any_working_directory(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "kb").mkdir(parents=True)
    (project / "tests").mkdir()
    (project / "pyproject.toml").write_text("[tool.pytest.ini_options]\naddopts = '-q'\n")
    (project / "kb" / "facts.dl").write_text("right(yes).\n")
    (project / "tests" / "test_kb.py").write_text(
        "def test_kb(syllog):\n"
        "    model = syllog('kb/')\n"
        "    assert model.relation('right') == {('yes',)}\n"
        "    assert syllog(text='p(X) :- right(X).').relation('p') == set()\n")
    decoy = tmp_path / "elsewhere"
    (decoy / "kb").mkdir(parents=True)
    (decoy / "kb" / "facts.dl").write_text("wrong(yes).\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for cwd, target in ((project, "tests"), (project / "tests", "."), (decoy, str(project / "tests"))):
        proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                               target], cwd=cwd, env=env, capture_output=True, text=True)
        assert proc.returncode == 0, (cwd, proc.stdout, proc.stderr)
        assert "1 passed" in proc.stdout


def test_a_dl_file_with_a_byte_order_mark_runs_its_expectations(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\naddopts = '-q'\n")
    (tmp_path / "kb.dl").write_bytes(b"\xef\xbb\xbfedge(a, b).\nexpect edge(a, b).\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "kb.dl"], cwd=tmp_path, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0 and "1 passed" in proc.stdout, (proc.stdout, proc.stderr)
