"""Every form the selection can choose is stored as JSON and served back exactly: logistic
regression and gradient boosting give the same risks and explanations after the round trip,
read without scikit-learn and without pickle; a model's digest names it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bmad.analysis.risk_model import (
    FAMILIES,
    LabelledSnapshot,
    ModelChoice,
    RiskModel,
    TrainingSet,
    contributions,
    fit,
    probabilities,
)
from bmad.analysis.risk_portable import decode, encode, model_digest
from bmad.analysis.risk_serving import stored_local
from bmad.analysis.risk_store import (
    NO_RISK,
    StoredModel,
    StoredRun,
    open_risk_store,
    save_risks,
    stale_reason,
    stored_local_model,
)

FEATURES = ("revisions", "churn", "sloc", "authors")


def snapshot(time: int, offset: int) -> LabelledSnapshot:
    """Sixty files whose fixes follow revisions and churn, with some that break the rule."""
    rows = [
        [float((i * 7 + offset) % 23), float((i * 13 + offset) % 41), float(i * 5 % 97), i % 4]
        for i in range(60)
    ]
    labels = [(row[0] + row[1] / 2 > 20) != (i % 11 == 0) for i, row in enumerate(rows)]
    return LabelledSnapshot(time, rows, labels)


def model(family: str) -> RiskModel:
    training = TrainingSet(FEATURES, [snapshot(2, 1), snapshot(1, 5), snapshot(0, 9)])
    return fit(training, ModelChoice(family, "log", 1.0 if family == "boosting" else 0.1, False))


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_comes_back_with_the_same_risks_and_explanations(family: str) -> None:
    fitted = model(family)
    served = decode(encode(fitted))
    rows = snapshot(3, 4).rows
    assert len(set(probabilities(fitted, rows))) > 10
    assert probabilities(served, rows) == probabilities(fitted, rows)
    assert contributions(served, rows, 5) == contributions(fitted, rows, 5)
    assert (
        model_digest(served)
        == model_digest(fitted)
        != model_digest(model("logistic" if family == "boosting" else "boosting"))
    )
    assert model_digest(None) == ""


def test_a_stored_boosting_model_serves_without_scikit_learn(tmp_path: Path) -> None:
    fitted = model("boosting")
    document = tmp_path / "model.json"
    document.write_text(encode(fitted))
    rows = snapshot(3, 4).rows
    script = (
        "import sys, json\n"
        "sys.modules['sklearn'] = None  # any import of scikit-learn fails\n"
        "from bmad.analysis.risk_model import probabilities\n"
        "from bmad.analysis.risk_portable import decode\n"
        f"model = decode(open({str(document)!r}).read())\n"
        f"print(json.dumps(probabilities(model, {rows!r})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == str(probabilities(fitted, rows)).replace("'", '"')


def test_the_stored_local_model_is_what_serving_reads_back(tmp_path: Path) -> None:
    fitted = model("boosting")
    stored = StoredModel("d" * 40, 1, model_digest(fitted), 2, encode(fitted))
    with open_risk_store() as store:
        assert stored_local(store, tmp_path) is None
        save_risks(store, tmp_path, "d" * 40, NO_RISK, stored)
        assert stored_local_model(store, tmp_path) == stored
        local = stored_local(store, tmp_path)
        save_risks(store, tmp_path, "d" * 40, NO_RISK, StoredModel("e" * 40, 2, "", 0, ""))
        too_short = stored_local(store, tmp_path)
        future = StoredModel(
            "e" * 40, 3, "x", 1, encode(fitted).replace('"format":1', '"format":9')
        )
        save_risks(store, tmp_path, "d" * 40, NO_RISK, future)
        assert stored_local(store, tmp_path) is None  # unreadable: trained anew, never guessed
    assert local is not None and local.model is not None
    assert local.model.choice.family == "boosting" and local.selection.windows == 2
    rows = snapshot(3, 4).rows
    assert probabilities(local.model, rows) == probabilities(fitted, rows)
    assert too_short is not None and too_short.model is None


def test_stored_risks_are_stale_when_the_federations_model_is_another() -> None:
    run = StoredRun("a" * 40, 0, "blend", "blended", 365, "local", "global-1")
    assert stale_reason(run, "global-1") is None
    assert stale_reason(run, "global-2") == "the federation released a new model since"
    assert stale_reason(run, "") == "the federation's model they used is no longer cached"
    assert run.identity == "aaaaaaaaaaaa/local/global-1"
