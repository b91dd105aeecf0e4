"""What if a source is wrong? Evidence revised, and what that changes in the conclusions.

Stage: over a checked program and its in-memory model. `revise` gives the
program with some evidence taken out or regraded: citations of dropped
sources or originators removed (a fact statement left with no citation is
retracted; one citing another source too keeps that one), sources given
another reliability, cited lines another credibility, or only the sources
dated on or before a day kept (`as_of`). `whatif` moves the model to the
revised program by incremental evaluation, reads every derived conclusion
and its grade, and moves it back: the model is as it was afterwards. Each
change comes with the revised evidence it rests on.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import nodes as n
from .analysis import Fact, Facts, Program
from .errors import Span, SyllogError, error
from .evaluation.incremental import update
from .provenance import RELIABILITY
from .snapshot import snapshot_grades
from .values import show

DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class EvidenceChange:
    """Evidence to take out or regrade (see `revise`)."""

    drop_sources: frozenset[str] = frozenset()
    drop_originators: frozenset[str] = frozenset()
    reliability: Mapping[str, str] = field(default_factory=dict)  # source -> letter a-f
    credibility: Mapping[tuple[str, int], int] = field(default_factory=dict)  # (source, line) -> digit 1-6
    as_of: str | None = None  # keep only the sources dated on or before this day (YYYY-MM-DD)

    def __bool__(self) -> bool:
        return bool(self.drop_sources or self.drop_originators or self.reliability or self.credibility or self.as_of)


@dataclass(frozen=True)
class Touched:
    """One cited line the change takes out or regrades, and how."""

    source: str
    line: int
    what: str  # "dropped (source nyt)", "reliability b -> d", ...


@dataclass
class Revision:
    program: Program
    removed: list[Fact]  # fact statements left with no citation
    touched: dict[tuple[str, int], list[Touched]]


@dataclass(frozen=True)
class Conclusion:
    """A derived conclusion that the change makes fall (`-`), appear (`+`) or regrade (`~`)."""

    change: str
    atom: str
    before: str | None
    after: str | None
    because: tuple[Touched, ...]

    def lines(self) -> list[str]:
        if self.change == "~":
            head = f"~ {self.atom}\t{self.before or '-'} -> {self.after or '-'}"
        else:
            head = f"{self.change} {self.atom}\t{(self.after if self.change == '+' else self.before) or '-'}"
        return [head] + [f"    because {t.source} line {t.line}: {t.what}" for t in self.because]

    def to_json(self) -> dict[str, Any]:
        return {"change": self.change, "atom": self.atom, "before": self.before, "after": self.after,
                "because": [{"source": t.source, "line": t.line, "what": t.what} for t in self.because]}


def change_from(drop_source: list[str] | None = None, drop_originator: list[str] | None = None,
                reliability: list[str] | None = None, credibility: list[str] | None = None,
                as_of: str | None = None) -> EvidenceChange:
    """An `EvidenceChange` from the options as typed: `ID=LETTER` and `ID:LINE=DIGIT` (E960 if malformed)."""
    rel: dict[str, str] = {}
    for spec in reliability or []:
        sid, eq, letter = spec.partition("=")
        if not eq or not sid or not letter:
            raise _fail(f"`--reliability {spec}`: write SOURCE=LETTER", help="for example --reliability nyt=c")
        rel[sid.strip()] = letter.strip().lower()
    cred: dict[tuple[str, int], int] = {}
    for spec in credibility or []:
        m = re.fullmatch(r"\s*([^:=\s]+)\s*:\s*(\d+)\s*=\s*(\d+)\s*", spec)
        if m is None:
            raise _fail(f"`--credibility {spec}`: write SOURCE:LINE=DIGIT", help="for example --credibility nyt:7=5")
        cred[(m.group(1), int(m.group(2)))] = int(m.group(3))
    return EvidenceChange(frozenset(drop_source or ()), frozenset(drop_originator or ()), rel, cred, as_of)


def summary(changes: list[Conclusion]) -> str:
    """`2 fall, 1 appears, 3 change grade` (or that nothing changes)."""
    if not changes:
        return "no conclusion changes"
    fall = sum(c.change == "-" for c in changes)
    appear = sum(c.change == "+" for c in changes)
    regrade = len(changes) - fall - appear
    return (f"{fall} fall{'s' * (fall == 1)}, {appear} appear{'s' * (appear == 1)}, "
            f"{regrade} change{'s' * (regrade == 1)} grade")


def _fail(message: str, help: str | None = None) -> SyllogError:
    return SyllogError([error("E960", message, Span("<whatif>", 1, 1, 1, 1), help=help)])


def validate(program: Program, change: EvidenceChange) -> None:
    """E960 for a source that the program does not declare, a grade out of range, or a date that is no date."""
    known = ", ".join(sorted(program.sources)) or "none"
    for sid in [*change.drop_sources, *change.reliability, *(s for s, _l in change.credibility)]:
        if sid not in program.sources:
            raise _fail(f"unknown source `{sid}`", help=f"sources: {known}")
    for sid, letter in change.reliability.items():
        if letter not in RELIABILITY or len(letter) != 1:
            raise _fail(f"reliability of `{sid}` must be a letter from a to f, got `{letter}`")
    for (sid, line), digit in change.credibility.items():
        if not 1 <= digit <= 6:
            raise _fail(f"credibility of `{sid}` line {line} must be a digit from 1 to 6, got {digit}")
    if change.as_of is not None and not DATE.fullmatch(change.as_of):
        raise _fail(f"`{change.as_of}` is not a date", help="write it YYYY-MM-DD")
    if change.as_of is not None:
        for info in program.sources.values():
            if not DATE.fullmatch(info.date):
                raise SyllogError([error("E407", f"source `{info.id}` is dated `{info.date}`, not YYYY-MM-DD",
                                         info.span, help="--as-of compares the dates of sources")], program.text)


def revise(program: Program, change: EvidenceChange) -> Revision:
    """The program with the change's evidence taken out or regraded."""
    validate(program, change)
    later = {s for s, info in program.sources.items() if change.as_of is not None and info.date > change.as_of}
    dropped_sources = set(change.drop_sources) | later
    sources = {s: dataclasses.replace(info, reliability=change.reliability[s]) if s in change.reliability else info
               for s, info in program.sources.items()}
    touched: dict[tuple[str, int], list[Touched]] = {}

    def note(c: n.Citation, what: str) -> None:
        t = Touched(c.source, c.line, what)
        if t not in touched.setdefault((c.source, c.line), []):
            touched[(c.source, c.line)].append(t)

    facts: list[Fact] = []
    removed: list[Fact] = []
    for f in program.facts:
        if not f.cites:
            facts.append(f)
            continue
        kept: list[n.Citation] = []
        for c in f.cites:
            origin = show(c.originator) if c.originator is not None else None
            if c.source in dropped_sources:
                note(c, f"dropped (source {c.source}" + (f", dated after {change.as_of})" if c.source in later else ")"))
            elif origin is not None and origin in change.drop_originators:
                note(c, f"dropped (originator {origin})")
            else:
                kept.append(_regraded(c, change, program, note))
        if not kept:
            removed.append(f)
        elif kept != list(f.cites):
            facts.append(dataclasses.replace(f, cites=tuple(kept)))
        else:
            facts.append(f)
    return Revision(dataclasses.replace(program, facts=Facts(facts), sources=sources), removed, touched)


