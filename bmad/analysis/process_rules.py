"""Process and collaboration patterns measured from history, named as findings like the smells.

Per file, over the commits of the analysed window (merges skipped: their lines were counted on
the branch; a rename carries a file's history to its new name):

- ``very-large-commits``: changed in at least ``large_commits`` commits that each touched at
  least ``large_commit_files`` files (code-maat's max-changeset is 30): sweeping changes are
  hard to review and mix concerns;
- ``fix-on-fix``: a chain of at least ``fix_chain_fixes`` fixes, each within
  ``fix_chain_days`` days of the one before: a fix that needed another fix;
- ``reverted-changes``: touched by at least ``reverts`` reverting commits;
- ``fragmented-ownership``: at least ``fragmented_min_authors`` authors and a fragmentation
  (1 - sum of squared commit shares) of at least ``fragmentation_above``;
- ``minor-contributors``: at least ``minor_contributors`` authors who each made under 5% of
  the file's commits (Bird et al. 2011): commits from outside its usual contributors.

Knowledge islands are the history lens's own rule (``knowledge-island``). Which commit is a fix
or a revert comes from the ``[history]`` subject patterns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bmad.analysis.findings import Finding
from bmad.analysis.rule_catalogue import RULES
from bmad.analysis.settings import RuleSettings
from bmad.extractors.history import (
    SECONDS_PER_DAY,
    CommitRecord,
    SubjectPatterns,
    classify_subject,
    followed_record,
)

MINOR_SHARE = 0.05  # Bird et al. 2011: a minor contributor made under 5% of the commits


@dataclass(slots=True)
class ProcessFacts:
    """One file's process and collaboration measures over the window."""

    commits_by: dict[str, int] = field(default_factory=dict)
    fix_times: list[int] = field(default_factory=list)
    reverts: int = 0
    commit_sizes: list[int] = field(default_factory=list)  # files each of its commits touched

    @property
    def revisions(self) -> int:
        return sum(self.commits_by.values())

    @property
    def fragmentation(self) -> float:
        total = self.revisions
        if not total:
            return 0.0
        return 1.0 - sum((count / total) ** 2 for count in self.commits_by.values())

    @property
    def minor_contributors(self) -> int:
        total = self.revisions
        return sum(1 for count in self.commits_by.values() if count < MINOR_SHARE * total)

    def large_commits(self, files: int) -> int:
        return sum(1 for size in self.commit_sizes if size >= files)

    def longest_fix_chain(self, gap_days: int) -> int:
        """The most fixes in a row with at most ``gap_days`` between neighbours."""
        longest = current = 0
        previous: int | None = None
        for moment in sorted(self.fix_times):
            within = previous is not None and moment - previous <= gap_days * SECONDS_PER_DAY
            current = current + 1 if within else 1
            longest = max(longest, current)
            previous = moment
        return longest


def process_facts(
    commits: Iterable[CommitRecord], patterns: SubjectPatterns
) -> dict[str, ProcessFacts]:
    """Per path (the latest name), the process measures of ``commits``."""
    files: dict[str, ProcessFacts] = {}
    ordered = sorted((c for c in commits if not c.is_merge), key=lambda c: (c.author_time, c.id))
    for commit in ordered:
        is_fix, is_revert = classify_subject(commit.subject, patterns)
        for change in commit.changes:
            facts = followed_record(files, change, ProcessFacts())
            if facts is None:
                continue
            facts.commits_by[commit.author] = facts.commits_by.get(commit.author, 0) + 1
            facts.commit_sizes.append(len(commit.changes))
            facts.reverts += is_revert
            if is_fix and not is_revert:
                facts.fix_times.append(commit.author_time)
    return files


def _finding(
    rule_id: str, path: str, settings: RuleSettings, message: str, **evidence: object
) -> Finding:
    level = settings.severity.get(rule_id, RULES[rule_id].severity)
    return Finding(rule_id, level, path, 1, 1, message, dict(evidence))


def process_smells(
    facts: Mapping[str, ProcessFacts], analysed: Iterable[str], settings: RuleSettings
) -> list[Finding]:
    """The process and collaboration findings of the ``analysed`` files."""
    found: list[Finding] = []
    for path in sorted(set(analysed) & set(facts)):
        item = facts[path]
        large = item.large_commits(settings.large_commit_files)
        if large >= settings.large_commits:
            found.append(
                _finding(
                    "very-large-commits",
                    path,
                    settings,
                    f"changed in {large} commits of {settings.large_commit_files}+ "
                    f"files each (threshold {settings.large_commits})",
                    large_commits=large,
                    threshold=settings.large_commits,
                )
            )
        chain = item.longest_fix_chain(settings.fix_chain_days)
        if chain >= settings.fix_chain_fixes:
            found.append(
                _finding(
                    "fix-on-fix",
                    path,
                    settings,
                    f"{chain} fixes in a row, each within {settings.fix_chain_days} days of the "
                    f"last (threshold {settings.fix_chain_fixes})",
                    chain=chain,
                    threshold=settings.fix_chain_fixes,
                )
            )
        if item.reverts >= settings.reverts:
            found.append(
                _finding(
                    "reverted-changes",
                    path,
                    settings,
                    f"touched by {item.reverts} reverts (threshold {settings.reverts})",
                    reverts=item.reverts,
                    threshold=settings.reverts,
                )
            )
        authors = len(item.commits_by)
        threshold = settings.fragmentation_above
        if authors >= settings.fragmented_min_authors and item.fragmentation >= threshold:
            found.append(
                _finding(
                    "fragmented-ownership",
                    path,
                    settings,
                    f"{authors} authors share its commits, fragmentation "
                    f"{item.fragmentation:.2f} (threshold {threshold:g})",
                    authors=authors,
                    fragmentation=round(item.fragmentation, 3),
                    threshold=threshold,
                )
            )
        if item.minor_contributors >= settings.minor_contributors:
            found.append(
                _finding(
                    "minor-contributors",
                    path,
                    settings,
                    f"{item.minor_contributors} minor contributors (each under 5% of its "
                    f"{item.revisions} commits; threshold {settings.minor_contributors})",
                    minor_contributors=item.minor_contributors,
                    revisions=item.revisions,
                    threshold=settings.minor_contributors,
                )
            )
    return [finding for finding in found if finding.rule_id not in settings.disabled]
