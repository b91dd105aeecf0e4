"""Syllog: a Datalog engine with evidence.

The pipeline, one stage a module:
text --syntax--> AST --analysis--> checked program + strata --plan--> rule plans
--evaluation--> Model (relations + provenance) --> query / why / test / export.
"""

from __future__ import annotations

from .api import Loaded, load, load_text
from .errors import Diagnostic, SyllogError
from .model import Answers, Model
from .proof.tree import ProofNode
from .provenance import Grade
from .session import Change, Session
from .values import String

__all__ = ["load", "load_text", "Loaded", "Model", "Answers", "ProofNode", "Grade", "Session", "Change",
           "SyllogError", "Diagnostic", "String"]
__version__ = "0.1.0"
