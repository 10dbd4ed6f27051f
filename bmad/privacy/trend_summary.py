"""The technology-trend input of one repository, reduced to the trend vocabulary.

Mines the repository's technology history (``bmad.scanning.trends``, incremental through the
store) and keeps only what the trend learning types count: the quarter each vocabulary
technology first showed, the mainline episodes' kinds and lengths, the vocabulary migrations,
the tools and practices at the tip, and the fix and revert ratios of the mined history.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from bmad.extractors.technology_trends import (
    changes_along,
    migrations,
    quarter_of,
    survival_records,
)
from bmad.privacy.summaries import TrendSummary, practices_from_paths
from bmad.privacy.trend_schemas import in_vocabulary

if TYPE_CHECKING:
    from bmad.extractors.history_report import HistoryReport
    from bmad.extractors.technology_trends import TechnologyHistory

MIGRATION_WINDOW_DAYS = 30
REVIEW_MERGE_SHARE = 0.1


def trend_summary(
    history: TechnologyHistory, report: HistoryReport | None, paths: Iterable[str]
) -> TrendSummary:
    known = in_vocabulary(seen.technology for seen in history.presence)
    first = {
        seen.technology: quarter_of(seen.first_seen)
        for seen in history.presence
        if seen.technology in known
    }
    tip = in_vocabulary(seen.technology for seen in history.presence if seen.at_tip)
    has_tests, _, _ = practices_from_paths(paths)
    factors = {key for key in tip if key.startswith("tool:")}
    if has_tests:
        factors.add("practice:tests_present")
    summary = None if report is None or report.summary.commits == 0 else report.summary
    if summary is not None and summary.merge_ratio >= REVIEW_MERGE_SHARE:
        factors.add("practice:review_via_merges")
    moved = frozenset(
        (found.replaced, found.replacement)
        for found in migrations(changes_along(history.mainline), MIGRATION_WINDOW_DAYS)
        if found.replaced in known and found.replacement in known
    )
    return TrendSummary(
        first_adoption=first,
        survival=survival_records(history),
        migrations=moved,
        factors=frozenset(factors),
        fix_ratio=None if summary is None else summary.fix_ratio,
        revert_ratio=None if summary is None else summary.revert_ratio,
    )


def collect_trend_summary(
    root: Path, report: HistoryReport | None, paths: Iterable[str]
) -> TrendSummary | None:
    """None when the repository has no commit yet."""
    from bmad.scanning.trends import mine_technology_history, open_trends_store

    with open_trends_store() as store:
        _, history = mine_technology_history(store, root)
    return None if history is None else trend_summary(history, report, paths)
