"""Editor support without the protocol: analysis with buffers, the index, hover and completion.

Expected items are found from the files' text (a regular expression, the
document's lines), not from the index under test.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.editor.complete import clause_variables, complete
from engine.editor.hover import hover
from engine.editor.index import NameIndex
from engine.editor.workspace import Analysis, analyse, program_paths
from engine.errors import Span

ROOT = Path(__file__).parent.parent
SANCTIONS = ROOT / "rules" / "sanctions.dl"
SANCTIONS_FACTS = ROOT / "facts" / "sanctions.dl"


@pytest.fixture(scope="module")
def article() -> Analysis:
    return analyse(program_paths(SANCTIONS), {})


def _name(analysis: Analysis, path: Path) -> str:
    return analysis.names[path.resolve()]


def _find(path: Path, pattern: str) -> tuple[int, int]:
    """1-based line and column of the first match in the file."""
    for k, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if m := re.search(pattern, line):
            return k, m.start() + 1
    raise AssertionError(pattern)


def _places(pattern: str) -> set[tuple[str, int, int]]:
    """(file, line, col) of each match in the program's files, comments left out."""
    out = set()
    for folder in ("rules", "facts"):
        for path in sorted((ROOT / folder).glob("*.dl")):
            for k, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                code = re.sub(r"(?<![A-Za-z0-9_)])%.*", "", line)
                out |= {(f"{folder}/{path.name}", k, m.start() + 1) for m in re.finditer(pattern, code)}
    return out


def _where(spans: list[Span]) -> set[tuple[str, int, int]]:
    return {(Path(s.file).resolve().relative_to(ROOT.resolve()).as_posix(), s.line, s.col) for s in spans}


# -- workspace -------------------------------------------------------------------
def test_the_article_program_is_rules_and_facts_and_checks_clean(article: Analysis) -> None:
    assert program_paths(SANCTIONS) == [(ROOT / "rules").resolve(), (ROOT / "facts").resolve()]
    assert article.program is not None and article.diagnostics == []
    expected = {p.resolve() for p in (ROOT / "rules").glob("*.dl")} | {p.resolve() for p in (ROOT / "facts").glob("*.dl")}
    assert set(article.names) == expected


def test_a_file_outside_any_suite_is_checked_with_its_folder(tmp_path: Path) -> None:
    (tmp_path / "a.dl").write_text("p(X) :- q(X).\n", encoding="utf-8")
    (tmp_path / "b.dl").write_text("q(1).\n", encoding="utf-8")
    assert program_paths(tmp_path / "a.dl") == [tmp_path.resolve()]
    analysis = analyse(program_paths(tmp_path / "a.dl"), {})
    assert analysis.program is not None and analysis.diagnostics == []
    other = tmp_path / "rules.datalog"  # opened in the editor as Syllog, though no folder holds it
    assert program_paths(other) == [tmp_path.resolve(), other.resolve()]
    buffer = analyse(program_paths(other), {other.resolve(): "p(X) :- r(Y)."})
    assert [d.code for d in buffer.diagnostics] == ["E201"]


def test_a_buffer_stands_in_for_its_file(article: Analysis, tmp_path: Path) -> None:
    text = SANCTIONS.read_text(encoding="utf-8") + "\nrisky(X) :- sanctioned_state(Y).\n"
    analysis = analyse(program_paths(SANCTIONS), {SANCTIONS.resolve(): text}, article)
    (diag,) = analysis.diagnostics
    line = text.count("\n")  # the last line
    assert (diag.code, diag.span.file, diag.span.line, diag.span.col) == ("E201", _name(article, SANCTIONS), line, 7)
    assert diag.help is not None and analysis.program is None


def test_a_buffer_that_does_not_parse_keeps_its_previous_module_for_navigation(article: Analysis) -> None:
    text = SANCTIONS.read_text(encoding="utf-8") + "\nrisky(X) :- partner_access(X, _"
    analysis = analyse(program_paths(SANCTIONS), {SANCTIONS.resolve(): text}, article)
    assert [d.code for d in analysis.diagnostics] == ["E003"]
    name = _name(article, SANCTIONS)
    assert name in analysis.stale and name in {m.path for m in analysis.modules}
    assert analysis.text(name) == text  # the diagnostics quote the buffer, not the file
    assert analysis.parsed().keys().isdisjoint({(name, text)})


