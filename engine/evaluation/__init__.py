"""Evaluation stage: semi-naive fixpoint over hash-indexed relations."""

from __future__ import annotations

from .fixpoint import DEFAULT_MAX_TUPLES, Evaluator, Limits
from .relation import Relation

__all__ = ["Evaluator", "Limits", "Relation", "DEFAULT_MAX_TUPLES"]
