"""A round's manifest: what its opener asked for, signed by the opener's machine key.

The opener signs the federation, the learning type, the epsilon, delta and least number of
organisations it asked for (none: the rules' own), the model a ``risk_model`` round starts
from (none: zeros, a first step), the time and a nonce; the aggregator adds
the opener's machine certificate and keeps the manifest in the round's parameters. Each member
then checks (``violations``) that the manifest is genuine, that its opener is a member
organisation the rules let open rounds, that the round's numbers are the ones signed, and that
they stay within the rules in force and this organisation's local policy.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bmad.errors import BmadError
from bmad.federation.consortium.policy import LocalPolicy
from bmad.federation.consortium.rules import ConsortiumRules, signed_message
from bmad.federation.secagg.config import Signer
from bmad.federation.trust import MachineCertificate, b64, unb64
from bmad.privacy.db import timestamp, utc_now
from bmad.privacy.identity import fingerprint, verify_signature
from bmad.privacy.risk_schema import LEARNING_TYPE as RISK_MODEL
from bmad.privacy.risk_schema import opening_weights

_MANIFEST_CONTEXT = "bmad-round-manifest-v1"
REQUESTED = ("epsilon", "delta", "min_participants", "weights")


def manifest_message(manifest: Mapping[str, Any]) -> bytes:
    return signed_message(_MANIFEST_CONTEXT, manifest)


def signed_manifest(
    signer: Signer,
    public_key: bytes,
    federation: str,
    learning_type: str,
    options: Mapping[str, Any],
) -> dict[str, Any]:
    """The manifest of the round ``options`` ask for, with its signature and signer key."""
    manifest: dict[str, Any] = {
        "federation": federation,
        "learning_type": learning_type,
        **{name: options.get(name) for name in REQUESTED},
        "opened_at": timestamp(utc_now()),
        "nonce": secrets.token_urlsafe(16),
    }
    return {
        "manifest": manifest,
        "key": b64(public_key),
        "signature": b64(signer.sign(manifest_message(manifest))),
    }


def check_signature(signed: Mapping[str, Any]) -> bytes:
    """The signer key of a genuine manifest, or BmadError."""
    try:
        key = unb64(signed["key"], "manifest key")
        verify_signature(
            key, manifest_message(dict(signed["manifest"])), unb64(signed["signature"], "sig")
        )
    except (KeyError, TypeError, BmadError):
        raise BmadError("the round's manifest is not signed by the key it names") from None
    return key


@dataclass(frozen=True, slots=True)
class Violation:
    """One way a round breaks something: its ``manifest`` itself, the consortium ``rules`` in
    force, or this organisation's local ``policy``."""

    source: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"source": self.source, "message": self.message}


def opener(signed: Mapping[str, Any], rules: ConsortiumRules) -> str:
    """The organisation that opened the round, once its manifest and certificate verify and its
    key is the member key the rules hold; BmadError otherwise."""
    key = check_signature(signed)
    certificate = MachineCertificate.from_dict(signed.get("certificate") or {})
    certificate.verify()
    if certificate.machine_key != key or certificate.federation != rules.federation:
        raise BmadError("the manifest's certificate is for another key or federation")
    if rules.member_keys().get(certificate.organisation) != certificate.organisation_key:
        raise BmadError(
            f"the round was opened by {certificate.organisation}, whose organisation key "
            "holds no seat in the consortium rules"
        )
    return certificate.organisation


