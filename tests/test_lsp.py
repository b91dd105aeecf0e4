"""`syllog lsp` through pygls's language client: the real server process over stdio.

Each test starts `python -m engine lsp`, opens documents and asks as an
editor does. Expected places are found from the files' text; columns are
checked in UTF-16 units, as LSP counts them by default.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.client import BaseLanguageClient

from engine.editor.lsp import SEMANTIC_TYPES
from engine.syntax.parser import terminal_patterns

ROOT = Path(__file__).parent.parent.resolve()
SANCTIONS = ROOT / "rules" / "sanctions.dl"
SANCTIONS_FACTS = ROOT / "facts" / "sanctions.dl"
TIMEOUT = 30.0


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class Client(BaseLanguageClient):
    """A language client that keeps every published diagnostic, in order of arrival."""

    def __init__(self) -> None:
        super().__init__("syllog-test", "0")
        self.published: list[lsp.PublishDiagnosticsParams] = []
        self.versions: dict[str, int] = {}

        @self.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
            self.published.append(params)

    async def diagnostics(self, uri: str, seen: int = 0) -> list[lsp.Diagnostic]:
        """The first diagnostics published for `uri` after the first `seen` notifications."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            for params in self.published[seen:]:
                if params.uri == uri:
                    return list(params.diagnostics)
            await asyncio.sleep(0.01)
        raise AssertionError(f"no diagnostics for {uri}")

    async def several(self, uri: str, seen: int, count: int) -> list[list[lsp.Diagnostic]]:
        """The first `count` diagnostics published for `uri` after the first `seen` notifications."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            found = [list(p.diagnostics) for p in self.published[seen:] if p.uri == uri]
            if len(found) >= count:
                return found[:count]
            await asyncio.sleep(0.01)
        raise AssertionError(f"fewer than {count} diagnostics for {uri}")

    def open(self, path: Path, text: str | None = None) -> str:
        uri = path.as_uri()
        self.versions[uri] = 1
        body = path.read_text(encoding="utf-8") if text is None else text
        self.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "syllog", 1, body)))
        return uri

    def change(self, uri: str, text: str) -> None:
        self.versions[uri] += 1
        self.text_document_did_change(lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(version=self.versions[uri], uri=uri),
            [lsp.TextDocumentContentChangeWholeDocument(text)]))


def run(scenario: Callable[[Client], Awaitable[None]], cwd: Path = ROOT) -> None:
    async def main() -> None:
        client = Client()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        await client.start_io(sys.executable, "-m", "engine", "lsp", env=env, cwd=str(cwd))
        try:
            result = await asyncio.wait_for(client.initialize_async(lsp.InitializeParams(
                capabilities=lsp.ClientCapabilities(), root_uri=cwd.as_uri())), TIMEOUT)
            caps = result.capabilities
            assert caps.hover_provider and caps.definition_provider and caps.references_provider
            assert caps.completion_provider is not None and caps.document_symbol_provider
            client.initialized(lsp.InitializedParams())
            await asyncio.wait_for(scenario(client), 4 * TIMEOUT)
            await asyncio.wait_for(client.shutdown_async(None), TIMEOUT)
        finally:
            client.exit(None)  # the server ends, after a shutdown or not
            await asyncio.wait_for(client.stop(), TIMEOUT)

    asyncio.run(main())


def doc(uri: str) -> lsp.TextDocumentIdentifier:
    return lsp.TextDocumentIdentifier(uri)


def position_of(path: Path, pattern: str, shift: int = 0, text: str | None = None) -> lsp.Position:
    """The LSP position (0-based line, UTF-16 column) of the first match, `shift` code points on."""
    body = path.read_text(encoding="utf-8") if text is None else text
    for k, line in enumerate(body.split("\n")):
        if m := re.search(pattern, line):
            return lsp.Position(k, utf16(line[: m.start() + shift]))
    raise AssertionError(pattern)


# -- diagnostics ---------------------------------------------------------------------
BROKEN = 'note("Łódź 😋 café", 1).\nr("😋é", X) :- note("😋", Y).\n'
FIXED = 'note("Łódź 😋 café", 1).\nr("😋é", X) :- note("😋", X).\n'


def test_diagnostics_on_open_have_utf16_ranges_and_a_fix_clears_them(tmp_path: Path) -> None:
    (tmp_path / "a.dl").write_text(BROKEN, encoding="utf-8")
    (tmp_path / "b.dl").write_text("q(Z) :- note(Z, _), not r(_, W).\n", encoding="utf-8")

    async def scenario(client: Client) -> None:
        uri = client.open(tmp_path / "a.dl")
        (diag,) = await client.diagnostics(uri)
        line = BROKEN.split("\n")[1]
        start = utf16(line[: line.index("X")])
        assert start == 9 and line.index("X") == 8  # the emoji is two UTF-16 units
        assert diag.range == lsp.Range(lsp.Position(1, start), lsp.Position(1, start + 1))
        assert (diag.code, diag.severity, diag.source) == ("E201", lsp.DiagnosticSeverity.Error, "syllog")
        assert diag.message.startswith("variable `X` occurs in the head") and "\nhelp: bind `X`" in diag.message
        # the other file of the program, not open, gets its own diagnostics
        (other,) = await client.diagnostics((tmp_path / "b.dl").as_uri())
        assert other.code == "E202" and other.range.start == lsp.Position(0, len("q(Z) :- note(Z, _), not r(_, "))
        seen = len(client.published)
        client.change(uri, FIXED)
        assert await client.diagnostics(uri, seen) == []
        assert [d.code for d in await client.diagnostics((tmp_path / "b.dl").as_uri(), seen)] == ["E202"]

    run(scenario, tmp_path)


def test_a_syntax_error_while_typing_and_warnings_once_it_parses(tmp_path: Path) -> None:
    (tmp_path / "a.dl").write_text("edge(a, b).\n", encoding="utf-8")

    async def scenario(client: Client) -> None:
        uri = client.open(tmp_path / "a.dl")
        assert await client.diagnostics(uri) == []
        seen = len(client.published)
        client.change(uri, "edge(a, b).\npath(X, Y) :- edge(X, Z")
        (diag,) = await client.diagnostics(uri, seen)
        assert diag.code == "E003" and diag.range.start == lsp.Position(1, utf16("path(X, Y) :- edge"))
        seen = len(client.published)
        client.change(uri, "edge(a, b).\npath(X, Y) :- edge(X, Z), edge(Z, Y).\nloop(X) :- edge(X, Y0).\n")
        (warn,) = await client.diagnostics(uri, seen)
        assert warn.code == "W101" and warn.severity == lsp.DiagnosticSeverity.Warning
        assert warn.range.start == lsp.Position(2, utf16("loop(X) :- edge(X, "))
        seen = len(client.published)
        client.text_document_did_close(lsp.DidCloseTextDocumentParams(doc(uri)))
        assert await client.diagnostics(uri, seen) == []  # no open document is in the program: forgotten

    run(scenario, tmp_path)


# -- the article's program ---------------------------------------------------------------
def _places(pattern: str) -> set[tuple[str, int, int]]:
    """(uri, 0-based line, UTF-16 column) of each match in the program's files, comments left out."""
    out = set()
    for folder in ("rules", "facts"):
        for path in sorted((ROOT / folder).glob("*.dl")):
            for k, line in enumerate(path.read_text(encoding="utf-8").split("\n")):
                code = re.sub(r"(?<![A-Za-z0-9_)])%.*", "", line)
                out |= {(path.as_uri(), k, utf16(line[: m.start()])) for m in re.finditer(pattern, code)}
    return out


