"""Optional dependencies: imported on first use, with one clear message when one is missing.

`require(module, purpose, install)` imports a package that only some uses
need (the SQL backends, Parquet files, dataframes); when it is not installed
it raises `MissingDependency`, an ImportError whose message says what needed
it and the pip command that installs it. `as_diagnostic` turns that into a
positioned error for the commands (E903 for a backend, E706 for a data file).
"""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import NO_SPAN, Span, SyllogError, error

SQL_EXTRA = "'syllog[sql]'"
SPARK_EXTRA = "'syllog[spark]'"
PARQUET_EXTRA = "'syllog[parquet]'"
DATAFRAMES_EXTRA = "'syllog[dataframes]'"


class MissingDependency(ImportError):
    """An optional package that is not installed; `install` is what to run."""

    def __init__(self, module: str, purpose: str, install: str) -> None:
        self.purpose = purpose
        self.install = install
        super().__init__(f"{purpose} needs the Python package `{module}`, which is not installed; "
                         f"install it with: pip install {install}", name=module)


def require(module: str, purpose: str, install: str) -> ModuleType:
    """Import `module`, or raise `MissingDependency` saying that `purpose` needs it.

    >>> require("json", "reading", "json").__name__
    'json'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        if exc.name is not None and not module.startswith(exc.name) and exc.name != module:
            raise  # the package is there but broken: let its own error show
        raise MissingDependency(module, purpose, install) from None


def as_diagnostic(exc: MissingDependency, code: str, span: Span = NO_SPAN) -> SyllogError:
    """The missing package as an error of the commands, with the install command as its help."""
    purpose = exc.purpose[:1].upper() + exc.purpose[1:]
    return SyllogError([error(code, f"{purpose} needs the Python package `{exc.name}`, which is not installed",
                              span, help=f"pip install {exc.install}")])
