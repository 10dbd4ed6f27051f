"""The named smells: catalogue (for SARIF and help) and their evaluation over plain data."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

from bmad.analysis.findings import Finding
from bmad.analysis.inputs import ArchitectureFacts, FunctionRecord, HistoryFacts
from bmad.analysis.settings import RuleSettings


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    short: str
    full: str
    help: str
    severity: str
    needs: str  # code | source | history | architecture


def _rule(*fields: str) -> tuple[str, Rule]:
    rule = Rule(*fields)
    return rule.id, rule


RULES: dict[str, Rule] = dict(
    [
        _rule(
            "anomalous-function",
            "Anomalous Function",
            "Function is an outlier among this repository's functions.",
            "An IsolationForest over size, complexity, nesting, parameters, exits, tokens and "
            "the file's change history isolates this function much faster than ordinary ones.",
            "Read the explanation: it names the features that make the function stand out. "
            "Split the function along those lines.",
            "warning",
            "code",
        ),
        _rule(
            "complex-method",
            "Complex Method",
            "Cyclomatic complexity at or above the threshold.",
            "Many independent paths through one function make it hard to test and change.",
            "Extract the branches into well-named functions or replace conditionals with data.",
            "warning",
            "code",
        ),
        _rule(
            "high-cognitive-complexity",
            "High Cognitive Complexity",
            "Cognitive complexity above the threshold.",
            "Nested and interrupted control flow makes the function hard to read "
            "(SonarSource cognitive complexity).",
            "Flatten with early returns, extract nested blocks, simplify boolean logic.",
            "warning",
            "code",
        ),
        _rule(
            "deep-nesting",
            "Deep Nesting",
            "Control flow nested at or beyond the threshold.",
            "Deeply nested blocks hide the main path and multiply the states a reader tracks.",
            "Use guard clauses and extract the inner blocks.",
            "warning",
            "code",
        ),
        _rule(
            "long-parameter-list",
            "Long Parameter List",
            "Function takes at least the threshold number of parameters.",
            "Long parameter lists are hard to call correctly and often hide a missing type.",
            "Group related parameters into an object or split the function.",
            "note",
            "code",
        ),
        _rule(
            "large-method",
            "Large Method",
            "Function has at least the threshold lines of code.",
            "Large functions do several things and are changed for several reasons.",
            "Split the function into steps with their own names.",
            "warning",
            "code",
        ),
        _rule(
            "complex-conditional",
            "Complex Conditional",
            "A condition combines at least the threshold number of boolean operators.",
            "Conditions with many and/or operators are easy to get wrong and hard to test.",
            "Name the parts of the condition (variables or small predicate functions).",
            "note",
            "source",
        ),
        _rule(
            "hotspot",
            "Hotspot",
            "File is among the most changed and most complex files.",
            "Revisions times cognitive complexity: complex code that keeps changing is where "
            "defects and effort concentrate.",
            "Prioritise refactoring and tests here; it pays back on every future change.",
            "error",
            "history",
        ),
        _rule(
            "change-coupled-across-modules",
            "Change-Coupled Across Modules",
            "File changes together with a file in another folder.",
            "A high change-coupling degree between folders reveals a hidden dependency.",
            "Move the shared concept into one place or make the dependency explicit.",
            "warning",
            "history",
        ),
        _rule(
            "knowledge-island",
            "Knowledge Island",
            "Nearly all of the file was written by one developer.",
            "Knowledge held by one person is lost when they leave or are busy.",
            "Pair on changes here and review them with someone new to the file.",
            "note",
            "history",
        ),
        _rule(
            "cyclic-dependency",
            "Cyclic Dependency",
            "Module is part of an import cycle.",
            "Modules in a cycle cannot be understood, tested or released separately.",
            "Break the cycle by inverting one dependency or moving shared code out.",
            "warning",
            "architecture",
        ),
        _rule(
            "hub-module",
            "Hub Module",
            "Module has both many importers and many imports.",
            "A hub couples large parts of the code base: changes ripple through it both ways "
            "(thresholds: [architecture] hub_min_ca, hub_min_ce, hub_percentile).",
            "Split the module by responsibility so dependents import only what they use.",
            "warning",
            "architecture",
        ),
        _rule(
            "layer-violation",
            "Layer Violation",
            "Import goes against the configured layer order.",
            "A lower layer importing a higher one breaks the architecture's intended direction.",
            "Invert the dependency (an interface in the lower layer) or move the code.",
            "error",
            "architecture",
        ),
    ]
)


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


def function_smells(
    record: FunctionRecord, settings: RuleSettings, condition: tuple[int, int] | None
) -> list[Finding]:
    """Code smells of one function; ``condition`` is (most boolean operators, its line)."""
    metrics = record.metrics
    name = metrics.qualified_name
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
            metrics.cognitive > settings.cognitive_complexity_above,
            f"{name} has cognitive complexity {metrics.cognitive} "
            f"(above {settings.cognitive_complexity_above})",
            {"cognitive": metrics.cognitive, "threshold": settings.cognitive_complexity_above},
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
    ]
    if condition is not None:
        operators, line = condition
        checks.append(
            (
                "complex-conditional",
                operators >= settings.complex_conditional_operators,
                f"{name} has a condition with {operators} boolean operators on line {line} "
                f"(threshold {settings.complex_conditional_operators})",
                {
                    "operators": operators,
                    "line": line,
                    "threshold": settings.complex_conditional_operators,
                },
            )
        )
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
