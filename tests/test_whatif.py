"""What-if on evidence (engine/whatif.py), evidence as of a date, and the `whatif` command.

Goldens in tests/golden/whatif: the command's output for a small program in
which a conclusion falls, one appears through negation and one regrades.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from golden_util import compare, run_cli

import engine
from engine.whatif import EvidenceChange

ROOT = Path(__file__).parent.parent
HERE = Path(__file__).parent / "golden" / "whatif"
CASES = {
    "drop_originator": ["--drop-originator", "informant"],
    "drop_source": ["--drop-source", "wire"],
    "regrade": ["--credibility", "wire:3=5", "--reliability", "ministry=c"],
    "json": ["--drop-source", "ministry", "--format", "json"],
    "unknown_source": ["--drop-source", "nyt"],
    "malformed": ["--credibility", "wire=5"],
    "nothing": [],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_whatif_golden(case: str, update_goldens: bool) -> None:
    code, out = run_cli(["whatif", "watchlist.dl", *CASES[case]], HERE)
    compare(HERE / f"{case}.expected", f"exit {code}\n{out}", update_goldens)


def _state(model: engine.Model) -> dict[str, object]:
    preds = sorted({r.head.pred for r in model.program.rules})
    return {p: sorted((row, model.grade(p, row)) for row in model.relation(p)) for p in preds}


def test_dropping_the_western_intelligence_originator_makes_both_risks_fall() -> None:
    model = engine.load([ROOT / "rules", ROOT / "facts"]).evaluate()
    before = _state(model)
    changes = {c.atom: c for c in model.whatif(drop_originators=frozenset({"western_intelligence"}))}
    for partner in ("turkey", "south_africa"):
        c = changes[f"sanctions_bypass_risk(north_korea, {partner})"]
        assert (c.change, c.before, c.after) == ("-", "B3", None)
        assert [(t.source, t.line) for t in c.because] == [("nyt_2024_02_06", 7)]
    assert _state(model) == before  # the model is as it was
    assert model.why("sanctions_bypass_risk(north_korea, turkey)")[0].grade_text == "B3"


def test_lowering_the_times_reliability_regrades_the_risks() -> None:
    model = engine.load([ROOT / "rules", ROOT / "facts"]).evaluate()
    changes = {c.atom: c for c in model.whatif(reliability={"nyt_2024_02_06": "c"})}
    c = changes["sanctions_bypass_risk(north_korea, turkey)"]
    assert (c.change, c.before, c.after) == ("~", "B3", "C3")
    assert {c.change for c in changes.values()} == {"~"}  # no conclusion falls or appears


def test_a_conclusion_appears_through_negation_with_its_cause() -> None:
    model = engine.load(HERE / "watchlist.dl").evaluate()
    [c] = [c for c in model.whatif(drop_originators=frozenset({"informant"}))]
    assert (c.change, c.atom) == ("+", "cleared(s1)")
    assert [(t.source, t.line, t.what) for t in c.because] == [("wire", 1, "dropped (originator informant)")]
    assert model.relation("cleared") == {("s2",)}


def test_a_citation_of_another_source_keeps_its_fact() -> None:
    text = """.source a { title: "t", publisher: "p", date: "2024-01-01", document: "doc.txt", reliability: a }
.source b { title: "t", publisher: "p", date: "2024-01-01", document: "doc.txt", reliability: d }
@cite(a, line: 1, credibility: 1) @cite(b, line: 2, credibility: 2) p(x).
q(X) :- p(X).
"""
    model = engine.load_text(text, base=HERE).evaluate()
    [c] = model.whatif(drop_sources=frozenset({"a"}))
    assert (c.change, c.atom, c.before, c.after) == ("~", "q(x)", "A1", "D2")


def test_repl_whatif_leaves_the_session_as_it_was() -> None:
    import io

    from rich.console import Console

    from engine.repl import Repl
    from engine.session import Session

    out = io.StringIO()
    repl = Repl(Session([HERE / "watchlist.dl"]), Console(file=out, width=100, color_system=None))
    before = repl.session.state()
    repl.handle(":whatif --drop-source wire")
    assert "- risk(s2)" in out.getvalue() and "1 falls, 1 appears" in out.getvalue()
    assert repl.session.state() == before


def test_mrb_bank_as_of_a_date() -> None:
    """B3 before OFAC's designation of 19 September 2024, B2 after it."""
    for day, grade in (("2024-03-01", "B3"), ("2024-10-01", "B2")):
        model = engine.load(ROOT / "examples" / "mrb_bank", as_of=day).evaluate()
        assert model.query("sanctions_bypass_risk(north_korea, turkey)").grades == [grade], day
    code, out = run_cli(["query", "examples/mrb_bank", "sanctions_bypass_risk(north_korea, P)", "--as-of",
                         "2024-03-01", "--format", "json"], ROOT)
    assert json.loads(out)["grades"] == ["B3", "B3"]


def test_as_of_refuses_what_is_not_a_date(tmp_path: Path) -> None:
    code, out = run_cli(["run", str(HERE / "watchlist.dl"), "--as-of", "March 2024"], ROOT)
    assert code == 1 and "error[E960]" in out and "YYYY-MM-DD" in out
    (tmp_path / "doc.txt").write_text("one\n")
    (tmp_path / "p.dl").write_text('.source s { title: "t", publisher: "p", date: "spring 2024", '
                                   'document: "doc.txt", reliability: b }\n@cite(s, line: 1, credibility: 2) p(a).\n')
    code, out = run_cli(["run", "p.dl", "--as-of", "2024-05-01"], tmp_path)
    assert code == 1 and "p.dl:1:1: error[E407]" in out


def test_evidence_change_is_empty_by_default() -> None:
    assert not EvidenceChange()
    assert EvidenceChange(as_of="2024-01-01")
