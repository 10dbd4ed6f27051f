from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bmad.cli.main import cli
from tests.analysis.synthetic_repo import build
from tests.gitrepo import git, write_files


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("synthetic") / "repo")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_planted_anomalies_rank_first(repo: Path) -> None:
    code, out, _ = run("learn", "anti-patterns", str(repo), "--json", "--top", "5")
    assert code == 0
    document = json.loads(out)
    first, second = document["items"][:2]
    assert (first["name"], first["path"]) == ("monster", "core/monster.py")
    assert "nesting depth" in first["explanation"]
    assert {"anomalous-function", "deep-nesting", "large-method"} <= {
        finding["rule_id"] for finding in first["findings"]
    }
    assert (second["kind"], second["path"]) == ("file", "hot/hot.py")
    assert second["findings"][0]["rule_id"] == "hotspot"
    assert second["findings"][0]["evidence"]["revisions"] == 12
    assert "revisions" in document["features"]
    assert document["functions"] == 205  # 200 ordinary, the monster, 4 in the hot file


def test_identical_runs_give_identical_output(repo: Path) -> None:
    first = json.loads(run("learn", "anti-patterns", str(repo), "--json")[1])
    second = json.loads(run("learn", "anti-patterns", str(repo), "--json")[1])
    assert first == second


def test_human_output_names_the_top_function(repo: Path) -> None:
    code, out, _ = run("learn", "anti-patterns", str(repo), "--top", "3")
    assert code == 0
    assert "monster" in out
    assert "layer-violation not evaluated" in out
    assert "…" not in out  # paths, names and rule ids wrap instead of being cut


def test_human_output_says_when_no_model_was_fitted(tmp_path: Path) -> None:
    small = tmp_path / "small"
    write_files(small, {"a.py": "def one():\n    return 1\n"})

    code, out, _ = run("learn", "anti-patterns", str(small))

    assert code == 0
    assert "1 function in 1 file; 0 anomalous; 0 findings suppressed; models: none\n" in out
    assert "anomalous-function not evaluated: no anomaly model: 1 function, fewer" in out


@pytest.mark.parametrize(
    "flags", [["--federated"], ["--consensus-threshold", "0.7"], ["--federated", "--json"]]
)
def test_federated_flags_without_a_federation_exit_2(repo: Path, flags: list[str]) -> None:
    code, out, err = run("learn", "anti-patterns", str(repo), *flags)
    assert code == 2
    assert "no federation is configured" in err
    assert out == ""


def test_missing_repository_exits_2(tmp_path: Path) -> None:
    code, _, err = run("learn", "anti-patterns", str(tmp_path / "absent"), "--json")
    assert code == 2
    assert "does not exist" in err


def test_bad_rule_setting_exits_2(tmp_path: Path) -> None:
    root = build(tmp_path / "configured")
    write_files(root, {".bmad.toml": "[rules]\ndeep_nesting = -1\n"})
    code, _, err = run("learn", "anti-patterns", str(root), "--json")
    assert code == 2
    assert "deep_nesting" in err


def test_unknown_rule_id_in_config_exits_2(tmp_path: Path) -> None:
    root = build(tmp_path / "configured")
    write_files(root, {".bmad.toml": '[rules]\ndisabled = ["no-such-rule"]\n'})
    code, _, err = run("learn", "anti-patterns", str(root), "--json")
    assert code == 2
    assert "no-such-rule" in err


def test_config_excludes_and_suppressions(tmp_path: Path) -> None:
    root = build(tmp_path / "suppressed")
    source = (root / "core/monster.py").read_text()
    write_files(
        root,
        {
            "core/monster.py": "# bmad: ignore[*]\n" + source,
            ".bmad.toml": '[analysis]\nexclude = ["hot/**"]\n',
        },
    )
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "suppress")
    document = json.loads(run("learn", "anti-patterns", str(root), "--json")[1])
    paths = {item["path"] for item in document["items"]}
    assert "core/monster.py" not in paths
    assert "hot/hot.py" not in paths
    assert document["suppressed"] >= 4


def test_sarif_file_is_written(repo: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.sarif"
    code, _, _ = run("learn", "anti-patterns", str(repo), "--sarif", str(target), "--json")
    assert code == 0
    document = json.loads(target.read_text())
    results = document["runs"][0]["results"]
    assert results[0]["ruleId"] == "anomalous-function"
    region = results[0]["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] == 1


def test_sarif_to_an_unwritable_place_exits_2(repo: Path, tmp_path: Path) -> None:
    code, _, err = run(
        "learn", "anti-patterns", str(repo), "--sarif", str(tmp_path / "no" / "dir" / "x.sarif")
    )
    assert code == 2
    assert "cannot write the SARIF file" in err
