"""The mining step that keeps each repository's defect risks current as its history grows.

After detection, when HEAD moved since the stored risks were computed, the risk model is
trained again on the repository's past (with the ranking's marks among its inputs, the
federation's cached model for a cold start or a blend) and every file's risk is stored, keyed
by the mined HEAD and the models' digests, for ``bmad learn anti-patterns``, the editor and
the pre-commit hook, which only read them; the stored findings are ranked again by the new
risks (:func:`bmad.analysis.risk_serving.refresh_risks`). Training runs in a short-lived
spawned child, as detection does, so numpy and scikit-learn never stay in the daemon's
memory; at most once per ``retrain_seconds`` per repository, so a burst of commits trains
once. When the federation releases a new model, the stored risks are stale: the next cycle
computes them again with the stored local model (no training) and the new one. A repository
too young for a local model (no commit a year and a half back: no two labelled snapshots) and
no federated model to serve it gets its reason stored without a child.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from bmad.analysis.risk_store import StoredRun, stale_reason
from bmad.daemon.miner import MiningContext, StepReport

if TYPE_CHECKING:
    from bmad.analysis.risk_model import RiskModel

RETRAIN_SECONDS = 3600.0
YOUNGEST_TRAINABLE_DAYS = (
    365 + 183
)  # the local model's two newest snapshots' ages (a year, +6 months)
TOO_YOUNG = (
    "no model: no commit a year and a half back (the local model needs two labelled "
    "snapshots) and no federated model cached"
)


def _train_in_child(work_tree: str, store_path: str, retrain: bool) -> int:
    """Compute and store the repository's file risks (training the local model first when
    ``retrain``) and rank its stored findings by them; the number of files."""
    from bmad.analysis.risk_serving import refresh_risks
    from bmad.analysis.risk_store import open_risk_store

    with open_risk_store(Path(store_path)) as store:
        _tip, report = refresh_risks(Path(work_tree), store, _global_model(), retrain)
    return len(report.files)


def _global_model() -> RiskModel | None:
    from bmad.federation.participant import open_participant_store
    from bmad.federation.risk_rounds import cached_global_model

    with open_participant_store() as participant:
        return cached_global_model(participant)


class RiskStep:
    name = "risk"

    def __init__(self, retrain_seconds: float = RETRAIN_SECONDS) -> None:
        self.retrain_seconds = retrain_seconds

    def should_train(self, run: StoredRun | None, head: str, now: float) -> bool:
        """Whether the model is due for training: no risks stored yet, or HEAD moved and the
        last training is at least ``retrain_seconds`` old."""
        return run is None or (run.head != head and now - run.computed_at >= self.retrain_seconds)

    def should_recompute(self, run: StoredRun | None, global_digest: str) -> bool:
        """Whether the stored risks are stale: the federation's model changed since."""
        return run is not None and stale_reason(run, global_digest) is not None

    def __call__(self, context: MiningContext) -> StepReport:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        from bmad.analysis.risk_portable import model_digest
        from bmad.analysis.risk_store import (
            COMPONENT,
            MIGRATIONS,
            RiskReport,
            save_risks,
            stored_run,
        )
        from bmad.scanning.risk import revision_at

        head = context.snapshot.head_commit
        if head is None:
            return StepReport(self.name, 0, 0)
        context.store.migrate(COMPONENT, MIGRATIONS)
        run = stored_run(context.store, context.work_tree)
        global_model = _global_model()
        retrain = self.should_train(run, head, time.time())
        if not retrain and not self.should_recompute(run, model_digest(global_model)):
            return StepReport(self.name, 0, 0)
        cutoff = int(time.time()) - YOUNGEST_TRAINABLE_DAYS * 24 * 3600
        if revision_at(context.work_tree, head, cutoff) is None and global_model is None:
            save_risks(context.store, context.work_tree, head, RiskReport("none", TOO_YOUNG, 0, {}))
            return StepReport(self.name, 1, 0)
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(1, mp_context=spawn, max_tasks_per_child=1) as child:
            files = child.submit(
                _train_in_child, str(context.work_tree), str(context.store.path), retrain
            ).result()
        return StepReport(self.name, 1, files)
