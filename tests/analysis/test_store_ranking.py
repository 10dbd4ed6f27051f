"""The stored findings carry the one priority of ``bmad learn anti-patterns``: detection ranked
with the stored risks when it is stored, ranked again (without detecting again) when new
risks are stored, and the same items, priorities and risk explanations as the CLI's (and the
top findings of ``insights patterns``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from click.testing import CliRunner

from bmad import config
from bmad.analysis.adapters import gather
from bmad.analysis.detect import detect
from bmad.analysis.findings import RankedItem
from bmad.analysis.risk_ranking import DEFECT_RISK_RULE, combined_report
from bmad.analysis.risk_store import FileRisk, RiskReport, open_risk_store, save_risks, stored_run
from bmad.analysis.settings import analysis_settings
from bmad.analysis.store import (
    detect_and_store,
    load_detection,
    load_findings,
    load_items,
    open_findings_store,
    rank_stored_findings,
    ranked_with,
)
from bmad.cli.main import cli
from tests.analysis.synthetic_repo import ORDINARY_FILES, build


def risks(riskiest: str, local_model: str) -> RiskReport:
    """Every ordinary file at 10%, ``riskiest`` at 80% with twenty times the lines."""
    paths = [f"{'core' if i % 2 else 'util'}/mod{i}.py" for i in range(ORDINARY_FILES)]
    files = {path: FileRisk(path, 0.1, 0.9, 50, 0.05, ()) for path in paths}
    files[riskiest] = FileRisk(riskiest, 0.8, 0.05, 1000, 6.0, ("12 revisions",))
    return RiskReport("local", "local model", 365, files, local_model, "")


def flagged(items: Sequence[RankedItem]) -> list[str]:
    return [item.path for item in items if DEFECT_RISK_RULE in {f.rule_id for f in item.findings}]


def test_stored_findings_rank_as_the_cli_does_and_again_when_risks_change(
    tmp_path: Path,
) -> None:
    root = build(tmp_path / "repo")
    settings = config.load(root)
    analysis = analysis_settings(settings.section("rules"), settings.section("analysis"))
    analysis_input, root = gather(root, settings)
    detection = detect(analysis_input, analysis)
    with open_risk_store() as store:
        save_risks(store, root, "c" * 40, risks("core/mod3.py", "m1"))
        first_run = stored_run(store, root)
    assert first_run is not None
    detect_and_store(analysis_input, settings, root)
    with open_findings_store() as store:
        stored = load_items(store, root)
        assert ranked_with(store, root) == first_run.identity
        assert load_detection(store, root) is not None
    cli_items = json.loads(
        CliRunner()
        .invoke(cli, ["learn", "anti-patterns", str(root), "--json", "--top", "500"])
        .stdout
    )["items"]
    assert [item.to_dict() for item in stored] == cli_items
    summary = CliRunner().invoke(cli, ["insights", "patterns", str(root), "--json", "--top", "9"])
    assert json.loads(summary.stdout)["top_findings"] == cli_items[:9]
    assert flagged(stored) == ["core/mod3.py"]
    (note,) = [item for item in stored if item.path == "core/mod3.py"]
    assert note.risk_explanation is not None
    assert note.risk_explanation.startswith("risk of a fix within a year: 80%, top 5%")

    with open_risk_store() as store:  # a new model: another file is the riskiest
        save_risks(store, root, "c" * 40, risks("core/mod7.py", "m2"))
        second_run = stored_run(store, root)
        assert rank_stored_findings(store, root, analysis)
    assert second_run is not None
    with open_findings_store() as store:
        again = load_items(store, root)
        detection_back = load_detection(store, root)
        assert ranked_with(store, root) == second_run.identity != first_run.identity
    assert flagged(again) == ["core/mod7.py"]
    expected = combined_report(detection, risks("core/mod7.py", "m2"), analysis)
    assert [item.to_dict() for item in again] == [item.to_dict() for item in expected.items]
    assert detection_back is not None
    assert [item.to_dict() for item in detection_back.items] == [
        item.to_dict() for item in detection.items
    ]


def test_without_stored_risks_the_findings_keep_detections_ranking(tmp_path: Path) -> None:
    root = build(tmp_path / "repo")
    settings = config.load(root)
    analysis_input, root = gather(root, settings)
    found = detect_and_store(analysis_input, settings, root)
    analysis = analysis_settings(settings.section("rules"), settings.section("analysis"))
    with open_findings_store() as store:
        assert ranked_with(store, root) == ""
        items = load_items(store, root)
    assert [f for item in items for f in item.findings] == found
    assert [item.priority for item in items] == [
        item.priority for item in detect(analysis_input, analysis).items
    ]
    assert all(item.risk is None for item in items)


def test_findings_stored_before_ranked_items_are_kept_until_the_next_detection(
    tmp_path: Path,
) -> None:
    root = build(tmp_path / "repo")
    settings = config.load(root)
    analysis_input, root = gather(root, settings)
    found = detect_and_store(analysis_input, settings, root)
    analysis = analysis_settings(settings.section("rules"), settings.section("analysis"))
    with open_findings_store() as store:
        store.connection.execute("DELETE FROM findings_items")  # as an older version stored
        assert not rank_stored_findings(store, root, analysis)
        assert load_findings(store, root) == found
