"""The schemas' fill functions and payload serialisation."""

from __future__ import annotations

import json

import pytest

from bmad.errors import BmadError
from bmad.extractors.metrics import FileMetrics, FunctionMetrics, ImportRef
from bmad.privacy import noise, payloads, schemas
from bmad.privacy.summaries import (
    AntiPatternSummary,
    FindingSummary,
    LocalStatistics,
    SuccessSummary,
    anti_pattern_summary,
    practices_from_paths,
)


def _function(ccn: int, nloc: int = 10) -> FunctionMetrics:
    return FunctionMetrics("f", "m.f", 1, 10, nloc, 10, ccn, 0, 1, 2, 1, 50)


def _file(language: str, *functions: FunctionMetrics, imports: tuple[str, ...] = ()) -> FileMetrics:
    return FileMetrics(
        language, 10, 8, 1, 1, False, functions, tuple(ImportRef(t, 1) for t in imports)
    )


def test_code_pattern_bins() -> None:
    files = [_file("python", _function(1), _function(5)), _file("go", _function(300))]
    contribution = schemas.bounded_contribution("code_patterns", LocalStatistics(files=files))
    assert contribution is not None
    labelled = dict(zip(schemas.CODE_PATTERNS.labels, contribution.vector, strict=True))
    assert labelled["ccn/python:1"] == 34
    assert labelled["ccn/python:5"] == 33
    assert labelled["ccn/go:>=60"] == 33
    assert sum(v for k, v in labelled.items() if k.startswith("ccn/")) == 100
    assert schemas.bin_index(0, schemas.LOG2_EDGES) == 0
    assert schemas.bin_index(3, schemas.LOG2_EDGES) == 2
    assert schemas.bin_index(10**9, schemas.LOG2_EDGES) == len(schemas.LOG2_EDGES) - 1


def test_technology_vocabulary_drops_everything_else() -> None:
    files = [
        _file("python", imports=("numpy.linalg", "numpyish", "secret_internal_lib", "torch")),
        _file("go", imports=("github.com/gin-gonic/gin", "github.com/acme/private")),
        _file("javascript", imports=("react", "numpy")),  # numpy is a Python term only
    ]
    assert schemas.technologies_used(files) == {"numpy", "pytorch", "gin", "react"}


def test_anti_pattern_rule_ids_are_normalised() -> None:
    summary = anti_pattern_summary(
        [FindingSummary("Complex-Method"), FindingSummary("deep_nesting"), FindingSummary("x")],
        functions_analysed=200,
        anomalous_functions=3,
    )
    smells, share = schemas.anti_pattern_counts(summary)
    assert smells[schemas.SMELLS.index("complex_method")] == 1
    assert smells[schemas.SMELLS.index("other")] == 1
    assert share == [0, 1, 0, 0, 0, 0]  # 1.5% -> [0.01, 0.02)
    empty = AntiPatternSummary({}, 0, 0)
    assert schemas.anti_pattern_counts(empty)[1] == [0] * 6


def test_success_cells_and_unknown_outcomes() -> None:
    summary = SuccessSummary(True, False, True, merge_share=None, fix_ratio=0.05)
    blocks = schemas.success_counts(summary)
    by_name = dict(zip((b.name for b in schemas.SUCCESS_PATTERNS.blocks), blocks, strict=True))
    assert by_name["tests_presentxlow_fix_ratio"] == [1, 0, 0, 0]
    assert by_name["ci_configxlow_fix_ratio"] == [0, 0, 1, 0]
    assert by_name["tests_presentxsustained_activity"] == [0, 0, 0, 0]  # outcome unknown
    assert by_name["review_via_mergesxlow_fix_ratio"] == [0, 0, 0, 0]  # practice unknown


def test_practices_from_paths() -> None:
    assert practices_from_paths(["src/a.py", "tests/test_a.py"]) == (True, False, False)
    assert practices_from_paths([".github/workflows/ci.yml", "tsconfig.json"]) == (
        False,
        True,
        True,
    )
    assert practices_from_paths(["pkg/foo_test.go", "Jenkinsfile"]) == (True, True, False)
    assert practices_from_paths(["contest.py", ""]) == (False, False, False)


def test_missing_input_gives_no_contribution_and_unknown_types_are_refused() -> None:
    assert schemas.bounded_contribution("workflow_patterns", LocalStatistics()) is None
    with pytest.raises(BmadError, match="unknown learning type"):
        schemas.schema_for("secrets")


def test_payload_round_trip_and_digest() -> None:
    contribution = schemas.bounded_contribution(
        "success_patterns", LocalStatistics(success=SuccessSummary(True, True, True, 0.5, 0.1, 12))
    )
    assert contribution is not None
    plan = noise.plan_gaussian(0.5, schemas.SUCCESS_PATTERNS.l2_sensitivity)
    payload = payloads.build_payload(contribution, plan)
    data = payloads.serialise(payload)
    assert payloads.deserialise(data) == payload
    assert payloads.digest(data) == payloads.digest(payloads.serialise(payload))
    assert len(payloads.digest(data)) == 64
    assert set(json.loads(data)) == {"format", "learning_type", "schema_version", "vector", "noise"}


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b"[1, 2]",
        b'{"format": 1}',
        b'{"format": 9, "learning_type": "code_patterns"}',
        json.dumps(
            {
                "format": 1,
                "learning_type": "success_patterns",
                "schema_version": 1,
                "vector": [1, 2],
                "noise": {
                    "mechanism": "gaussian",
                    "scale": 1.0,
                    "rho": 0.1,
                    "epsilon": None,
                    "participants": 1,
                },
            }
        ).encode(),
    ],
)
def test_malformed_payloads_are_refused(data: bytes) -> None:
    with pytest.raises(BmadError):
        payloads.deserialise(data)
