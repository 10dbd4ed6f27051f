"""Requests the aggregator must refuse: unsigned, tampered, stale, replayed, wrong role."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import httpx
import pytest

from bmad.federation import enrolment
from bmad.federation.client import AggregatorClient, AggregatorError
from bmad.federation.governance import governance_for
from bmad.federation.participant import open_participant_store
from bmad.federation.signing import (
    KEY_HEADER,
    NONCE_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    encode_key,
    sign_request,
    signed_text,
)
from bmad.privacy.identity import Identity, load_or_create_identity
from bmad.store.connection import Store
from tests.federation.harness import (
    Aggregator,
    create_federation,
    join_as,
    organisation_key,
)


def store_of(tmp_path: Path, name: str) -> Store:
    return open_participant_store(tmp_path / name / "bmad.sqlite3")


def identity(tmp_path: Path, name: str) -> Identity:
    return load_or_create_identity(store_of(tmp_path, name), tmp_path / name / "identity.json")


@pytest.fixture
def setup(tmp_path: Path, aggregator: Aggregator) -> dict[str, object]:
    admin = AggregatorClient(aggregator.url, identity(tmp_path, "admin"))
    created = create_federation(
        store_of(tmp_path, "admin"), admin, ["alpha", "beta", "gamma"], "high"
    )
    federation = created["federation"]
    member = AggregatorClient(aggregator.url, identity(tmp_path, "alpha"))
    alpha = store_of(tmp_path, "alpha")
    join_as(alpha, member, federation, "alpha", created["tokens"]["alpha"], admin, 0.5)
    observer = AggregatorClient(aggregator.url, identity(tmp_path, "watcher"))
    token = admin.issue_token(federation, "watchers", "observer")["token"]
    join_as(store_of(tmp_path, "watcher"), observer, federation, "watchers", token)
    return {
        "admin": admin,
        "member": member,
        "observer": observer,
        "federation": federation,
        "tokens": created["tokens"],
    }


def signed_headers(
    client: AggregatorClient, method: str, target: str, body: bytes
) -> dict[str, str]:
    return sign_request(
        client.identity, client.public_key, client.aggregator_key, method, target, body
    )


def test_unsigned_request_is_rejected(aggregator: Aggregator, setup: dict[str, object]) -> None:
    response = httpx.get(f"{aggregator.url}/v1/federations/{setup['federation']}")
    assert response.status_code == 401
    assert "unsigned" in response.json()["detail"]


def test_tampered_body_is_rejected(aggregator: Aggregator, setup: dict[str, object]) -> None:
    admin = setup["admin"]
    assert isinstance(admin, AggregatorClient)
    target = f"/v1/federations/{setup['federation']}/rounds"
    signed_body = json.dumps({"learning_type": "code_patterns"}).encode()
    headers = signed_headers(admin, "POST", target, signed_body)
    tampered = json.dumps({"learning_type": "code_patterns", "epsilon": 0.5}).encode()
    response = httpx.post(
        aggregator.url + target,
        content=tampered,
        headers={**headers, "content-type": "application/json"},
    )
    assert response.status_code == 401
    assert "bad signature" in response.json()["detail"]


def test_signature_for_another_path_is_rejected(
    aggregator: Aggregator, setup: dict[str, object]
) -> None:
    admin = setup["admin"]
    assert isinstance(admin, AggregatorClient)
    headers = signed_headers(admin, "GET", "/v1/federations/other", b"")
    response = httpx.get(f"{aggregator.url}/v1/federations/{setup['federation']}", headers=headers)
    assert response.status_code == 401


def test_replayed_request_is_rejected(aggregator: Aggregator, setup: dict[str, object]) -> None:
    admin = setup["admin"]
    assert isinstance(admin, AggregatorClient)
    target = f"/v1/federations/{setup['federation']}"
    headers = signed_headers(admin, "GET", target, b"")
    assert httpx.get(aggregator.url + target, headers=headers).status_code == 200
    replay = httpx.get(aggregator.url + target, headers=headers)
    assert replay.status_code == 401
    assert "replayed" in replay.json()["detail"]


def test_stale_request_is_rejected(aggregator: Aggregator, setup: dict[str, object]) -> None:
    admin = setup["admin"]
    assert isinstance(admin, AggregatorClient)
    target = f"/v1/federations/{setup['federation']}"
    stamp, nonce = f"{time.time() - 3600:.3f}", "fresh-nonce-for-a-stale-request"
    signature = admin.identity.sign(
        signed_text(admin.aggregator_key, "GET", target, b"", stamp, nonce)
    )
    headers = {
        KEY_HEADER: encode_key(admin.public_key),
        TIMESTAMP_HEADER: stamp,
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: base64.urlsafe_b64encode(signature).decode(),
    }
    response = httpx.get(aggregator.url + target, headers=headers)
    assert response.status_code == 401
    assert "stale" in response.json()["detail"]


@pytest.mark.parametrize(
    "header, value",
    [
        (KEY_HEADER, "not-base64!"),
        (SIGNATURE_HEADER, "AAAA"),
        (TIMESTAMP_HEADER, "soon"),
        (NONCE_HEADER, "x" * 500),
    ],
)
def test_malformed_signature_headers_are_rejected(
    aggregator: Aggregator, setup: dict[str, object], header: str, value: str
) -> None:
    admin = setup["admin"]
    assert isinstance(admin, AggregatorClient)
    target = f"/v1/federations/{setup['federation']}"
    headers = {**signed_headers(admin, "GET", target, b""), header: value}
    assert httpx.get(aggregator.url + target, headers=headers).status_code == 401


def test_roles_gate_actions(setup: dict[str, object]) -> None:
    member, observer = setup["member"], setup["observer"]
    federation = str(setup["federation"])
    assert isinstance(member, AggregatorClient) and isinstance(observer, AggregatorClient)
    with pytest.raises(AggregatorError) as refused:
        member.open_round(federation, "code_patterns")
    assert refused.value.status == 403
    with pytest.raises(AggregatorError) as refused:
        member.issue_token(federation, "intruder", "member")
    assert refused.value.status == 403
    admin = setup["admin"]
    assert isinstance(admin, AggregatorClient)
    opened = admin.open_round(federation, "code_patterns")
    with pytest.raises(AggregatorError) as refused:
        observer.enrol(opened["id"])
    assert refused.value.status == 403
    observer_view = observer.status(federation)
    assert "participants" not in observer_view
    assert observer.insights(federation) == []


def test_strangers_and_bad_tokens_are_refused(tmp_path: Path, setup: dict[str, object]) -> None:
    federation = str(setup["federation"])
    tokens = setup["tokens"]
    assert isinstance(tokens, dict)
    admin = setup["admin"]
    assert isinstance(admin, AggregatorClient)
    stranger = AggregatorClient(admin.base_url, identity(tmp_path, "stranger"))
    with pytest.raises(AggregatorError) as refused:
        stranger.status(federation)
    assert refused.value.status == 403
    with pytest.raises(AggregatorError) as refused:  # alpha's token was used already
        join_as(store_of(tmp_path, "stranger"), stranger, federation, "alpha", tokens["alpha"])
    assert refused.value.status == 403
    with pytest.raises(AggregatorError) as refused:  # a token is for its organisation only
        join_as(store_of(tmp_path, "stranger"), stranger, federation, "mallory", tokens["beta"])
    assert refused.value.status == 403
    join_as(store_of(tmp_path, "stranger"), stranger, federation, "beta", tokens["beta"])
    assert stranger.status(federation)["you"] == {"organisation": "beta", "role": "member"}


def test_governance_limits_rounds(setup: dict[str, object]) -> None:
    admin = setup["admin"]
    assert isinstance(admin, AggregatorClient)
    federation = str(setup["federation"])
    with pytest.raises(AggregatorError) as refused:  # high: workflow patterns not allowed
        admin.open_round(federation, "workflow_patterns")
    assert refused.value.status == 400
    with pytest.raises(AggregatorError) as refused:
        admin.open_round(federation, "code_patterns", epsilon=5.0)
    assert "exceeds" in str(refused.value)
    with pytest.raises(AggregatorError) as refused:
        admin.open_round(federation, "code_patterns", min_participants=3)
    assert "below" in str(refused.value)
    governance = governance_for("high")  # rho composes: n rounds cost n * rho_per_round
    allowed = int(governance.rho_per_period / governance.rho_per_round * (1 + 1e-12))
    for _ in range(allowed):
        admin.open_round(federation, "code_patterns")
    with pytest.raises(AggregatorError) as refused:
        admin.open_round(federation, "code_patterns")
    assert "budget" in str(refused.value)


def test_bad_bodies_get_422_not_500(aggregator: Aggregator, setup: dict[str, object]) -> None:
    admin = setup["admin"]
    assert isinstance(admin, AggregatorClient)
    for body in ({"learning_type": "nope"}, {"learning_type": "code_patterns", "epsilon": -1}):
        with pytest.raises(AggregatorError) as refused:
            admin.request("POST", f"/v1/federations/{setup['federation']}/rounds", body)
        assert refused.value.status == 422
    with pytest.raises(AggregatorError) as refused:
        admin.request("GET", "/v1/federations/not-a-uuid")
    assert refused.value.status == 422


def test_one_organisation_is_one_participant_per_round(
    tmp_path: Path, setup: dict[str, object]
) -> None:
    admin, member = setup["admin"], setup["member"]
    assert isinstance(admin, AggregatorClient) and isinstance(member, AggregatorClient)
    federation = str(setup["federation"])
    second_machine = AggregatorClient(admin.base_url, identity(tmp_path, "alpha-laptop"))
    alpha = store_of(tmp_path, "alpha")
    certificate = enrolment.certify(
        alpha,
        organisation_key(alpha),
        federation,
        "alpha",
        second_machine.identity.public.signing_public,
        0.5,
    )
    token = admin.issue_token(federation, "alpha", "member")["token"]
    enrolment.join(
        store_of(tmp_path, "alpha-laptop"), second_machine, federation, "alpha", token, certificate
    )
    tokens = setup["tokens"]
    assert isinstance(tokens, dict)  # a second organisation keeps enrolment open
    beta = AggregatorClient(admin.base_url, identity(tmp_path, "beta"))
    join_as(store_of(tmp_path, "beta"), beta, federation, "beta", tokens["beta"])
    opened = admin.open_round(federation, "code_patterns")
    member.enrol(opened["id"])
    member.enrol(opened["id"])  # the same machine again: still one enrolment
    with pytest.raises(AggregatorError) as refused:
        second_machine.enrol(opened["id"])
    assert refused.value.status == 409
    assert "another machine of this organisation" in str(refused.value)
    status = admin.status(federation)
    alpha = next(row for row in status["participants"] if row["organisation"] == "alpha")
    assert alpha["machines"] == 2


def test_a_long_poll_returns_when_the_round_changes(setup: dict[str, object]) -> None:
    import threading

    admin, member = setup["admin"], setup["member"]
    assert isinstance(admin, AggregatorClient) and isinstance(member, AggregatorClient)
    opened = admin.open_round(str(setup["federation"]), "code_patterns")
    seen = admin.round(opened["id"])["changes"]
    answers: list[dict[str, object]] = []
    watcher = threading.Thread(
        target=lambda: answers.append(admin.round(opened["id"], seen, 30.0)), daemon=True
    )
    watcher.start()
    member.enrol(opened["id"])  # a change: the held request is answered
    watcher.join(timeout=60)
    assert answers and answers[0]["changes"] != seen
    assert sum(answers[0]["organisations"].values()) == 1  # type: ignore[attr-defined]
    with pytest.raises(AggregatorError) as refused:  # strangers are refused before any wait
        admin.round("00000000-0000-0000-0000-000000000000", 0, 30.0)
    assert refused.value.status == 404


def test_a_federation_the_aggregator_does_not_know_is_not_found(setup: dict[str, object]) -> None:
    member = setup["member"]
    assert isinstance(member, AggregatorClient)
    with pytest.raises(AggregatorError) as refused:
        member.status("00000000-0000-0000-0000-000000000000")
    assert refused.value.status == 404
    assert "no federation 00000000-0000-0000-0000-000000000000" in str(refused.value)
