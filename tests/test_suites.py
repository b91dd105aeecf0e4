"""Suites: which folders a file's program is made of, read from pyproject.toml."""

from __future__ import annotations

from pathlib import Path

from engine.suites import suite_of

ROOT = Path(__file__).parent.parent


def _project(tmp_path: Path, suites: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(f"[tool.pytest.ini_options]\nsyllog_suites = {suites}\n", "utf-8")
    for sub in ("rules", "facts", "other/deep"):
        (tmp_path / sub).mkdir(parents=True)
        (tmp_path / sub / "a.dl").write_text("p.\n", encoding="utf-8")
    return tmp_path


def test_the_suite_of_a_file_is_the_line_whose_folders_hold_it(tmp_path: Path) -> None:
    root = _project(tmp_path, '["rules facts", "other"]').resolve()
    assert suite_of(root / "facts" / "a.dl") == [root / "rules", root / "facts"]
    assert suite_of(root / "other" / "deep" / "a.dl") == [root / "other"]
    assert suite_of(root / "a.dl") is None


def test_suites_may_be_one_string_of_lines(tmp_path: Path) -> None:
    root = _project(tmp_path, '"""\nrules facts\n"""').resolve()
    assert suite_of(root / "rules" / "a.dl") == [root / "rules", root / "facts"]


def test_the_nearest_pyproject_decides(tmp_path: Path) -> None:
    root = _project(tmp_path, '["rules facts"]').resolve()
    (root / "rules" / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    assert suite_of(root / "rules" / "a.dl") is None
    (root / "facts" / "pyproject.toml").write_text("not toml [", encoding="utf-8")
    assert suite_of(root / "facts" / "a.dl") is None


def test_this_projects_article_program_is_rules_and_facts() -> None:
    assert suite_of(ROOT / "rules" / "sanctions.dl") == [(ROOT / "rules").resolve(), (ROOT / "facts").resolve()]
