"""Human output of the pre-commit check: a few lines, only when something got worse."""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO


def _functions(count: int) -> str:
    return "function" if count == 1 else "functions"


def risk_lines(report: dict[str, Any]) -> list[str]:
    """The stored defect risk of the staged files that got worse or that ``learn
    anti-patterns`` names with a defect-risk note (the top 10% by risk x lines), and why."""
    regressed = {regression["path"] for regression in report["regressions"]}
    return [
        f"  {risk['path']}: {risk['explanation']}"
        for risk in report.get("risks", [])
        if risk["path"] in regressed or risk["in_top_share"]
    ]


def decision_lines(report: dict[str, Any], strict: bool) -> list[str]:
    """The recent decisions the staged change reverts (``abandoned-dependency``)."""
    decisions = report.get("decisions", [])
    if not decisions:
        return []
    note = "" if strict else " (a warning; --strict or [hooks] strict = true blocks the commit)"
    return [
        f"bmad: this commit reverts a recent decision{note}",
        *(f"  {d['path']}: {d['message']} [{d['rule_id']}]" for d in decisions),
    ]


def report_lines(report: dict[str, Any], strict: bool) -> list[str]:
    """From the report document (``--json`` prints the same), whichever engine made it."""
    lines = _regression_lines(report, strict)
    decided = decision_lines(report, strict)
    if strict and decided and not report["regressions"]:
        decided.append("commit blocked: commit with BMAD_SKIP=1 or --no-verify to keep it")
    return [*lines, *decided]


def _regression_lines(report: dict[str, Any], strict: bool) -> list[str]:
    regressions = report["regressions"]
    risky = risk_lines(report)
    if not regressions:
        if not risky:
            return []
        return ["bmad: staged files with a high defect risk (a note, never blocks)", *risky]
    added = sum(1 for regression in regressions if regression["kind"] == "new")
    worse = len(regressions) - added
    files = len({regression["path"] for regression in regressions})
    what = [
        *([f"{worse} {_functions(worse)} got worse"] if worse else []),
        *([f"{added} new {_functions(added)} with findings"] if added else []),
    ]
    lines = [
        f"bmad: {' and '.join(what)} in {files} of {len(report['checked'])} staged files"
        + ("" if strict else " (a warning; --strict or [hooks] strict = true blocks the commit)")
    ]
    for regression in regressions:
        line = f"  {regression['path']}:{regression['line']} {regression['summary']}"
        if regression["renamed_from"]:
            line += f" (was {regression['renamed_from']})"
        if regression["new_findings"]:
            rule_ids = ", ".join(finding["rule_id"] for finding in regression["new_findings"])
            line += f" [{rule_ids}]"
        standings = [
            regression["standing"][scope]["text"]
            for scope in ("repository", "global")
            if scope in regression["standing"]
        ]
        if standings:
            line += "; " + "; ".join(standings)
        lines.append(line)
    if report["baseline"] and "repository" not in regressions[0]["standing"]:
        lines.append(f"  ({report['baseline']})")
    if report.get("reference"):
        lines.append(f"  (compared with {report['reference']})")
    if risky:
        lines += ["  defect risk of these files:", *(f"  {line}" for line in risky)]
    if strict:
        lines.append("commit blocked: fix these, or commit with BMAD_SKIP=1 or --no-verify")
    return lines


def _emphasised(line: str, stream: TextIO) -> str:
    """Bold yellow on a colour terminal (NO_COLOR and TERM=dumb respected), else plain."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb" or not stream.isatty():
        return line
    return f"\x1b[1;33m{line}\x1b[0m"


def print_report(report: dict[str, Any], strict: bool) -> None:
    """Plain text, no rich: the hook runs on every commit and rich's import alone costs
    more than the whole check with the daemon."""
    lines = report_lines(report, strict)
    if not lines:
        return
    stream = sys.stdout
    stream.write("\n".join([_emphasised(lines[0], stream), *lines[1:]]) + "\n")
    stream.flush()
