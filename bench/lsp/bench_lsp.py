"""Language server benchmark: `python -m bmad lsp` driven over stdio by a pygls client.

- start-up: process spawn -> initialize answered (the client then sends `initialized`);
- latency: didChange -> publishDiagnostics for that version on a 2,000-line Python file,
  with debounceMs = 0 so the debounce is excluded (push mode, VS Code capabilities);
- memory: the server's resident set after opening 50 files and receiving their diagnostics.

Usage: .venv/bin/python bench/lsp/bench_lsp.py [--changes 200] [--out bench/_work/lsp.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import client_capabilities
from pytest_lsp.client import make_test_lsp_client


def function_source(index: int) -> str:
    """Functions of varied shape, 4 to 40 lines."""
    depth = index % 5
    lines = [f"def func_{index}(a, b{', c' * (index % 2)}):", "    total = 0"]
    indent = "    "
    for level in range(depth):
        lines.append(f"{indent}for i{level} in range(a):")
        indent += "    "
        lines.append(f"{indent}if i{level} % {level + 2} and b:")
        indent += "    "
    lines += [f"{indent}total += {index}" for _ in range(index % 7 + 1)]
    lines.append("    return total")
    return "\n".join(lines) + "\n\n\n"


def file_of_lines(target: int, offset: int = 0) -> str:
    parts: list[str] = []
    count = 0
    index = offset
    while count < target:
        source = function_source(index)
        parts.append(source)
        count += source.count("\n")
        index += 1
    return "".join(parts)


def build_project(root: Path, files: int) -> list[Path]:
    paths = []
    for number in range(files):
        path = root / f"module_{number}.py"
        path.write_text(file_of_lines(200, number * 50))
        paths.append(path)
    return paths


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def wait_for_version(client: Any, uri: str, version: int) -> None:
    while True:
        await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        if client.published_versions.get(uri) == version:
            return


async def run(changes: int, home: Path, project: Path) -> dict[str, Any]:
    client = make_test_lsp_client()
    client.published_versions = {}
    original = client.protocol.fm.features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]

    def record(params: types.PublishDiagnosticsParams) -> None:
        client.published_versions[params.uri] = params.version
        original(params)

    client.protocol.fm.features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = record
    env = {**os.environ, "BMAD_HOME": str(home)}
    started = time.perf_counter()
    await client.start_io(sys.executable, "-m", "bmad", "lsp", env=env)
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=project.as_uri(),
            workspace_folders=[types.WorkspaceFolder(project.as_uri(), "project")],
            initialization_options={"debounceMs": 0},
        )
    )
    startup = time.perf_counter() - started
    pid = client._server.pid

    big = project / "big.py"
    text = file_of_lines(2000, 10_000)
    uri = big.as_uri()
    first = time.perf_counter()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", 1, text))
    )
    await wait_for_version(client, uri, 1)
    first_analysis = time.perf_counter() - first  # includes the repository context
    latencies: list[float] = []
    for version in range(2, changes + 2):
        edited = text.replace("total = 0", f"total = {version}", 1)
        sent = time.perf_counter()
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(version=version, uri=uri),
                [types.TextDocumentContentChangeWholeDocument(edited)],
            )
        )
        await wait_for_version(client, uri, version)
        latencies.append((time.perf_counter() - sent) * 1000)
    rss_before = rss_kib(pid)
    for path in sorted(project.glob("module_*.py"))[:50]:
        file_uri = path.as_uri()
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(file_uri, "python", 1, path.read_text())
            )
        )
        await wait_for_version(client, file_uri, 1)
    rss_after = rss_kib(pid)
    await client.shutdown_session()
    await client.stop()
    latencies.sort()
    return {
        "lines": text.count("\n"),
        "startup_to_initialize_s": round(startup, 3),
        "first_analysis_s": round(first_analysis, 3),
        "changes": changes,
        "latency_ms": {
            "p50": round(statistics.median(latencies), 1),
            "p90": round(latencies[int(0.90 * (len(latencies) - 1))], 1),
            "p99": round(latencies[int(0.99 * (len(latencies) - 1))], 1),
            "max": round(latencies[-1], 1),
        },
        "rss_mib_one_file": round(rss_before / 1024, 1),
        "rss_mib_after_50_files": round(rss_after / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        home = Path(scratch) / "home"
        project = Path(scratch) / "project"
        home.mkdir()
        project.mkdir()
        build_project(project, 50)
        result = asyncio.run(run(args.changes, home, project))
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
