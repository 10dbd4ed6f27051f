"""Governance chooses the unit of privacy per learning type, and round layouts follow it."""

from __future__ import annotations

import pytest

from bmad.errors import BmadError
from bmad.federation.governance import PRIVACY_LEVELS, Governance, governance_for
from bmad.federation.wire import round_schema, round_vector_length
from bmad.privacy.schemas import LEARNING_TYPES, schema_for


def test_every_level_protects_one_function_for_code_and_the_organisation_otherwise() -> None:
    for level in PRIVACY_LEVELS:
        governance = governance_for(level)
        assert governance.unit("code_patterns").name == "record"
        assert governance.unit("risk_model").name == "record"  # one file's gradient
        for learning_type in set(LEARNING_TYPES) - {"code_patterns", "risk_model"}:
            assert governance.unit(learning_type).name == "organisation"


def test_a_unit_override_survives_the_aggregator_round_trip() -> None:
    governance = governance_for("medium", units={"code_patterns": "organisation"})
    assert governance.unit("code_patterns").name == "organisation"
    assert Governance.from_dict(governance.to_dict()) == governance
    with pytest.raises(BmadError, match="does not support"):
        governance_for("medium", units={"workflow_patterns": "record"})


def test_only_the_organisation_unit_sends_participation_bits() -> None:
    schema = schema_for("code_patterns")
    medium = governance_for("medium")
    record = medium.unit("code_patterns")
    organisation = governance_for("medium", units={"code_patterns": "organisation"}).unit(
        "code_patterns"
    )
    assert round_vector_length(schema, record) == schema.dim
    assert round_vector_length(schema, organisation) == 2 * schema.dim
    assert round_schema(schema, record).l2_squared_sensitivity == 2 * len(schema.blocks)
