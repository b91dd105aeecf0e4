"""Golden-file helpers: run the CLI in-process and compare with `.expected` files."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

from engine.cli import main


def run_cli(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run `syllog ARGS` in `cwd`; returns the exit code and stdout+stderr."""
    out, err = io.StringIO(), io.StringIO()
    old = Path.cwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(args)
    finally:
        os.chdir(old)
    text = out.getvalue()
    if err.getvalue():
        text += ("\n" if text and not text.endswith("\n") else "") + err.getvalue()
    return code, text


def compare(expected_path: Path, actual: str, update: bool) -> None:
    if update or not expected_path.exists():
        expected_path.write_text(actual, encoding="utf-8")
        return
    expected = expected_path.read_text(encoding="utf-8")
    assert actual == expected, f"{expected_path} differs:\n--- expected\n{expected}\n--- actual\n{actual}"
