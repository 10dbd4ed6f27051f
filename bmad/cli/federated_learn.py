"""The federated side of ``bmad learn`` and ``bmad insights``.

``learn patterns`` and ``learn success-factors`` are registered on the ``learn`` group;
``learn anti-patterns --federated`` (:mod:`bmad.cli.learn`) and ``insights patterns --global``
(:mod:`bmad.cli.insights_patterns`) call :func:`learning_round`. An
admin's command opens a round and follows it (members' daemons take part); anyone else's
shows the federation's latest insights.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bmad.cli._common import counted, echo_json, handle_errors, json_option
from bmad.cli.steps import on_terminal
from bmad.errors import BmadError

if TYPE_CHECKING:
    from bmad.analysis.risk_model import RiskModel

NO_FEDERATION = "no federation is configured: run `bmad federation join` (or `federation create`)"
MIN_PARTICIPANTS_HELP = (
    "Organisations the round needs before it releases anything (admin; never below the "
    "federation's k)."
)
PATTERN_TYPES = (
    "code_patterns",
    "workflow_patterns",
    "architecture_patterns",
    "technology_trends",
    # bmad.privacy.trend_schemas (named here: importing it would slow the CLI's start)
    "technology_adoption",
    "technology_survival",
    "technology_migrations",
    "tool_effectiveness",
)


def learning_round(
    learning_type: str,
    budget_text: str | None,
    min_participants: int | None,
    *,
    wait: bool,
    quiet: bool,
    open_new: bool = True,
    timeout: float | None = None,
    shown: bool = False,
) -> dict[str, Any]:
    """Open a round (admin, ``open_new``) and follow it for at most ``timeout`` seconds (default
    [federation] round_timeout), live on the terminal when ``shown``; return the type's latest
    insights."""
    from bmad.cli.steps import round_display, round_line
    from bmad.federation import learning
    from bmad.federation.membership import current
    from bmad.federation.participant import open_participant_store
    from bmad.federation.settings import federation_settings
    from bmad.privacy.identity import load_or_create_identity
    from bmad.privacy.ledger import Budget

    settings = federation_settings()
    budget = Budget.parse(budget_text) if budget_text else None
    with open_participant_store() as store:
        member = current(store)
        if member is None:
            raise BmadError(NO_FEDERATION)
        identity = load_or_create_identity(store)
        document: dict[str, Any] = {"learning_type": learning_type, "round": None}
        with settings.client(member.aggregator, identity, member.pinned_aggregator_key) as client:
            if open_new and member.role == "admin":
                opened = learning.open_round(
                    client, member, learning_type, budget, min_participants
                )
                document["round"] = opened
                if not wait:
                    return document
                follow_for = settings.round_timeout if timeout is None else timeout
                with round_display(follow_for, shown) as display:

                    def progress(state: dict[str, Any]) -> None:
                        if display is not None:
                            display.update(state)
                        if not quiet:
                            click.echo(round_line(state), err=True)

                    document["round"] = learning.follow_round(
                        client, opened["id"], settings.poll_interval, follow_for, progress
                    )
            document["insights"] = learning.fetch_insights(store, client, member, learning_type)
    return document


def exit_if_aborted(document: dict[str, Any]) -> None:
    state = document.get("round")
    if state is not None and state.get("state") == "aborted":
        click.echo(f"bmad: round aborted, nothing released: {state['reason']}", err=True)
        sys.exit(1)


def render_insights(insights: dict[str, Any] | None, threshold: float) -> None:
    from bmad.federation.learning import confident

    if insights is None:
        from rich.console import Console

        Console().print("no global insights yet for this learning type")
        return
    render_confident(confident(insights, threshold))


def render_confident(shown: dict[str, Any]) -> None:
    """Global insights already kept to a confidence threshold (``learning.confident``)."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    threshold = shown["confidence_threshold"]
    console.print(
        f"[bold]{shown['learning_type']}[/bold]: "
        f"{counted(shown['organisations'], 'organisation')}, {shown['groups']} group(s), "
        f"epsilon {shown['privacy']['epsilon']:g}, "
        f"noise std per bin {shown['noise_std']:.1f}; showing confidence >= {threshold:g} "
        "(confidence = 1 - width of the widest 95% interval)"
    )
    privacy = shown["privacy"]
    if "protects" in privacy:
        console.print(
            f"unit of privacy: {privacy['protects']} (epsilon {privacy['epsilon']:g}, delta "
            f"{privacy['delta']:g} per round); per organisation: "
            f"{privacy['per_organisation']['note']}"
        )
    for metric, languages in shown.get("percentiles", {}).items():
        table = Table(title=f"global {metric} percentiles (bins)")
        for column in ("language", "p50", "p75", "p90", "p95", "+- points", "organisations"):
            table.add_column(column)
        for language, entry in languages.items():
            p = entry["percentiles"]
            widest = max(entry.get("share_below_plus_minus", [(1 - entry["confidence"]) / 2]))
            table.add_row(
                language,
                p["p50"],
                p["p75"],
                p["p90"],
                p["p95"],
                f"{100 * widest:.0f}",
                str(entry["organisations"]),
            )
        console.print(table)
    for kind in ("consensus", "divergent"):
        if shown[kind]:
            table = Table(title=f"{kind} patterns")
            for column in ("pattern", "share of organisations", "95% interval", "confidence"):
                table.add_column(column)
            for item in shown[kind]:
                low, high = item.get("interval", (None, None))
                table.add_row(
                    f"{item['block']}/{item['label']}",
                    f"{item['share_of_organisations']:.0%} of {item['of']}",
                    "-" if low is None else f"{low:.0%}-{high:.0%}",
                    f"{item['confidence']:.2f}",
                )
            console.print(table)
    if shown.get("success_factors"):
        table = Table(title="success factors (lift, 95% interval)")
        for column in ("practice", "outcome", "lift", "interval", "organisations", "confidence"):
            table.add_column(column)
        for item in shown["success_factors"]:
            low, high = item["ci95"]
            table.add_row(
                item["practice"],
                item["outcome"],
                f"{item['lift']:.2f}",
                f"{low:.2f}-{high:.2f}",
                str(item["organisations"]),
                f"{item['confidence']:.2f}",
            )
        console.print(table)
    withheld = shown["withheld"]
    if any(withheld.values()):
        console.print(
            "withheld below the confidence threshold: "
            + ", ".join(f"{count} {kind}" for kind, count in withheld.items() if count)
        )


