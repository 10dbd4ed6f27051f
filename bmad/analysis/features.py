"""Feature vectors per function: code metrics plus, when mined, the file's history."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from bmad.analysis.inputs import AnalysisInput, FunctionRecord
from bmad.analysis.reference import Reference

CODE_FEATURES: tuple[str, ...] = (
    "nloc",
    "ccn",
    "cognitive",
    "max_nesting",
    "params",
    "returns",
    "tokens",
)
# ownership enters as its spread (1 - main developer's share): the risky direction is up
HISTORY_FEATURES: tuple[str, ...] = ("revisions", "churn", "coupling", "ownership_spread")

LANGUAGE_FAMILIES: dict[str, str] = {
    "python": "python",
    "javascript": "javascript",
    "typescript": "javascript",
    "tsx": "javascript",
    "go": "go",
    "java": "java",
    "csharp": "csharp",
    "c": "c",
    "cpp": "c",
    "rust": "rust",
    "ruby": "ruby",
}


@dataclass(frozen=True, slots=True)
class FeatureRow:
    record: FunctionRecord
    family: str
    values: tuple[float, ...]  # raw values, in the order of the feature names


def family_of(language: str) -> str:
    return LANGUAGE_FAMILIES.get(language, language)


def feature_names(analysis_input: AnalysisInput) -> tuple[str, ...]:
    if analysis_input.history is None:
        return CODE_FEATURES
    return CODE_FEATURES + HISTORY_FEATURES


def feature_rows(analysis_input: AnalysisInput) -> list[FeatureRow]:
    history = analysis_input.history
    rows: list[FeatureRow] = []
    for record in analysis_input.functions:
        metrics = record.metrics
        values: list[float] = [
            metrics.nloc,
            metrics.ccn,
            metrics.cognitive,
            metrics.max_nesting,
            metrics.params,
            metrics.returns,
            metrics.tokens,
        ]
        if history is not None:
            facts = history.files.get(record.path)
            if facts is None:  # not touched in the mined window (e.g. untracked)
                values += [0.0, 0.0, 0.0, 0.0]
            else:
                values += [
                    facts.revisions,
                    facts.churn,
                    facts.coupling,
                    1.0 - facts.main_author_share,
                ]
        rows.append(FeatureRow(record, family_of(record.language), tuple(map(float, values))))
    return rows


@dataclass(frozen=True, slots=True)
class RobustScaler:
    """log1p, centre on the reference median, divide by its interquartile range.

    Values below the median are clipped to it: anti-patterns are excesses, and a function
    that is merely smaller than usual is not one.
    """

    centres: tuple[float, ...]
    spreads: tuple[float, ...]

    @classmethod
    def from_reference(cls, names: Sequence[str], reference: Reference) -> RobustScaler:
        centres: list[float] = []
        spreads: list[float] = []
        for name in names:
            centre = math.log1p(max(reference.quantile(name, 0.5), 0.0))
            spread = 0.0
            for low, high in ((0.25, 0.75), (0.05, 0.95), (0.0, 1.0)):
                spread = math.log1p(max(reference.quantile(name, high), 0.0)) - math.log1p(
                    max(reference.quantile(name, low), 0.0)
                )
                if spread > 0:
                    break
            centres.append(centre)
            spreads.append(spread if spread > 0 else 1.0)
        return cls(tuple(centres), tuple(spreads))

    def transform(self, values: Sequence[float]) -> list[float]:
        return [
            max((math.log1p(max(value, 0.0)) - centre) / spread, 0.0)
            for value, centre, spread in zip(values, self.centres, self.spreads, strict=True)
        ]