def _at(locations: Any) -> set[tuple[str, int, int]]:
    return {(loc.uri, loc.range.start.line, loc.range.start.character) for loc in locations}


def test_hover_definition_and_references_on_the_articles_program() -> None:
    async def scenario(client: Client) -> None:
        uri = client.open(SANCTIONS)
        facts = client.open(SANCTIONS_FACTS)
        assert await client.diagnostics(uri) == []
        use = position_of(SANCTIONS, r"partner_access\(Host, Partner\), Partner != S", 3)

        hover = await client.text_document_hover_async(lsp.HoverParams(doc(uri), use))
        assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
        assert ".decl partner_access(host: symbol, partner: symbol)" in hover.contents.value
        assert "derived by 1 rule" in hover.contents.value and "so host's banks reach partner." in hover.contents.value

        cited = position_of(SANCTIONS_FACTS, r"trading_partner\(russia, turkey\)", 20)
        hover = await client.text_document_hover_async(lsp.HoverParams(doc(facts), cited))
        assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
        sentence = (ROOT / "facts" / "documents" / "nyt_2024_02_06.txt").read_text(encoding="utf-8").split("\n")[10]
        assert f"“{sentence}”" in hover.contents.value.replace("\\", "")
        assert "grade **B2**" in hover.contents.value and "`nyt_2024_02_06`" in hover.contents.value

        found = await client.text_document_definition_async(lsp.DefinitionParams(doc(uri), use))
        decl = position_of(SANCTIONS, r"\.decl partner_access", len(".decl "))
        assert _at(found) == {(uri, decl.line, decl.character)}
        assert isinstance(found, list) and found[0].range.end.character == decl.character + len("partner_access")

        source = position_of(SANCTIONS_FACTS, r"@cite\(nyt_2024_02_06, line: 11", len("@cite(nyt"))
        found = await client.text_document_definition_async(lsp.DefinitionParams(doc(facts), source))
        sources = ROOT / "facts" / "sources.dl"
        assert _at(found) == {(sources.as_uri(), *_line_col(position_of(sources, r"\.source nyt_2024_02_06", 8)))}

        refs = await client.text_document_references_async(lsp.ReferenceParams(
            text_document=doc(uri), position=use, context=lsp.ReferenceContext(include_declaration=True)))
        places = _places(r"\bpartner_access\b")
        assert len(places) == 7 and _at(refs) == places

    run(scenario)


