"""Governance numbers sign the same however they were typed: the aggregator parses them as
floats, so an integer override must not change the signed document."""

from __future__ import annotations

import json

import pytest

from bmad.errors import BmadError
from bmad.federation.governance import Governance, governance_for


def test_integer_overrides_become_the_floats_the_aggregator_reads() -> None:
    typed_as_int = governance_for("medium", epsilon_per_period=100, phase_timeout=30)
    typed_as_float = governance_for("medium", epsilon_per_period=100.0, phase_timeout=30.0)
    assert json.dumps(typed_as_int.to_dict(), sort_keys=True) == json.dumps(
        typed_as_float.to_dict(), sort_keys=True
    )
    assert isinstance(typed_as_int.epsilon_per_period, float)
    # what the aggregator does with the document it receives: parse it and serialise it again
    reparsed = Governance.from_dict(json.loads(json.dumps(typed_as_int.to_dict())))
    assert json.dumps(reparsed.to_dict(), sort_keys=True) == json.dumps(
        typed_as_int.to_dict(), sort_keys=True
    )


@pytest.mark.parametrize("value", [True, "1.0", [1.0]])
def test_a_number_that_is_not_a_number_is_refused(value: object) -> None:
    with pytest.raises(BmadError, match="epsilon_per_round must be a number"):
        governance_for("medium", epsilon_per_round=value)
