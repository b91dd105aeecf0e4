"""Shared plumbing of the differential tests: example counts and running Syllog."""

from __future__ import annotations

import os
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import replace
from decimal import Decimal

from hypothesis import HealthCheck, settings

from engine.evaluation.options import DEFAULT_OPTIONS, EvaluationOptions

from .generator import Program, render


def examples(default: int) -> int:
    """`default`, or the number in SYLLOG_DIFF_EXAMPLES (to crank a run up)."""
    return int(os.environ.get("SYLLOG_DIFF_EXAMPLES", default))


def diff_settings(default: int) -> settings:
    return settings(
        max_examples=examples(default),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        print_blob=True,
    )


def norm(v: object) -> object:
    """Exact Python values: a value of any other type stays distinguishable."""
    if type(v) is int or type(v) is str or type(v) is Decimal:
        return v
    return ("unexpected", type(v).__name__, repr(v))


def syllog_relations(program: Program, provenance: bool = True,
                     options: EvaluationOptions = DEFAULT_OPTIONS) -> dict[str, set[tuple[object, ...]]]:
    """Every predicate of `program` as Syllog evaluates it (with the evaluator's `options`)."""
    import engine

    text = render(program)
    try:
        model = engine.load_text(text, path="gen.dl").evaluate(provenance=provenance, options=options)
    except engine.SyllogError as e:
        raise AssertionError(f"Syllog rejected a valid program:\n{text}\n{e}") from e
    return {p: {tuple(map(norm, row)) for row in model.relation(p)} for p in program.preds}


def report(
    program: Program,
    expected: Mapping[str, AbstractSet[tuple[object, ...]]],
    actual: Mapping[str, AbstractSet[tuple[object, ...]]],
    who: str = "oracle",
    against: str = "syllog",
) -> str:
    """The program and every relation on which `who` and `against` differ."""
    lines = ["", render(program)]
    for p in program.preds:
        exp, act = expected.get(p, set()), actual.get(p, set())
        if exp != act:
            lines.append(f"{p}: {who} {sorted(exp, key=repr)}")
            lines.append(f"{p}: {against} {sorted(act, key=repr)}")
            lines.append(f"{p}:   missing {sorted(exp - act, key=repr)} extra {sorted(act - exp, key=repr)}")
    return "\n".join(lines)


def relations_without(strategy: str, program: Program, provenance: bool = False) -> dict[str, set[tuple[object, ...]]]:
    """The relations with one of the evaluator's strategies turned off (a field of EvaluationOptions).

    `chain_strata`: the general path only; `closures`: chain strata in rounds.
    """
    return syllog_relations(program, provenance, replace(DEFAULT_OPTIONS, **{strategy: False}))
