from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bmad.cli.main import cli

TREE = {
    "pyproject.toml": (
        '[project]\nname = "app"\ndependencies = ["requests"]\n'
        '[tool.bmad.architecture]\nlayers = ["app/ui/**", "app/core/**"]\n'
    ),
    "app/__init__.py": "",
    "app/a.py": "from . import b\n",
    "app/b.py": "from . import c\n",
    "app/c.py": "from . import a\nimport requests\n",
    "app/ui/__init__.py": "",
    "app/ui/view.py": "from app.core import model\n",
    "app/core/__init__.py": "",
    "app/core/model.py": "import os\n\nfrom app.ui import view\n",
}


def make_repo(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    return root


def test_json_output_and_layer_config_from_pyproject(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", TREE)
    result = CliRunner().invoke(cli, ["architecture", str(repo), "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert ["app.a", "app.b", "app.c"] in document["cycles"]
    assert document["layer_violations"] == [
        {
            "from": "app.core.model",
            "to": "app.ui.view",
            "path": "app/core/model.py",
            "line": 3,
            "from_layer": "app/core/**",
            "to_layer": "app/ui/**",
        }
    ]
    assert {"name": "requests", "ecosystem": "pypi", "source": "import"} in document["dependencies"]


def test_second_run_reads_the_shared_parse_cache(tmp_path: Path) -> None:
    from bmad.scanning import scan_repository

    repo = make_repo(tmp_path / "repo", TREE)
    runner = CliRunner()
    first = runner.invoke(cli, ["architecture", str(repo), "--json"])
    assert first.exit_code == 0
    rescan = scan_repository(repo)
    assert rescan.analysed == 0 and rescan.cache_hits == len(rescan.files)
    second = runner.invoke(cli, ["architecture", str(repo), "--json"])
    assert json.loads(second.stdout) == json.loads(first.stdout)


def test_human_output_and_strict_exit_code(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", TREE)
    result = CliRunner().invoke(cli, ["architecture", str(repo), "--strict"])
    assert result.exit_code == 1
    assert "Cycle 1" in result.stdout
    assert "app/core/model.py:3" in result.stdout
    clean = make_repo(tmp_path / "clean", {"m.py": "import os\n"})
    assert CliRunner().invoke(cli, ["architecture", str(clean), "--strict"]).exit_code == 0


def test_human_summary_of_a_folder_without_imports(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()

    result = CliRunner().invoke(cli, ["architecture", str(tmp_path / "empty")])

    assert result.exit_code == 0
    assert result.stdout.startswith(
        "0 modules, 0 dependencies, 0 cycles (0 modules in cycles); imports: none\n"
    )


def test_invalid_layers_and_bad_paths_exit_2(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {**TREE, ".bmad.toml": "[architecture]\nlayers = 3\n"})
    result = CliRunner().invoke(cli, ["architecture", str(repo)])
    assert result.exit_code == 2
    assert "invalid architecture settings" in result.stderr
    missing = CliRunner().invoke(cli, ["architecture", str(tmp_path / "nope")])
    assert missing.exit_code == 2
    assert "not a folder" in missing.stderr


def test_malformed_manifest_is_reported_on_stderr(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {**TREE, "package.json": "{oops"})
    result = CliRunner().invoke(cli, ["architecture", str(repo), "--json"])
    assert result.exit_code == 0
    assert "package.json" in result.stderr
    skipped = json.loads(result.stdout)["skipped"]
    assert any(item["path"] == "package.json" for item in skipped)
