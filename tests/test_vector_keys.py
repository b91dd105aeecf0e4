"""Row keys of the vectorized path: codes as digits of a radix a little above the dictionary's size, made
again when the dictionary outgrows it (`Keys.generation`), so that keys kept from before never meet new ones."""

from __future__ import annotations

import numpy as np

from engine.evaluation import vector
from engine.evaluation.relation import Relation
from engine.evaluation.vector import Encodings, Keys, Stratum, largest_radix


def stratum_of(rows: set[tuple[object, ...]]) -> Stratum:
    rel = Relation("p", 2)
    rel.tuples = rows  # type: ignore[assignment]
    return Stratum({"p": rel}, Encodings(), 2, piece_rows=1 << 20)


def test_keys_kept_before_the_radix_grows_are_made_again() -> None:
    st = stratum_of({(1, 2), (2, 3)})
    st.keys_of("p")  # kept, of the first generation
    radix = st.keys.radix
    for v in range(100, 100 + radix):  # the dictionary outgrows the radix
        st.dictionary.code(v)
    one, two, three = (st.dictionary.code(v) for v in (1, 2, 3))
    cols = [np.array([one, two, three], dtype=np.int64), np.array([two, three, one], dtype=np.int64)]
    new = st.new_rows("p", cols)  # (1, 2) and (2, 3) are in p already; (3, 1) is new
    assert st.keys.radix > radix and st.keys.generation == 1
    assert [st.dictionary.decode(c) for c in new] == [[3], [1]]
    assert sorted(zip(*[st.dictionary.decode(c) for c in st.table("p")])) == [(1, 2), (2, 3), (3, 1)]


def test_keys_are_the_rows_order_in_any_radix() -> None:
    d = vector.Dictionary()
    d.encode_ints(np.arange(10, dtype=np.int64))
    a, b = Keys(d, 2), Keys(d, 2)
    b.radix = 1000
    cols = [np.array([3, 1, 1, 9], dtype=np.int64), np.array([0, 7, 2, 9], dtype=np.int64)]
    assert np.argsort(a.of(cols, 4)).tolist() == np.argsort(b.of(cols, 4)).tolist() == [2, 1, 0, 3]


def test_largest_radix() -> None:
    for width in (1, 2, 3, 4, 7):
        r = largest_radix(width)
        assert r ** width <= 1 << vector.KEY_BITS < (r + 1) ** width
