"""The commands shown in the Markdown docs, and what each is shown to print (for tests/test_docs.py).

What counts as a shown command, in README.md, docs/*.md and examples/*/README.md:

- a code block (fenced, or indented four spaces) whose first line starts with
  `$ `: a console session. Each `$ syllog ...` line is a command; the lines
  under it, up to the next `$ ` line, are its output. `$ syllog repl ...`
  starts a REPL transcript: each `syllog> ` line (with its `    ... `
  continuation lines) is an input and the lines under it its output. A
  command may end in `| grep ...` (or another shell filter), run on its output;
- a code block of commands without output (each line one or more `syllog`
  commands joined by `&&`, a `#` comment after it): each must exit 0;
- a code block of Python that starts with `>>> `: a doctest, run as one;
- `syllog ...` in inline code with real paths (no placeholder such as PATH,
  GOAL or `...`, no `[option]`): it must exit 0.

An output shown abridged marks the cut with a line of its own, `...`: it
stands for any number of lines (none included), and the rest must appear in
order. Nothing else is normalised but trailing spaces: the commands run with
output that is not a terminal, so rich draws at its fixed width of 100
columns, as the docs show it.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).parent.parent
ELISION = "..."
PROMPT = "syllog> "
CONTINUATION = re.compile(r"^\s+\.\.\. ")


@dataclass
class Block:
    file: Path
    line: int  # 1-based line of the block's first line
    lines: list[str]


@dataclass
class Step:
    """One input of a REPL transcript and the lines it is shown to print."""

    text: str
    expected: list[str]


@dataclass
class Shown:
    """A command as a doc shows it; `expected` is None where no output is shown (it must then exit 0)."""

    file: Path
    line: int
    command: str
    expected: list[str] | None
    repl: list[Step] = field(default_factory=list)  # for `syllog repl`: the transcript's inputs
    doctest: str | None = None  # a `>>>` block's text
    @property
    def where(self) -> str:
        return f"{self.file.relative_to(ROOT)}:{self.line}"

    @property
    def argv(self) -> list[str]:
        """The syllog command's arguments (without `syllog` and any `| filter`)."""
        return shlex.split(self.command.split(" | ")[0].split(" > ")[0])[1:]  # `> file`: the shell's part

    @property
    def filter(self) -> str | None:
        parts = self.command.split(" | ", 1)
        return parts[1] if len(parts) == 2 else None


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "examples").glob("*/README.md"))]


def blocks(path: Path) -> list[Block]:
    """The code blocks of a Markdown file: fenced ones, and ones indented four spaces after a blank line."""
    out: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    k = 0
    while k < len(lines):
        line = lines[k]
        if line.startswith("```"):
            end = next((j for j in range(k + 1, len(lines)) if lines[j].startswith("```")), len(lines))
            out.append(Block(path, k + 2, lines[k + 1:end]))
            k = end + 1
            continue
        if line.startswith("    ") and line.strip() and (k == 0 or not lines[k - 1].strip()):
            end = k
            while end < len(lines) and (lines[end].startswith("    ") or not lines[end].strip()):
                end += 1
            body = [x[4:] for x in lines[k:end]]
            while body and not body[-1].strip():
                body.pop()
            if not _in_list(lines, k):
                out.append(Block(path, k + 1, body))
            k = end
            continue
        k += 1
    return out


def _in_list(lines: list[str], k: int) -> bool:
    """An indented paragraph under a list item is the item's text, not code."""
    back = k - 1
    while back >= 0 and not lines[back].strip():
        back -= 1
    return back >= 0 and bool(re.match(r"\s*([-*]|\d+\.) ", lines[back])) and not lines[back].startswith("    ")


