"""The pygls server: document state, debounced analysis off the event loop, and the LSP
features (diagnostics pushed or pulled, hover, code lens, code actions, commands)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from bmad import __version__
from bmad.analysis.buffer import BufferReport, FunctionReport
from bmad.analysis.findings import Finding
from bmad.analysis.rule_catalogue import RULES
from bmad.lsp.comments import TextEdit, suppress_file, suppress_function
from bmad.lsp.render import GlobalStanding, hover_markdown, lens_title, rule_explanation
from bmad.lsp.settings import LspSettings, parse_settings
from bmad.lsp.workspace import Analyst, Outcome

logger = logging.getLogger("bmad.lsp")

SOURCE = "bmad"
SECTION = "bmad"
EXPLAIN_RULE = "bmad.explainRule"
SHOW_FUNCTION = "bmad.showFunction"
SEVERITIES: dict[str, types.DiagnosticSeverity] = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "note": types.DiagnosticSeverity.Information,
}


@dataclass
class DocumentState:
    version: int
    task: asyncio.Task[None] | None = None
    analysed: tuple[int, int] | None = None  # (version, settings generation) of ``outcome``
    outcome: Outcome | None = None
    diagnostics: list[types.Diagnostic] = field(default_factory=list)

    @property
    def report(self) -> BufferReport | None:
        return self.outcome.report if self.outcome is not None else None

    def global_standings(self, function: FunctionReport) -> dict[str, GlobalStanding]:
        """Where ``function`` stands across the federation; empty without global insights."""
        if self.outcome is None:
            return {}
        return self.outcome.global_standings.get(function.metrics.start_line, {})


def line_range(lines: list[str], line: int, units: Callable[[str], int] = len) -> types.Range:
    """The 1-based ``line`` from its first non-blank character to its end; ``units`` counts
    characters in the negotiated position encoding."""
    index = min(max(line - 1, 0), max(len(lines) - 1, 0))
    text = lines[index] if lines else ""
    start = units(text[: len(text) - len(text.lstrip())])
    return types.Range(
        start=types.Position(line=index, character=start),
        end=types.Position(line=index, character=units(text)),
    )


def related_information(
    finding: Finding, root: Path | None
) -> list[types.DiagnosticRelatedInformation]:
    if root is None:
        return []
    origin = types.Range(types.Position(0, 0), types.Position(0, 0))
    evidence = finding.evidence
    targets: list[tuple[str, str]] = []
    if finding.rule_id == "change-coupled-across-modules" and "other" in evidence:
        targets.append((str(evidence["other"]), f"changes together ({evidence.get('degree')}%)"))
    elif finding.rule_id == "cyclic-dependency":
        members = [str(member) for member in evidence.get("members", ())]
        targets += [(m, "in the same import cycle") for m in members if m != finding.path]
    elif finding.rule_id == "layer-violation" and "target" in evidence:
        targets.append((str(evidence["target"]), "imported against the layer order"))
    found: list[types.DiagnosticRelatedInformation] = []
    for relative, message in targets:
        uri = from_fs_path(str(root / relative))
        if uri is not None:
            found.append(types.DiagnosticRelatedInformation(types.Location(uri, origin), message))
    return found


def to_diagnostic(
    finding: Finding,
    lines: list[str],
    root: Path | None,
    related: bool,
    units: Callable[[str], int] = len,
) -> types.Diagnostic:
    rule = RULES.get(finding.rule_id)
    message = finding.message if rule is None else f"{finding.message}\n{rule.full}"
    return types.Diagnostic(
        range=line_range(lines, finding.start_line, units),
        message=message,
        severity=SEVERITIES.get(finding.severity, types.DiagnosticSeverity.Warning),
        code=finding.rule_id,
        source=SOURCE,
        related_information=related_information(finding, root) or None if related else None,
        data={
            "rule": finding.rule_id,
            "function": finding.function,
            "start_line": finding.start_line,
        },
    )


class BmadLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("bmad", __version__)
        self.settings = LspSettings()
        self.analyst = Analyst()
        # one thread: the analyses of all documents are serialised (tree-sitter parsers are
        # shared and not thread-safe) and a stale job queued behind a newer one is skipped
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bmad-analysis")
        self.documents: dict[str, DocumentState] = {}
        self.generation = 0  # bumped on every settings change
        self.shown_problems: set[tuple[int, str]] = set()
        self.pull_diagnostics = False
        self.settings_settled = asyncio.Event()  # cleared while new settings are fetched
        self.settings_settled.set()

    # -- logging and messages ---------------------------------------------------------------

    def log(self, message: str, kind: types.MessageType = types.MessageType.Log) -> None:
        self.window_log_message(types.LogMessageParams(type=kind, message=f"bmad: {message}"))

    def show(self, message: str, kind: types.MessageType = types.MessageType.Warning) -> None:
        self.window_show_message(types.ShowMessageParams(type=kind, message=f"bmad: {message}"))

    def report_problems(self, problems: tuple[str, ...] | list[str]) -> None:
        fresh = [p for p in problems if (self.generation, p) not in self.shown_problems]
        if fresh:
            self.shown_problems.update((self.generation, p) for p in fresh)
            self.show("invalid settings, defaults used instead: " + "; ".join(fresh))

    # -- capabilities ------------------------------------------------------------------------

    def units(self, text: str) -> int:
        return int(self.workspace.position_codec.client_num_units(text))

    @property
    def related_supported(self) -> bool:
        text_document = self.client_capabilities.text_document
        publish = text_document.publish_diagnostics if text_document else None
        return bool(publish and publish.related_information)

    @property
    def configuration_supported(self) -> bool:
        workspace = self.client_capabilities.workspace
        return bool(workspace and workspace.configuration)

    def refresh_views(self) -> None:
        workspace = self.client_capabilities.workspace
        if workspace is None:
            return
        if (
            self.pull_diagnostics
            and workspace.diagnostics
            and workspace.diagnostics.refresh_support
        ):
            self.workspace_diagnostic_refresh(None)
        if workspace.code_lens and workspace.code_lens.refresh_support:
            self.workspace_code_lens_refresh(None)

    # -- settings ----------------------------------------------------------------------------

    def apply_settings(self, raw: Any) -> None:
        from bmad import config

        base = config.load(None).section("lsp")
        settings, problems = parse_settings(raw, base)
        self.generation += 1
        self.settings = settings
        self.executor.submit(self.analyst.reset, settings)
        self.report_problems(problems)
        self.log(f"settings applied (generation {self.generation})")

    async def fetch_settings(self) -> None:
        if not self.configuration_supported:
            return
        try:
            values = await self.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
            )
        except Exception as exc:  # the client may refuse; initializationOptions still apply
            self.log(f"workspace/configuration failed: {exc}", types.MessageType.Warning)
            return
        if values and values[0] is not None:
            self.apply_settings(values[0])

    # -- analysis scheduling -----------------------------------------------------------------

    def schedule(self, uri: str, delay_ms: int) -> None:
        state = self.documents[uri]
        if state.task is not None and not state.task.done():
            state.task.cancel()
        state.task = asyncio.ensure_future(
            self.run_analysis(uri, state.version, self.generation, delay_ms)
        )

    def is_latest(self, uri: str, version: int) -> bool:
        state = self.documents.get(uri)
        return state is not None and state.version == version

    def analyse_on_thread(
        self, uri: str, version: int, language_id: str, text: str
    ) -> Outcome | None:
        if not self.is_latest(uri, version):
            return None  # a newer version is queued behind this one
        try:
            return self.analyst.analyse(Path(to_fs_path(uri) or uri), language_id, text)
        except Exception as exc:  # a bug on one buffer must not take the server down
            logger.exception("analysis of %s failed", uri)
            return Outcome(None, f"analysis failed: {type(exc).__name__}: {exc}")

    async def run_analysis(self, uri: str, version: int, generation: int, delay_ms: int) -> None:
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)
        document = self.workspace.get_text_document(uri)
        if not self.settings.enabled:
            outcome: Outcome | None = Outcome(None, "disabled in the settings")
        else:
            loop = asyncio.get_running_loop()
            outcome = await loop.run_in_executor(
                self.executor,
                self.analyse_on_thread,
                uri,
                version,
                document.language_id or "",
                document.source,
            )
        state = self.documents.get(uri)
        if outcome is None or state is None or state.version != version:
            return
        for line in outcome.logs:
            self.log(line, types.MessageType.Info)
        self.report_problems(outcome.problems)
        if outcome.skipped is not None:
            self.log(f"{uri} not analysed: {outcome.skipped}")
        diagnostics: list[types.Diagnostic] = []
        if outcome.report is not None:
            lines = document.source.splitlines()
            diagnostics = [
                to_diagnostic(finding, lines, outcome.root, self.related_supported, self.units)
                for finding in outcome.findings
            ]
        state.outcome, state.analysed, state.diagnostics = (
            outcome,
            (version, generation),
            diagnostics,
        )
        if not self.pull_diagnostics:
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
            )

    async def latest(self, uri: str) -> DocumentState | None:
        """The document's state once its current version is analysed with the current settings."""
        while True:
            await self.settings_settled.wait()
            state = self.documents.get(uri)
            if state is None:
                return None
            if state.analysed == (state.version, self.generation):
                return state
            if state.task is None or state.task.done():
                self.schedule(uri, 0)
            assert state.task is not None
            await asyncio.wait({state.task})

    def reanalyse_all(self) -> None:
        for uri in self.documents:
            self.schedule(uri, 0)


