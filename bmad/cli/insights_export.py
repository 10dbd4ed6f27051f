"""``bmad insights export``: privacy-preserved learning outcomes and cached global insights.

Each payload is charged to the privacy budget like an upload, so the command says what it will
spend before spending (and asks, unless ``--yes``), then what it spent.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bmad.cli._common import echo_json, handle_errors, json_option
from bmad.cli.steps import on_terminal, step
from bmad.errors import EXIT_FINDINGS, BmadError

if TYPE_CHECKING:
    from bmad.federation.reputation.export_access import ExportAccess
    from bmad.privacy.accounting import Spend
    from bmad.privacy.ledger import Ledger, Usage
    from bmad.privacy.sharing import PreparedRelease, PrivacySettings
    from bmad.privacy.summaries import LocalStatistics
    from bmad.store.connection import Store

SHARING_OFF = (
    "sharing is off for every repository: there are no learning outcomes to export "
    "(`bmad share enable REPO` turns it on)"
)


@dataclass(frozen=True, slots=True)
class SubjectSpend:
    """What an export charges one ledger subject (a repository or the organisation)."""

    usage: Usage  # before the export
    learning_types: tuple[str, ...]
    spends: tuple[Spend, ...]

    @property
    def rho(self) -> float:
        return sum(spend.rho for spend in self.spends)

    def sentence(self) -> str:
        from bmad.privacy.accounting import Spend, compose

        usage = self.usage
        charge = (
            f"{usage.scope} {usage.subject}: {', '.join(self.learning_types)}: rho {self.rho:.4g}"
        )
        if self.rho > usage.remaining_rho:
            return (
                f"{charge}, more than the {usage.remaining_rho:.4g} left in {usage.period}: "
                "what does not fit is skipped"
            )
        before = usage.spent
        earlier = [] if before is None else [Spend(before.rho, before.pure_epsilon)]
        after = compose([*earlier, *self.spends], usage.budget.delta)
        return (
            f"{charge} of the {usage.remaining_rho:.4g} left; used in {usage.period} afterwards: "
            f"epsilon {after.epsilon:.3g} of {usage.budget.epsilon:g} "
            f"(delta {usage.budget.delta:g})"
        )


def planned_spends(
    ledger: Ledger, settings: PrivacySettings, store: Store, statistics: Mapping[str, Any]
) -> list[SubjectSpend]:
    """Per repository, then for the organisation: what the export would charge."""
    from bmad.privacy import consent
    from bmad.privacy.accounting import Spend
    from bmad.privacy.schemas import bounded_contribution

    charged: list[SubjectSpend] = []
    every_type: list[str] = []
    every_spend: list[Spend] = []
    for repository, stats in statistics.items():
        types = tuple(
            learning_type
            for learning_type in consent.get(store, repository).learning_types
            if bounded_contribution(learning_type, stats) is not None
        )
        if not types:
            continue
        plans = [settings.noise_plan(learning_type) for learning_type in types]
        spends = tuple(Spend(plan.rho, plan.epsilon) for plan in plans)
        charged.append(SubjectSpend(ledger.usage("repository", repository), types, spends))
        every_type += [t for t in types if t not in every_type]
        every_spend += spends
    if charged:
        organisation = ledger.usage("organisation", settings.organisation)
        charged.append(SubjectSpend(organisation, tuple(every_type), tuple(every_spend)))
    return charged


def confirm_spending(charged: Sequence[SubjectSpend], yes: bool) -> None:
    """Say what will be spent; go on with ``--yes`` or a yes on the terminal."""
    click.echo("this export is charged to the privacy budget like an upload:", err=True)
    for subject in charged:
        click.echo(f"  {subject.sentence()}", err=True)
    if yes:
        return
    if not sys.stdin.isatty():
        raise click.UsageError(
            "exporting learning outcomes spends privacy budget: pass --yes to agree "
            "(there is no terminal to ask)"
        )
    if not click.confirm("spend it and export?", default=False, err=True):
        raise BmadError("nothing exported, no budget spent", EXIT_FINDINGS)


def spent_lines(
    ledger: Ledger, releases: Sequence[PreparedRelease], organisation: str
) -> list[str]:
    """One line per repository charged, and the organisation, with its use in the period."""
    per_repository: dict[str, list[PreparedRelease]] = {}
    for release in releases:
        per_repository.setdefault(release.reservation.repository, []).append(release)
    subjects: list[tuple[Usage, list[PreparedRelease]]] = [
        (ledger.usage("repository", repository), charged)
        for repository, charged in per_repository.items()
    ]
    if releases:
        subjects.append((ledger.usage("organisation", organisation), list(releases)))
    lines = []
    for usage, charged in subjects:
        rho = sum(release.reservation.spend.rho for release in charged)
        used = 0.0 if usage.spent is None else usage.spent.epsilon
        types = ", ".join(release.payload.learning_type for release in charged)
        lines.append(
            f"spent for {usage.scope} {usage.subject}: rho {rho:.4g} ({types}); used in "
            f"{usage.period}: epsilon {used:.3g} of {usage.budget.epsilon:g}, "
            f"rho {usage.remaining_rho:.4g} left"
        )
    return lines


def _export_access(purpose: str | None) -> ExportAccess:
    from bmad.federation.participant import open_participant_store
    from bmad.federation.reputation.export_access import export_access
    from bmad.federation.settings import federation_settings

    with open_participant_store() as store:
        return export_access(store, federation_settings(), purpose)


@click.command("export")
@click.option(
    "--learning-outcomes", is_flag=True, help="Include this machine's privacy-preserved payloads."
)
@click.option(
    "--privacy-preserved",
    is_flag=True,
    help="Required: only noisy, bounded payloads are exported, never raw statistics.",
)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), help="File to write (default: stdout)."
)
@click.option(
    "-y", "--yes", is_flag=True, help="Spend the privacy budget the export needs without asking."
)
@click.option(
    "--purpose",
    default=None,
    help="The purpose of the export (e.g. research), for the federation's access policy.",
)
@json_option
@handle_errors
def export(
    learning_outcomes: bool,
    privacy_preserved: bool,
    output: Path | None,
    yes: bool,
    purpose: str | None,
    as_json: bool,
) -> None:
    """Write privacy-preserved learning outcomes and cached global insights as JSON
    (to stdout, or to FILE with --output; --json then reports what was written).

    Each exported payload is charged to the privacy budget like an upload: the command says
    what it will spend and asks first (--yes agrees without asking), then says what it spent.
    Only repositories whose owner ran `bmad share enable` are exported, only their consented
    learning types.
    """
    if not privacy_preserved:
        raise BmadError("only --privacy-preserved exports exist: raw statistics never leave bmad")
    access = _export_access(purpose)
    if not access.allowed:
        if as_json:
            echo_json({"exported": False, "access": access.to_dict()})
        click.echo(f"bmad: nothing exported: {access.explanation}", err=True)
        sys.exit(EXIT_FINDINGS)
    click.echo(f"bmad: {access.explanation}", err=True)
    from bmad.privacy import consent
    from bmad.privacy.collect import collect_local_statistics
    from bmad.privacy.db import open_privacy_store
    from bmad.privacy.sharing import abandon, confirm_sent, prepare_export, settings_for

    settings = settings_for()
    with open_privacy_store() as store:
        ledger = settings.ledger(store)
        statistics: dict[str, LocalStatistics] = {}
        if learning_outcomes:
            for record in consent.all_consents(store):
                if record.enabled and Path(record.repository).is_dir():
                    with step(f"measuring {record.repository}", on_terminal(as_json)):
                        statistics[record.repository] = collect_local_statistics(
                            Path(record.repository)
                        ).statistics
            if not statistics:
                click.echo(f"bmad: {SHARING_OFF}", err=True)
        charged = planned_spends(ledger, settings, store, statistics)
        if charged:
            confirm_spending(charged, yes)
        result = prepare_export(store, settings, statistics, learning_outcomes)
        text = json.dumps(result.document, indent=2) + "\n"
        try:
            if output is None:
                click.echo(text, nl=False)
            else:
                output.write_text(text, encoding="utf-8")
        except OSError as exc:
            for release in result.releases:
                abandon(store, settings, release)
            raise BmadError(f"cannot write {output}: {exc.strerror}") from None
        destination = "export:stdout" if output is None else "export:file"
        for release in result.releases:
            confirm_sent(store, settings, release, destination)
        spent = spent_lines(ledger, result.releases, settings.organisation)
    if output is not None and as_json:  # the document went to the file; stdout gets the rest
        echo_json(
            {
                "output": str(output),
                "payloads": len(result.releases),
                "skipped": result.document["skipped"],
                "spent_rho": sum(release.reservation.spend.rho for release in result.releases),
            }
        )
        return
    if output is not None:
        click.echo(f"wrote {len(result.releases)} privacy-preserved payloads to {output}", err=True)
    for item in result.document["skipped"]:
        click.echo(f"not exported: {item['learning_type']} ({item['reason']})", err=True)
    for line in spent:
        click.echo(line, err=True)
