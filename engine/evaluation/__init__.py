"""Evaluation stage: semi-naive fixpoint over hash-indexed relations."""

from __future__ import annotations

from .fixpoint import Evaluator, Limits
from .limits import BY_BACKEND, DEFAULT_MAX_TUPLES
from .options import EvaluationOptions
from .relation import Relation

__all__ = ["BY_BACKEND", "EvaluationOptions", "Evaluator", "Limits", "Relation", "DEFAULT_MAX_TUPLES"]
