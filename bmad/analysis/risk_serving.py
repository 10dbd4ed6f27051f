"""The defect risk a repository's files carry now, from the model that fits its history.

Which model serves (:func:`serving_model`):

- **local**: the repository's own model (:mod:`bmad.analysis.risk_training`) when its past is
  long enough: :func:`bmad.analysis.risk_model.enough_history` holds for the training
  snapshots (at least 2 snapshots a year or more back, with at least 20 files a fix changed in
  the year after them and 20 it did not) *and* the form could be chosen on at least one
  validation window;
- **global**: the federation's released model (cached from the last ``risk_model`` round)
  when the repository has too little history for a local model (cold start);
- **blend**: both, when the local model exists but no validation window could be formed to
  trust it alone: the log-odds are averaged (equal weights), as
  :func:`bmad.analysis.risk_pooled.blended` does.

With neither, no risk is shown. A risk is "a fix within a year", the horizon the models are
labelled with (:data:`bmad.analysis.risk_training.HORIZON_DAYS`).

:func:`refresh_risks` is what the daemon and ``learn anti-patterns --risk`` run: the local
model trained (or the stored one read back), every file's risk stored with the digests of the
models that gave it, and the stored findings ranked again by them, so that every surface
shows the one priority from the same risks.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from bmad.analysis.detect import DetectionReport
from bmad.analysis.risk_features import RiskRow
from bmad.analysis.risk_model import (
    DEFAULT_CHOICE,
    RiskModel,
    Selection,
    contributions,
    describe_contribution,
    probabilities,
)
from bmad.analysis.risk_pooled import blended
from bmad.analysis.risk_portable import decode, encode, model_digest
from bmad.analysis.risk_store import (
    NO_RISK,
    FileRisk,
    RiskReport,
    StoredModel,
    save_risks,
    stale_reason,
    stored_local_model,
    stored_report,
)
from bmad.analysis.risk_training import (
    HORIZON_DAYS,
    LocalModel,
    RepositoryPast,
    load_snapshot,
    local_model,
    rows_of,
)
from bmad.analysis.settings import AnalysisSettings
from bmad.extractors.fixes import LabelSettings
from bmad.extractors.history import CommitRecord
from bmad.extractors.history_report import subject_patterns
from bmad.scanning.pipeline import ScanOptions
from bmad.store.connection import Store

BLEND_WEIGHT = 0.5  # the local model's share of the log-odds when both serve
DRIVERS = 2  # features named in an explanation


def label_settings(history: Mapping[str, Any]) -> LabelSettings:
    """What labels a fix, from the ``[history]`` settings' subject patterns."""
    return LabelSettings(subject_patterns(history["fix_patterns"], history["revert_patterns"]))


def serving_model(
    local: LocalModel | None, global_model: RiskModel | None
) -> tuple[str, str, RiskModel | None]:
    """(source, reason, the model that serves alone or None for a blend) by the module's rule."""
    if local is not None and local.model is not None:
        if local.selection.windows > 0 or global_model is None:
            windows = local.selection.windows
            return (
                "local",
                f"local model: {local.model.positives} fixed of {local.model.examples} files "
                f"over {local.model.snapshots} snapshots, {local.model.choice.describe()} "
                f"chosen on {windows} window(s)",
                local.model,
            )
        return "blend", "local model without a validation window, blended with the global", None
    if global_model is not None:
        return (
            "global",
            "too little history for a local model: the federation's model",
            (global_model),
        )
    return "none", NO_RISK.reason, None


def file_risks(
    rows: Sequence[RiskRow],
    local: LocalModel | None,
    global_model: RiskModel | None,
) -> RiskReport:
    """Every file's risk at the snapshot ``rows`` (file level) come from."""
    source, reason, model = serving_model(local, global_model)
    if source == "none" or not rows:
        return RiskReport(source, reason, 0, {})
    values = [row.values for row in rows]
    explaining: RiskModel
    if model is not None:
        risks = probabilities(model, values)
        explaining = model
    else:
        assert local is not None and local.model is not None and global_model is not None
        risks = blended(
            probabilities(local.model, values), probabilities(global_model, values), BLEND_WEIGHT
        )
        explaining = local.model
    mean_lines = max(1.0, sum(row.lines for row in rows) / len(rows))
    files = {}
    for index, (row, risk) in enumerate(zip(rows, risks, strict=True)):
        share = sum(1 for other in risks if other >= risk) / len(risks)
        drivers = tuple(
            describe_contribution(item)
            for item in contributions(explaining, values, index)[:DRIVERS]
            if item.log_odds > 0
        )
        files[row.path] = FileRisk(
            row.path,
            risk,
            share,
            row.lines,
            risk * max(row.lines, 1) / mean_lines,
            drivers,
            HORIZON_DAYS,
        )
    return RiskReport(source, reason, HORIZON_DAYS, files)


