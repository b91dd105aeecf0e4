"""Golden diagnostics of the file system: each `tests/golden/files/*.dl` beside its exact rendered output.

Each case runs in a fresh folder that holds the case (and its companion
files, `case.*`) and the oddities of `oddities.make_oddities` (a FIFO, a
symlink loop, a folder, a line of 2 MiB...), which git cannot keep. The
command is `syllog run CASE`, or the case's second line `% syllog: ARGS`
(`{case}` stands for the case's file). Rewrite with `pytest --update-goldens`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from golden_util import compare, run_cli
from oddities import make_oddities

HERE = Path(__file__).parent / "golden" / "files"
CASES = sorted(HERE.glob("*.dl"))


def command(case: Path) -> list[str]:
    lines = case.read_text(encoding="utf-8").splitlines()
    if len(lines) > 1 and lines[1].startswith("% syllog: "):
        return [a.replace("{case}", case.name) for a in lines[1].removeprefix("% syllog: ").split()]
    return ["run", case.name, "--max-tuples", "1000"]


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_file_golden(case: Path, tmp_path: Path, update_goldens: bool) -> None:
    for f in HERE.glob(case.stem + ".*"):
        if f.suffix != ".expected":
            shutil.copy(f, tmp_path / f.name)
    make_oddities(tmp_path)
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir() if not p.is_symlink()}
    code, text = run_cli(command(case), tmp_path)
    assert "Traceback" not in text
    assert code == 1, text
    compare(case.with_suffix(".expected"), f"exit {code}\n{text}", update_goldens)
    after = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir() if not p.is_symlink()}
    written = {name for name in after if before.get(name) != after[name]}
    assert written <= {"f.csv"}, f"only a file that can be written is written: {written}"
    if 'file: "f.csv"' in case.read_text(encoding="utf-8"):
        assert (tmp_path / "f.csv").read_text(encoding="utf-8") == "1\n", "the other outputs are written"
    assert not [p for p in tmp_path.rglob(".syllog-*")], "no temporary file is left behind"


def test_every_case_states_its_behaviour() -> None:
    assert CASES
    for case in CASES:
        first = case.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("% "), f"{case.name} must open with a comment saying what it shows"
