"""``bmad governance review``: the rules in force, who signed them, their history, and a
compliance check of this machine against them.

The compliance check looks at three things and reports every violation it finds:

- this machine's settings: its organisation budget per period must not exceed the rules'
  epsilon per period, its k for local releases must not be below the rules' k, and the
  aggregator it talks to must be one its ``[policy]`` trusts (when it names any);
- every recent round's manifest against the rules in force when it was opened (genuine,
  opened by an organisation the rules let open rounds, numbers as signed and within the rules);
- the privacy ledger: what the organisation spent this period must stay within the rules'
  budget per period.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bmad.federation.client import AggregatorClient
from bmad.federation.consortium.chain import ConsortiumLogError, LogEntry, in_force_at
from bmad.federation.consortium.manifest import Violation, violations
from bmad.federation.consortium.member import sync
from bmad.federation.consortium.policy import LocalPolicy
from bmad.federation.consortium.rules import ConsortiumRules
from bmad.federation.membership import Membership
from bmad.federation.trust import unb64
from bmad.privacy.identity import fingerprint
from bmad.privacy.sharing import PrivacySettings
from bmad.store.connection import Store

RECENT_ROUNDS = 20


@dataclass(frozen=True, slots=True)
class Finding:
    """One compliance check: what was checked, and the violation if it failed."""

    area: str  # settings, round, ledger, log
    subject: str
    violation: Violation | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "area": self.area,
            "subject": self.subject,
            "ok": self.violation is None,
            **({} if self.violation is None else self.violation.to_dict()),
        }


def _signers(rules: ConsortiumRules, entry: LogEntry) -> list[dict[str, str]]:
    keys = {name: fingerprint(key) for name, key in rules.member_keys().items()}
    admin = fingerprint(unb64(rules.admin_key, "admin key"))
    return [
        {"signer": name, "fingerprint": keys.get(name, admin if name == "admin" else "?")}
        for name in sorted(entry.signatures)
    ]


def history(entries: Sequence[LogEntry]) -> list[dict[str, Any]]:
    """Each version, who signed it (fingerprints from the version before) and what changed."""
    rows = []
    for index, entry in enumerate(entries):
        base = entries[index - 1].rules if index else entry.rules
        rows.append(
            {
                "version": entry.version,
                "at": entry.at,
                "kind": entry.kind,
                "organisation": entry.change.get("organisation"),
                "summary": entry.change.get("summary", ""),
                "hash": entry.hash,
                "signed_by": _signers(base, entry),
            }
        )
    return rows


def rules_document(head: LogEntry) -> dict[str, Any]:
    """The rules in force, seats shown by their keys' fingerprints."""
    document = head.rules.to_dict()
    limit = head.rules.governance.verify_inputs_up_to  # shown even where signed by default
    document["governance"]["verify_inputs_up_to"] = "all" if limit is None else limit
    document["seats"] = {
        seat.organisation: {
            "key_fingerprint": fingerprint(unb64(seat.key, "key")) if seat.taken else None,
            "agreement_signed": bool(seat.agreement_signature),
        }
        for seat in head.rules.seats
    }
    document["admin_key_fingerprint"] = fingerprint(unb64(head.rules.admin_key, "admin key"))
    document["quorum_needed"] = head.rules.quorum_needed()
    return document


def settings_findings(
    rules: ConsortiumRules,
    privacy: PrivacySettings,
    policy: LocalPolicy,
    aggregator_key: bytes,
) -> list[Finding]:
    governance = rules.governance
    budget = privacy.organisation_budget.epsilon
    k = privacy.k_min_participants
    aggregator = fingerprint(aggregator_key)
    trusted = not policy.trusted_aggregators or aggregator in policy.trusted_aggregators
    checks = [
        (
            "[privacy] organisation_budget",
            budget <= governance.epsilon_per_period * (1 + 1e-12),
            f"epsilon {budget:g} per period is above the rules' {governance.epsilon_per_period:g}",
        ),
        (
            "[privacy] k_min_participants",
            k >= governance.k_min_participants,
            f"{k} is below the rules' k of {governance.k_min_participants}",
        ),
        (
            "[policy] trusted_aggregators",
            trusted,
            f"the aggregator's key {aggregator} is not among the trusted ones",
        ),
    ]
    return [
        Finding("settings", name, None if ok else Violation("settings", message))
        for name, ok, message in checks
    ]


def round_findings(
    entries: Sequence[LogEntry], rounds: Sequence[Mapping[str, Any]]
) -> list[Finding]:
    """Each round against the rules in force when its opener signed it."""
    found = []
    for state in rounds:
        manifest = dict((state.get("parameters") or {}).get("manifest") or {}).get("manifest")
        opened = str((manifest or {}).get("opened_at") or state.get("created_at") or "")
        rules = in_force_at(entries, opened).rules
        subject = f"round {state.get('id')} ({state.get('learning_type')}, {state.get('state')})"
        problems = violations(rules, state)
        if not problems:
            found.append(Finding("round", subject, None))
        found.extend(Finding("round", subject, problem) for problem in problems)
    return found


def ledger_findings(
    store: Store, rules: ConsortiumRules, privacy: PrivacySettings, organisation: str
) -> list[Finding]:
    usage = privacy.for_machine(store).ledger(store).usage("organisation", organisation)
    used = usage.spent_rho + usage.reserved_rho
    limit = rules.governance.rho_per_period
    subject = f"{organisation} in {usage.period}"
    if used <= limit * (1 + 1e-12):
        return [Finding("ledger", subject, None)]
    return [
        Finding(
            "ledger",
            subject,
            Violation("ledger", f"rho {used:.4g} spent, above the rules' {limit:.4g} per period"),
        )
    ]


def review(
    store: Store,
    client: AggregatorClient,
    member: Membership,
    privacy: PrivacySettings,
    policy: LocalPolicy,
    *,
    show_rules: bool = True,
    compliance: bool = True,
) -> dict[str, Any]:
    """The review document; ``violations`` lists everything the compliance check found."""
    document: dict[str, Any] = {
        "federation": member.federation,
        "organisation": member.organisation,
    }
    try:
        entries = sync(store, client, member)
    except ConsortiumLogError as exc:
        finding = Finding("log", "consortium rules log", Violation("log", exc.message))
        return {**document, "findings": [finding.to_dict()], "violations": [finding.to_dict()]}
    head = entries[-1]
    document["version"] = head.version
    document["hash"] = head.hash
    if show_rules:
        document["rules"] = rules_document(head)
        document["signatures"] = _signers(
            entries[-2].rules if len(entries) > 1 else head.rules, head
        )
        document["history"] = history(entries)
    findings: list[Finding] = []
    if compliance:
        findings += settings_findings(head.rules, privacy, policy, client.aggregator_key)
        rounds = client.request("GET", f"/v1/federations/{member.federation}/rounds")
        findings += round_findings(entries, list(rounds)[-RECENT_ROUNDS:])
        findings += ledger_findings(store, head.rules, privacy, member.organisation)
    document["findings"] = [finding.to_dict() for finding in findings]
    document["violations"] = [f.to_dict() for f in findings if f.violation is not None]
    return document
