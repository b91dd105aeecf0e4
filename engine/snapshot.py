"""Snapshots: every derived relation, sorted, one tuple a line with its grade.

The format is meant to be committed: a header line, then `atom<TAB>grade`
lines (grade `-` when ungraded), sorted by predicate and by value order. The
same model always writes the same bytes, so a rule edit that changes no
conclusion leaves the file identical. A snapshot is written whole or not at
all (`files.write_text`): an error, Ctrl-C or kill leaves the old one as it
was. A snapshot that cannot be read is an E104, one that cannot be written an
E105, both at the path as given.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from . import files
from .errors import SyllogError
from .loader import display_path, unreadable, write_named
from .provenance import show as show_grade
from .values import show_atom, sort_rows

if TYPE_CHECKING:
    from .model import Model

HEADER = "# syllog snapshot: derived tuples, one a line, with their grade (- when ungraded)"


def snapshot_lines(model: Model, only: list[str] | None = None) -> list[str]:
    preds = sorted({r.head.pred for r in model.program.rules})
    if only:
        preds = [p for p in preds if p in only]
    lines = []
    for pred in preds:
        rel = model.relations[pred]
        groups = rel.sorted_groups() if not model.graded else None
        if groups is not None:  # a closure of millions of pairs: a line per pair, no tuple built
            for x, ys in groups:
                lead = f"{pred}({x}, "
                lines.extend([f"{lead}{y})\t-" for y in ys])
            continue
        rows = sort_rows(rel.tuples)
        if not model.graded:
            lines.extend([f"{show_atom(pred, row)}\t-" for row in rows])
            continue
        model.support.solve_grades([(pred, row) for row in rows])
        for row in rows:
            g = model.grade(pred, row)
            lines.append(f"{show_atom(pred, row)}\t{(show_grade(g) if g is not None else None) or '-'}")
    return lines


def snapshot_grades(model: Model, only: list[str] | None = None) -> dict[str, str]:
    """Every derived tuple, as written, with its grade (`-` when ungraded)."""
    return dict(line.split("\t", 1) for line in snapshot_lines(model, only))


def write_snapshot(model: Model, path: str | Path, only: list[str] | None = None) -> int:
    """Write the snapshot file whole (or raise E105 and leave the old one); returns the number of tuples."""
    lines = snapshot_lines(model, only)
    write_named(path, "\n".join([HEADER, *lines]) + "\n")
    return len(lines)


def read_snapshot(path: str | Path) -> dict[str, str]:
    """Atom text to grade text, from a snapshot file; E104 when it cannot be read."""
    p = Path(path)
    try:
        text = files.read_text(p)
    except files.FileTrouble as exc:
        raise SyllogError([unreadable(exc, display_path(p))]) from None
    out: dict[str, str] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        atom, _, grade = line.partition("\t")
        out[atom] = grade or "-"
    return out


def diff_snapshot(old: dict[str, str], new: dict[str, str]) -> list[str]:
    """Readable differences: `+ added`, `- removed`, `~ changed grade`."""
    lines = []
    for atom in sorted(set(old) | set(new)):
        if atom not in old:
            lines.append(f"+ {atom}\t{new[atom]}")
        elif atom not in new:
            lines.append(f"- {atom}\t{old[atom]}")
        elif old[atom] != new[atom]:
            lines.append(f"~ {atom}\t{old[atom]} -> {new[atom]}")
    return lines


def compare_snapshot(model: Model, path: str | Path, update: bool, only: list[str] | None = None) -> int:
    """Print the diff against a snapshot file; returns 1 on a difference, else 0."""
    p = Path(path)
    if update or not os.path.lexists(p):  # (never raises: a name too long is told when written)
        n = write_snapshot(model, p, only)
        print(f"snapshot {p} {'updated' if update else 'written'}: {n} tuples", file=sys.stderr)
        return 0
    old = read_snapshot(p)
    new = {}
    for line in snapshot_lines(model, only):
        atom, _, grade = line.partition("\t")
        new[atom] = grade
    diff = diff_snapshot(old, new)
    if not diff:
        return 0
    added = sum(1 for d in diff if d.startswith("+"))
    removed = sum(1 for d in diff if d.startswith("-"))
    changed = len(diff) - added - removed
    print(f"{p}: snapshot differs: {added} added, {removed} removed, {changed} changed grade")
    for d in diff:
        print(f"  {d}")
    print("  (run with --update to accept these changes)\n")
    return 1
