"""Golden evaluation: each `tests/golden/eval/*.dl` beside its exact derived relations.

Every case is also evaluated without provenance and must give the same
relations. Rewrite with `pytest --update-goldens` and review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from golden_util import compare

import engine
from engine.values import row_key, show_atom

HERE = Path(__file__).parent / "golden" / "eval"
CASES = sorted(HERE.glob("*.dl"))


def dump(model: engine.Model) -> str:
    heads = sorted({r.head.pred for r in model.program.rules})
    lines = []
    for pred in heads:
        rows = sorted(model.relation(pred), key=row_key)
        lines.append(f"{pred}: {len(rows)}")
        lines += [f"  {show_atom(pred, r)}" for r in rows]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_eval_golden(case: Path, update_goldens: bool) -> None:
    program = engine.load(case)
    with_prov = dump(program.evaluate())
    assert dump(program.evaluate(provenance=False)) == with_prov
    compare(case.with_suffix(".expected"), with_prov, update_goldens)
