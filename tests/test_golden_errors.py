"""Golden diagnostics: each `tests/golden/errors/*.dl` beside its exact rendered output.

Static cases run `syllog check`; `runtime_*` cases run `syllog run` (with a
small tuple limit); `sql_*` cases run `syllog run --backend duckdb` (what the SQL
backends refuse), `sql_limit_*` ones with `--max-tuples 1000`. `warnings_*` and `runtime_warns_*` cases succeed (exit 0)
with warnings; the others fail. Rewrite with `pytest --update-goldens` and
review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from golden_util import compare, run_cli

HERE = Path(__file__).parent / "golden" / "errors"
CASES = sorted(HERE.glob("*.dl"))


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_error_golden(case: Path, update_goldens: bool) -> None:
    if case.stem.startswith("runtime_"):
        code, text = run_cli(["run", case.name, "--max-tuples", "1000"], HERE)
    elif case.stem.startswith("sql_limit_"):
        code, text = run_cli(["run", case.name, "--backend", "duckdb", "--max-tuples", "1000"], HERE)
    elif case.stem.startswith("sql_"):
        code, text = run_cli(["run", case.name, "--backend", "duckdb"], HERE)
    else:
        code, text = run_cli(["check", case.name], HERE)
    assert "Traceback" not in text
    expect_ok = case.stem.startswith(("warnings_", "runtime_warns_"))
    assert (code == 0) == expect_ok, text
    compare(case.with_suffix(".expected"), f"exit {code}\n{text}", update_goldens)


def test_every_case_states_its_behaviour() -> None:
    for case in CASES:
        first = case.read_text(encoding="utf-8-sig").splitlines()[0]  # -sig: one case opens with a BOM
        assert first.startswith("% "), f"{case.name} must open with a comment saying what it shows"
