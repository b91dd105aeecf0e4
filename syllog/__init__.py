"""`import syllog`: the documented name of Syllog's Python API (the implementation lives in `engine`).

A thin alias: everything here is `engine`'s public API (`engine.__all__`), so
`syllog.load(["rules/", "facts/"]).evaluate()` and `engine.load(...).evaluate()`
are the same call, and their values are the same classes
(`syllog.Model is engine.Model`).

    >>> import syllog
    >>> syllog.load_text("e(1). p(X) :- e(X).").evaluate().relation("p")
    {(1,)}
"""

from __future__ import annotations

import engine
from engine import *  # noqa: F403  (the public API, as engine.__all__ lists it)

__all__ = list(engine.__all__)
__version__ = engine.__version__
