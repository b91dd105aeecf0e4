"""File-system oddities for the tests to read and write, made in a folder (git cannot keep a FIFO, nor these sizes).

`fifo` (a FIFO), `loop` (a symlink to itself), `dangling` (a symlink to
nothing), `folder/`, `doc.txt` (two lines), `e.csv` (one row of two
integers), `long_line.csv` (a line of 2 MiB), `deep.jsonl` (a JSON line
nested 100,000 deep) and `tree/` (a folder of `.dl` files: `a.dl` good,
`b.dl` a FIFO, `c.dl` a symlink loop, `d.dl` a dangling symlink).
"""

from __future__ import annotations

import os
from pathlib import Path


def make_oddities(folder: Path) -> Path:
    os.mkfifo(folder / "fifo")
    (folder / "loop").symlink_to("loop")
    (folder / "dangling").symlink_to("nothing here")
    (folder / "folder").mkdir()
    (folder / "doc.txt").write_text("a line\nanother\n", encoding="utf-8")
    (folder / "e.csv").write_text("1,2\n", encoding="utf-8")
    (folder / "long_line.csv").write_text("a,1\n" + "b" * (2 << 20) + ",2\n", encoding="utf-8")
    (folder / "deep.jsonl").write_text("[1]\n" + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    tree = folder / "tree"
    tree.mkdir()
    (tree / "a.dl").write_text("e(1).\n", encoding="utf-8")
    os.mkfifo(tree / "b.dl")
    (tree / "c.dl").symlink_to("c.dl")
    (tree / "d.dl").symlink_to("gone.dl")
    return folder