def commands(path: Path) -> list[Shown]:
    """Every command the file shows, with its shown output where there is one."""
    out: list[Shown] = []
    for b in blocks(path):
        first = next((x for x in b.lines if x.strip()), "")
        if first.startswith("$ "):
            out.extend(_session(b))
        elif first.startswith(">>> "):
            out.append(Shown(path, b.line, "python doctest", None, doctest="\n".join(b.lines) + "\n"))
        elif all(_is_command_line(x) for x in b.lines if x.strip()) and any(x.strip() for x in b.lines):
            for k, x in enumerate(b.lines):
                for cmd in _commands_of(x):
                    out.append(Shown(path, b.line + k, cmd, None))
    text = path.read_text(encoding="utf-8")
    for m in re.finditer(r"`(syllog [^`]+)`", text):
        cmd = m.group(1)
        if _concrete(cmd):
            out.append(Shown(path, text.count("\n", 0, m.start()) + 1, cmd, None))
    return out


def _is_command_line(line: str) -> bool:
    s = line.strip()
    return s.startswith("#") or bool(_commands_of(line)) or s.startswith(("pip ", "python"))


def _commands_of(line: str) -> list[str]:
    code = line.split(" #", 1)[0].strip() if not line.lstrip().startswith("#") else ""
    return [c.strip() for c in code.split("&&") if c.strip().startswith("syllog ") and _concrete(c.strip())]


def _concrete(cmd: str) -> bool:
    """A command with real arguments, not a usage line (PATH, GOAL, `[--option]`, `...`)."""
    words = cmd.split()
    return len(words) >= 3 and not any(w.strip("\"[]|.") in ("PATH", "GOAL", "ATOM", "FILE", "K", "N", "SHELL")
                                       or w.startswith("[") or w.endswith("...") or "|" in w for w in words)


def _session(b: Block) -> list[Shown]:
    out: list[Shown] = []
    current: Shown | None = None
    joining = False
    for k, line in enumerate(b.lines):
        if joining and current is not None:  # the command goes on after a `\` at the end of its line
            current.command = current.command[:-1].rstrip() + " " + line.strip()
        elif line.startswith("$ "):
            current = Shown(b.file, b.line + k, line[2:].strip(), [])
            out.append(current)
        elif current is not None and current.expected is not None:
            current.expected.append(line)
        joining = current is not None and current.command.endswith("\\")
    for shown in out:
        if shown.argv[:1] == ["repl"]:
            shown.repl, shown.expected = _transcript(shown.expected or [])
    return [s for s in out if s.command.startswith("syllog ")]


def _transcript(lines: list[str]) -> tuple[list[Step], list[str]]:
    """(the inputs with their outputs, the banner printed before the first prompt)."""
    banner: list[str] = []
    steps: list[Step] = []
    for line in lines:
        if line.startswith(PROMPT):
            steps.append(Step(line[len(PROMPT):], []))
        elif steps and CONTINUATION.match(line) and not steps[-1].expected:
            steps[-1].text += "\n" + CONTINUATION.sub("", line)
        elif steps:
            steps[-1].expected.append(line)
        else:
            banner.append(line)
    return steps, banner


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether `actual` is `expected`, where a line `...` in `expected` stands for any lines."""
    exp = _trimmed(expected)
    act = _trimmed(actual)
    if ELISION not in [x.strip() for x in exp]:
        return exp == act
    parts: list[list[str]] = [[]]
    for x in exp:
        if x.strip() == ELISION:
            parts.append([])
        else:
            parts[-1].append(x)
    pos = 0
    for k, part in enumerate(parts):
        if not part:
            continue
        if k == 0:
            if act[:len(part)] != part:
                return False
            pos = len(part)
            continue
        found = next((j for j in range(pos, len(act) - len(part) + 1) if act[j:j + len(part)] == part), None)
        if found is None:
            return False
        pos = found + len(part)
    return not parts[-1] or act[len(act) - len(parts[-1]):] == parts[-1]


def _trimmed(lines: list[str]) -> list[str]:
    out = [x.rstrip() for x in lines]
    while out and not out[-1]:
        out.pop()
    while out and not out[0]:
        out.pop(0)
    return out