def test_unchanged_files_are_not_parsed_again(article: Analysis) -> None:
    text = SANCTIONS.read_text(encoding="utf-8") + "\n"
    again = analyse(program_paths(SANCTIONS), {SANCTIONS.resolve(): text}, article)
    before = {m.path: m for m in article.modules}
    for module in again.modules:
        assert (module is before[module.path]) == (module.path != _name(article, SANCTIONS))


# -- index -----------------------------------------------------------------------
def test_references_of_a_predicate_are_every_place_it_is_written(article: Analysis) -> None:
    index = NameIndex(article.modules)
    line, col = _find(SANCTIONS, r"^partner_access\(")
    occ = index.at(_name(article, SANCTIONS), line, col + 3)
    assert occ is not None and (occ.kind, occ.name, occ.role) == ("predicate", "partner_access", "definition")
    places = _places(r"\bpartner_access\b")
    assert len(places) == 7
    assert _where([o.span for o in index.references(occ)]) == places
    decl = _find(SANCTIONS, r"\.decl partner_access")
    without = _where([o.span for o in index.references(occ, include_declaration=False)])
    assert without == places - {("rules/sanctions.dl", decl[0], decl[1] + len(".decl "))}


def test_definition_of_a_predicate_is_its_decl_else_its_rules_and_facts(article: Analysis, tmp_path: Path) -> None:
    index = NameIndex(article.modules)
    line, col = _find(SANCTIONS, r"partner_access\(Host, Partner\), Partner != S")
    occ = index.at(_name(article, SANCTIONS), line, col)
    assert occ is not None and occ.role == "use"
    decl_line, decl_col = _find(SANCTIONS, r"\.decl partner_access")
    assert _where([o.span for o in index.definitions(occ)]) == {("rules/sanctions.dl", decl_line, decl_col + 6)}
    (tmp_path / "p.dl").write_text("edge(a, b).\nedge(b, c).\npath(X, Y) :- edge(X, Y).\n", encoding="utf-8")
    plain = NameIndex(analyse([tmp_path], {}).modules)
    use = plain.at(str(tmp_path / "p.dl"), 3, 15)
    assert use is not None and use.name == "edge"
    assert [(o.span.line, o.span.col) for o in plain.definitions(use)] == [(1, 1), (2, 1)]


def test_definition_of_a_cited_source_is_its_source_declaration(article: Analysis) -> None:
    index = NameIndex(article.modules)
    line, col = _find(SANCTIONS_FACTS, r"@cite\(nyt_2024_02_06, line: 11")
    occ = index.at(_name(article, SANCTIONS_FACTS), line, col + len("@cite(") + 2)
    assert occ is not None and (occ.kind, occ.name) == ("source", "nyt_2024_02_06")
    src_line, src_col = _find(ROOT / "facts" / "sources.dl", r"\.source nyt_2024_02_06")
    assert _where([o.span for o in index.definitions(occ)]) == {("facts/sources.dl", src_line, src_col + 8)}
    assert len(index.references(occ)) == len(_places(r"@cite\(\s*nyt_2024_02_06\b")) + 1


def test_a_variable_refers_only_within_its_clause(article: Analysis) -> None:
    index = NameIndex(article.modules)
    line, col = _find(SANCTIONS, r"^partner_access\(Host")
    occ = index.at(_name(article, SANCTIONS), line, col + len("partner_access("))
    assert occ is not None and (occ.kind, occ.name) == ("variable", "Host")
    refs = index.references(occ)
    assert {o.span.line for o in refs} == {line} and len(refs) == 3


def test_the_outline_lists_declarations_and_rules_by_head(article: Analysis) -> None:
    text = SANCTIONS.read_text(encoding="utf-8")
    symbols = NameIndex(article.modules).outline(_name(article, SANCTIONS))
    decls = [s.name for s in symbols if s.kind == "declaration"]
    assert decls == re.findall(r"^\.decl (\w+)", text, re.M)
    heads = re.findall(r"^(\w+)\(.*:-", text, re.M)
    rules = {s.name: len(s.children) for s in symbols if s.kind == "rule"}
    assert rules == {h: heads.count(h) for h in heads}
    for s in symbols:
        assert all(s.span.line <= c.span.line <= s.span.end_line for c in s.children)