server = BmadLanguageServer()


@server.feature(types.INITIALIZE)
def initialize(ls: BmadLanguageServer, params: types.InitializeParams) -> None:
    text_document = params.capabilities.text_document
    ls.pull_diagnostics = bool(text_document and text_document.diagnostic)
    folders = [folder.uri for folder in params.workspace_folders or ()]
    if not folders and params.root_uri:
        folders.append(params.root_uri)
    ls.analyst.folders = tuple(Path(p) for uri in folders if (p := to_fs_path(uri)))
    options = params.initialization_options
    if isinstance(options, dict) and isinstance(options.get(SECTION), dict):
        options = options[SECTION]
    ls.apply_settings(options)


@server.feature(types.INITIALIZED)
async def initialized(ls: BmadLanguageServer, params: types.InitializedParams) -> None:
    mode = "pull" if ls.pull_diagnostics else "push"
    ls.log(f"bmad {__version__} ready ({mode} diagnostics)", types.MessageType.Info)
    await ls.fetch_settings()


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def did_change_configuration(
    ls: BmadLanguageServer, params: types.DidChangeConfigurationParams
) -> None:
    ls.settings_settled.clear()
    try:
        if ls.configuration_supported:
            await ls.fetch_settings()
        else:
            raw = params.settings
            if isinstance(raw, dict) and SECTION in raw:
                raw = raw[SECTION]
            ls.apply_settings(raw)
    finally:
        ls.settings_settled.set()
    ls.reanalyse_all()
    ls.refresh_views()


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: BmadLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.documents[uri] = DocumentState(version=params.text_document.version)
    ls.schedule(uri, 0)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: BmadLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    state = ls.documents.get(uri)
    if state is None:
        ls.documents[uri] = state = DocumentState(version=params.text_document.version)
    state.version = params.text_document.version
    ls.schedule(uri, ls.settings.debounce_ms)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: BmadLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
    state = ls.documents.pop(params.text_document.uri, None)
    if state is not None and state.task is not None:
        state.task.cancel()
    if not ls.pull_diagnostics:
        ls.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[])
        )