budget_option = click.option(
    "--privacy-budget",
    "budget_text",
    help='Per-round budget, e.g. "epsilon=1.0,delta=1e-5" (default: governance).',
)
confidence_option = click.option(
    "--confidence-threshold",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Show only global insights at least this confident.",
)
wait_option = click.option(
    "--wait/--no-wait",
    default=True,
    show_default=True,
    help="Follow the round to its end (admin), or print the round id and return.",
)
timeout_option = click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds to follow the round before giving up (default: [federation] round_timeout).",
)


def show_round(
    document: dict[str, Any], as_json: bool, wait: bool, confidence_threshold: float
) -> None:
    """A learn command's answer: the document, the insights it waited for, or the round's id;
    exit 1 when the round aborted."""
    if as_json:
        echo_json(document)
    elif wait or document["round"] is None:
        render_insights(document.get("insights"), confidence_threshold)
    else:
        click.echo(document["round"]["id"])
    exit_if_aborted(document)


@click.command("patterns")
@click.option("--cross-project", is_flag=True, help="Required: learn across the federation.")
@click.option(
    "--learning-type",
    type=click.Choice(PATTERN_TYPES),
    default="code_patterns",
    show_default=True,
    help="What the round learns.",
)
@budget_option
@click.option("--min-participants", type=click.IntRange(3), help=MIN_PARTICIPANTS_HELP)
@confidence_option
@wait_option
@timeout_option
@json_option
@handle_errors
def patterns(
    cross_project: bool,
    learning_type: str,
    budget_text: str | None,
    min_participants: int | None,
    confidence_threshold: float,
    wait: bool,
    timeout: float | None,
    as_json: bool,
) -> None:
    """Learn code, workflow, architecture or technology patterns across the federation."""
    if not cross_project:
        raise BmadError(
            "learn patterns is federated: pass --cross-project "
            "(this repository's own patterns: bmad insights patterns)"
        )
    document = learning_round(
        learning_type,
        budget_text,
        min_participants,
        wait=wait,
        quiet=False,
        timeout=timeout,
        shown=on_terminal(as_json),
    )
    show_round(document, as_json, wait, confidence_threshold)


