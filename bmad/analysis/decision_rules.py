"""Decision anti-patterns from the technology history, named as findings like the smells.

``abandoned-dependency``: a dependency or tool removed within ``[rules]
abandoned_dependency_months`` of being added along the mainline (the decision was reverted),
reported on the technology file that declared it, at the line naming it when one still does.
``bmad insights trends`` lists the same abandonments inside its time window.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from bmad.analysis.findings import Finding
from bmad.analysis.rule_catalogue import RULES
from bmad.analysis.settings import RuleSettings
from bmad.extractors.technology_trends import ABANDONMENT_RULE, DeclaredEpisode, abandonments


def _day(moment: int) -> str:
    return datetime.fromtimestamp(moment, UTC).date().isoformat()


def abandoned_dependencies(
    declared: Iterable[DeclaredEpisode], settings: RuleSettings
) -> list[Finding]:
    """One ``abandoned-dependency`` finding per episode that ended within the threshold."""
    if ABANDONMENT_RULE in settings.disabled:
        return []
    level = settings.severity.get(ABANDONMENT_RULE, RULES[ABANDONMENT_RULE].severity)
    found: list[Finding] = []
    for item in declared:
        for abandoned in abandonments([item.episode], settings.abandoned_dependency_months):
            found.append(
                Finding(
                    ABANDONMENT_RULE,
                    level,
                    item.path,
                    item.line,
                    item.line,
                    abandoned.message,
                    {
                        "technology": abandoned.technology,
                        "added": _day(abandoned.added),
                        "removed": _day(abandoned.removed),
                        "days": round(abandoned.days, 1),
                        "added_commit": abandoned.added_commit,
                        "removed_commit": abandoned.removed_commit,
                        "threshold_months": abandoned.threshold_months,
                    },
                )
            )
    return found
