"""The pure core of the pre-commit check: the staged version of a file against its versions in
the commit's parents, function by function.

Matching: a staged function is the same function as the parent's one with the same qualified
name (the k-th of several same-named functions matches the k-th). Left-over functions are
paired by the similarity of their source lines (difflib ratio >= ``rename_similarity``, best
pair first): a function renamed or moved to another class keeps its history. File renames are
git's (``git diff --cached -M``), so the parent version is read from the old path.

A merge has several parents; only what this commit itself introduces is reported: a finding is
new when no parent's version of the function has it, and a metric got worse when it exceeds
every parent's value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from bmad.analysis.findings import Finding
from bmad.analysis.inputs import FunctionRecord
from bmad.analysis.rules import function_smells
from bmad.analysis.settings import RuleSettings
from bmad.analysis.suppression import is_suppressed
from bmad.extractors.metrics import FunctionMetrics

# metric -> words; each can only get worse by growing
WATCHED: dict[str, str] = {
    "cognitive": "cognitive",
    "ccn": "cyclomatic",
    "max_nesting": "deep nesting",
    "params": "parameters",
    "nloc": "lines of code",
}
# the metric behind each function rule, to state a new finding in numbers
RULE_METRIC: dict[str, str] = {
    "high-cognitive-complexity": "cognitive",
    "complex-method": "ccn",
    "deep-nesting": "max_nesting",
    "long-parameter-list": "params",
    "large-method": "nloc",
}


@dataclass(frozen=True, slots=True)
class Version:
    """One version of a file: its functions and its source lines."""

    functions: tuple[FunctionMetrics, ...]
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Change:
    metric: str
    before: int | None  # None for a new function
    after: int

    def text(self) -> str:
        words = WATCHED[self.metric]
        if self.before is None:
            return f"{words} {self.after}"
        return f"{words} {self.before} -> {self.after}"


@dataclass(frozen=True, slots=True)
class Regression:
    """A staged function that is new with findings, or got worse in a flagged metric."""

    path: str
    language: str
    function: str
    start_line: int
    kind: str  # new | changed | renamed
    renamed_from: str | None
    changes: tuple[Change, ...]
    new_findings: tuple[Finding, ...]
    findings: tuple[Finding, ...]  # every finding it has now (new ones included)
    metrics: FunctionMetrics
    standing: dict[str, Any] = field(default_factory=dict)  # filled by the caller

    def summary(self) -> str:
        """``parse_args: cognitive 12 -> 19, deep nesting 5``."""
        parts = [change.text() for change in self.changes]
        shown = {change.metric for change in self.changes}
        for finding in self.new_findings:
            metric = RULE_METRIC.get(finding.rule_id)
            if metric is not None and metric not in shown:
                parts.append(Change(metric, None, getattr(self.metrics, metric)).text())
                shown.add(metric)
            elif metric is None:
                parts.append(finding.message.removeprefix(f"{self.function} "))
        return f"{self.function}: {', '.join(parts)}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "language": self.language,
            "function": self.function,
            "line": self.start_line,
            "kind": self.kind,
            "renamed_from": self.renamed_from,
            "summary": self.summary(),
            "changes": [
                {"metric": change.metric, "before": change.before, "after": change.after}
                for change in self.changes
            ],
            "new_findings": [finding.to_dict() for finding in self.new_findings],
            "findings": [finding.rule_id for finding in self.findings],
            "metrics": self.metrics.to_dict(),
            "standing": self.standing,
        }


def _body(lines: Sequence[str], function: FunctionMetrics) -> list[str]:
    return [line.strip() for line in lines[function.start_line - 1 : function.end_line]]


def match_functions(
    staged: Version, parent: Version, rename_similarity: float
) -> dict[int, tuple[int, bool]]:
    """Staged function index -> (parent function index, matched by similarity)."""
    by_name: dict[str, list[int]] = {}
    for index, function in enumerate(parent.functions):
        by_name.setdefault(function.qualified_name, []).append(index)
    matches: dict[int, tuple[int, bool]] = {}
    unmatched_staged: list[int] = []
    for index, function in enumerate(staged.functions):
        candidates = by_name.get(function.qualified_name)
        if candidates:
            matches[index] = (candidates.pop(0), False)
        else:
            unmatched_staged.append(index)
    unmatched_parent = [index for indexes in by_name.values() for index in indexes]
    if not unmatched_staged or not unmatched_parent:
        return matches
    pairs: list[tuple[float, int, int]] = []
    for staged_index in unmatched_staged:
        staged_body = _body(staged.lines, staged.functions[staged_index])
        for parent_index in unmatched_parent:
            matcher = SequenceMatcher(
                None, staged_body, _body(parent.lines, parent.functions[parent_index])
            )
            if matcher.real_quick_ratio() < rename_similarity:
                continue
            ratio = matcher.ratio()
            if ratio >= rename_similarity:
                pairs.append((ratio, staged_index, parent_index))
    taken_staged: set[int] = set()
    taken_parent: set[int] = set()
    for _ratio, staged_index, parent_index in sorted(pairs, key=lambda item: -item[0]):
        if staged_index in taken_staged or parent_index in taken_parent:
            continue
        matches[staged_index] = (parent_index, True)
        taken_staged.add(staged_index)
        taken_parent.add(parent_index)
    return matches


def _findings(
    path: str,
    language: str,
    version: Version,
    indexes: Sequence[int],
    settings: RuleSettings,
) -> dict[int, list[Finding]]:
    found: dict[int, list[Finding]] = {}
    for index in indexes:
        record = FunctionRecord(path, language, version.functions[index])
        found[index] = [
            finding
            for finding in function_smells(record, settings)
            if not is_suppressed(finding, version.lines)
        ]
    return found


def compare_file(
    path: str,
    language: str,
    staged: Version,
    parents: Sequence[Version],
    settings: RuleSettings,
    rename_similarity: float,
) -> list[Regression]:
    """Regressions of one staged file against its parent versions (none: a new file)."""
    matches = [match_functions(staged, parent, rename_similarity) for parent in parents]
    # Only functions that are new or whose metrics changed can have new findings.
    candidates = [
        index
        for index, function in enumerate(staged.functions)
        if any(
            index not in match
            or _metric_values(parent.functions[match[index][0]]) != _metric_values(function)
            for match, parent in zip(matches, parents, strict=True)
        )
        or not parents
    ]
    if not candidates:
        return []
    now = _findings(path, language, staged, candidates, settings)
    before: list[dict[int, list[Finding]]] = []
    for match, parent in zip(matches, parents, strict=True):
        matched = sorted({match[index][0] for index in candidates if index in match})
        before.append(_findings(path, language, parent, matched, settings))
    regressions: list[Regression] = []
    for index in candidates:
        regression = _regression(
            path, language, staged.functions[index], now[index], index, matches, parents, before
        )
        if regression is not None:
            regressions.append(regression)
    return regressions


def _metric_values(function: FunctionMetrics) -> tuple[int, ...]:
    return tuple(getattr(function, metric) for metric in WATCHED)


def _regression(
    path: str,
    language: str,
    function: FunctionMetrics,
    findings: list[Finding],
    index: int,
    matches: Sequence[dict[int, tuple[int, bool]]],
    parents: Sequence[Version],
    before: Sequence[dict[int, list[Finding]]],
) -> Regression | None:
    if not findings:
        return None
    counterparts = [
        (parent.functions[match[index][0]], match[index][1], earlier[match[index][0]])
        for match, parent, earlier in zip(matches, parents, before, strict=True)
        if index in match
    ]
    if not counterparts:
        return Regression(
            path, language, function.qualified_name, function.start_line, "new", None,
            (), tuple(findings), tuple(findings), function,
        )  # fmt: skip
    inherited = {finding.rule_id for _old, _renamed, earlier in counterparts for finding in earlier}
    new_findings = tuple(finding for finding in findings if finding.rule_id not in inherited)
    flagged_metrics = {RULE_METRIC.get(finding.rule_id) for finding in findings}
    changes = tuple(
        Change(metric, max(getattr(old, metric) for old, _renamed, _earlier in counterparts), now)
        for metric in WATCHED
        if (now := getattr(function, metric))
        > max(getattr(old, metric) for old, _renamed, _earlier in counterparts)
        and (metric in flagged_metrics or metric == "cognitive")
    )
    worse_flagged = any(change.metric in flagged_metrics for change in changes)
    if not new_findings and not worse_flagged:
        return None
    old, renamed, _earlier = counterparts[0]
    return Regression(
        path=path,
        language=language,
        function=function.qualified_name,
        start_line=function.start_line,
        kind="renamed" if renamed else "changed",
        renamed_from=old.qualified_name if renamed else None,
        changes=changes,
        new_findings=new_findings,
        findings=tuple(findings),
        metrics=function,
    )
