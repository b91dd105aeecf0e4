"""Diagnostics latency of `syllog lsp` on the article's program (rules/ + facts/).

    python benchmarks/lsp_latency.py [--gap SECONDS] [--burst-gap SECONDS]

Starts the real server (`python -m engine lsp`) through pygls's client, opens
rules/sanctions.dl and types a clause at its end one character at a time, as
incremental changes. For each keystroke: the time from sending didChange to
receiving the publishDiagnostics of that document version (the server waits
`engine.editor.lsp.DELAY` for a next keystroke, then analyses the program with
the buffer in place of the file, then publishes). Keystrokes are `--gap`
apart after each answer (a fast typist); then a burst of keystrokes
`--burst-gap` apart, timed from the last one to its diagnostics. Also: the
time from didOpen to the first diagnostics, and the analysis alone in-process.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.client import BaseLanguageClient

ROOT = Path(__file__).resolve().parent.parent
FILE = ROOT / "rules" / "sanctions.dl"
CLAUSE = "risky_partner(P) :- partner_access(russia, P), not imposes_sanctions(P, russia)."


class Client(BaseLanguageClient):
    def __init__(self) -> None:
        super().__init__("latency", "0")
        self.arrived: dict[int | None, float] = {}

        @self.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
            if params.uri == FILE.as_uri():
                self.arrived.setdefault(params.version, time.perf_counter())

    async def published(self, version: int, timeout: float = 30.0) -> float:
        deadline = time.monotonic() + timeout
        while version not in self.arrived:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no diagnostics for version {version}")
            await asyncio.sleep(0.001)
        return self.arrived[version]


def insert(client: Client, version: int, line: int, col: int, text: str) -> float:
    at = lsp.Position(line, col)
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(version=version, uri=FILE.as_uri()),
        content_changes=[lsp.TextDocumentContentChangePartial(range=lsp.Range(start=at, end=at), text=text)]))
    return time.perf_counter()


async def measure(gap: float, burst_gap: float) -> None:
    client = Client()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    await client.start_io(sys.executable, "-m", "engine", "lsp", env=env, cwd=str(ROOT))
    await client.initialize_async(lsp.InitializeParams(capabilities=lsp.ClientCapabilities(), root_uri=ROOT.as_uri()))
    client.initialized(lsp.InitializedParams())
    text = FILE.read_text(encoding="utf-8") + "\n"
    sent = time.perf_counter()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        text_document=lsp.TextDocumentItem(uri=FILE.as_uri(), language_id="syllog", version=1, text=text)))
    opened = await client.published(1) - sent
    line = text.count("\n")
    latencies = []
    version = 1
    for col, char in enumerate(CLAUSE):
        version += 1
        sent = insert(client, version, line, col, char)
        latencies.append(await client.published(version) - sent)
        await asyncio.sleep(gap)
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(version=version + 1, uri=FILE.as_uri()),
        content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)]))
    version += 1
    await client.published(version)
    bursts = []
    for _ in range(5):
        for col, char in enumerate(CLAUSE[:20]):
            version += 1
            sent = insert(client, version, line, col, char)
            await asyncio.sleep(burst_gap)
        bursts.append(await client.published(version) - sent)
        version += 1
        client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(version=version, uri=FILE.as_uri()),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)]))
        await client.published(version)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()

    ms = sorted(x * 1000 for x in latencies)
    print(f"open to first diagnostics: {opened * 1000:.0f} ms")
    print(f"keystroke to diagnostics, {len(ms)} keystrokes {gap * 1000:.0f} ms apart: median {statistics.median(ms):.0f} ms, "
          f"p90 {ms[int(0.9 * (len(ms) - 1))]:.0f} ms, max {ms[-1]:.0f} ms")
    b = sorted(x * 1000 for x in bursts)
    print(f"last of 20 keystrokes {burst_gap * 1000:.0f} ms apart to diagnostics, 5 bursts: median "
          f"{statistics.median(b):.0f} ms, max {b[-1]:.0f} ms")


def analysis_alone() -> None:
    sys.path.insert(0, str(ROOT))
    from engine.editor.workspace import analyse, program_paths

    paths = program_paths(FILE)
    text = FILE.read_text(encoding="utf-8")
    t0 = time.perf_counter()
    previous = analyse(paths, {FILE: text})
    cold = time.perf_counter() - t0
    times = []
    for k in range(20):
        t0 = time.perf_counter()
        previous = analyse(paths, {FILE: text + "\n" + CLAUSE[:k]}, previous)
        times.append(time.perf_counter() - t0)
    print(f"analysis in-process: every file parsed {cold * 1000:.0f} ms; one file changed, median "
          f"{statistics.median(times) * 1000:.0f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gap", type=float, default=0.1, help="seconds between keystrokes after each answer")
    ap.add_argument("--burst-gap", type=float, default=0.02, help="seconds between keystrokes of a burst")
    args = ap.parse_args()
    asyncio.run(measure(args.gap, args.burst_gap))
    analysis_alone()


if __name__ == "__main__":
    main()
