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
        ("max_round_epsilon", "0", "[privacy] max_round_epsilon must be a positive number"),
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


def test_an_export_carries_the_full_central_noise() -> None:
    """A payload that leaves unmasked is noised for the whole release, never a share."""
    from bmad.privacy.noise import gaussian_scale_for_rho
    from bmad.privacy.schemas import schema_for

    plan = settings().noise_plan("code_patterns")
    sensitivity = schema_for("code_patterns").l2_sensitivity
    assert plan.participants == 1
    assert plan.scale == gaussian_scale_for_rho(settings().release_rho, sensitivity)
    assert plan.rho == pytest.approx(settings().release_rho)
