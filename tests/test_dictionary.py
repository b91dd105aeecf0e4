"""The vectorized path's dictionary: one code per value, however the value arrives (a column of
integers, a list of Python values, one at a time), and the numbers it keeps per code."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.evaluation.dictionary import SAFE_INT, Dictionary, int_key
from engine.values import String, Value

INT64_MAX = (1 << 63) - 1

POOL: list[Value] = [
    0, 1, -1, 50, 7, SAFE_INT, -SAFE_INT, SAFE_INT - 1, INT64_MAX, -INT64_MAX - 1, 1 << 70,
    Decimal("50"), Decimal("50.0"), Decimal("50.5"), Decimal("1.50"), Decimal("1.5"), Decimal("-0"),
    Decimal("1E+3"), Decimal("1000"), Decimal("1E+40"), 1000,
    "turkey", String("turkey"), "a", String("50"), "50",
]
values = st.sampled_from(POOL)
ints = st.sampled_from([v for v in POOL if type(v) is int and -INT64_MAX - 1 <= v <= INT64_MAX])
ops = st.lists(st.one_of(
    st.tuples(st.just("list"), st.lists(values, max_size=8)),
    st.tuples(st.just("ints"), st.lists(ints, max_size=8)),
    st.tuples(st.just("one"), values),
    st.tuples(st.just("numbers"), st.none()),
), max_size=12)


def apply(d: Dictionary, op: str, arg: object) -> list[tuple[Value, int]]:
    """Run one operation; the (value, code) pairs it gave."""
    if op == "list":
        vals = list(arg)  # type: ignore[call-overload]
        return list(zip(vals, d.encode(vals).tolist()))
    if op == "ints":
        vals = list(arg)  # type: ignore[call-overload]
        return list(zip(vals, d.encode_ints(np.array(vals, dtype=np.int64)).tolist()))
    if op == "one":
        return [(arg, d.code(arg))]  # type: ignore[arg-type]
    d.numbers()
    return []


@settings(max_examples=300, deadline=None)
@given(ops)
def test_one_code_per_value_whichever_way_it_came(sequence: list[tuple[str, object]]) -> None:
    d = Dictionary()
    seen: list[tuple[Value, int]] = []
    for op, arg in sequence:
        seen += apply(d, op, arg)
    for v, c in seen:
        assert d.values[c] == v and d.find(v) == c
        for w, e in seen:
            assert (c == e) == (v == w), (v, w)
    assert sorted(set(c for _v, c in seen)) == list(range(len(d.values)))  # dense, nothing else added
    nums, small = d.numbers()
    assert len(nums) == len(small) == len(d.values)
    for c, v in enumerate(d.values):
        moderate_int = type(v) is int and -SAFE_INT < v < SAFE_INT
        assert bool(small[c]) == moderate_int
        assert int(nums[c]) == (v if moderate_int else 0)
    assert d.decode(np.array([c for _v, c in seen], dtype=np.int64)) == [d.values[c] for _v, c in seen]


def test_a_decimal_equal_to_an_integer_shares_its_code_and_keeps_its_first_spelling() -> None:
    d = Dictionary()
    first = d.code(Decimal("50.0"))
    assert d.encode_ints(np.array([7, 50], dtype=np.int64)).tolist() == [1, first]
    assert d.values[first] == Decimal("50.0") and not d.numbers()[1][first]
    assert d.find(50) == first and d.find(Decimal("50.5")) is None


def test_int_key() -> None:
    assert int_key(5) == 5 and int_key(Decimal("5.00")) == 5 and int_key(Decimal("1E+2")) == 100
    assert int_key(Decimal("5.5")) is None and int_key(1 << 64) is None and int_key(Decimal("1E+30")) is None
    assert int_key("5") is None and int_key(String("5")) is None


def test_decode_from_the_list_or_the_object_array_gives_the_same_values() -> None:
    d = Dictionary()
    d.encode_ints(np.arange(1000, dtype=np.int64))
    d.encode(["a", String("a"), Decimal("2.5")])
    few = np.array([1000, 1001, 1002, 7], dtype=np.int64)
    by_list = d.decode(few)  # 4 codes, 1003 values not in the object array yet: from the list
    assert len(d.objects()) == 1003
    assert by_list == d.decode(few) == ["a", String("a"), Decimal("2.5"), 7]
    assert [type(v) for v in by_list] == [str, String, Decimal, int]


def test_integers_looked_up_by_table_or_search_keep_their_codes() -> None:
    d = Dictionary()
    ids = np.arange(5000, dtype=np.int64) * 3
    first = d.encode_ints(ids)
    assert d.ints.by_key(len(ids)) is not None  # a narrow range: a table
    assert d.encode_ints(ids[::-1]).tolist() == first[::-1].tolist()
    probe = np.array([1, 3, 14997, 15000, -3], dtype=np.int64)  # in the range but absent, past it, before it
    got = d.encode_ints(probe)
    assert got[1] == first[1] and got[2] == first[4999] and len(set(got.tolist())) == 5
    assert [d.values[c] for c in got.tolist()] == probe.tolist()
    far = d.encode_ints(np.array([1 << 50, 6], dtype=np.int64))  # a wide range now: searched
    assert d.ints.by_key(2) is None
    assert far[1] == first[2] and d.values[far[0]] == 1 << 50
    assert d.encode_ints(ids).tolist() == first.tolist()


# Columns of one kind each, as relations hold them: ids (int64, negative too), integers past int64, text
# (symbols and strings of the same spelling), and any value at all (decimals equal to integers or not).
# (No bools: they are no values, engine.values.kind_of, and no input gives one.)
WIDE = [1 << 63, -(1 << 63) - 1, 1 << 70, -(1 << 70)]
TEXT: list[Value] = ["turkey", String("turkey"), "a", String("a"), "50", String("50"), "1.5", ""]
KINDS = {
    "ids": st.integers(-(1 << 63), INT64_MAX),
    "wide": st.one_of(st.sampled_from(WIDE), st.integers(-5, 5)),
    "text": st.sampled_from(TEXT),
    "any": st.one_of(values, st.sampled_from(WIDE + TEXT + [Decimal("-1E+2"), -100, Decimal("1E+19")]),
                     st.integers(-3, 3)),
}


@st.composite
def relations(draw: st.DrawFn) -> tuple[list[Value], set[tuple[Value, ...]]]:
    """Values coded before (so a decimal may come first and keep its spelling), and a set of tuples."""
    kinds = draw(st.lists(st.sampled_from(sorted(KINDS)), min_size=1, max_size=3))
    rows = draw(st.sets(st.tuples(*(KINDS[k] for k in kinds)), max_size=30))
    return draw(st.lists(values, max_size=4)), rows


def typed(row: tuple[Value, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((type(v).__name__, repr(v)) for v in row)


@settings(max_examples=300, deadline=None)
@given(relations())
def test_a_relation_held_as_tuples_encodes_as_its_values_one_at_a_time(case: tuple[list[Value], set[tuple[Value, ...]]]) -> None:
    from engine.evaluation.relation import Relation
    from engine.evaluation.vector import Encodings, Stratum

    before, ts = case
    arity = len(next(iter(ts))) if ts else 1
    rel = Relation("r", arity)
    rel.tuples = set(ts)
    encodings = Encodings()
    for v in before:
        encodings.dictionary.code(v)
    cols = Stratum({"r": rel}, encodings, arity, 1 << 20).encoded(rel)
    # the reference: every value coded alone, in the order the tuples are held, a column after another
    ref = Dictionary()
    for v in before:
        ref.code(v)
    held = rel.tuples  # (in the order the relation holds them: a copy of a set may iterate otherwise)
    ref_cols = [[ref.code(v) for v in col] for col in zip(*held)] if held else [[] for _ in range(arity)]
    d = encodings.dictionary
    got = [typed(row) for row in zip(*[d.decode(c) for c in cols])]
    want = [typed(tuple(ref.values[c] for c in row)) for row in zip(*ref_cols)]
    assert sorted(got) == sorted(want) and len(got) == len(ts)
    assert len(d.values) == len(ref.values)  # one code per value: none split, none merged
    for c, v in enumerate(d.values):
        assert d.find(v) == c


def test_integers_coded_a_column_at_a_time_decode_before_and_after_they_are_made_python_ints() -> None:
    """`Dictionary.values` makes the integers coded in columns Python ints only when asked for; a few codes
    decode without that (`Dictionary.value`), and the values are the same, as are codes added after."""
    d = Dictionary()
    first = d.encode(["a", "b"])
    ints = d.encode_ints(np.array([5, 1 << 60, -3, 5], dtype=np.int64))
    sym = d.code("c")
    many = d.encode_ints(np.arange(1000, 1100, dtype=np.int64))  # (more codes than a few to decode)
    more = d.encode_ints(np.array([7, -3], dtype=np.int64))
    text = d.encode([String("s"), "a"])
    codes = np.concatenate([first, ints, [sym], many[:2], more, text]).astype(np.int64)
    want = ["a", "b", 5, 1 << 60, -3, 5, "c", 1000, 1001, 7, -3, String("s"), "a"]
    assert len(d) == 108 and d._later  # (nothing made Python ints yet)
    got = d.decode(codes)
    assert got == want and [type(v) for v in got] == [type(v) for v in want] and d._later
    assert d.values[:6] == ["a", "b", -3, 5, 1 << 60, "c"] and len(d.values) == 108  # (a column's in order)
    assert d.decode(codes) == want and d.objects()[codes].tolist() == want
    assert d.code(8) == 108 and d.values[108] == 8 and d.find(7) == 106
