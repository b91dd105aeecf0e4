"""The declared column types agree with themselves: what `.input` reads for a type is a value the type
accepts, of a kind its columns hold (engine/column_types.py, read by analysis, the readers and SQL)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.column_types import TYPES, column_ok, compatible, declared_kinds, reader, type_ok
from engine.values import String, kind_of

FIELDS = ["7", "-12", "0", "1.50", "-0.25", "1e3", "abc", "a b", "", "nan", "Infinity", "12x"]


@pytest.mark.parametrize("t", TYPES)
def test_what_a_type_reads_it_accepts_and_its_columns_hold(t: str) -> None:
    read = 0
    for text in FIELDS:
        try:
            v = reader(t)(text)
        except (ValueError, ArithmeticError):
            continue
        read += 1
        assert type_ok(t, v), (t, text, v)
        assert column_ok(t, [v]), (t, text, v)
        assert kind_of(v) in declared_kinds(t), (t, text, v)
    assert read >= 3  # each type reads some of them


def test_what_each_type_reads() -> None:
    assert [reader("int")(s) for s in ("7", "-12")] == [7, -12]
    assert reader("number")("1.50") == Decimal("1.50") and reader("number")("7") == 7
    assert reader("any")("abc") == "abc" and reader("any")("1.5") == Decimal("1.5")
    assert reader("string")("a b") == String("a b") and reader("symbol")("7") == "7"
    for t, text in (("int", "1.5"), ("number", "abc"), ("number", "nan"), ("number", "Infinity")):
        with pytest.raises((ValueError, ArithmeticError)):
            reader(t)(text)
    assert reader("any")("nan") == "nan"  # not a number Syllog holds: a symbol


def test_which_values_each_type_accepts() -> None:
    assert type_ok("number", 2) and type_ok("number", Decimal("2.5")) and not type_ok("number", "a")
    assert type_ok("int", 2) and not type_ok("int", Decimal("2")) and not type_ok("int", True)
    assert type_ok("symbol", "a") and not type_ok("symbol", String("a"))
    assert type_ok("string", String("a")) and not type_ok("string", "a")
    assert all(type_ok("any", v) for v in (1, Decimal("1.5"), "a", String("a")))
    assert not column_ok("int", [1, 2, Decimal("3")]) and column_ok("number", [1, Decimal("3")])
    assert type_ok("colour", "a") and declared_kinds("colour") == declared_kinds("any")  # E304 reports it


def test_which_types_share_a_variable() -> None:
    pairs = {(a, b) for a in TYPES for b in TYPES if compatible(a, b)}
    assert pairs == {(a, b) for a, b in pairs if (b, a) in pairs}  # symmetric
    assert ("int", "number") in pairs and ("symbol", "any") in pairs
    assert ("int", "symbol") not in pairs and ("symbol", "string") not in pairs and ("number", "string") not in pairs
