"""Syntax stage: text to AST (`parse`) and AST to canonical text (`pretty`)."""

from __future__ import annotations

from .parser import parse
from .pretty import pretty

__all__ = ["parse", "pretty"]
