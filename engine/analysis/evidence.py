"""Analysis pass: source declarations and citations.

A source names a document (relative to the declaring file) whose lines are
read here, so that a citation of a line the document does not have, of an
unknown source, or with a grade out of range is a positioned error, once per
citation (not once per fact of a cited block). A document that cannot be
read (missing, a folder, a device or FIFO, a symlink loop, a NUL in its
name, larger than `files.MAX_TEXT_BYTES`, not UTF-8) is an E404 at the
`document:` field that names it, with the reason.
"""

from __future__ import annotations

from pathlib import Path

from .. import files
from .. import nodes as n
from ..errors import Diagnostic, Span, error, visible
from ..loader import display_path
from ..provenance import RELIABILITY
from ..values import String
from .collect import Collected
from .program import SourceInfo

REQUIRED = ("title", "publisher", "date", "document", "reliability")


def _text(f: n.Field) -> str:
    v = f.value
    return v.text if isinstance(v, String) else str(v)


def check_sources(c: Collected, base_dirs: dict[str, Path]) -> tuple[dict[str, SourceInfo], list[Diagnostic]]:
    diags: list[Diagnostic] = []
    infos: dict[str, SourceInfo] = {}
    for src in c.sources.values():
        ok = True
        for f in src.fields:
            if f.key not in REQUIRED:
                diags.append(
                    error("E406", f"unknown field `{f.key}` in source `{src.id}`", f.span,
                          help="a source has " + ", ".join(REQUIRED))
                )
                ok = False
        for key in REQUIRED:
            if src.get(key) is None:
                diags.append(error("E406", f"source `{src.id}` has no `{key}`", src.span,
                                   help="a source has " + ", ".join(REQUIRED)))
                ok = False
        rel = src.get("reliability")
        if rel is not None and not (isinstance(rel.value, str) and rel.value in RELIABILITY and len(rel.value) == 1):
            diags.append(
                error("E403", f"reliability must be a letter from a to f, got `{_text(rel)}`", rel.span,
                      help="a completely reliable, b usually, c fairly, d not usually, e unreliable, f cannot be judged")
            )
            ok = False
        doc = src.get("document")
        lines: tuple[str, ...] = ()
        path = Path()
        if doc is not None:
            if not isinstance(doc.value, String):
                diags.append(error("E406", "`document` must be a string path", doc.span))
                ok = False
            else:
                base = base_dirs.get(src.span.file, Path.cwd())
                path = base / doc.value.text
                try:
                    lines = tuple(files.read_text(path).splitlines())
                except files.FileTrouble as exc:
                    diags.append(_unreadable(doc.value.text, src.id, path, exc, doc.span))
                    ok = False
        if ok and rel is not None and doc is not None:
            infos[src.id] = SourceInfo(
                src.id, _text(src.get("title") or doc), _text(src.get("publisher") or doc), _text(src.get("date") or doc),
                path, str(rel.value), lines, src.span,
            )
    for cite in c.citations:
        diags.extend(_check_cite(cite, c, infos))
    return infos, diags


def _unreadable(name: str, source: str, path: Path, exc: files.FileTrouble, span: Span) -> Diagnostic:
    """E404 at the `document:` field: the reason, and where the document was looked for (or its bad byte)."""
    where = f"looked for {display_path(path)}"
    if isinstance(exc, files.NotUtf8):
        where = f"line {exc.line}, column {exc.col} of {display_path(path)}; save it as UTF-8"
    return error("E404", f"document `{visible(name)}` of source `{source}` cannot be read: {exc.reason}", span,
                 help=where)


def _check_cite(cite: n.Citation, c: Collected, infos: dict[str, SourceInfo]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    if cite.source not in c.sources:
        names = ", ".join(sorted(c.sources)) or "none"
        out.append(
            error("E401", f"unknown source `{cite.source}`", cite.source_span,
                  help=f"declare it with `.source {cite.source} {{ ... }}` (declared: {names})")
        )
    else:
        info = infos.get(cite.source)
        if info is not None and not 1 <= cite.line <= len(info.lines):
            out.append(
                error("E402", f"source `{cite.source}` has no line {cite.line}: its document has {len(info.lines)} lines",
                      cite.line_span, help=f"the document is {display_path(info.document)}")
            )
    if not 1 <= cite.credibility <= 6:
        out.append(
            error("E403", f"credibility must be a digit from 1 to 6, got {cite.credibility}", cite.credibility_span,
                  help="1 confirmed, 2 probably true, 3 possibly true, 4 doubtful, 5 improbable, 6 cannot be judged")
        )
    return out
