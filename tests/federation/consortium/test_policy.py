"""The ``[policy]`` section: its defaults and the errors that name the setting to fix."""

from __future__ import annotations

import pytest

from bmad import config
from bmad.errors import BmadError
from bmad.federation.consortium.policy import LocalPolicy


def test_the_defaults_accept_what_the_rules_allow() -> None:
    policy = LocalPolicy.from_section(config.DEFAULTS["policy"])
    assert policy == LocalPolicy()
    assert policy.to_dict()["trusted_aggregators"] == []


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("max_epsilon_per_round", 0, "[policy] max_epsilon_per_round must be a positive number"),
        ("learning_types", "code_patterns", "[policy] learning_types must be a list of strings"),
        ("learning_types", ["code_patterns", "gossip"], "unknown gossip"),
        ("min_organisations", -1, "[policy] min_organisations must be an integer >= 0"),
        ("trusted_aggregators", [1], "[policy] trusted_aggregators must be a list of strings"),
    ],
)
def test_a_wrong_setting_is_named(key: str, value: object, message: str) -> None:
    section = {**config.DEFAULTS["policy"], key: value}
    with pytest.raises(BmadError) as refused:
        LocalPolicy.from_section(section)
    assert message in refused.value.message
    assert refused.value.exit_code == 2