# -- hover -----------------------------------------------------------------------
def test_hover_on_a_predicate_shows_its_declaration_and_its_rules(article: Analysis) -> None:
    index = NameIndex(article.modules)
    assert article.program is not None
    line, col = _find(SANCTIONS, r"partner_access\(Host, Partner\), Partner != S")
    text = hover(index, article.program.sources, _name(article, SANCTIONS), line, col + 2)
    assert text is not None
    assert ".decl partner_access(host: symbol, partner: symbol)" in text
    assert "so host's banks reach partner." in text  # the doc string
    decl_line, _ = _find(SANCTIONS, r"\.decl partner_access")
    rule_line, _ = _find(SANCTIONS, r"^partner_access\(")
    assert f"declared at `rules/sanctions.dl:{decl_line}`" in text
    assert f"derived by 1 rule: `rules/sanctions.dl:{rule_line}`" in text


def test_hover_on_a_cited_fact_quotes_the_sentence_with_source_and_grade(article: Analysis) -> None:
    index = NameIndex(article.modules)
    assert article.program is not None
    line, col = _find(SANCTIONS_FACTS, r"trading_partner\(russia, turkey\)")
    text = hover(index, article.program.sources, _name(article, SANCTIONS_FACTS), line, col + len("trading_partner(r"))
    assert text is not None
    sentence = (ROOT / "facts" / "documents" / "nyt_2024_02_06.txt").read_text(encoding="utf-8").splitlines()[10]
    assert f"“{sentence}”" in text.replace("\\", "")
    assert "(`nyt_2024_02_06`), line 11; grade **B2**" in text  # reliability b, credibility 2
    assert "originator: reporters" in text and "The New York Times" in text
    assert ".decl trading_partner" in text  # and its predicate below


def test_hover_on_a_source_shows_title_and_reliability(article: Analysis) -> None:
    index = NameIndex(article.modules)
    assert article.program is not None
    line, col = _find(ROOT / "facts" / "sources.dl", r"\.source nyt_2024_02_06")
    text = hover(index, article.program.sources, _name(article, ROOT / "facts" / "sources.dl"), line, col + 9)
    assert text is not None and "reliability **B** (usually reliable)" in text
    cited = sum(1 for f in article.program.facts if any(c.source == "nyt_2024_02_06" for c in f.cites))
    assert f"cited by {cited} facts" in text and cited > 80


# -- completion --------------------------------------------------------------------
def _complete(article: Analysis, typed: str) -> list[tuple[str, str]]:
    text = SANCTIONS.read_text(encoding="utf-8") + "\n" + typed
    lines = text.split("\n")
    found = complete(NameIndex(article.modules), text, len(lines), len(lines[-1]) + 1)
    return [(c.text, c.kind) for c in found]


def test_completion_of_predicates_variables_sources_and_directives(article: Analysis) -> None:
    assert _complete(article, "risky(State) :- partner_a") == [("partner_access", "predicate")]
    assert ("sanctioned_state", "predicate") in _complete(article, "risky(State) :- s")
    assert _complete(article, "risky(State, Host) :- partner_access(Host, P), P != S") == [("State", "variable")]
    assert _complete(article, "@cite(ny") == [("nyt_2024_02_06", "source")]
    assert [t for t, _ in _complete(article, ".")] == [".decl", ".source", ".include", ".input", ".output"]
    assert _complete(article, "p(a).") == []  # a clause's final `.` is no directive
    assert _complete(article, "@") == [("@cite", "citation")]
    assert ("count", "keyword") in _complete(article, "risky(N) :- N = co")


def test_completion_details_a_predicate_by_its_declaration(article: Analysis) -> None:
    text = SANCTIONS.read_text(encoding="utf-8") + "\nrisky(S) :- partner_a"
    lines = text.split("\n")
    (item,) = complete(NameIndex(article.modules), text, len(lines), len(lines[-1]) + 1)
    assert item.detail == ".decl partner_access(host: symbol, partner: symbol)" and "host's banks" in item.doc


def test_clause_variables_are_found_in_text_that_does_not_parse() -> None:
    text = "p(X) :- q(X, Y).\nr(Z, Zed) :- s(Z, W"
    assert clause_variables(text, len(text)) == ["Z", "Zed", "W"]
    assert clause_variables(text, 3) == ["X", "Y"]
