"""Success factors from a repository's past: a factor whose files are fixed less often comes
out as predicting fewer fixes with its whole interval below zero; an unrelated one is unclear;
too little history gives none and says why."""

from __future__ import annotations

from bmad.analysis.risk_factors import success_factors
from bmad.analysis.risk_features import FILE_FEATURES
from bmad.analysis.risk_model import LabelledSnapshot

OWNERSHIP = FILE_FEATURES.index("ownership")
CHURN = FILE_FEATURES.index("recent_churn")


def snapshot(time: int, files: int) -> LabelledSnapshot:
    """Files with one owner (ownership high) are never fixed, shared ones always; recent
    churn is the same for each owned file and the shared file after it, so it says nothing
    of the label."""
    rows, labels, keys = [], [], []
    for index in range(files):
        row = [1.0] * len(FILE_FEATURES)
        owned = index % 2 == 0
        row[OWNERSHIP] = 0.9 + index / 10_000 if owned else 0.3 + index / 10_000
        row[CHURN] = float(((index // 2) * 7) % 13)
        rows.append(row)
        labels.append(not owned)
        keys.append(f"file{index:03}.py")
    return LabelledSnapshot(time, rows, labels, keys)


def test_ownership_predicts_fewer_fixes_and_unrelated_churn_is_unclear() -> None:
    found = success_factors([snapshot(2_000, 60), snapshot(1_000, 60)], resamples=40)
    by_feature = {factor.feature: factor for factor in found.factors}
    owned = by_feature["ownership"]
    assert owned.high < 0 and owned.effect == "fewer fixes"
    assert found.factors[0].feature == "ownership"  # the most protective first
    assert by_feature["recent_churn"].effect == "unclear"
    assert found.resamples == 40 and found.files == 60 and found.positives == 60


def test_too_little_history_gives_no_factor_and_says_why() -> None:
    found = success_factors([snapshot(1_000, 30)], resamples=40)
    assert found.factors == () and found.reason.startswith("too little history")
