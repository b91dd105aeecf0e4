"""Loading from the file system: large folders, unreadable files, files gone mid-run, files too large."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest

import engine
from engine import SyllogError, files, loader


def test_a_folder_of_thousands_of_files_loads_and_names_its_bad_file(tmp_path: Path) -> None:
    for i in range(2000):
        (tmp_path / f"f{i:04}.dl").write_text(f"e({i}).\n", encoding="utf-8")
    assert engine.load(tmp_path).evaluate().size("e") == 2000
    (tmp_path / "f1234.dl").write_text("e(1234\n", encoding="utf-8")
    with pytest.raises(SyllogError) as exc:
        engine.load(tmp_path)
    assert [d.span.file for d in exc.value.diagnostics] == [loader.display_path(tmp_path / "f1234.dl")]


def test_an_unreadable_file_is_e104(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """(Tests run as root, which reads anything: the refusal is the operating system's, simulated.)"""
    (tmp_path / "a.dl").write_text('.include "secret.dl"\n', encoding="utf-8")
    (tmp_path / "secret.dl").write_text("e(1).\n", encoding="utf-8")
    real_open = os.open

    def refuse(path: str | Path, flags: int, *args: int) -> int:
        if str(path).endswith("secret.dl"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(SyllogError) as exc:
        engine.load(tmp_path / "a.dl")
    (d,) = exc.value.diagnostics
    assert (d.code, d.message, d.span.line) == ("E104", "cannot read `" + loader.display_path(tmp_path / "secret.dl")
                                                + "`: permission denied", 1)


def test_a_file_deleted_after_the_folder_was_listed_is_e104(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("a.dl", "b.dl"):
        (tmp_path / name).write_text("e(1).\n", encoding="utf-8")
    listed = loader.expand

    def list_then_delete(paths: list[str | Path], *rest: Any) -> tuple[list[Path], list[engine.Diagnostic]]:
        got = listed(paths, *rest)
        (tmp_path / "b.dl").unlink()
        return got

    monkeypatch.setattr(loader, "expand", list_then_delete)
    with pytest.raises(SyllogError) as exc:
        engine.load(tmp_path)
    (d,) = exc.value.diagnostics
    assert d.code == "E104" and d.message.endswith("b.dl`: no such file")


def test_a_source_file_past_the_limit_is_e104_and_not_read(tmp_path: Path) -> None:
    with (tmp_path / "huge.dl").open("wb") as fh:
        fh.truncate(files.MAX_TEXT_BYTES + 1)  # a hole: nothing written, nothing to read but zeros
    with pytest.raises(SyllogError) as exc:
        engine.load(tmp_path / "huge.dl")
    (d,) = exc.value.diagnostics
    assert d.code == "E104" and "larger than 64 MiB" in d.message


def test_a_file_changing_under_the_data_reader_is_e703(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read that fails half-way (a disk that went away) is the file's error, not a traceback."""
    (tmp_path / "e.csv").write_text("a,1\nb,2\n", encoding="utf-8")
    (tmp_path / "p.dl").write_text('.decl e(a: symbol, b: int)\n.input e { file: "e.csv" }\n', encoding="utf-8")
    program = engine.load(tmp_path / "p.dl")

    def gone(*args: object) -> str:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(files, "line_blocks", gone)
    with pytest.raises(SyllogError) as exc:
        program.evaluate()
    (d,) = exc.value.diagnostics
    assert d.code == "E703" and d.message.endswith("input/output error")
