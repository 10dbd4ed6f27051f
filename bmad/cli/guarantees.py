"""The unit of privacy of each learning type and both its guarantees, as the CLI shows them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bmad.errors import BmadError


def governance_guarantees(governance: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per allowed learning type: its unit, (epsilon, delta) per unit and per organisation."""
    from bmad.federation.governance import Governance

    rules = Governance.from_dict(dict(governance))
    return [
        {"learning_type": learning_type, **rules.guarantee(learning_type).to_dict()}
        for learning_type in rules.allowed_learning_types
    ]


def federation_guarantees() -> list[dict[str, Any]] | None:
    """This machine's federation's guarantees, or None outside a federation or offline."""
    from bmad.federation import membership
    from bmad.federation.participant import open_participant_store
    from bmad.federation.settings import federation_settings
    from bmad.privacy.identity import load_or_create_identity

    with open_participant_store() as store:
        member = membership.current(store)
        if member is None:
            return None
        try:
            identity = load_or_create_identity(store)
            with federation_settings().client(
                member.aggregator, identity, member.pinned_aggregator_key
            ) as client:
                governance = client.status(member.federation)["governance"]
        except BmadError:
            return None
    return governance_guarantees(governance)


def guarantee_lines(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """``code_patterns: one function (epsilon 1, delta 1e-05 per round); per organisation: ...``"""
    lines = []
    for row in rows:
        per_unit = row["per_unit"]
        lines.append(
            f"  {row['learning_type']}: protects {row['protects']} (epsilon "
            f"{per_unit['epsilon']:.3g}, delta {per_unit['delta']:g} per round); per "
            f"organisation: {row['per_organisation']['note']}"
        )
    return lines
