"""Pages about what this machine shares: budget, audit log, consent, and the federation."""

from __future__ import annotations

from html import escape
from typing import Any

from bmad.dashboard.layout import Links, empty, page, table
from bmad.dashboard.model import DashboardData


def _rho(value: float) -> str:
    return f"{value:.4g}"


def _detail(detail: dict[str, Any]) -> str:
    return escape(", ".join(f"{key}={value}" for key, value in sorted(detail.items())))


def privacy_page(data: DashboardData, links: Links) -> str:
    view = data.privacy
    lifetime = view.lifetime()
    usage_rows = (
        (
            f"{usage.budget.epsilon:g}",
            f"{usage.budget.delta:g}",
            _rho(usage.total_rho),
            _rho(usage.spent_rho),
            _rho(usage.reserved_rho),
            _rho(usage.remaining_rho),
            _rho(lifetime.get((usage.scope, usage.subject), 0.0)),
            escape(f"{usage.scope} {usage.subject}"),
        )
        for usage in view.usages
    )
    period_rows = (
        (_rho(spend.rho), escape(spend.period), escape(f"{spend.scope} {spend.subject}"))
        for spend in view.spends
    )
    consent_rows = (
        (
            "on" if record.enabled else "off",
            escape(", ".join(record.learning_types) or "-"),
            escape(record.updated_at),
            escape(record.repository),
        )
        for record in view.consents
    )
    shared = view.shared
    shared_rows = (
        (
            escape(entry.at),
            escape(str(entry.detail.get("learning_type", ""))),
            escape(str(entry.detail.get("destination", ""))),
            f"<code>{escape(str(entry.detail.get('digest', ''))[:16])}</code>",
        )
        for entry in shared
    )
    audit_rows = (
        (str(entry.seq), escape(entry.at), escape(entry.kind), _detail(entry.detail))
        for entry in view.audit
    )
    chain = (
        f'<p class="ok" id="audit-status">audit log intact: {view.audit_entries} entries, '
        "hash chain verified</p>"
        if not view.audit_problems
        else '<p class="bad" id="audit-status">audit log tampered: '
        + escape("; ".join(view.audit_problems))
        + "</p>"
    )
    body = (
        f"<h2>Budget, period {escape(view.period)}</h2>"
        '<p class="summary">zCDP budgets in rho (converted once from each budget\'s epsilon '
        "and delta); a reservation counts as spent until released. Lifetime: every period "
        "in the audit log.</p>"
        + table(
            [
                "epsilon",
                "delta",
                "rho budget",
                "spent",
                "reserved",
                "remaining",
                "lifetime",
                "subject",
            ],
            usage_rows,
            "budget",
            numeric=7,
        )
        + "<h2>Spent per period</h2>"
        + (
            table(["rho", "period", "subject"], period_rows, "periods", numeric=1)
            if view.spends
            else empty("nothing has been charged to any budget")
        )
        + "<h2>Consent per repository</h2>"
        + (
            table(["sharing", "learning types", "since", "repository"], consent_rows, "consent")
            if view.consents
            else empty("sharing is off for every repository (bmad share enable turns it on)")
        )
        + "<h2>What was shared, and when</h2>"
        + (
            table(["at", "learning type", "destination", "payload digest"], shared_rows, "shared")
            if shared
            else empty("nothing has left this machine")
        )
        + "<h2>Audit log</h2>"
        + chain
        + (
            table(["#", "at", "kind", "detail"], audit_rows, "audit", numeric=1)
            if view.audit
            else empty("the audit log is empty")
        )
    )
    return page("Privacy", "/privacy", body, links, str(data.repository))


def _trust_levels(cached: tuple[str, dict[str, Any]] | None) -> str:
    """The members' levels as last fetched; the aggregator computes them from round events
    and signed ratings (bmad.federation.reputation), this page never asks it."""
    if cached is None:
        return empty(
            "no trust levels fetched yet: bmad federation status --trust-levels asks the "
            "aggregator and keeps its answer here"
        )
    fetched_at, document = cached
    rows = (
        (
            escape(str(row.get("organisation", ""))),
            escape(str(row.get("level", ""))),
            f"{float(row['score']):.2f}" if row.get("score") is not None else "-",
            escape(_interval(row.get("interval"))),
            escape(str(row.get("credits", "-"))),
        )
        for row in document.get("organisations", [])
    )
    cutoffs = "; ".join(
        f"{escape(str(level))}: {escape(str(rule))}"
        for level, rule in document.get("levels", {}).items()
    )
    return (
        f'<p class="note">as the aggregator gave them on {escape(fetched_at)} '
        "(bmad federation status --trust-levels refreshes them)</p>"
        + table(
            ["organisation", "level", "reputation", "interval", "credits"], rows, "trust-levels"
        )
        + (f'<p class="note">levels: {cutoffs}</p>' if cutoffs else "")
    )


def _interval(value: Any) -> str:
    if isinstance(value, list | tuple) and len(value) == 2:
        return f"{float(value[0]):.2f} - {float(value[1]):.2f}"
    return "-"


def federation_page(data: DashboardData, links: Links) -> str:
    view = data.federation
    member = view.membership
    if member is None:
        membership = empty("this machine is in no federation (bmad federation join, or create one)")
    else:
        membership = (
            f'<p class="summary" id="membership">federation <code>{escape(member.federation)}'
            f"</code> at {escape(member.aggregator)}: this machine is "
            f"{escape(member.organisation)} ({escape(member.role)}) since "
            f"{escape(member.joined_at)}.</p>"
        )
    round_rows = (
        (
            escape(row["at"]),
            escape(row["learning_type"]),
            escape(row["outcome"]),
            escape(row["detail"]),
            f"<code>{escape(row['round'][:12])}</code>",
        )
        for row in view.rounds
    )
    insight_rows = (
        (
            escape(str(entry["received_at"])),
            escape(str(entry["learning_type"])),
            str(entry["insights"].get("organisations", "")),
            str(entry["insights"].get("k", "")),
            escape(
                ", ".join(
                    f"{key} {value}"
                    for key, value in entry["insights"].get("privacy", {}).items()
                    if key in ("epsilon", "delta", "unit")
                )
            ),
        )
        for entry in view.insights
    )
    body = (
        membership
        + "<h2>Trust levels</h2>"
        + _trust_levels(view.trust_levels)
        + "<h2>Rounds this machine took part in</h2>"
        + (
            table(["at", "learning type", "outcome", "detail", "round"], round_rows, "rounds")
            if view.rounds
            else empty("no rounds yet")
        )
        + "<h2>Cached global insights</h2>"
        + (
            table(
                ["received", "learning type", "organisations", "k", "privacy"],
                insight_rows,
                "insights",
            )
            if view.insights
            else empty("no global insights cached yet")
        )
    )
    return page("Federation", "/federation", body, links, str(data.repository))