@server.feature(
    types.TEXT_DOCUMENT_DIAGNOSTIC,
    types.DiagnosticOptions(
        identifier=SOURCE, inter_file_dependencies=False, workspace_diagnostics=False
    ),
)
async def pull_diagnostics(
    ls: BmadLanguageServer, params: types.DocumentDiagnosticParams
) -> types.DocumentDiagnosticReport:
    state = await ls.latest(params.text_document.uri)
    if state is None:
        return types.RelatedFullDocumentDiagnosticReport(items=[])
    assert state.analysed is not None
    result_id = f"{state.analysed[1]}:{state.analysed[0]}"
    if params.previous_result_id == result_id:
        return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
    return types.RelatedFullDocumentDiagnosticReport(items=state.diagnostics, result_id=result_id)


@server.feature(types.TEXT_DOCUMENT_HOVER)
async def hover(ls: BmadLanguageServer, params: types.HoverParams) -> types.Hover | None:
    state = await ls.latest(params.text_document.uri)
    report = state.report if state is not None else None
    if report is None:
        return None
    function = report.function_at(params.position.line + 1)
    if state is None or function is None:
        return None
    risk = state.outcome.file_risk if state.outcome is not None else None
    markdown = hover_markdown(function, state.global_standings(function), risk)
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=markdown),
        range=types.Range(
            types.Position(function.metrics.start_line - 1, 0),
            types.Position(function.metrics.end_line, 0),
        ),
    )


