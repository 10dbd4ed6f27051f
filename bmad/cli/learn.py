"""``bmad learn``: what the repository teaches: its anti-patterns, and across the federation."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bmad.cli._common import (
    counted,
    echo_json,
    handle_errors,
    json_option,
    rule_list,
    write_sarif,
)
from bmad.cli.steps import analyse_in_steps, on_terminal

if TYPE_CHECKING:
    from bmad.analysis.detect import DetectionReport
    from bmad.analysis.findings import RankedItem
    from bmad.analysis.risk_store import RiskReport
    from bmad.analysis.settings import AnalysisSettings


def why_text(item: RankedItem) -> str:
    """Every finding's reason, the thresholds crossed first, then what makes it anomalous:
    'has cyclomatic complexity 12 (threshold 9); takes 8 parameters (threshold 5)'."""
    from bmad.analysis.detect import ANOMALY_RULE

    ordered = sorted(item.findings, key=lambda finding: finding.rule_id == ANOMALY_RULE)
    prefix = f"{item.name} " if item.name else ""
    return "; ".join(finding.message.removeprefix(prefix) for finding in ordered)


def render_report(report: DetectionReport, top: int) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    shown = report.items[:top]
    table = Table(title=f"Top {len(shown)} of {len(report.items)} ranked anti-patterns")
    for column in ("#", "priority", "where", "what", "rules", "why"):
        if column in ("#", "priority"):
            table.add_column(column, justify="right")
        else:  # wrapped, never cut: paths, names and rule ids are what to look up
            table.add_column(column, overflow="fold")
    for item in shown:
        table.add_row(
            str(item.rank),
            f"{item.priority:.2f}",
            f"{item.path}:{item.start_line}",
            item.name or "(file)",
            rule_list(finding.rule_id for finding in item.findings),
            why_text(item),
        )
    console.print(table)
    models = ", ".join(f"{name} ({count})" for name, count in report.models.items())
    console.print(
        f"{counted(report.functions, 'function')} in {counted(report.files, 'file')}; "
        f"{report.flagged} anomalous; {counted(report.suppressed, 'finding')} suppressed; "
        f"models: {models or 'none'}"
    )
    for rule_id, reason in report.rules_without_data.items():
        console.print(f"[yellow]{rule_id}[/yellow] not evaluated: {escape(reason)}")
    for note in report.notes:
        console.print(f"note: {escape(note)}")


@click.group("learn")
def learn() -> None:
    """Learn what makes code hard to change: from this repository (anti-patterns) or across a
    federation (patterns, success-factors, anti-patterns --federated)."""


@learn.command("anti-patterns")
@click.argument("repo", default=".", type=click.Path(path_type=Path))
@json_option
@click.option("--sarif", "sarif_path", type=click.Path(path_type=Path), help="Write SARIF 2.1.0.")
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="Ranked items shown (--sarif gets them all).",
)
@click.option("--federated", is_flag=True, help="Blend in the federation's global statistics.")
@click.option(
    "--risk/--no-risk",
    "with_risk",
    default=None,
    help="Rank by the one priority with each file's risk of a fix within a year (the "
    "repository's own model when its past is long enough, else the federation's): --risk "
    "trains the model now when none was stored for HEAD; by default the stored risks are "
    "used (the daemon keeps them); --no-risk keeps the ranking without a model.",
)
@click.option(
    "--consensus-threshold",
    type=click.FloatRange(0, 1),
    help="Share of federation participants that must agree (default 0.7).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    help="With --federated: seconds to follow the round before giving up "
    "(default: [federation] round_timeout).",
)
@handle_errors
def anti_patterns(
    repo: Path,
    as_json: bool,
    sarif_path: Path | None,
    top: int,
    federated: bool,
    consensus_threshold: float | None,
    timeout: float | None,
    with_risk: bool | None,
) -> None:
    """Rank REPO's anomalous functions and named smells, with explanations."""
    if federated or consensus_threshold is not None:
        threshold = 0.7 if consensus_threshold is None else consensus_threshold
        federated_anti_patterns(repo, threshold, as_json, top, sarif_path, timeout)
        return
    from bmad.analysis.risk_ranking import TODAY, WITH_RISK, combined_report
    from bmad.analysis.sarif import sarif_document

    _analysis_input, report, root = analyse_in_steps(repo, on_terminal(as_json))
    risks = None if with_risk is False else risk_report(root, train=bool(with_risk))
    if risks is not None:
        report = combined_report(report, risks, repository_analysis_settings(root))
    if sarif_path is not None:
        write_sarif(sarif_path, sarif_document(report.findings, report.items))
    formula = WITH_RISK if risks is not None and risks.files else TODAY
    if as_json:
        extra = {} if risks is None else {"risk": risks.to_dict(top)}
        echo_json({"repository": str(root), "priority": formula, **report.to_dict(top), **extra})
    else:
        render_report(report, top)
        if risks is not None:
            render_risks(risks, top)


