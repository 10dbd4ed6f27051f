"""[privacy] settings through the real loader: a bad value is an error naming its key, never
truncated or read another way (k = 2.5 must not quietly become 2)."""

from __future__ import annotations

import pytest

from bmad import config
from bmad.errors import BmadError
from bmad.privacy.sharing import PrivacySettings


def settings() -> PrivacySettings:
    return PrivacySettings.from_section(config.load().section("privacy"))


def test_defaults_and_an_environment_value(monkeypatch: pytest.MonkeyPatch) -> None:
    default = settings()
    monkeypatch.setenv("BMAD_PRIVACY__K_MIN_PARTICIPANTS", "7")
    assert settings().k_min_participants == 7
    assert settings().release_rho == default.release_rho


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("k_min_participants", "2.5", "[privacy] k_min_participants must be an integer >= 1"),
        ("min_survivors", "0", "[privacy] min_survivors must be an integer >= 1, got 0"),
        ("min_survivors", "'3'", "[privacy] min_survivors must be an integer >= 1, got '3'"),
        ("release_rho", "'small'", "[privacy] release_rho must be a positive number, got 'small'"),
        ("release_epsilon", "-1", "[privacy] release_epsilon must be a positive number, got -1"),
        ("release_epsilon", "nan", "[privacy] release_epsilon must be a positive number, got nan"),
        ("budget", "'epsilon=1'", "[privacy] budget: privacy budget must give both epsilon"),
        ("organisation_budget", "'epsilon=x,delta=1e-6'", "[privacy] organisation_budget: "),
    ],
)
def test_a_bad_value_names_its_setting(
    monkeypatch: pytest.MonkeyPatch, key: str, value: str, message: str
) -> None:
    monkeypatch.setenv(f"BMAD_PRIVACY__{key.upper()}", value)
    with pytest.raises(BmadError) as raised:
        settings()
    assert raised.value.message.startswith(message)