def repository_risks(
    past: RepositoryPast,
    global_model: RiskModel | None,
    now: int | None = None,
    options: ScanOptions | None = None,
    local: LocalModel | None = None,
    detection: AnalysisSettings | None = None,
) -> RiskReport:
    """The repository's file risks at ``now`` (default: the present); ``local``: a model
    already trained, else one is trained here; ``detection``: the ranking's settings, so that
    its marks (priority, smells, anomaly flags) are among the model's inputs."""
    when = int(time.time()) if now is None else now
    snapshot = load_snapshot(past, when, options, detection=detection)
    if snapshot is None or not snapshot.code:
        return NO_RISK
    if local is None:
        local = local_model(past, when, "file", options, detection)
    return file_risks(rows_of(snapshot, "file"), local, global_model)


def read_past(
    path: Path, history: Mapping[str, Any], options: ScanOptions | None = None
) -> RepositoryPast | None:
    """The repository's commits from HEAD and the fixes among them (None: no commit yet)."""
    from bmad import git
    from bmad.scanning.history_git import MiningSettings, commits_between, read_commits
    from bmad.scanning.risk import fix_labels

    repository = git.open_repository(path)
    if repository.head_is_unborn:
        return None
    tip = str(repository.head.target)
    ids = commits_between(repository, tip, None)
    commits: list[CommitRecord] = list(
        read_commits(repository.path, ids, MiningSettings(jobs=1), frozenset())
    )
    fixes = fix_labels(path, commits, label_settings(history), options)
    return RepositoryPast(path, tip, commits, fixes)


def stored_local(store: Store, repo: Path) -> LocalModel | None:
    """The repository's local model as last stored (None: never trained here, or stored in a
    format this version does not read); a stored "too little history" comes back as a
    LocalModel without a model."""
    found = stored_local_model(store, repo)
    if found is None:
        return None
    try:
        model = decode(found.document) if found.document else None
    except (ValueError, KeyError, TypeError):  # another version's format: train a new one
        return None
    choice = DEFAULT_CHOICE if model is None else model.choice
    return LocalModel(model, Selection(choice, {}, found.windows))


def refresh_risks(
    root: Path,
    store: Store,
    global_model: RiskModel | None,
    retrain: bool,
    options: ScanOptions | None = None,
) -> tuple[str | None, RiskReport]:
    """The repository's file risks at HEAD now and that HEAD (None: no commit yet), stored with
    the models' digests; the stored findings ranked again by them. The local model is trained
    on the past when ``retrain`` or when none is stored (and then stored), else the stored one
    serves. The ranking's marks are among the model's inputs, its settings from the
    repository's configuration."""
    from bmad import config
    from bmad.analysis.settings import analysis_settings
    from bmad.analysis.store import rank_stored_findings

    settings = config.load(root)
    past = read_past(root, settings.section("history"), options)
    if past is None:
        return None, NO_RISK
    detection = analysis_settings(settings.section("rules"), settings.section("analysis"))
    now = int(time.time())
    local = None if retrain else stored_local(store, root)
    trained = None
    if local is None:
        local = local_model(past, now, "file", options, detection)
        document = "" if local.model is None else encode(local.model)
        digest = model_digest(local.model)
        trained = StoredModel(past.tip, now, digest, local.selection.windows, document)
    report = repository_risks(past, global_model, now, options, local, detection)
    report = replace(
        report, local_model=model_digest(local.model), global_model=model_digest(global_model)
    )
    save_risks(store, root, past.tip, report, trained)
    rank_stored_findings(store, root, detection)
    return past.tip, report


NO_STORED_RISK = (
    "no risk stored for this repository yet: run `bmad learn anti-patterns --risk`, or "
    "register it with the daemon"
)


def served_risks(
    root: Path, store: Store, global_model: RiskModel | None, train: bool
) -> RiskReport:
    """Every file's risk at HEAD, what every surface ranks by: the stored risks when they are
    for HEAD and the models at hand; otherwise, with ``train``, :func:`refresh_risks` now (the
    local model trained again only when HEAD moved); without, the last stored risks, said to
    be older or stale, or none."""
    from bmad import git

    repository = git.find_work_tree(root)
    if repository is None:
        return RiskReport("none", "not a git repository: no past to learn from", 0, {})
    head = None if repository.head_is_unborn else str(repository.head.target)
    found = stored_report(store, root)
    stale = None if found is None else stale_reason(found[0], model_digest(global_model))
    if found is not None and found[0].head == head and stale is None:
        return found[1]
    if not train:
        if found is None:
            return RiskReport("none", NO_STORED_RISK, 0, {})
        run, stored = found
        why = f"stale: {stale}" if stale is not None else f"as of commit {run.head[:12]}"
        return replace(stored, reason=f"{stored.reason}; {why}")
    retrain = found is None or found[0].head != head
    return refresh_risks(root, store, global_model, retrain)[1]


def ranked_with_stored_risks(
    report: DetectionReport, root: Path, store: Store, global_model: RiskModel | None
) -> DetectionReport:
    """``report`` ranked by the one priority with the stored risks (never trained here), as
    ``learn anti-patterns`` ranks it by default."""
    from bmad import config
    from bmad.analysis.risk_ranking import combined_report
    from bmad.analysis.settings import analysis_settings

    risks = served_risks(root, store, global_model, train=False)
    settings = config.load(root)
    analysis = analysis_settings(settings.section("rules"), settings.section("analysis"))
    return combined_report(report, risks, analysis)
