"""The decision check of ``bmad hook pre-commit``: a staged change that removes a dependency or
tool added along the mainline within ``[rules] abandoned_dependency_months`` reverts a recent
decision (``abandoned-dependency``), said when it is committed rather than found later.

It runs only when a technology file (a manifest, CI or tool configuration) is staged: the
staged versions of those files are parsed, and what HEAD shows and since when comes from the
repository's technology history (``bmad.scanning.trends``, brought up to date first; the daemon
keeps it current), read from the data store. A change of code files only (the common commit)
is not looked at further: recognising technology files costs the hook an import of ~17 ms, so
a tool file that is also code (``noxfile.py``) is checked only beside another file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bmad.extractors.languages import language_for_path
from bmad.hooks import gitcli

MAX_TECHNOLOGY_FILE_BYTES = 1024 * 1024


def _technology_changes(
    changes: Sequence[gitcli.StagedChange], only: set[str] | None
) -> list[gitcli.StagedChange]:
    chosen = [change for change in changes if only is None or change.path in only]
    if all(language_for_path(change.path) is not None for change in chosen):
        return []
    from bmad.extractors.technology import file_kind

    return [
        change
        for change in chosen
        if file_kind(change.path) is not None or file_kind(change.old_path or "") is not None
    ]


def _staged_technologies(top_level: Path, change: gitcli.StagedChange) -> frozenset[str]:
    from bmad.extractors.technology import file_kind, technologies_in_file

    if change.new_blob is None or file_kind(change.path) is None:
        return frozenset()
    data = gitcli.run_git(top_level, "cat-file", "blob", change.new_blob)
    if len(data) > MAX_TECHNOLOGY_FILE_BYTES:
        return frozenset()
    return frozenset(t.key for t in technologies_in_file(change.path, data).technologies)


def staged_decisions(
    top_level: Path,
    changes: Sequence[gitcli.StagedChange],
    rules: Mapping[str, Any],
    now: int,
    only: set[str] | None = None,
) -> list[dict[str, Any]]:
    """An ``abandoned-dependency`` finding (as JSON) per dependency or tool the staged change
    removes within the threshold of its addition; none when no technology file is staged."""
    staged = _technology_changes(changes, only)
    if not staged:
        return []
    from datetime import UTC, datetime

    from bmad.analysis.rule_catalogue import RULES
    from bmad.analysis.settings import rule_settings
    from bmad.extractors.technology_trends import (
        ABANDONED_KINDS,
        ABANDONMENT_RULE,
        MONTH_SECONDS,
        changes_along,
        episodes,
    )
    from bmad.scanning.trends import (
        mine_technology_history,
        open_trends_store,
        technologies_by_file,
    )

    settings = rule_settings(rules)
    if ABANDONMENT_RULE in settings.disabled:
        return []
    with open_trends_store() as store:
        update, history = mine_technology_history(store, top_level)
        if history is None or update.tip is None:
            return []
        at_head = technologies_by_file(store, update.git_dir, update.tip)
    after = dict(at_head)
    for change in staged:
        for path in (change.old_path, change.path):
            if path is not None and change.status != "C":
                after.pop(path, None)
        after[change.path] = _staged_technologies(top_level, change)
    shown_after = frozenset().union(*after.values())
    since = {
        episode.technology: episode.added
        for episode in episodes(changes_along(history.mainline))
        if episode.removed is None
    }
    limit = settings.abandoned_dependency_months * MONTH_SECONDS
    level = settings.severity.get(ABANDONMENT_RULE, RULES[ABANDONMENT_RULE].severity)
    found: list[dict[str, Any]] = []
    for path, keys in sorted(at_head.items()):
        for key in sorted(keys - shown_after):
            added = since.get(key)
            if key.split(":", 1)[0] not in ABANDONED_KINDS or added is None:
                continue
            if now - added > limit or any(f["technology"] == key for f in found):
                continue
            days = (now - added) / 86400
            found.append(
                {
                    "rule_id": ABANDONMENT_RULE,
                    "severity": level,
                    "path": path,
                    "technology": key,
                    "added": datetime.fromtimestamp(added, UTC).date().isoformat(),
                    "days": round(days, 1),
                    "threshold_months": settings.abandoned_dependency_months,
                    "message": f"{key} was added {days:.0f} days ago and this commit removes it "
                    f"(within {settings.abandoned_dependency_months} months): a decision "
                    "reverted",
                }
            )
    return found