def repository_analysis_settings(root: Path) -> AnalysisSettings:
    from bmad.analysis.settings import analysis_settings
    from bmad.config import load

    settings = load(root)
    return analysis_settings(settings.section("rules"), settings.section("analysis"))


def risk_report(root: Path, train: bool) -> RiskReport:
    """Every file's risk at HEAD, as ``risk_serving.served_risks`` gives it (``train``: computed
    now when the stored ones are not for HEAD and the models at hand)."""
    from bmad.analysis.risk_serving import served_risks
    from bmad.analysis.risk_store import open_risk_store
    from bmad.cli.federated_learn import cached_global_model

    with open_risk_store() as store:
        return served_risks(root, store, cached_global_model(), train)


def render_risks(risks: RiskReport, top: int) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    ranked = risks.to_dict(top)["files"]
    if not ranked:  # why not: under the table, with the rules not evaluated
        return
    table = Table(title=f"Defect risk ({risks.reason}); ranked by risk x size")
    for column in ("where", "risk", "lines", "why"):
        table.add_column(column, overflow="fold")
    for item in ranked:
        table.add_row(item["path"], f"{item['risk']:.0%}", str(item["lines"]), item["explanation"])
    console.print(table)


def federated_anti_patterns(
    repo: Path,
    consensus_threshold: float,
    as_json: bool,
    top: int,
    sarif_path: Path | None,
    timeout: float | None = None,
) -> None:
    """``learn anti-patterns --federated``: the local ranking next to the federation's smells
    (``sarif_path``: the local findings as SARIF, as without --federated)."""
    from bmad.analysis.sarif import sarif_document
    from bmad.cli.federated_learn import exit_if_aborted, learning_round

    shown = on_terminal(as_json)
    document = learning_round(
        "anti_patterns", None, None, wait=True, quiet=False, timeout=timeout, shown=shown
    )
    _analysis_input, report, root = analyse_in_steps(repo, shown)
    if sarif_path is not None:
        write_sarif(sarif_path, sarif_document(report.findings))
    insights = document.get("insights")
    smells: dict[str, Any] = {}
    if insights is not None:
        total = insights["organisations"]
        for row in insights["blocks"]["smells"]["bins"]:
            organisations = row["organisations"]
            share = None if organisations is None else organisations / total
            smells[row["label"]] = {
                "share_of_findings": row["share"],
                "share_of_organisations": share,
                "consensus": share is not None and share >= consensus_threshold,
            }
    result = {
        "repository": str(root),
        "round": document["round"],
        "consensus_threshold": consensus_threshold,
        "global_smells": smells,
        **report.to_dict(top),
    }
    if as_json:
        echo_json(result)
    else:
        render_report(report, top)
        _render_smells(smells, consensus_threshold)
    exit_if_aborted(document)


def _render_smells(smells: dict[str, Any], threshold: float) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not smells:
        console.print("no global anti-pattern insights yet")
        return
    table = Table(title=f"Smells across the federation (consensus >= {threshold:.0%})")
    for column in ("smell", "share of findings", "share of organisations", "consensus"):
        table.add_column(column)
    for name, row in smells.items():
        share = row["share_of_findings"]
        orgs = row["share_of_organisations"]
        table.add_row(
            name,
            "suppressed (< k)" if share is None else f"{share:.1%}",
            "-" if orgs is None else f"{orgs:.0%}",
            "yes" if row["consensus"] else "",
        )
    console.print(table)


def _register_federated() -> None:
    from bmad.cli.federated_learn import patterns, risk_model, success_factors

    learn.add_command(patterns)
    learn.add_command(success_factors)
    learn.add_command(risk_model)


_register_federated()
