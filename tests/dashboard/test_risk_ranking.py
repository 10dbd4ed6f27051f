"""The dashboard ranks the findings by the one priority of ``bmad learn anti-patterns``, with
the stored defect risks: the same items in the same order with the same priorities, the
treemap's colour from it, and the file page saying the file's risk and why."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from bmad import git
from bmad.analysis.risk_ranking import DEFECT_RISK_RULE, WITH_RISK
from bmad.analysis.risk_store import FileRisk, RiskReport, open_risk_store, save_risks
from bmad.cli.main import cli
from bmad.dashboard.code_pages import file_page, findings_page
from bmad.dashboard.layout import Links
from bmad.dashboard.model import gather
from tests.dashboard.conftest import build_fixture_repository

RISKY = "app/util/simple_3.py"


def test_the_findings_view_ranks_by_the_one_priority_with_the_stored_risks(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "fixture"
    build_fixture_repository(repo)
    repository = git.find_work_tree(repo)
    assert repository is not None
    calm = {
        path: FileRisk(path, 0.05, 0.9, 10, 0.1, ())
        for path in ("app/core/tangled.py", *(f"app/util/simple_{i}.py" for i in range(6)))
    }
    calm[RISKY] = FileRisk(RISKY, 0.7, 0.1, 40, 3.0, ("5 revisions a month",))
    with open_risk_store() as store:
        save_risks(
            store, repo, str(repository.head.target), RiskReport("local", "local model", 365, calm)
        )
    data = gather(repo)
    result = CliRunner().invoke(cli, ["learn", "anti-patterns", str(repo), "--json", "--top", "99"])
    document = json.loads(result.stdout)
    assert document["priority"] == WITH_RISK
    assert [item.to_dict() for item in data.items] == document["items"]

    (note,) = [item for item in data.items if item.path == RISKY]
    assert [finding.rule_id for finding in note.findings] == [DEFECT_RISK_RULE]
    entry = data.file(RISKY)
    assert entry is not None and entry.priority == note.priority
    links = Links("t0ken")
    listed = re.findall(r'path=([^"&]+)[^>]*>[^<]*:\d+</a>', findings_page(data, links, "", ""))
    assert listed == [item.path.replace("/", "%2F") for item in data.items]
    page = file_page(data, links, RISKY)
    assert page is not None
    assert (
        "Defect-risk model: risk of a fix within a year: 70%, top 10% in this repository; "
        "driven by 5 revisions a month."
    ) in page
