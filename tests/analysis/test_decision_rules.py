"""The abandoned-dependency rule: catalogued like the smells, thresholds from [rules], found
on the technology file that declared the dependency, end to end through learn anti-patterns."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bmad.analysis.decision_rules import abandoned_dependencies
from bmad.analysis.rule_catalogue import RULES
from bmad.analysis.settings import rule_settings
from bmad.cli.main import cli
from bmad.extractors.technology_trends import DeclaredEpisode, Episode
from bmad.scanning.trends import ended_episodes, open_trends_store
from tests.gitrepo import git, write_files
from tests.technology_repos import dated_commit, technology_repo

DAY = 24 * 3600


def declared(key: str, days: int, path: str = "requirements.txt", line: int = 1) -> DeclaredEpisode:
    start = 1_700_000_000
    return DeclaredEpisode(Episode(key, start, "a" * 40, start + days * DAY, "b" * 40), path, line)


def test_a_dependency_dropped_within_the_threshold_is_a_finding_on_its_manifest_line() -> None:
    quick = declared("dependency:pypi:celery", 28, line=3)
    slow = declared("dependency:pypi:flask", 400)
    tool = declared("tool:travis-ci", 100, ".travis.yml")
    (found,) = abandoned_dependencies([quick, slow], rule_settings({}))
    assert (found.rule_id, found.path, found.start_line, found.severity) == (
        "abandoned-dependency",
        "requirements.txt",
        3,
        RULES["abandoned-dependency"].severity,
    )
    assert found.evidence["days"] == 28 and found.evidence["threshold_months"] == 6
    assert "celery" in found.message and "28 days" in found.message
    within_two_years = abandoned_dependencies(
        [quick, slow, tool], rule_settings({"abandoned_dependency_months": 24})
    )
    assert [f.evidence["technology"] for f in within_two_years] == [
        "dependency:pypi:celery",
        "dependency:pypi:flask",
        "tool:travis-ci",
    ]
    assert abandoned_dependencies([quick], rule_settings({"abandoned_dependency_months": 1}))
    assert not abandoned_dependencies(
        [declared("language:python", 10)], rule_settings({"abandoned_dependency_months": 24})
    )
    assert not abandoned_dependencies(
        [quick], rule_settings({"disabled": ["abandoned-dependency"]})
    )
    (louder,) = abandoned_dependencies(
        [quick], rule_settings({"severity": {"abandoned-dependency": "warning"}})
    )
    assert louder.severity == "warning"


def test_episodes_name_the_declaring_file_and_the_line_naming_the_dependency_now(
    tmp_path: Path,
) -> None:
    repo = technology_repo(tmp_path / "repo", steps=3)
    write_files(repo, {"requirements.txt": "httpx\nclick\nrequests>=2\n"})
    dated_commit(repo, "2023-04-01T00:00:00Z", "requests is back")
    with open_trends_store(tmp_path / "store.sqlite3") as store:
        found = {item.episode.technology: item for item in ended_episodes(store, repo)}
    assert set(found) == {"dependency:pypi:requests", "dependency:pypi:celery"}
    assert (found["dependency:pypi:requests"].path, found["dependency:pypi:requests"].line) == (
        "requirements.txt",
        3,
    )
    assert (found["dependency:pypi:celery"].path, found["dependency:pypi:celery"].line) == (
        "requirements.txt",
        1,
    )


def test_learn_anti_patterns_reports_abandoned_dependencies_with_the_configured_threshold(
    bmad_home: Path, tmp_path: Path
) -> None:
    repo = technology_repo(tmp_path / "repo")
    write_files(repo, {".bmad.toml": "[rules]\nabandoned_dependency_months = 1\n"})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "configure bmad")
    result = CliRunner().invoke(cli, ["learn", "anti-patterns", str(repo), "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    found = [
        (item["path"], finding["evidence"]["technology"])
        for item in document["items"]
        for finding in item["findings"]
        if finding["rule_id"] == "abandoned-dependency"
    ]
    assert found == [("requirements.txt", "dependency:pypi:celery")]  # 28 days; the rest slower
    assert "abandoned-dependency" not in document["rules_without_data"]
