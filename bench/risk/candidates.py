"""Candidate defect-risk features that did not earn a place in bmad's feature set (measured by
bench_features.py on the development windows): who changed a file and how lately (developer
experience, activity at a finer grain than six months) and the fixes of the files it changes
together with.

Developer experience after Mockus and Weiss 2000 and Kamei et al. 2013: at each change, the
author's earlier commits in the repository and to the file; a newcomer (fewer than
:data:`NEWCOMER_COMMITS` earlier commits in the repository) knows the code least. Change
coupling after code-maat (commits of at most ``MAX_COUPLING_CHANGESET`` files): a file whose
change partners keep being fixed tends to be fixed with them (D'Ambros et al. 2009). Merge
commits are skipped and a rename carries a file's history, as in
:func:`bmad.analysis.risk_features.process_history`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from bmad.analysis.risk_features import (
    DECAY_HALF_LIFE_MONTHS,
    MAX_COUPLING_CHANGESET,
    RECENT_DAYS,
)
from bmad.extractors.history import (
    SECONDS_PER_DAY,
    SECONDS_PER_MONTH,
    CommitRecord,
    followed_record,
)

NEWCOMER_COMMITS = 10
QUARTER_DAYS = 91
MIN_SHARED = 2  # one commit together says little of coupling

ACTIVITY_FEATURES = (
    "author_experience",
    "file_experience",
    "least_experience",
    "newcomer_share",
    "quarter_revisions",
    "quarter_fixes",
    "months_since_fix",
    "partner_fixes",
    "partner_decayed_fixes",
)


@dataclass(slots=True)
class _FileActivity:
    first_change: int
    changes: int = 0
    experience_logs: float = 0.0  # sum over changes of log1p(author's earlier repository commits)
    file_experience_logs: float = 0.0
    recent_changes: int = 0
    recent_newcomer_changes: int = 0
    least_recent_experience: int | None = None
    quarter_revisions: int = 0
    quarter_fixes: int = 0
    last_fix: int | None = None
    prior_fixes: int = 0
    decayed_fixes: float = 0.0
    by_author: dict[str, int] = field(default_factory=dict)
    shared: dict[str, int] = field(default_factory=dict)  # partner path -> commits together


def activity_values(
    commits: Iterable[CommitRecord], until: int, fixes: Iterable[str]
) -> dict[str, tuple[float, ...]]:
    """Per path alive at ``until``, its values in :data:`ACTIVITY_FEATURES` order, from the
    commits authored up to ``until`` (``fixes``: the ids of the fixing commits among them)."""
    fix_ids = frozenset(fixes)
    recent_from = until - RECENT_DAYS * SECONDS_PER_DAY
    quarter_from = until - QUARTER_DAYS * SECONDS_PER_DAY
    half_life = DECAY_HALF_LIFE_MONTHS * SECONDS_PER_MONTH
    ordered = sorted(
        (c for c in commits if c.author_time <= until and not c.is_merge),
        key=lambda c: (c.author_time, c.id),
    )
    born = ordered[0].author_time if ordered else until
    authored: dict[str, int] = {}
    files: dict[str, _FileActivity] = {}
    for commit in ordered:
        is_fix = commit.id in fix_ids
        experience = authored.get(commit.author, 0)
        coupled = len(commit.changes) <= MAX_COUPLING_CHANGESET
        weight = 0.5 ** ((until - commit.author_time) / half_life)
        for change in commit.changes:
            activity = followed_record(files, change, _FileActivity(commit.author_time))
            if activity is None:
                continue
            own = activity.by_author.get(commit.author, 0)
            activity.changes += 1
            activity.experience_logs += math.log1p(experience)
            activity.file_experience_logs += math.log1p(own)
            activity.by_author[commit.author] = own + 1
            if commit.author_time > recent_from:
                activity.recent_changes += 1
                activity.recent_newcomer_changes += experience < NEWCOMER_COMMITS
                least = activity.least_recent_experience
                activity.least_recent_experience = (
                    experience if least is None else min(least, experience)
                )
            if commit.author_time > quarter_from:
                activity.quarter_revisions += 1
                activity.quarter_fixes += is_fix
            if is_fix:
                activity.last_fix = commit.author_time
                activity.prior_fixes += 1
                activity.decayed_fixes += weight
            if coupled:
                for partner in commit.changes:
                    if partner.path != change.path:
                        activity.shared[partner.path] = activity.shared.get(partner.path, 0) + 1
        authored[commit.author] = experience + 1
    return {
        path: _values(activity, files, until, born, len(ordered))
        for path, activity in files.items()
    }


def _values(
    activity: _FileActivity, files: dict[str, _FileActivity], until: int, born: int, total: int
) -> tuple[float, ...]:
    changes = max(activity.changes, 1)
    least = activity.least_recent_experience
    last_fix = activity.last_fix if activity.last_fix is not None else born
    partner_fixes = 0.0
    partner_decayed = 0.0
    for path, together in activity.shared.items():
        partner = files.get(path)
        if partner is not None and together >= MIN_SHARED:
            degree = together / ((activity.changes + partner.changes) / 2)
            partner_fixes += degree * partner.prior_fixes
            partner_decayed += degree * partner.decayed_fixes
    return (
        activity.experience_logs / changes,
        activity.file_experience_logs / changes,
        # Unchanged lately: no newcomer's change to worry about, the most experience there is.
        math.log1p(least if least is not None else total),
        activity.recent_newcomer_changes / activity.recent_changes
        if activity.recent_changes
        else 0.0,
        float(activity.quarter_revisions),
        float(activity.quarter_fixes),
        max(0.0, (until - last_fix) / SECONDS_PER_MONTH),
        partner_fixes,
        partner_decayed,
    )