@click.command("success-factors")
@click.option(
    "--anonymous", is_flag=True, help="Across the federation: only noisy sums over k organisations."
)
@click.option(
    "--local",
    "local_repo",
    type=click.Path(path_type=Path),
    help="Instead: the factors that predict fewer fixes in this repository, from its own "
    "past (coefficients with 95% bootstrap intervals), and the federation's risk model when "
    "one is cached.",
)
@click.option(
    "--resamples",
    type=click.IntRange(min=20),
    default=200,
    show_default=True,
    help="With --local: bootstrap resamples behind the intervals.",
)
@click.option("--min-participants", type=click.IntRange(3), help=MIN_PARTICIPANTS_HELP)
@budget_option
@confidence_option
@wait_option
@timeout_option
@json_option
@handle_errors
def success_factors(
    anonymous: bool,
    local_repo: Path | None,
    resamples: int,
    min_participants: int | None,
    budget_text: str | None,
    confidence_threshold: float,
    wait: bool,
    timeout: float | None,
    as_json: bool,
) -> None:
    """Practices associated with good outcomes: across organisations (--anonymous, lift with
    intervals) or which factors predict fewer fixes in one repository (--local REPO)."""
    if local_repo is not None:
        if anonymous:
            raise BmadError("choose one: --anonymous (the federation) or --local (a repository)")
        local_success_factors(local_repo, resamples, as_json)
        return
    if not anonymous:
        raise BmadError(
            "success factors are learned anonymously across the federation (--anonymous) "
            "or from one repository's past (--local REPO)"
        )
    document = learning_round(
        "success_patterns",
        budget_text,
        min_participants,
        wait=wait,
        quiet=False,
        timeout=timeout,
        shown=on_terminal(as_json),
    )
    show_round(document, as_json, wait, confidence_threshold)


def local_success_factors(repo: Path, resamples: int, as_json: bool) -> None:
    from bmad import git
    from bmad.analysis.risk_factors import repository_factors

    root = git.work_tree_root(git.open_repository(repo))
    found = repository_factors(root, resamples)
    document: dict[str, Any] = {"repository": str(root), "local": found.to_dict()}
    model = cached_global_model()
    document["global"] = None if model is None else global_factors(model)
    if as_json:
        echo_json(document)
        return
    render_factors(document)


def cached_global_model() -> RiskModel | None:
    """The federation's last released risk model, from this machine's insights cache."""
    from bmad.federation.participant import open_participant_store
    from bmad.federation.risk_rounds import cached_global_model as cached

    with open_participant_store() as store:
        return cached(store)


def global_factors(model: RiskModel) -> dict[str, Any]:
    """The federation's risk model's weights, per feature's centred snapshot percentile."""
    from bmad.analysis.risk_model import FEATURE_LABELS

    weights = [
        {
            "feature": model.features[column],
            "label": FEATURE_LABELS.get(model.features[column], model.features[column]),
            "weight": round(weight, 4),
        }
        for column, weight in zip(model.columns, model.coefficients, strict=True)
    ]
    weights.sort(key=lambda item: (item["weight"], item["feature"]))
    return {
        "rows": model.examples,
        "interval": "none released: the weights come from noisy gradient sums",
        "weights": weights,
    }


