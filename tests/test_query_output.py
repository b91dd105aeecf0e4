"""`syllog query` output in every format (golden files in tests/golden/query, one case a line of CASES).

A goal without variables answers `true` or `false` in an `answer` column, its
grade beside it when graded; a predicate nothing defines gets W102 with the
closest name on stderr (the answers stay on stdout) and exit 1; an arity error names
where the predicate is first used. Rewrite with `pytest --update-goldens`.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from golden_util import compare, run_cli

from engine.cli import main

HERE = Path(__file__).parent / "golden" / "query"
CASES = [re.split(r"\s{2,}", line.strip()) for line in (HERE / "CASES").read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_query_golden(case: list[str], update_goldens: bool) -> None:
    name, path, goal, *rest = case
    code, text = run_cli(["query", path, goal, *" ".join(rest).split()], HERE)
    assert "Traceback" not in text
    compare(HERE / f"{name}.expected", f"exit {code}\n{text}", update_goldens)


def test_a_true_ground_goal_puts_its_grade_under_grade() -> None:
    code, text = run_cli(["query", "graded.dl", "reaches(acme, gamma)"], HERE)
    header = next(line for line in text.splitlines() if "answer" in line)
    row = next(line for line in text.splitlines() if "true" in line)
    assert header.index("grade") == row.index("B3")  # the grade sits in its column, not the truth value
    assert header.index("answer") == row.index("true")


def test_csv_of_ground_goals_says_true_or_false() -> None:
    assert run_cli(["query", "plain.dl", "path(a, c)", "--format", "csv"], HERE) == (0, "answer\ntrue\n")
    assert run_cli(["query", "plain.dl", "path(c, a)", "--format", "csv"], HERE) == (0, "answer\nfalse\n")
    assert run_cli(["query", "graded.dl", "reaches(acme, gamma)", "--format", "csv"], HERE) == \
        (0, "answer,grade\ntrue,B3\n")


def test_a_misspelt_predicate_is_named_with_its_closest_match_and_json_stays_clean(capsys: pytest.CaptureFixture[str]) -> None:
    old = os.getcwd()
    os.chdir(HERE)
    try:
        assert main(["query", "plain.dl", "pth(a, X)", "--format", "json"]) == 1  # not a true empty answer
    finally:
        os.chdir(old)
    out, err = capsys.readouterr()
    assert json.loads(out)["answers"] == []
    assert "warning[W102]: `pth` is used but never defined" in err and "did you mean `path`?" in err