def _regraded(c: n.Citation, change: EvidenceChange, program: Program, note: Any) -> n.Citation:
    if c.source in change.reliability:
        old = program.sources[c.source].reliability
        if old != change.reliability[c.source]:
            note(c, f"reliability {old} -> {change.reliability[c.source]}")
    digit = change.credibility.get((c.source, c.line))
    if digit is not None and digit != c.credibility:
        note(c, f"credibility {c.credibility} -> {digit}")
        return dataclasses.replace(c, credibility=digit)
    return c


def whatif(model: Any, change: EvidenceChange) -> list[Conclusion]:
    """The conclusions that fall, appear or change grade under the change; the model is left as it was."""
    program = model.program
    revision = revise(program, change)
    before = snapshot_grades(model)
    ev = model._ev
    update(ev, revision.program, [], revision.removed)
    try:
        after_model = type(model)(revision.program, ev, model.provenance)
        after = snapshot_grades(after_model)
        appeared = {a: after_model.explain(*_parse_key(after_model, a)) for a in after if a not in before}
    finally:
        update(ev, program, revision.removed, [])
        model.invalidate()
    out: list[Conclusion] = []
    for atom in sorted(set(before) | set(after)):
        b, a = before.get(atom), after.get(atom)
        if atom not in after:
            kind = "-"
        elif atom not in before:
            kind = "+"
        elif b != a:
            kind = "~"
        else:
            continue
        proof = appeared[atom] if kind == "+" else model.explain(*_parse_key(model, atom))
        out.append(Conclusion(kind, atom, b if atom in before else None, a if atom in after else None,
                              _because(proof, revision.touched, model if kind == "+" else None)))
    return out


def _parse_key(model: Any, atom: str) -> tuple[str, tuple[Any, ...]]:
    key: tuple[str, tuple[Any, ...]] | None = model.key_of(atom)
    assert key is not None
    return key


def _because(proof: Any, touched: dict[tuple[str, int], list[Touched]], before_model: Any) -> tuple[Touched, ...]:
    """The revised lines a proof cites; for a conclusion that appeared, those under what no longer holds."""
    lines = [t for ev in proof.evidence() for t in touched.get(ev, [])]
    if before_model is not None:
        stack = [proof]
        while stack:
            node = stack.pop()
            stack.extend(node.children)
            if node.kind == "absent" and node.pred:
                key = before_model.key_of(node.fact[4:])
                if key is not None and before_model.holds(*key):
                    old = before_model.explain(*key)
                    lines.extend(t for ev in old.evidence() for t in touched.get(ev, []))
    return tuple(dict.fromkeys(lines))
