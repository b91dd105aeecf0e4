"""Editor support, protocol: `syllog lsp`, a Language Server Protocol server over stdio.

Input: LSP messages from an editor. Output: the diagnostics of each open
file's program (every error or warning of `syllog check` for it, help line
included), published for every file of that program on open, change, save
and close; answers to hover, definition, references, completion, document
symbols and semantic tokens. The only module that imports pygls and
lsprotocol: what it answers comes from `workspace`, `index`, `hover` and
`complete`. The program of a file is analysed with every open buffer in
place of its file on disk; changes are coalesced (`DELAY`), and a request
analyses a changed program at once before it answers.

Positions: spans are 1-based lines and columns in code points; the client's
are 0-based, in the units it negotiated (UTF-16 unless it asks otherwise),
converted here with pygls's position codec, line by line of the text that the
span was read from.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from .. import __version__
from ..analysis import SourceInfo
from ..errors import Diagnostic, Span
from ..loader import file_of
from ..syntax import highlight as hl
from .complete import Candidate, complete, word_before
from .hover import hover
from .index import NameIndex, Symbol
from .workspace import Analysis, analyse, analyse_text, program_paths

DELAY = 0.03  # seconds a change waits for the next keystroke before the program is analysed again

SEMANTIC_TYPES = list(dict.fromkeys(k.semantic for k in hl.KINDS if k.semantic is not None))

_SYMBOL_KINDS = {
    "declaration": lsp.SymbolKind.Interface, "source": lsp.SymbolKind.Module, "rule": lsp.SymbolKind.Function,
    "fact": lsp.SymbolKind.Constant, "query": lsp.SymbolKind.Event, "expectation": lsp.SymbolKind.Boolean,
    "io": lsp.SymbolKind.File,
}
_COMPLETION_KINDS = {
    "directive": lsp.CompletionItemKind.Keyword, "citation": lsp.CompletionItemKind.Keyword,
    "keyword": lsp.CompletionItemKind.Keyword, "predicate": lsp.CompletionItemKind.Function,
    "source": lsp.CompletionItemKind.Reference, "variable": lsp.CompletionItemKind.Variable,
}


@dataclass
class ProgramState:
    """One program (the files and folders `syllog check` would be given) and its latest analysis."""

    key: tuple[str, ...]
    paths: list[Path] | None  # None: an untitled buffer, its own program (`key` is its URI)
    analysis: Analysis | None = None
    index: NameIndex = field(default_factory=lambda: NameIndex([]))
    sources: dict[str, SourceInfo] = field(default_factory=dict)  # of the latest analysis that checked
    diagnostics: dict[str, list[lsp.Diagnostic]] = field(default_factory=dict)  # by URI, of the latest analysis
    pending: asyncio.TimerHandle | None = None
    dirty: bool = True
    trigger: str = ""  # the URI of the latest change, for diagnostics that name no file


class SyllogServer(LanguageServer):
    """The server's state: the programs of the open documents."""

    def __init__(self, delay: float = DELAY) -> None:
        super().__init__("syllog", __version__)
        self.delay = delay
        self.programs: dict[tuple[str, ...], ProgramState] = {}

    # -- documents and programs --------------------------------------------------
    def program_of(self, uri: str) -> ProgramState:
        path = _path(uri)
        paths = program_paths(path) if path is not None else None
        key = tuple(str(p) for p in paths) if paths is not None else (uri,)
        if key not in self.programs:
            self.programs[key] = ProgramState(key, paths)
        return self.programs[key]

    def buffers(self) -> dict[Path, str]:
        out = {}
        for uri, doc in self.workspace.text_documents.items():
            if (path := _path(uri)) is not None:
                out[path] = doc.source
        return out

    def uri_of(self, path: Path) -> str:
        for uri in self.workspace.text_documents:
            if _path(uri) == path:
                return str(uri)
        return str(from_fs_path(str(path)) or path.as_uri())

    def uri_for(self, name: str) -> str | None:
        """The URI of the file (or untitled buffer) that a span's file name stands for."""
        path = file_of(name)
        if path is not None:
            return self.uri_of(path.resolve())
        if name.startswith("<") and name.endswith(">") and name[1:-1] in self.workspace.text_documents:
            return name[1:-1]
        return None

    def reads(self, state: ProgramState, uri: str) -> bool:
        """Whether the program's latest analysis read the document (an untitled one: is it)."""
        names = state.analysis.names if state.analysis is not None else {}
        return uri == state.key[0] or _path(uri) in names

    def schedule(self, state: ProgramState, uri: str, delay: float) -> None:
        """Analyse the program again after `delay` seconds, unless another change comes first."""
        state.dirty = True
        state.trigger = uri
        if state.pending is not None:
            state.pending.cancel()
        state.pending = asyncio.get_running_loop().call_later(delay, self.refresh, state)

    def changed(self, uri: str, delay: float) -> None:
        """A document changed: its program, and every other that read it, are analysed again."""
        mine = self.program_of(uri)
        for state in self.programs.values():
            if state is mine or self.reads(state, uri):
                self.schedule(state, uri, delay)

    def closed(self, uri: str) -> None:
        """A document closed: a program that no open document belongs to is forgotten with its
        diagnostics; the others that read it read the file on disk again."""
        for key, state in list(self.programs.items()):
            if not any(self.reads(state, u) for u in self.workspace.text_documents):
                if state.pending is not None:
                    state.pending.cancel()
                del self.programs[key]
                self.show(set(state.diagnostics))
            elif self.reads(state, uri):
                self.schedule(state, uri, 0)

    def current(self, uri: str) -> ProgramState:
        """The program of `uri`, analysed with the buffers as they are now."""
        state = self.program_of(uri)
        if state.dirty or state.analysis is None:
            state.trigger = state.trigger or uri
            self.refresh(state)
        return state

    def refresh(self, state: ProgramState) -> None:
        if state.pending is not None:
            state.pending.cancel()
            state.pending = None
        state.dirty = False
        try:
            if state.paths is not None:
                analysis = analyse(state.paths, self.buffers(), state.analysis)
            else:
                doc = self.workspace.get_text_document(state.key[0])
                analysis = analyse_text(_untitled(state.key[0]), doc.source, state.analysis)
        except Exception:  # a bug in the engine must not end the session
            self.window_log_message(lsp.LogMessageParams(lsp.MessageType.Error, traceback.format_exc()))
            return
        state.analysis = analysis
        state.index = NameIndex(analysis.modules)
        if analysis.program is not None:
            state.sources = dict(analysis.program.sources)
        self.publish(state)

    def publish(self, state: ProgramState) -> None:
        """Send the diagnostics of every file the program's analysis touched, or used to touch."""
        analysis = state.analysis
        assert analysis is not None
        before = set(state.diagnostics)
        state.diagnostics = {}
        for diag in analysis.diagnostics:
            uri = self.uri_for(diag.span.file) or state.trigger
            state.diagnostics.setdefault(uri, []).append(self.diagnostic(analysis, diag))
        opened = {uri for uri in self.workspace.text_documents if _path(uri) in analysis.names or uri == state.key[0]}
        self.show(before | set(state.diagnostics) | opened)

    def show(self, uris: set[str]) -> None:
        """Publish each URI's diagnostics: those of every program that has some on it, each once."""
        for uri in sorted(uris):
            merged: dict[tuple[object, ...], lsp.Diagnostic] = {}
            for state in self.programs.values():
                for d in state.diagnostics.get(uri, []):
                    merged.setdefault((d.range.start.line, d.range.start.character, d.code, d.message), d)
            doc = self.workspace.text_documents.get(uri)
            version = doc.version if doc is not None else None
            self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri, list(merged.values()), version))

    # -- positions -----------------------------------------------------------------
    def range(self, analysis: Analysis, span: Span) -> lsp.Range:
        if span.line < 1:
            return lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0))
        lines = (analysis.text(span.file) or "").split("\n")
        return lsp.Range(self.position(lines, span.line, span.col), self.position(lines, span.end_line, span.end_col))

    def position(self, lines: list[str], line: int, col: int) -> lsp.Position:
        """A 1-based line and code point column as the client counts."""
        text = lines[line - 1] if 1 <= line <= len(lines) else ""
        return lsp.Position(line - 1, self.workspace.position_codec.client_num_units(text[: max(col - 1, 0)]))

    def location(self, analysis: Analysis, span: Span) -> lsp.Location | None:
        uri = self.uri_for(span.file)
        return lsp.Location(uri, self.range(analysis, span)) if uri is not None else None

    def at(self, uri: str, position: lsp.Position) -> tuple[ProgramState, str, int, int]:
        """The program, the file's name in it, and the 1-based line and code point column."""
        state = self.current(uri)
        doc = self.workspace.get_text_document(uri)
        lines = doc.source.split("\n")
        text = lines[position.line] if position.line < len(lines) else ""
        char = self.workspace.position_codec.position_from_client_units(
            [text], lsp.Position(0, position.character)).character
        path = _path(uri)
        names = state.analysis.names if state.analysis is not None else {}
        name = names.get(path, str(path)) if path is not None else _untitled(uri)
        return state, name, position.line + 1, char + 1

    # -- conversions -----------------------------------------------------------------
    def diagnostic(self, analysis: Analysis, diag: Diagnostic) -> lsp.Diagnostic:
        related = [lsp.DiagnosticRelatedInformation(loc, message) for message, span in diag.notes
                   if (loc := self.location(analysis, span)) is not None]
        return lsp.Diagnostic(
            range=self.range(analysis, diag.span),
            message=diag.message + (f"\nhelp: {diag.help}" if diag.help else ""),
            severity=lsp.DiagnosticSeverity.Error if diag.is_error else lsp.DiagnosticSeverity.Warning,
            code=diag.code,
            source="syllog",
            related_information=related or None,
        )

    def symbol(self, analysis: Analysis, symbol: Symbol) -> lsp.DocumentSymbol:
        return lsp.DocumentSymbol(
            name=symbol.name, detail=symbol.detail or None, kind=_SYMBOL_KINDS[symbol.kind],
            range=self.range(analysis, symbol.span), selection_range=self.range(analysis, symbol.selection),
            children=[self.symbol(analysis, c) for c in symbol.children] or None,
        )

    def completion(self, c: Candidate, replace: lsp.Range) -> lsp.CompletionItem:
        doc = lsp.MarkupContent(lsp.MarkupKind.Markdown, c.doc) if c.doc else None
        return lsp.CompletionItem(label=c.text, kind=_COMPLETION_KINDS[c.kind], detail=c.detail or None,
                                  documentation=doc, text_edit=lsp.TextEdit(replace, c.text))