@server.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=True))
async def code_lens(ls: BmadLanguageServer, params: types.CodeLensParams) -> list[types.CodeLens]:
    if not ls.settings.code_lens:
        return []
    uri = params.text_document.uri
    state = await ls.latest(uri)
    report = state.report if state is not None else None
    if report is None:
        return []
    lines = ls.workspace.get_text_document(uri).source.splitlines()
    return [
        types.CodeLens(
            range=line_range(lines, function.metrics.start_line, ls.units),
            data={"uri": uri, "line": function.metrics.start_line},
        )
        for function in report.functions
    ]


def _lens_for(ls: BmadLanguageServer, uri: str, line: int) -> tuple[FunctionReport, str] | None:
    """The function starting at ``line`` and its code lens title."""
    state = ls.documents.get(uri)
    report = state.report if state is not None else None
    function = report.function_at(line) if report is not None else None
    if state is None or function is None:
        return None
    return function, lens_title(function, state.global_standings(function).get("cognitive"))


@server.feature(types.CODE_LENS_RESOLVE)
def resolve_code_lens(ls: BmadLanguageServer, lens: types.CodeLens) -> types.CodeLens:
    data = lens.data if isinstance(lens.data, dict) else {}
    uri, line = str(data.get("uri", "")), int(data.get("line", 0))
    found = _lens_for(ls, uri, line)
    title = found[1] if found is not None else "bmad: analysing…"
    lens.command = types.Command(title=title, command=SHOW_FUNCTION, arguments=[uri, line])
    return lens


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
)
def code_action(
    ls: BmadLanguageServer, params: types.CodeActionParams
) -> list[types.CodeAction | types.Command]:
    uri = params.text_document.uri
    document = ls.workspace.get_text_document(uri)
    state = ls.documents.get(uri)
    report = state.report if state is not None else None
    language = report.language if report is not None else (document.language_id or "")
    lines = document.source.splitlines()
    actions: list[types.CodeAction | types.Command] = []
    seen: set[tuple[str, int]] = set()
    for diagnostic in params.context.diagnostics:
        data = diagnostic.data if isinstance(diagnostic.data, dict) else {}
        rule_id = data.get("rule")
        if diagnostic.source != SOURCE or rule_id not in RULES:
            continue
        start_line = int(data.get("start_line", 1))
        if (rule_id, start_line) in seen:
            continue
        seen.add((rule_id, start_line))
        function = data.get("function")
        if not function and uri.endswith(".json"):
            continue  # no comment can suppress a finding in JSON: [rules] disabled can
        if function:
            edit = suppress_function(lines, start_line, rule_id, language)
            title = f"Suppress {rule_id} for {function}"
        else:
            edit = suppress_file(lines, rule_id, language)
            title = f"Suppress {rule_id} for this file"
        actions.append(
            types.CodeAction(
                title=title,
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[diagnostic],
                edit=types.WorkspaceEdit(changes={uri: [_text_edit(edit)]}),
            )
        )
        # a plain Command (allowed in the result): clients list it without needing an edit
        actions.append(
            types.Command(title=f"Explain {rule_id}", command=EXPLAIN_RULE, arguments=[rule_id])
        )
    return actions


def _text_edit(edit: TextEdit) -> types.TextEdit:
    return types.TextEdit(
        range=types.Range(types.Position(edit.start_line, 0), types.Position(edit.end_line, 0)),
        new_text=edit.text,
    )


@server.command(EXPLAIN_RULE)
def explain_rule(ls: BmadLanguageServer, rule_id: str) -> str:
    text = rule_explanation(rule_id) if rule_id in RULES else f"unknown rule {rule_id!r}"
    ls.show(text, types.MessageType.Info)
    return text


@server.command(SHOW_FUNCTION)
def show_function(ls: BmadLanguageServer, uri: str, line: int) -> str | None:
    found = _lens_for(ls, uri, int(line))
    if found is None:
        return None
    function, title = found
    text = f"{function.metrics.qualified_name}: {title}"
    if function.explanation:
        text += f"; stands out through {function.explanation}"
    ls.show(text, types.MessageType.Info)
    return text
