"""Python's cyclic garbage collector, held off while a stage builds many objects and no cycles.

Loading a program, evaluating it and grading a query's answers allocate
millions of tuples, sets and AST nodes and make no reference cycles: the
collector, which starts a young collection every 700 allocations and now and
then walks every live object, would scan them again and again (some 10-40 %
of loading and grading a knowledge base of 10,000 cited facts). `held_off()`
disables it for the stage; on leaving, the stage's objects go straight to the
oldest generation (an O(1) splice: `gc.freeze()` then `gc.unfreeze()`), so the
next young collection does not traverse them. Nested stages leave the
collector to the outermost; a collector already disabled is left so.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def held_off() -> Iterator[None]:
    """No cyclic collection inside the block (see the module docstring)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        gc.enable()