def violations(
    rules: ConsortiumRules,
    round_state: Mapping[str, Any],
    policy: LocalPolicy | None = None,
    aggregator_key: bytes | None = None,
) -> list[Violation]:
    """Everything the round (as the aggregator describes it) breaks; empty when it may run.
    Without ``policy`` only the manifest and the rules are checked (the review of past
    rounds)."""
    parameters = dict(round_state.get("parameters") or {})
    signed = parameters.get("manifest")
    if not isinstance(signed, Mapping):
        return [Violation("manifest", "the round carries no manifest signed by its opener")]
    try:
        organisation = opener(signed, rules)
    except BmadError as exc:
        return [Violation("manifest", exc.message)]
    manifest = dict(signed["manifest"])
    found: list[Violation] = []
    if not rules.may_open_rounds(organisation):
        found.append(
            Violation("rules", f"the consortium rules do not let {organisation} open rounds")
        )
    learning_type = str(round_state.get("learning_type"))
    if (
        manifest.get("federation") != rules.federation
        or manifest.get("learning_type") != learning_type
    ):
        found.append(Violation("manifest", "the round is not the one its opener signed"))
    governance = rules.governance
    signed_numbers = {
        "epsilon": manifest.get("epsilon") or governance.epsilon_per_round,
        "delta": manifest.get("delta") or governance.delta,
        "k": manifest.get("min_participants") or governance.k_min_participants,
    }
    try:
        numbers = {name: float(parameters[name]) for name in signed_numbers}
    except (KeyError, TypeError, ValueError):
        return [*found, Violation("manifest", "the round's parameters are incomplete")]
    for name, value in signed_numbers.items():
        if abs(float(value) - numbers[name]) > 1e-12 * max(1.0, abs(numbers[name])):
            found.append(
                Violation(
                    "manifest",
                    f"the round's {name} {numbers[name]:g} is not the {float(value):g} its "
                    "opener signed",
                )
            )
    found += _model_violations(manifest, parameters, learning_type)
    found += _rules_violations(rules, learning_type, numbers)
    if policy is not None:
        found += _policy_violations(policy, learning_type, numbers, rules, aggregator_key)
    return found


def _model_violations(
    manifest: Mapping[str, Any], parameters: Mapping[str, Any], learning_type: str
) -> list[Violation]:
    """A risk_model round must start from the model its opener signed: members compute their
    gradients at it, so a model swapped by the aggregator would steer what they send."""
    if learning_type != RISK_MODEL and "weights" not in parameters:
        return []
    try:
        signed = opening_weights(manifest.get("weights"))
        started = [float(value) for value in parameters.get("weights") or ()]
    except (BmadError, TypeError, ValueError):
        return [Violation("manifest", "the round's starting model is not a model")]
    if started != signed:
        return [Violation("manifest", "the round starts from a model its opener did not sign")]
    return []


def _rules_violations(
    rules: ConsortiumRules, learning_type: str, numbers: Mapping[str, float]
) -> list[Violation]:
    governance = rules.governance
    found = []
    if learning_type not in governance.allowed_learning_types:
        found.append(Violation("rules", f"the consortium rules do not allow {learning_type}"))
    if numbers["epsilon"] > governance.epsilon_per_round * (1 + 1e-12):
        found.append(
            Violation(
                "rules",
                f"epsilon {numbers['epsilon']:g} per round is above the rules' "
                f"{governance.epsilon_per_round:g}",
            )
        )
    if numbers["delta"] > governance.delta:
        found.append(
            Violation(
                "rules", f"delta {numbers['delta']:g} is above the rules' {governance.delta:g}"
            )
        )
    if numbers["k"] < governance.k_min_participants:
        found.append(
            Violation(
                "rules",
                f"the round needs {numbers['k']:g} organisations; the rules require "
                f"{governance.k_min_participants}",
            )
        )
    return found


def _policy_violations(
    policy: LocalPolicy,
    learning_type: str,
    numbers: Mapping[str, float],
    rules: ConsortiumRules,
    aggregator_key: bytes | None,
) -> list[Violation]:
    found = []
    if policy.learning_types and learning_type not in policy.learning_types:
        found.append(
            Violation("policy", f"this organisation's policy does not share {learning_type}")
        )
    if numbers["epsilon"] > policy.max_epsilon_per_round * (1 + 1e-12):
        found.append(
            Violation(
                "policy",
                f"epsilon {numbers['epsilon']:g} per round is above this organisation's policy "
                f"({policy.max_epsilon_per_round:g})",
            )
        )
    needed = max(policy.min_organisations, rules.governance.k_min_participants)
    if numbers["k"] < needed:
        found.append(
            Violation(
                "policy",
                f"the round needs {numbers['k']:g} organisations; this organisation's policy "
                f"requires {needed}",
            )
        )
    if policy.trusted_aggregators and (
        aggregator_key is None or fingerprint(aggregator_key) not in policy.trusted_aggregators
    ):
        found.append(
            Violation(
                "policy",
                "the aggregator's key "
                + (fingerprint(aggregator_key) if aggregator_key else "(unknown)")
                + " is not among this organisation's trusted aggregators",
            )
        )
    return found
