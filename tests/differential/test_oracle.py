"""Syllog against the naive oracle on random programs.

Run more examples with SYLLOG_DIFF_EXAMPLES=5000 pytest tests/differential.
"""

from __future__ import annotations

from hypothesis import given

from .generator import Program, programs
from .harness import diff_settings, report, syllog_relations
from .oracle import evaluate


@diff_settings(300)
@given(programs())
def test_syllog_agrees_with_oracle(program: Program) -> None:
    expected = evaluate(program)
    actual = syllog_relations(program)
    assert all(expected.get(p, set()) == actual[p] for p in program.preds), report(program, expected, actual)


@diff_settings(80)
@given(programs())
def test_without_provenance_same_result(program: Program) -> None:
    expected = evaluate(program)
    with_prov = syllog_relations(program)
    without = syllog_relations(program, provenance=False)
    assert with_prov == without, report(program, with_prov, without, who="provenance=True", against="provenance=False")
    assert all(expected.get(p, set()) == without[p] for p in program.preds), report(program, expected, without)