def _line_col(p: lsp.Position) -> tuple[int, int]:
    return p.line, p.character


def test_completion_symbols_and_semantic_tokens_on_the_articles_program() -> None:
    async def scenario(client: Client) -> None:
        uri = client.open(SANCTIONS)
        await client.diagnostics(uri)
        typed = SANCTIONS.read_text(encoding="utf-8") + "\nrisky(State, Host) :- partner_a"
        client.change(uri, typed)
        end = lsp.Position(typed.count("\n"), len("risky(State, Host) :- partner_a"))
        items = await client.text_document_completion_async(lsp.CompletionParams(doc(uri), end))
        assert isinstance(items, lsp.CompletionList)
        (item,) = items.items
        assert item.label == "partner_access" and item.kind == lsp.CompletionItemKind.Function
        assert item.detail == ".decl partner_access(host: symbol, partner: symbol)"
        assert isinstance(item.text_edit, lsp.TextEdit) and item.text_edit.new_text == "partner_access"
        assert item.text_edit.range == lsp.Range(lsp.Position(end.line, end.character - len("partner_a")), end)

        typed += "(Host, P), P != S"
        client.change(uri, typed)
        end = lsp.Position(end.line, len(typed.split("\n")[-1]))
        items = await client.text_document_completion_async(lsp.CompletionParams(doc(uri), end))
        assert isinstance(items, lsp.CompletionList) and [i.label for i in items.items] == ["State"]

        symbols = await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(doc(uri)))
        text = SANCTIONS.read_text(encoding="utf-8")
        declared = [s.name for s in symbols or [] if isinstance(s, lsp.DocumentSymbol)
                    and s.kind == lsp.SymbolKind.Interface]
        assert declared == re.findall(r"^\.decl (\w+)", text, re.M)

    run(scenario)


