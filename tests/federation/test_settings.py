"""[federation] settings through the real loader: bad values are errors naming the key."""

from __future__ import annotations

import pytest

from bmad import config
from bmad.errors import BmadError
from bmad.federation.settings import FederationSettings


def settings() -> FederationSettings:
    return FederationSettings.from_section(config.load().section("federation"))


def test_numbers_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BMAD_FEDERATION__REQUEST_TIMEOUT", "7")
    monkeypatch.setenv("BMAD_FEDERATION__POLL_INTERVAL", "0.5")
    read = settings()
    assert (read.request_timeout, read.poll_interval) == (7.0, 0.5)


@pytest.mark.parametrize(
    ("key", "value", "shown"),
    [
        ("request_timeout", "'soon'", "'soon'"),
        ("poll_interval", "0", "0"),
        ("round_timeout", "-3.5", "-3.5"),
        ("participate_interval", "true", "True"),
        ("request_timeout", "inf", "inf"),
    ],
)
def test_a_bad_number_names_its_setting(
    monkeypatch: pytest.MonkeyPatch, key: str, value: str, shown: str
) -> None:
    monkeypatch.setenv(f"BMAD_FEDERATION__{key.upper()}", value)
    with pytest.raises(BmadError) as raised:
        settings()
    assert raised.value.message == (f"[federation] {key} must be a positive number, got {shown}")


def test_an_aggregator_that_is_not_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BMAD_FEDERATION__AGGREGATOR", "'aggregator.example'")
    with pytest.raises(BmadError, match="must be an http:// or https:// URL"):
        settings()
