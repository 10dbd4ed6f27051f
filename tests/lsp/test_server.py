"""End to end: `python -m bmad lsp` driven by pytest-lsp with Neovim and VS Code capabilities.

Neovim 0.11 declares pull diagnostics (textDocument/diagnostic); VS Code 1.65 does not, so
it gets pushed diagnostics. Both paths are exercised by every test.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from tests.lsp.workspace_files import MONSTER, TAMED, build_project

pytestmark = pytest.mark.filterwarnings("error::pytest_lsp.LspSpecificationWarning")

WAIT = 60.0  # generous: the first analysis imports scikit-learn and fits the model
CLIENTS = ["neovim", "visual-studio-code"]


class RecordingClient(LanguageClient):
    """Keeps every publishDiagnostics, not only the last one per document."""

    published: list[types.PublishDiagnosticsParams]
    code_lens_refreshes: int


def _record_publish(client: RecordingClient, params: types.PublishDiagnosticsParams) -> None:
    client.published.append(params)
    client.diagnostics[params.uri] = params.diagnostics


def _code_lens_refresh(client: RecordingClient, params: None) -> None:
    client.code_lens_refreshes += 1


def recording_client() -> LanguageClient:
    client = RecordingClient(converter_factory=default_converter)
    client.published = []
    client.code_lens_refreshes = 0
    features = dict(DEFAULT_CLIENT_FEATURES)
    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = _record_publish
    features[types.WORKSPACE_CODE_LENS_REFRESH] = _code_lens_refresh
    register_lsp_features(client, features)
    return client


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return build_project(tmp_path / "project")


async def start_client(
    name: str, project: Path, options: dict[str, Any] | None = None
) -> RecordingClient:
    config = ClientServerConfig(
        server_command=[sys.executable, "-m", "bmad", "lsp"],
        server_env={**os.environ, "BMAD_HOME": os.environ["BMAD_HOME"]},
        client_factory=recording_client,
    )
    client = await config.start()
    assert isinstance(client, RecordingClient)
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(name),
            root_uri=project.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=project.as_uri(), name="project")],
            initialization_options=options,
        )
    )
    return client


@pytest.fixture(params=CLIENTS)
async def client(request: pytest.FixtureRequest, project: Path) -> AsyncIterator[LanguageClient]:
    started = await start_client(request.param, project)
    yield started
    await started.shutdown_session()
    await started.stop()


def is_pull(client: LanguageClient) -> bool:
    capabilities = client.capabilities
    assert capabilities is not None and capabilities.text_document is not None
    return capabilities.text_document.diagnostic is not None


async def _published(client: RecordingClient, uri: str, version: int, after: int) -> list[Any]:
    while True:
        for params in client.published[after:]:
            if params.uri == uri and params.version == version:
                return list(params.diagnostics)
        await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)


async def diagnostics(
    client: LanguageClient, uri: str, version: int, after: int = 0
) -> Sequence[types.Diagnostic]:
    """The diagnostics of ``version``: pulled, or waited for in the pushed notifications
    (only those received after the first ``after`` ones)."""
    if is_pull(client):
        report = await asyncio.wait_for(
            client.text_document_diagnostic_async(
                types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri))
            ),
            WAIT,
        )
        assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
        assert report.result_id is not None and report.result_id.endswith(f":{version}")
        return report.items
    assert isinstance(client, RecordingClient)
    return await asyncio.wait_for(_published(client, uri, version, after), WAIT)


def open_document(client: LanguageClient, path: Path, text: str, language: str = "python") -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id=language, version=1, text=text
            )
        )
    )
    return uri


def replace_text(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def codes(found: Sequence[types.Diagnostic]) -> set[str]:
    return {str(item.code) for item in found}


async def test_anomalous_function_is_diagnosed_then_cleared_for_the_new_version(
    client: LanguageClient, project: Path
) -> None:
    uri = open_document(client, project / "work.py", MONSTER)
    found = await diagnostics(client, uri, 1)
    anomaly = [item for item in found if item.code == "anomalous-function"]
    assert len(anomaly) == 1
    assert anomaly[0].source == "bmad"
    assert anomaly[0].severity == types.DiagnosticSeverity.Warning
    assert anomaly[0].range.start.line == 4  # the def line of monster
    assert "stands out" in anomaly[0].message and "percentile" in anomaly[0].message
    assert {"complex-method", "deep-nesting", "long-parameter-list"} <= codes(found)

    published = len(client.published) if isinstance(client, RecordingClient) else 0
    replace_text(client, uri, 2, TAMED)
    assert len(await diagnostics(client, uri, 2, after=published)) == 0


async def test_hover_shows_metrics_percentiles_smells_and_explanation(
    client: LanguageClient, project: Path
) -> None:
    uri = open_document(client, project / "work.py", MONSTER)
    await diagnostics(client, uri, 1)
    result = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(line=7, character=4))
    )
    assert result is not None and isinstance(result.contents, types.MarkupContent)
    text = result.contents.value
    assert "`monster`" in text
    assert "| cognitive complexity | 29 | 99th pct |" in text
    assert "Anomaly score" in text and "Stands out through" in text
    assert "Deep Nesting (`deep-nesting`, warning)" in text
    outside = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(line=2, character=0))
    )
    assert outside is None


async def test_code_lens_per_function_resolved_lazily(
    client: LanguageClient, project: Path
) -> None:
    uri = open_document(client, project / "work.py", MONSTER)
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri))
    )
    assert lenses is not None
    assert [lens.range.start.line for lens in lenses] == [0, 4]
    assert all(lens.command is None for lens in lenses)
    resolved = await client.code_lens_resolve_async(lenses[1])
    assert resolved.command is not None
    assert resolved.command.title == "cognitive 29 · top 1% in repo · 6 findings"
    assert resolved.command.command == "bmad.showFunction"


async def test_suppress_action_inserts_the_comment_and_the_finding_goes(
    client: LanguageClient, project: Path
) -> None:
    uri = open_document(client, project / "work.py", "class Box:\n" + _indent(MONSTER))
    found = await diagnostics(client, uri, 1)
    target = next(item for item in found if item.code == "complex-method")
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri),
            range=target.range,
            context=types.CodeActionContext(diagnostics=[target]),
        )
    )
    assert actions is not None
    assert [action.title for action in actions] == [
        "Suppress complex-method for Box.monster",
        "Explain complex-method",
    ]
    suppress = actions[0]
    assert isinstance(suppress, types.CodeAction) and suppress.edit is not None
    assert suppress.edit.changes is not None
    (edit,) = suppress.edit.changes[uri]
    assert edit.range.start == types.Position(line=5, character=0) == edit.range.end
    assert edit.new_text == "    # bmad: ignore[complex-method]\n"

    published = len(client.published) if isinstance(client, RecordingClient) else 0
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(range=edit.range, text=edit.new_text)
            ],
        )
    )
    after = codes(await diagnostics(client, uri, 2, after=published))
    assert "complex-method" not in after and "deep-nesting" in after

    explain = actions[1]
    assert isinstance(explain, types.Command)
    text = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(explain.command, explain.arguments)
    )
    assert text.startswith("Complex Method (complex-method):")
    assert any(text in message.message for message in client.messages)


def _indent(text: str) -> str:
    return "".join(f"    {line}" if line.strip() else line for line in text.splitlines(True))


async def test_configuration_change_takes_effect(client: LanguageClient, project: Path) -> None:
    uri = open_document(client, project / "work.py", MONSTER)
    assert "long-parameter-list" in codes(await diagnostics(client, uri, 1))
    published = len(client.published) if isinstance(client, RecordingClient) else 0
    client.set_configuration(
        {"rules": {"disabled": ["long-parameter-list"], "severity": {"deep-nesting": "error"}}},
        section="bmad",
    )
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={}))
    found = await diagnostics(client, uri, 1, after=published)
    assert "long-parameter-list" not in codes(found)
    deep = next(item for item in found if item.code == "deep-nesting")
    assert deep.severity == types.DiagnosticSeverity.Error


async def test_invalid_settings_show_a_message_and_fall_back_to_defaults(
    project: Path,
) -> None:
    client = await start_client(
        "visual-studio-code",
        project,
        {"debounceMs": -5, "codeLens": "yes", "rules": {"disabled": ["no-such-rule"]}},
    )
    try:
        uri = open_document(client, project / "work.py", MONSTER)
        assert "anomalous-function" in codes(await diagnostics(client, uri, 1))
        (message,) = [m for m in client.messages if "invalid settings" in m.message]
        assert message.type == types.MessageType.Warning
        for fragment in ("debounceMs", "codeLens", "no-such-rule"):
            assert fragment in message.message
        lenses = await client.text_document_code_lens_async(
            types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri))
        )
        assert lenses is not None and len(lenses) == 2  # codeLens fell back to on
    finally:
        await client.shutdown_session()
        await client.stop()


async def test_binary_huge_unsupported_and_broken_documents_never_crash(
    client: LanguageClient, project: Path
) -> None:
    binary = open_document(client, project / "blob.py", "def f():\n    return 1\n\x00\x01\x02")
    huge_text = "def f(x):\n    return x\n" * 60_000  # ~1.4 MB, over the 1 MiB default
    huge = open_document(client, project / "huge.py", huge_text)
    notes = open_document(client, project / "notes.txt", "just text", language="plaintext")
    broken = open_document(client, project / "broken.py", MONSTER + "\ndef half(:\n    if\n")
    assert len(await diagnostics(client, binary, 1)) == 0
    assert len(await diagnostics(client, huge, 1)) == 0
    assert len(await diagnostics(client, notes, 1)) == 0
    assert "complex-method" in codes(await diagnostics(client, broken, 1))
    logged = " ".join(message.message for message in client.log_messages)
    assert "binary (NUL characters)" in logged
    assert "larger than maxFileBytes" in logged
    assert "no supported language for notes.txt" in logged


async def test_rapid_changes_publish_only_for_the_final_version(
    client: LanguageClient, project: Path
) -> None:
    uri = open_document(client, project / "work.py", TAMED)
    await diagnostics(client, uri, 1)
    published = len(client.published) if isinstance(client, RecordingClient) else 0
    for version in range(2, 32):
        replace_text(client, uri, version, MONSTER if version % 2 else TAMED)
    found = await diagnostics(client, uri, 31, after=published)
    assert "anomalous-function" in codes(found)
    if isinstance(client, RecordingClient) and not is_pull(client):
        await asyncio.sleep(1.0)  # anything late would arrive now
        versions = [params.version for params in client.published[published:]]
        assert versions == [31]


def test_server_command_is_importable_without_pygls_at_cli_start() -> None:
    import subprocess

    code = "import sys, bmad.cli.main, bmad.cli.lsp; print('pygls' in sys.modules)"
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "False"


_ = pytest_lsp  # the plugin provides the LspSpecificationWarning checks
