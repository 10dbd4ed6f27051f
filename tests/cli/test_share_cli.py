"""`bmad share enable|disable|status|preview` on real repositories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bmad.cli.main import cli
from bmad.privacy.schemas import ROUND_ONLY_TYPES
from tests.privacy.canary import build_canary_repo, leaks


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return build_canary_repo(tmp_path / "project")


def test_sharing_is_off_until_enabled(repo: Path) -> None:
    code, out, _ = invoke("share", "status", "--json")
    assert code == 0
    assert json.loads(out)["repositories"] == []
    code, out, _ = invoke("share", "status")
    assert "sharing is off for every repository" in out
    code, out, err = invoke(
        "share", "enable", str(repo / "src"), "--types", "code_patterns,technology_trends", "--json"
    )
    assert code == 0, err
    record = json.loads(out)
    assert record["repository"] == str(repo.resolve())  # the work-tree root, not the subfolder
    assert record["learning_types"] == ["code_patterns", "technology_trends"]
    assert record["enabled"] and record["updated_at"]
    code, out, _ = invoke("share", "status", "--json")
    status = json.loads(out)
    assert [r["learning_types"] for r in status["repositories"]] == [
        ["code_patterns", "technology_trends"]
    ]
    assert [e["action"] for e in status["history"]] == ["enable"]
    code, out, _ = invoke("share", "disable", str(repo))
    assert code == 0 and "sharing disabled" in out
    code, out, _ = invoke("share", "status", "--json")
    assert json.loads(out)["repositories"][0]["enabled"] is False


def test_enable_refuses_unknown_types_and_missing_paths(repo: Path, tmp_path: Path) -> None:
    code, _, err = invoke("share", "enable", str(repo), "--types", "source_code")
    assert code == 2 and "unknown learning type" in err
    code, _, err = invoke("share", "enable", str(tmp_path / "absent"))
    assert code == 2 and "no such file" in err
    loose = tmp_path / "notes.txt"
    loose.write_text("not a repository\n", encoding="utf-8")
    code, _, err = invoke("share", "enable", str(loose))
    assert (code, err) == (2, f"bmad: error: {loose}: not a repository or folder\n")
    code, out, _ = invoke("share", "status", "--json")
    assert json.loads(out)["repositories"] == []


def test_preview_json_shows_every_bin_before_and_after_noise(repo: Path) -> None:
    code, out, err = invoke("share", "preview", str(repo), "--type", "technology_trends", "--json")
    assert code == 0, err
    (preview,) = json.loads(out)["previews"]
    assert preview["learning_type"] == "technology_trends"
    assert preview["available"]
    bins = {b["label"]: b for b in preview["bins"]}
    assert len(bins) == 46
    assert bins["dependencies/numpy"]["before_noise"] == 50
    assert bins["dependencies/react"]["before_noise"] == 50
    assert all(isinstance(b["after_noise"], int) for b in bins.values())
    assert preview["noise"]["mechanism"] == "gaussian"
    assert preview["l1_sensitivity"] == 200
    assert leaks(out, repo) == []


def test_preview_human_and_all_types(repo: Path) -> None:
    code, out, err = invoke("share", "preview", str(repo), "--type", "success_patterns")
    assert code == 0, err
    assert "success_patterns v1" in out
    code, out, _ = invoke("share", "preview", str(repo), "--json")
    document = json.loads(out)
    previews = document["previews"]
    assert [p["learning_type"] for p in previews][:2] == ["code_patterns", "anti_patterns"]
    # risk_model's vector is a gradient at a round's model: it exists only inside a round
    assert all(p["available"] for p in previews if p["learning_type"] not in ROUND_ONLY_TYPES)
    assert document["notes"] == []


def test_preview_outside_git_says_what_is_missing(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "tool.py").write_text("def run(a, b):\n    return a or b\n")
    code, out, err = invoke("share", "preview", str(folder), "--json")
    assert code == 0, err
    document = json.loads(out)
    available = {p["learning_type"]: p["available"] for p in document["previews"]}
    assert available["code_patterns"] and not available["workflow_patterns"]
    assert "workflow_patterns: not a git work tree" in document["notes"]


def test_preview_refuses_an_unknown_type(repo: Path) -> None:
    code, _, err = invoke("share", "preview", str(repo), "--type", "everything")
    assert code == 2 and "unknown learning type" in err