def test_semantic_tokens_are_the_lexers_in_utf16_units(tmp_path: Path) -> None:
    text = '% ünïcode\n.decl p(x: string) "😋"\np("😋") :- q(X), not r(X).\nexpect\nnot p("é").\n'
    (tmp_path / "a.dl").write_text(text, encoding="utf-8")

    async def scenario(client: Client) -> None:
        uri = client.open(tmp_path / "a.dl")
        await client.diagnostics(uri)
        tokens = await client.text_document_semantic_tokens_full_async(lsp.SemanticTokensParams(doc(uri)))
        assert tokens is not None
        lines = text.split("\n")
        found = []
        line = start = 0
        data = tokens.data
        for k in range(0, len(data), 5):
            d_line, d_start, length, kind = data[k : k + 4]
            line, start = line + d_line, (start + d_start if d_line == 0 else d_start)
            units = lines[line].encode("utf-16-le")
            found.append((SEMANTIC_TYPES[kind], units[2 * start : 2 * (start + length)].decode("utf-16-le")))
        patterns = terminal_patterns()
        assert found == [
            ("comment", "% ünïcode"), ("keyword", ".decl"), ("function", "p"), ("string", '"😋"'),
            ("function", "p"), ("string", '"😋"'), ("function", "q"), ("variable", "X"), ("keyword", "not"),
            ("function", "r"), ("variable", "X"), ("keyword", "expect"), ("keyword", "not"), ("function", "p"),
            ("string", '"é"'),
        ]
        assert all(re.fullmatch(patterns["VAR"], t) for k, t in found if k == "variable")

    run(scenario, tmp_path)


def test_a_file_two_programs_read_gets_their_diagnostics_once(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "shared").mkdir()
    (tmp_path / "one" / "a.dl").write_text('.include "../shared/s.dl"\np(X) :- s(X).\n', encoding="utf-8")
    (tmp_path / "shared" / "s.dl").write_text("s(1).\n", encoding="utf-8")

    async def scenario(client: Client) -> None:
        a = client.open(tmp_path / "one" / "a.dl")
        assert await client.diagnostics(a) == []
        s = client.open(tmp_path / "shared" / "s.dl")
        assert await client.diagnostics(s) == []
        seen = len(client.published)
        client.change(s, "s(1).\ns(X).\n")  # both programs read it: both are analysed again
        first, second = await client.several(s, seen, 2)
        assert [(d.code, d.range.start.line) for d in first] == [("E206", 1)]
        assert [(d.code, d.range.start.line) for d in second] == [("E206", 1)]  # the two programs', once
        seen = len(client.published)
        client.change(s, "s(2).\n")
        assert (await client.several(s, seen, 2))[-1] == []  # once both programs have read the fix

    run(scenario, tmp_path)


def test_an_untitled_buffer_is_a_program_of_its_own(tmp_path: Path) -> None:
    async def scenario(client: Client) -> None:
        uri = "untitled:Untitled-1"
        client.text_document_did_open(lsp.DidOpenTextDocumentParams(
            lsp.TextDocumentItem(uri, "syllog", 1, "q(1).\np(X) :- q(Y).\n")))
        (diag,) = await client.diagnostics(uri)
        assert diag.code == "E201" and diag.range.start == lsp.Position(1, 2)
        hover = await client.text_document_hover_async(lsp.HoverParams(doc(uri), lsp.Position(1, 9)))
        assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
        assert "**q** (not declared)" in hover.contents.value and "1 fact" in hover.contents.value

    run(scenario, tmp_path)


def test_a_malformed_message_is_logged_on_one_line_without_a_traceback() -> None:
    import subprocess

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "engine", "lsp"], input=b"Content-Length: 5\r\n\r\n{bad}",
                          capture_output=True, env=env, timeout=TIMEOUT, cwd=ROOT)
    assert done.returncode == 0
    assert b"Traceback" not in done.stderr and b"JSONDecodeError" in done.stderr
    assert b'"method": "window/showMessage"' in done.stdout  # the editor is told
