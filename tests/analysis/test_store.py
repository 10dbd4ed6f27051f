from __future__ import annotations

import os
import stat
from pathlib import Path

from bmad import config
from bmad.analysis.adapters import gather
from bmad.analysis.findings import Finding
from bmad.analysis.store import detect_and_store, load_findings, open_findings_store
from bmad.store.connection import data_store_path
from tests.analysis.synthetic_repo import build


def detect_and_store_scanned(root: Path) -> list[Finding]:
    settings = config.load(root)
    analysis_input, root = gather(root, settings)
    return detect_and_store(analysis_input, settings, root)


def test_detect_and_store_replaces_the_repository_findings(tmp_path: Path) -> None:
    root = build(tmp_path / "repo")
    found = detect_and_store_scanned(root)
    assert found[0].function == "monster"
    assert stat.S_IMODE(os.stat(data_store_path()).st_mode) == 0o600
    with open_findings_store() as store:
        stored = load_findings(store, root)
        assert stored == found
        assert {f.path for f in load_findings(store, root, "hot/hot.py")} == {"hot/hot.py"}
    again = detect_and_store_scanned(root)  # a second run replaces, never duplicates
    with open_findings_store() as store:
        assert load_findings(store, root) == again == found


def test_unknown_repository_has_no_findings(tmp_path: Path) -> None:
    with open_findings_store() as store:
        assert load_findings(store, tmp_path) == []
