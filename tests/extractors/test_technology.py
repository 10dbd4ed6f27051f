"""Which technologies files show, and the pure trend computations over technology sets."""

from __future__ import annotations

import pytest

from bmad.errors import BmadError
from bmad.extractors.technology import Technology, file_kind, technologies_in_file
from bmad.extractors.technology_trends import (
    TechnologyCommit,
    buckets,
    changes_along,
    mainline,
    migrations,
    parse_time_window,
    sparkline,
)

DAY = 24 * 3600


def keys(path: str, text: str) -> set[str]:
    return {t.key for t in technologies_in_file(path, text.encode()).technologies}


def test_pyproject_tool_sections_build_backend_and_dependencies() -> None:
    text = (
        '[project]\nname = "x"\ndependencies = ["Requests>=2", "ruff"]\n'
        '[build-system]\nbuild-backend = "hatchling.build"\n'
        "[tool.mypy]\nstrict = true\n[tool.pytest.ini_options]\naddopts = ''\n"
    )
    assert keys("pyproject.toml", text) == {
        "dependency:pypi:requests",
        "tool:ruff",
        "tool:hatch",
        "tool:mypy",
        "tool:pytest",
    }


def test_pre_commit_hooks_ci_files_and_package_json_dev_tools() -> None:
    hooks = "repos:\n- repo: x\n  hooks:\n  - id: black\n  - id: 'mypy'\n  - id: unknown-hook\n"
    assert keys(".pre-commit-config.yaml", hooks) == {"tool:pre-commit", "tool:black", "tool:mypy"}
    assert keys(".github/workflows/test.yaml", "") == {"tool:github-actions"}
    assert file_kind("docs/.github/workflows/readme.md") is None
    assert keys("web/.eslintrc.json", "{}") == {"tool:eslint"}
    package = '{"dependencies": {"React": "18"}, "devDependencies": {"prettier": "3"}}'
    assert keys("package.json", package) == {"dependency:npm:react", "tool:prettier"}
    assert keys("tox.ini", "[tox]\n[flake8]\n[isort]\n") == {
        "tool:tox",
        "tool:flake8",
        "tool:isort",
    }
    assert file_kind("src/main.py") is None


def test_a_broken_file_is_reported_and_keeps_what_its_name_shows() -> None:
    found = technologies_in_file(".pre-commit-config.yaml", b"\xff\xfe")
    assert found.problem is not None and {t.key for t in found.technologies} == {"tool:pre-commit"}
    broken = technologies_in_file("pyproject.toml", b"[project\n")
    assert broken.problem is not None and not broken.technologies
    assert Technology.from_key("dependency:go:github.com/spf13/cobra").category == "go"
    with pytest.raises(ValueError):
        Technology.from_key("framework:react")


def commit(name: str, parent: str | None, day: int, *technologies: str) -> TechnologyCommit:
    return TechnologyCommit(name, parent, day * DAY, frozenset(technologies))


def test_changes_follow_the_first_parent_chain_only() -> None:
    commits = [
        commit("a", None, 0, "tool:travis-ci"),
        commit("b", "a", 1, "tool:travis-ci", "tool:circleci"),  # a side branch
        commit("c", "a", 2, "tool:github-actions"),
        commit("d", "c", 3, "tool:github-actions", "tool:circleci"),  # the merge of b
    ]
    chain = mainline(commits, "d")
    assert [c.id for c in chain] == ["a", "c", "d"]
    changes = changes_along(chain)
    assert [(c.commit, set(c.added), set(c.removed)) for c in changes] == [
        ("a", {"tool:travis-ci"}, set()),
        ("c", {"tool:github-actions"}, {"tool:travis-ci"}),
        ("d", {"tool:circleci"}, set()),
    ]
    moved = migrations(changes, 0)
    assert [(m.replaced, m.replacement) for m in moved] == [
        ("tool:travis-ci", "tool:github-actions")
    ]


def test_a_removal_and_a_lone_addition_within_the_window_are_a_migration() -> None:
    changes = changes_along(
        [
            commit("a", None, 0, "tool:flake8", "language:python"),
            commit("b", "a", 5, "language:python"),
            commit("c", "b", 15, "language:python", "tool:ruff"),
        ]
    )
    moved = migrations(changes, 10)
    assert [(m.replaced, m.replacement, m.same_change) for m in moved] == [
        ("tool:flake8", "tool:ruff", False)
    ]
    assert moved[0].time == 15 * DAY
    assert migrations(changes, 9) == []


def test_a_reshuffle_of_many_is_not_a_migration() -> None:
    many = [f"dependency:pypi:p{i}" for i in range(5)]
    others = [f"dependency:pypi:q{i}" for i in range(5)]
    changes = changes_along([commit("a", None, 0, *many), commit("b", "a", 1, *others)])
    assert migrations(changes, 30) == []


def test_time_windows_and_their_buckets() -> None:
    now = 1_780_000_000  # 2026-05-28
    assert len(buckets(parse_time_window("3-months", now))) == 14
    year = buckets(parse_time_window("1-year", now))
    assert [label for label, _ in year][-1] == "2026-05" and len(year) == 13
    assert year[-1][1] == now
    quarters = buckets(parse_time_window("2021-01-01..2023-12-31", now))
    assert [label for label, _ in quarters][:2] == ["2021Q1", "2021Q2"] and len(quarters) == 12
    for bad in ("soon", "0-months", "2024-02-01..2023-01-01", "2024-13-01..2024-12-01"):
        with pytest.raises(BmadError):
            parse_time_window(bad, now)


def test_sparkline_scales_to_the_top_value() -> None:
    assert sparkline([0, 1, 2, 4], 4) == " ▂▄█"
    assert sparkline([1, 1], 1) == "██"
