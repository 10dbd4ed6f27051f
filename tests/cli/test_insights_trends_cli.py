"""`bmad insights trends` on a real repository with a dated technology history."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from technology_repos import technology_repo

from bmad.cli.main import cli


def test_json_lists_adoption_findings_and_migrations_of_the_window(tmp_path: Path) -> None:
    repo = technology_repo(tmp_path / "repo")
    result = CliRunner().invoke(
        cli,
        ["insights", "trends", str(repo), "--time-window", "2023-01-01..2023-12-31", "--json"],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["buckets"][0] == "2023-01" and len(document["buckets"]) == 12
    rows = {row["technology"]: row for row in document["technologies"]}
    assert rows["dependency:pypi:httpx"]["series"] == [0, 0] + [1] * 10
    assert rows["dependency:pypi:requests"]["series"] == [1, 1] + [0] * 10
    assert "language:typescript" not in rows  # added in 2024: not changed inside the window
    assert {f["technology"] for f in document["findings"]} >= {"dependency:pypi:celery"}
    assert {(m["from"], m["to"]) for m in document["migrations"]} >= {
        ("tool:travis-ci", "tool:github-actions")
    }
    assert document["mined"][0]["new_commits"] == 6


def test_strict_fails_on_a_reverted_decision_and_the_threshold_comes_from_rules(
    tmp_path: Path,
) -> None:
    repo = technology_repo(tmp_path / "repo")
    window = ["--time-window", "2023-01-01..2023-04-30", "--strict"]
    runner = CliRunner()
    failing = runner.invoke(cli, ["insights", "trends", str(repo), *window])
    assert failing.exit_code == 1
    assert "abandoned-dependency" in failing.output
    (repo / ".bmad.toml").write_text("[rules]\nabandoned_dependency_months = 0\n")
    refused = runner.invoke(cli, ["insights", "trends", str(repo), *window])
    assert refused.exit_code == 2 and "abandoned_dependency_months" in refused.output


def test_adoption_view_shows_sparklines_and_a_bad_window_is_a_usage_error(tmp_path: Path) -> None:
    repo = technology_repo(tmp_path / "repo")
    runner = CliRunner()
    shown = runner.invoke(
        cli,
        ["insights", "trends", str(repo), "--technology-adoption", "--time-window", "3-years"],
        env={"COLUMNS": "160"},
    )
    assert shown.exit_code == 0, shown.output
    assert "language:typescript" in shown.output and "█" in shown.output
    bad = runner.invoke(cli, ["insights", "trends", str(repo), "--time-window", "soon"])
    assert bad.exit_code == 2 and "unknown time window" in bad.output
