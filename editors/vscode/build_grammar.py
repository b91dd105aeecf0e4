"""Writes syntaxes/syllog.tmLanguage.json from the lexer's table (engine/syntax/highlight.py).

Run from the repository root after changing the grammar's terminals or the
highlighting rules: `python editors/vscode/build_grammar.py`. A test checks
that the shipped file is what this writes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from engine.syntax.highlight import textmate_grammar  # noqa: E402

if __name__ == "__main__":
    out = HERE / "syntaxes" / "syllog.tmLanguage.json"
    out.write_text(json.dumps(textmate_grammar(), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")
