"""engine.collector.held_off: the cyclic collector off inside a stage, back on after, nesting left to the outermost."""

from __future__ import annotations

import gc

import pytest

import engine
from engine.collector import held_off


def test_off_inside_and_on_after() -> None:
    assert gc.isenabled()
    with held_off():
        assert not gc.isenabled()
        with held_off():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner stage leaves it to the outer one
    assert gc.isenabled()


def test_on_again_after_an_error() -> None:
    with pytest.raises(ValueError), held_off():
        raise ValueError("boom")
    assert gc.isenabled()


def test_a_collector_disabled_already_stays_disabled() -> None:
    gc.disable()
    try:
        with held_off():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_loading_and_asking_leave_it_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading, evaluating and answering run with it off (a parse sees it off) and leave it on."""
    import engine.loader as loader

    seen: list[bool] = []
    parse = loader.parse

    def spying_parse(*args: object, **kwargs: object) -> object:
        seen.append(gc.isenabled())
        return parse(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(loader, "parse", spying_parse)
    prog = engine.load_text("e(1, 2). e(2, 3).\np(X, Z) :- e(X, Y), e(Y, Z).\n")
    assert seen and not any(seen)
    assert gc.isenabled()
    answers = prog.evaluate().query("p(X, Y)")
    assert answers.rows == [(1, 3)]
    assert gc.isenabled()
