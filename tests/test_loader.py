"""Loader: an editor's unsaved buffers are read in place of the files on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.analysis import check
from engine.errors import SyllogError
from engine.loader import LoadedModules, load_paths


def _folder(tmp_path: Path) -> Path:
    (tmp_path / "a.dl").write_text("edge(a, b).\n", encoding="utf-8")
    (tmp_path / "b.dl").write_text("path(X, Y) :- edge(X, Y).\n", encoding="utf-8")
    return tmp_path


def test_an_override_is_read_in_place_of_the_file(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    program = check(load_paths([folder], overrides={(folder / "a.dl").resolve(): "edge(a, c). edge(c, d).\n"}))
    assert sorted(f.row for f in program.facts) == [("a", "c"), ("c", "d")]
    assert (folder / "a.dl").read_text(encoding="utf-8") == "edge(a, b).\n"


def test_an_unsaved_file_belongs_to_its_folder_in_sorted_order(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "sub").mkdir()
    new = (folder / "sub" / "new.dl").resolve()
    loaded = load_paths([folder], overrides={new: "edge(b, c).\n"})
    assert [Path(m.path).name for m in loaded.modules] == ["a.dl", "b.dl", "new.dl"]
    assert load_paths([new], overrides={new: "edge(b, c).\n"}).modules[0].statements


def test_the_error_of_a_buffer_is_reported_and_the_other_modules_kept(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    loaded = LoadedModules()
    with pytest.raises(SyllogError) as info:
        load_paths([folder], overrides={(folder / "b.dl").resolve(): "path(X, Y) :- edge(X, Y)\n"}, loaded=loaded)
    (diag,) = info.value.diagnostics
    assert diag.code == "E002" and diag.span.file.endswith("b.dl") and diag.span.line == 1
    assert [Path(m.path).name for m in loaded.modules] == ["a.dl"]
    assert "edge(X, Y)\n" in loaded.sources.texts[diag.span.file]


def test_a_module_parsed_before_is_reused_while_its_text_is_unchanged(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    first = load_paths([folder])
    parsed = {(m.path, first.sources.texts[m.path]): m for m in first.modules}
    changed = (folder / "b.dl").resolve()
    again = load_paths([folder], parsed=parsed, overrides={changed: "path(X, Y) :- edge(Y, X).\n"})
    a_first, b_first = first.modules
    a_again, b_again = again.modules
    assert a_again is a_first and again.sources.texts[a_again.path] == "edge(a, b).\n"
    assert b_again is not b_first and b_again != b_first