def render_factors(document: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    local = document["local"]
    if local["factors"]:
        table = Table(
            title=f"What predicts fixes in this repository ({local['reason']}; "
            f"{local['resamples']} bootstrap resamples over {local['files']} files)"
        )
        for column in ("factor", "log-odds per sd", "95% interval", "predicts"):
            table.add_column(column)
        for factor in local["factors"]:
            low, high = factor["ci95"]
            table.add_row(
                factor["label"],
                f"{factor['coefficient']:+.2f}",
                f"{low:+.2f} to {high:+.2f}",
                factor["effect"],
            )
        console.print(table)
    else:
        console.print(f"no local factors: {local['reason']}")
    federated = document["global"]
    if federated is not None:
        table = Table(title=f"The federation's risk model ({federated['interval']})")
        for column in ("factor", "weight"):
            table.add_column(column)
        for item in federated["weights"]:
            table.add_row(item["label"], f"{item['weight']:+.2f}")
        console.print(table)


@click.command("risk-model")
@click.option(
    "--steps",
    type=click.IntRange(1, 50),
    default=5,
    show_default=True,
    help="Admin: rounds of the training, each a gradient step from the last released model.",
)
@click.option(
    "--privacy-budget",
    "budget_text",
    help="Admin: the whole training's budget, split evenly over the steps, e.g. "
    '"epsilon=1.0,delta=1e-5" (default: one round of the governance\'s).',
)
@click.option("--min-participants", type=click.IntRange(3), help=MIN_PARTICIPANTS_HELP)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    help="Admin: seconds to follow each step's round (default: [federation] round_timeout).",
)
@json_option
@handle_errors
def risk_model(
    steps: int,
    budget_text: str | None,
    min_participants: int | None,
    timeout: float | None,
    as_json: bool,
) -> None:
    """The federation's defect-risk model: the admin trains it in STEPS rounds of clipped,
    noised gradient sums (members' daemons take part); a member sees the released model."""
    from bmad.federation import learning
    from bmad.federation.membership import current
    from bmad.federation.participant import open_participant_store
    from bmad.federation.risk_rounds import cached_global_model as cached
    from bmad.federation.risk_rounds import train_in_rounds
    from bmad.federation.settings import federation_settings
    from bmad.privacy.identity import load_or_create_identity
    from bmad.privacy.ledger import Budget
    from bmad.privacy.risk_schema import LEARNING_TYPE

    settings = federation_settings()
    document: dict[str, Any] = {"learning_type": LEARNING_TYPE, "training": None}
    with open_participant_store() as store:
        member = current(store)
        if member is None:
            raise BmadError(NO_FEDERATION)
        document["role"] = member.role
        identity = load_or_create_identity(store)
        with settings.client(member.aggregator, identity, member.pinned_aggregator_key) as client:
            if member.role == "admin":
                governance = client.status(member.federation)["governance"]
                budget = (
                    Budget.parse(budget_text)
                    if budget_text
                    else Budget(float(governance["epsilon_per_round"]), float(governance["delta"]))
                )
                follow_for = settings.round_timeout if timeout is None else timeout

                def follow(round_id: str) -> dict[str, Any]:
                    return learning.follow_round(
                        client, round_id, settings.poll_interval, follow_for
                    )

                trained = train_in_rounds(
                    store,
                    client,
                    member,
                    steps,
                    budget.epsilon,
                    budget.delta,
                    follow,
                    min_participants,
                )
                document["training"] = {
                    "steps": steps,
                    "epsilon": budget.epsilon,
                    "delta": budget.delta,
                    "epsilon_per_step": trained.epsilon_per_step,
                    "rounds": list(trained.rounds),
                }
            else:
                learning.fetch_insights(store, client, member, LEARNING_TYPE)
        model = cached(store)
    document["model"] = None if model is None else global_factors(model)
    if as_json:
        echo_json(document)
    else:
        render_risk_model(document)
    rounds = (document["training"] or {}).get("rounds", [])
    if rounds and rounds[-1].get("state") != "released":
        click.echo(f"bmad: round aborted, training stopped: {rounds[-1]['reason']}", err=True)
        sys.exit(1)


def render_risk_model(document: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    training = document["training"]
    if training is not None:
        states = ", ".join(state["state"] for state in training["rounds"])
        console.print(
            f"trained in {len(training['rounds'])} of {training['steps']} step(s) "
            f"({states}); epsilon {training['epsilon']:g} at delta {training['delta']:g} in "
            f"all, {training['epsilon_per_step']:.3g} per step"
        )
    model = document["model"]
    if model is None:
        console.print("no federated risk model released yet")
        return
    table = Table(
        title=f"The federation's risk model ({model['rows']} noisy rows; weights per "
        "feature's centred percentile in its snapshot)"
    )
    for column in ("feature", "weight"):
        table.add_column(column)
    for item in model["weights"]:
        table.add_row(item["label"], f"{item['weight']:+.2f}")
    console.print(table)
