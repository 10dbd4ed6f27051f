"""`bmad insights trends` on a real repository with a dated technology history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
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


def test_plot_shades_each_technology_per_bucket_with_migrations_and_abandonments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bmad.cli.insights_trends import local_view
    from bmad.dashboard.plots import trends_figure

    monkeypatch.setenv("BMAD_HOME", str(tmp_path / "home"))
    repo = technology_repo(tmp_path / "repo")
    view, _ = local_view([repo], "2023-01-01..2023-12-31", (), True, 30)

    figure = trends_figure(view, "trends")

    panels = {axes.get_title(loc="left").split(":")[0]: axes for axes in figure.axes[:-1]}
    assert set(panels) == {row.kind for row in view.rows}
    dependencies = panels["dependency"]
    names = [label.get_text() for label in dependencies.get_yticklabels()]
    shaded = dependencies.get_images()[0].get_array()
    assert list(shaded[names.index("pypi:httpx")]) == [0, 0] + [1] * 10
    assert list(shaded[names.index("pypi:requests")]) == [1, 1] + [0] * 10
    celery = next(
        found for _, found in view.abandonments if found.technology == "dependency:pypi:celery"
    )
    removed_in = next(i for i, end in enumerate(view.bucket_ends) if celery.removed <= end)
    crosses = [tuple(point) for point in dependencies.collections[0].get_offsets()]
    assert (removed_in, names.index("pypi:celery")) in crosses
    tools = panels["tool"]
    tool_names = [label.get_text() for label in tools.get_yticklabels()]
    arrows = [(a.xy[1], a.xyann[1]) for a in tools.texts]
    assert (tool_names.index("github-actions"), tool_names.index("travis-ci")) in arrows


def test_plot_writes_a_png_and_keeps_json_clean(tmp_path: Path) -> None:
    repo = technology_repo(tmp_path / "repo")
    target = tmp_path / "trends.png"
    result = CliRunner().invoke(
        cli,
        [
            "insights",
            "trends",
            str(repo),
            "--time-window",
            "2-years",
            "--json",
            "--plot",
            str(target),
        ],
    )
    assert result.exit_code == 0, result.output
    json.loads(result.stdout)
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"plot written to {target}" in result.stderr
