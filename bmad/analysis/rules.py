"""The named smells evaluated over plain data; their catalogue is in ``rule_catalogue``."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import PurePosixPath

from bmad.analysis.findings import Finding
from bmad.analysis.inputs import ArchitectureFacts, FunctionRecord, HistoryFacts
from bmad.analysis.rule_catalogue import RULES
from bmad.analysis.settings import RuleSettings


def severity(rule_id: str, settings: RuleSettings) -> str:
    return settings.severity.get(rule_id, RULES[rule_id].severity)


def _function_finding(
    rule_id: str,
    record: FunctionRecord,
    settings: RuleSettings,
    message: str,
    evidence: dict[str, object],
) -> Finding:
    return Finding(
        rule_id=rule_id,
        severity=severity(rule_id, settings),
        path=record.path,
        start_line=record.metrics.start_line,
        end_line=record.metrics.end_line,
        message=message,
        evidence=evidence,
        function=record.metrics.qualified_name,
    )


def function_smells(record: FunctionRecord, settings: RuleSettings) -> list[Finding]:
    """Code smells of one function, from its metrics alone.

    Every message names the rule's threshold the same way: the smallest value flagged
    (``cognitive_complexity_above = 15`` flags 16 and more, so its threshold reads 16).
    """
    metrics = record.metrics
    name = metrics.qualified_name
    cognitive_threshold = settings.cognitive_complexity_above + 1
    checks: list[tuple[str, bool, str, dict[str, object]]] = [
        (
            "complex-method",
            metrics.ccn >= settings.complex_method_ccn,
            f"{name} has cyclomatic complexity {metrics.ccn} "
            f"(threshold {settings.complex_method_ccn})",
            {"ccn": metrics.ccn, "threshold": settings.complex_method_ccn},
        ),
        (
            "high-cognitive-complexity",
            metrics.cognitive >= cognitive_threshold,
            f"{name} has cognitive complexity {metrics.cognitive} "
            f"(threshold {cognitive_threshold})",
            {"cognitive": metrics.cognitive, "threshold": cognitive_threshold},
        ),
        (
            "deep-nesting",
            metrics.max_nesting >= settings.deep_nesting,
            f"{name} nests control flow {metrics.max_nesting} levels deep "
            f"(threshold {settings.deep_nesting})",
            {"max_nesting": metrics.max_nesting, "threshold": settings.deep_nesting},
        ),
        (
            "long-parameter-list",
            metrics.params >= settings.long_parameter_list,
            f"{name} takes {metrics.params} parameters (threshold {settings.long_parameter_list})",
            {"params": metrics.params, "threshold": settings.long_parameter_list},
        ),
        (
            "large-method",
            metrics.nloc >= settings.large_method_nloc,
            f"{name} has {metrics.nloc} lines of code (threshold {settings.large_method_nloc})",
            {"nloc": metrics.nloc, "threshold": settings.large_method_nloc},
        ),
        (
            "complex-conditional",
            metrics.condition_operators >= settings.complex_conditional_operators,
            f"{name} has a condition with {metrics.condition_operators} boolean operators "
            f"on line {metrics.condition_line} "
            f"(threshold {settings.complex_conditional_operators})",
            {
                "operators": metrics.condition_operators,
                "line": metrics.condition_line,
                "threshold": settings.complex_conditional_operators,
            },
        ),
    ]
    return [
        _function_finding(rule_id, record, settings, message, evidence)
        for rule_id, fires, message, evidence in checks
        if fires and rule_id not in settings.disabled
    ]


def _file_finding(
    rule_id: str,
    path: str,
    settings: RuleSettings,
    message: str,
    evidence: dict[str, object],
    line: int = 1,
) -> Finding:
    return Finding(rule_id, severity(rule_id, settings), path, line, line, message, evidence)


def hotspot_weights(history: HistoryFacts, file_complexity: Mapping[str, int]) -> dict[str, int]:
    """Revisions x total cognitive complexity, for every analysed file."""
    weights: dict[str, int] = {}
    for path, complexity in file_complexity.items():
        facts = history.files.get(path)
        weights[path] = (facts.revisions if facts else 0) * complexity
    return weights


def history_smells(
    history: HistoryFacts, file_complexity: Mapping[str, int], settings: RuleSettings
) -> list[Finding]:
    found: list[Finding] = []
    weights = hotspot_weights(history, file_complexity)
    ranked = sorted(
        (path for path, weight in weights.items() if weight > 0),
        key=lambda path: (-weights[path], path),
    )
    top = ranked[: math.ceil(len(ranked) * settings.hotspot_top_share)]
    for position, path in enumerate(top, start=1):
        revisions = history.files[path].revisions
        if revisions < settings.hotspot_min_revisions:
            continue
        found.append(
            _file_finding(
                "hotspot",
                path,
                settings,
                f"hotspot #{position} of {len(ranked)}: changed in {revisions} commits with "
                f"total cognitive complexity {file_complexity[path]}",
                {
                    "revisions": revisions,
                    "cognitive": file_complexity[path],
                    "weight": weights[path],
                    "position": position,
                },
            )
        )
    for link in history.couplings:
        folder_a = str(PurePosixPath(link.path_a).parent)
        folder_b = str(PurePosixPath(link.path_b).parent)
        if folder_a == folder_b or link.degree < settings.coupling_degree:
            continue
        first, second = sorted((link.path_a, link.path_b))
        found.append(
            _file_finding(
                "change-coupled-across-modules",
                first,
                settings,
                f"changes together with {second} in {link.degree}% of their commits "
                f"({link.shared} shared)",
                {"other": second, "degree": link.degree, "shared": link.shared},
            )
        )
    for path in sorted(history.files):
        facts = history.files[path]
        if facts.knowledge_island and path in file_complexity:
            found.append(
                _file_finding(
                    "knowledge-island",
                    path,
                    settings,
                    f"one developer wrote {facts.main_author_share:.0%} of this file",
                    {"main_author_share": round(facts.main_author_share, 3)},
                )
            )
    return [finding for finding in found if finding.rule_id not in settings.disabled]


def architecture_smells(architecture: ArchitectureFacts, settings: RuleSettings) -> list[Finding]:
    found: list[Finding] = []
    for cycle in architecture.cycles:
        members = sorted(cycle)
        more = f" and {len(members) - 5} more" if len(members) > 5 else ""
        shown = ", ".join(members[:5]) + more
        for path in members:
            found.append(
                _file_finding(
                    "cyclic-dependency",
                    path,
                    settings,
                    f"part of an import cycle of {len(members)} modules: {shown}",
                    {"cycle_size": len(members), "members": members},
                )
            )
    for path in sorted(architecture.hubs):
        module = architecture.modules[path]
        found.append(
            _file_finding(
                "hub-module",
                path,
                settings,
                f"imported by {module.fan_in} modules and imports {module.fan_out}",
                {"fan_in": module.fan_in, "fan_out": module.fan_out},
            )
        )
    for breach in architecture.layer_breaches:
        found.append(
            _file_finding(
                "layer-violation",
                breach.source,
                settings,
                f"layer {breach.source_layer!r} imports {breach.target} "
                f"from layer {breach.target_layer!r}",
                {
                    "target": breach.target,
                    "source_layer": breach.source_layer,
                    "target_layer": breach.target_layer,
                },
                line=max(breach.line, 1),
            )
        )
    return [finding for finding in found if finding.rule_id not in settings.disabled]
