"""Nothing lost: `syllog` runs killed at random points leave each file old or new, whole, never a part.

A run writes a large `.output` (or snapshot) over an old one. Seeded random
kills land anywhere in the run, and on purpose inside the write: the test
waits for the temporary file to appear, then kills. SIGKILL may leave the
temporary file; Ctrl-C (SIGINT) cleans it up.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
ROWS = 60_000
PROGRAM = """
.decl n(a: int)
.input n { file: "n.csv" }
.decl big(a: int, b: int)
big(X, Y) :- n(X), Y = X * 3.
.output big { file: "big.csv" }
"""
OLD = "the old content\n"


def _start(folder: Path, args: list[str]) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "engine", *args], cwd=folder, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _temporary(folder: Path) -> bool:
    return any(e.name.startswith(".syllog-") for e in os.scandir(folder))


def _kill_during_write(proc: subprocess.Popen[bytes], folder: Path, extra: float, sig: int) -> None:
    """Wait until the write has begun (its temporary file is there), then `extra` seconds, then `sig`."""
    deadline = time.monotonic() + 60
    while not _temporary(folder) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.0005)
    time.sleep(extra)
    if proc.poll() is None:
        proc.send_signal(sig)
    proc.wait(timeout=60)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "p.dl").write_text(PROGRAM, encoding="utf-8")
    (tmp_path / "n.csv").write_text("".join(f"{i}\n" for i in range(ROWS)), encoding="utf-8")
    return tmp_path


def _complete(folder: Path, args: list[str], out: str) -> tuple[str, float]:
    """The file a run that is not interrupted writes, and how long that run takes."""
    start = time.monotonic()
    proc = _start(folder, args)
    assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
    took = time.monotonic() - start
    new = (folder / out).read_text(encoding="utf-8")
    assert new != OLD and len(new.splitlines()) >= ROWS
    return new, took


@pytest.mark.parametrize("args, out", [(["run", "p.dl"], "big.csv"),
                                       (["snapshot", "p.dl", "--out", "s.snap"], "s.snap")],
                         ids=["output", "snapshot"])
def test_killed_runs_leave_the_old_file_or_the_new_whole(folder: Path, args: list[str], out: str) -> None:
    new, took = _complete(folder, args, out)
    rng = random.Random(22)
    outcomes = []
    for k in range(4):
        (folder / out).write_text(OLD, encoding="utf-8")
        for tmp in folder.glob(".syllog-*"):
            tmp.unlink()
        proc = _start(folder, args)
        if k % 2:
            time.sleep(rng.uniform(0, took))  # anywhere in the run
            proc.kill()
            proc.wait(timeout=60)
        else:
            _kill_during_write(proc, folder, rng.uniform(0, 0.02), signal.SIGKILL)
        got = (folder / out).read_text(encoding="utf-8")
        assert got in (OLD, new), f"kill {k} left a part of the file ({len(got)} of {len(new)} characters)"
        outcomes.append(got == new)
    assert not all(outcomes), "some kills must land before the file is replaced"


@pytest.mark.parametrize("wait", [0.0, 0.001, 0.005])
def test_ctrl_c_during_the_write_leaves_the_old_file_and_no_temporary(folder: Path, wait: float) -> None:
    new, _took = _complete(folder, ["run", "p.dl"], "big.csv")
    (folder / "big.csv").write_text(OLD, encoding="utf-8")
    proc = _start(folder, ["run", "p.dl"])
    _kill_during_write(proc, folder, wait, signal.SIGINT)
    got = (folder / "big.csv").read_text(encoding="utf-8")
    if proc.returncode == 130:  # interrupted: the old file (or the new, renamed just before), nothing left behind
        assert got in (OLD, new)
        assert proc.stderr is not None and b"interrupted" in proc.stderr.read()
    else:  # the write was done before the signal came
        assert proc.returncode == 0 and got == new
    assert not _temporary(folder)
