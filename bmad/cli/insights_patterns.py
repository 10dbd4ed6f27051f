"""``bmad insights patterns``: the repository's pattern summary, and with ``--global`` the
federation's patterns beside it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bmad.cli._common import (
    counted,
    echo_json,
    handle_errors,
    json_option,
    plot_option,
    rule_list,
    save_plot,
)

if TYPE_CHECKING:
    from bmad.analysis.inputs import FunctionRecord


def render_summary(summary: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    distributions = Table(
        title=f"Metric distributions over {counted(summary['functions'], 'function')}"
    )
    columns = ("metric", *next(iter(summary["distributions"].values())).keys())
    for column in columns:
        distributions.add_column(column, justify="left" if column == "metric" else "right")
    for metric, values in summary["distributions"].items():
        distributions.add_row(metric, *(f"{value:g}" for value in values.values()))
    console.print(distributions)
    prevalence = Table(title="Smell prevalence")
    prevalence.add_column("rule", overflow="fold")
    prevalence.add_column("count", justify="right")
    prevalence.add_column("share", justify="right", overflow="fold")  # or why there is no data
    for rule_id, row in summary["smell_prevalence"].items():
        if row.get("status") == "no data":
            prevalence.add_row(rule_id, "no data", escape(row["reason"]))
        else:
            prevalence.add_row(
                rule_id, f"{row['count']} of {row['of']} {row['scope']}", f"{row['share']:.1%}"
            )
    console.print(prevalence)
    if summary["smell_prevalence"].get("anomalous-function", {}).get("status") != "no data":
        console.print(f"anomalous functions: {summary['anomaly_share']:.1%}")
    top = Table(title="Top findings")
    top.add_column("#")
    for column in ("where", "what", "rules"):
        top.add_column(column, overflow="fold")
    for item in summary["top_findings"]:
        top.add_row(
            str(item["rank"]),
            f"{item['path']}:{item['start_line']}",
            item["name"] or "(file)",
            rule_list(finding["rule_id"] for finding in item["findings"]),
        )
    console.print(top)
    for note in summary["notes"]:
        console.print(f"note: {escape(note)}")


@click.command("patterns")
@click.argument("repo", default=".", type=click.Path(path_type=Path))
@json_option
@click.option("--global", "use_global", is_flag=True, help="Compare with the federation.")
@click.option(
    "--confidence-threshold",
    type=click.FloatRange(0, 1),
    default=0.8,
    show_default=True,
    help="With --global: only global patterns at least this confident.",
)
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Top findings listed.",
)
@plot_option("the distributions (against the federation's with --global) and the smell prevalence")
@handle_errors
def patterns(
    repo: Path,
    as_json: bool,
    use_global: bool,
    confidence_threshold: float,
    top: int,
    plot_path: Path | None,
) -> None:
    """Distribution of each metric, smell prevalence, anomaly share and top findings of REPO."""
    if plot_path is not None:
        from bmad.dashboard import plots

        plots.require_matplotlib()  # before the analysis, not after minutes of it
    if use_global:
        global_patterns(repo, as_json, confidence_threshold, top, plot_path)
        return
    from bmad.analysis.risk_serving import ranked_with_stored_risks
    from bmad.analysis.risk_store import open_risk_store
    from bmad.analysis.summary import pattern_summary
    from bmad.cli.federated_learn import cached_global_model
    from bmad.cli.steps import analyse_in_steps, on_terminal

    analysis_input, report, root = analyse_in_steps(repo, on_terminal(as_json))
    with open_risk_store() as store:  # the top findings as learn anti-patterns ranks them
        report = ranked_with_stored_risks(report, root, store, cached_global_model())
    summary = {"repository": str(root), **pattern_summary(analysis_input, report, top)}
    if plot_path is not None:
        draw(plot_path, analysis_input.functions, None, summary["smell_prevalence"], root)
    if as_json:
        echo_json(summary)
    else:
        render_summary(summary)


def draw(
    path: Path,
    records: Sequence[FunctionRecord],
    insights: Mapping[str, Any] | None,
    prevalence: Mapping[str, Mapping[str, Any]],
    root: Path,
) -> None:
    from bmad.dashboard.distributions import metric_distributions
    from bmad.dashboard.plots import patterns_figure

    figure = patterns_figure(
        metric_distributions(records, insights), prevalence, f"bmad insights patterns: {root}"
    )
    save_plot(figure, path)


def global_patterns(
    repo: Path, as_json: bool, confidence_threshold: float, top: int, plot_path: Path | None
) -> None:
    """``insights patterns --global``: this repository's patterns beside the global ones."""
    from bmad import config
    from bmad.analysis.settings import analysis_settings
    from bmad.analysis.summary import pattern_summary
    from bmad.cli.federated_learn import learning_round
    from bmad.cli.steps import analyse_in_steps, on_terminal
    from bmad.federation.learning import compare_functions, confident
    from bmad.federation.synthetic import chosen_source

    document = learning_round("code_patterns", None, None, wait=False, quiet=True, open_new=False)
    insights = document.get("insights")
    # with global insights, the anomaly model scales and ranks against the federation's
    # synthetic population (bmad.federation.synthetic) instead of this repository alone, as
    # far as the repository's [analysis] anomaly_reference allows
    settings = config.load(repo if repo.is_dir() else None)
    setting = analysis_settings(
        settings.section("rules"), settings.section("analysis")
    ).model.anomaly_reference
    source = chosen_source(setting, insights)
    analysis_input, report, root = analyse_in_steps(repo, on_terminal(as_json), source)
    summary = pattern_summary(analysis_input, report, top)
    if plot_path is not None:
        draw(plot_path, analysis_input.functions, insights, summary["smell_prevalence"], root)
    by_position = {
        (record.path, record.metrics.start_line): record for record in analysis_input.functions
    }
    functions = []
    for item in report.items[:top]:
        record = by_position.get((item.path, item.start_line))
        if record is not None:
            functions.append(
                (
                    f"{item.path}:{item.start_line} {item.name or ''}".strip(),
                    record.language,
                    record.metrics.to_dict(),
                )
            )
    comparison = (
        [] if insights is None else compare_functions(insights, functions, confidence_threshold)
    )
    result = {
        "repository": str(root),
        **summary,
        "global": None if insights is None else confident(insights, confidence_threshold),
        "global_comparison": [row for row in comparison if row["global"]],
    }
    if as_json:
        echo_json(result)
        return
    render_summary({"repository": str(root), **summary})
    render_global(result)


def render_global(result: dict[str, Any]) -> None:
    """The global part of ``insights patterns --global``: the confident global insights and
    where the top findings stand in them."""
    from bmad.cli.federated_learn import render_confident, render_insights

    if result["global"] is None:
        render_insights(None, 0)
    else:
        render_confident(result["global"])
    for row in result["global_comparison"]:
        for entry in row["global"]:
            click.echo(f"{row['function']}: {entry['text']} (confidence {entry['confidence']:.2f})")