def semantic_tokens(text: str, units: Callable[[str], int]) -> list[int]:
    """The tokens the lexer colours, relative-encoded as LSP wants them (`units` counts the client's units)."""
    data: list[int] = []
    line = line_start = last_line = last_start = 0
    for offset, kind, value in hl.lex(text):
        pos = offset
        for k, part in enumerate(value.split("\n")):  # a token may hold a line break (`expect\nnot`)
            if k:
                line, line_start = line + 1, pos
            if kind.semantic is not None and part:
                start = units(text[line_start:pos])
                data += [line - last_line, start - last_start if line == last_line else start, units(part),
                         SEMANTIC_TYPES.index(kind.semantic), 0]
                last_line, last_start = line, start
            pos += len(part) + 1
    return data


def _untitled(uri: str) -> str:
    """The name that spans give a buffer that is no file."""
    return f"<{uri}>"


def _path(uri: str) -> Path | None:
    if not uri.startswith("file:"):
        return None
    fs = to_fs_path(uri)
    return Path(fs).resolve() if fs else None


def make_server(delay: float = DELAY) -> SyllogServer:
    """The server with every feature registered."""
    server = SyllogServer(delay)
    register_document_sync(server)
    register_navigation(server)
    register_editing(server)
    return server


def register_document_sync(server: SyllogServer) -> None:
    """Opening, changing, saving and closing a buffer: each re-analyses (after `delay` for a keystroke)."""

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: SyllogServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.changed(params.text_document.uri, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: SyllogServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.changed(params.text_document.uri, ls.delay)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: SyllogServer, params: lsp.DidSaveTextDocumentParams) -> None:
        ls.changed(params.text_document.uri, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: SyllogServer, params: lsp.DidCloseTextDocumentParams) -> None:
        ls.closed(params.text_document.uri)


def register_navigation(server: SyllogServer) -> None:
    """Hover, go to definition, find references and the outline."""

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def on_hover(ls: SyllogServer, params: lsp.HoverParams) -> lsp.Hover | None:
        state, name, line, col = ls.at(params.text_document.uri, params.position)
        text = hover(state.index, state.sources, name, line, col)
        if text is None or state.analysis is None:
            return None
        occ = state.index.at(name, line, col)
        where = ls.range(state.analysis, occ.span) if occ is not None else None
        return lsp.Hover(lsp.MarkupContent(lsp.MarkupKind.Markdown, text), where)

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    def on_definition(ls: SyllogServer, params: lsp.DefinitionParams) -> list[lsp.Location]:
        state, name, line, col = ls.at(params.text_document.uri, params.position)
        occ = state.index.at(name, line, col)
        if occ is None or state.analysis is None:
            return []
        if occ.kind == "include":
            return [lsp.Location(ls.uri_of(Path(occ.name)), lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)))]
        return [loc for o in state.index.definitions(occ) if (loc := ls.location(state.analysis, o.span))]

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    def on_references(ls: SyllogServer, params: lsp.ReferenceParams) -> list[lsp.Location]:
        state, name, line, col = ls.at(params.text_document.uri, params.position)
        occ = state.index.at(name, line, col)
        if occ is None or occ.kind == "include" or state.analysis is None:
            return []
        found = state.index.references(occ, params.context.include_declaration)
        return [loc for o in found if (loc := ls.location(state.analysis, o.span))]

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def on_symbols(ls: SyllogServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
        state, name, _line, _col = ls.at(params.text_document.uri, lsp.Position(0, 0))
        if state.analysis is None:
            return []
        return [ls.symbol(state.analysis, s) for s in state.index.outline(name)]


def register_editing(server: SyllogServer) -> None:
    """Completion and semantic tokens (highlighting)."""

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=[".", "@"]))
    def on_completion(ls: SyllogServer, params: lsp.CompletionParams) -> lsp.CompletionList:
        state, _name, line, col = ls.at(params.text_document.uri, params.position)
        text = ls.workspace.get_text_document(params.text_document.uri).source
        lines = text.split("\n")
        before = lines[line - 1][: col - 1] if line <= len(lines) else ""
        word = word_before(before)
        replace = lsp.Range(ls.position(lines, line, col - len(word)), params.position)
        items = [ls.completion(c, replace) for c in complete(state.index, text, line, col)]
        return lsp.CompletionList(is_incomplete=False, items=items)

    @server.feature(lsp.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL,
                    lsp.SemanticTokensLegend(token_types=SEMANTIC_TYPES, token_modifiers=[]))
    def on_semantic_tokens(ls: SyllogServer, params: lsp.SemanticTokensParams) -> lsp.SemanticTokens:
        text = ls.workspace.get_text_document(params.text_document.uri).source
        return lsp.SemanticTokens(data=semantic_tokens(text, ls.workspace.position_codec.client_num_units))


class _OneLine(logging.Formatter):
    """A log record on one line: an exception as its message, not its traceback.

    pygls logs to stderr (stdout carries the protocol) what it cannot handle,
    a malformed message from the editor, say; editors show stderr as a log.
    """

    def formatException(self, ei: Any) -> str:
        return f"{ei[0].__name__}: {ei[1]}" if ei and ei[0] is not None else ""


def serve(**options: Any) -> int:
    """Run the server on stdin and stdout until the client shuts it down."""
    handler = logging.StreamHandler()
    handler.setFormatter(_OneLine("syllog lsp: %(levelname)s: %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    make_server(**options).start_io()
    return 0
