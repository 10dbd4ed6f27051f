from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bmad.cli.insights_patterns import patterns
from tests.analysis.synthetic_repo import build


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("synthetic") / "repo")


def run(command: click.Command, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(command, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_summary_json(repo: Path) -> None:
    code, out, _ = run(patterns, str(repo), "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["functions"] == 205
    assert summary["distributions"]["max_nesting"]["max"] == 16
    assert set(summary["distributions"]["nloc"]) == {"p50", "p75", "p90", "p95", "p99", "max"}
    deep = summary["smell_prevalence"]["deep-nesting"]
    assert (deep["count"], deep["of"], deep["scope"]) == (1, 205, "functions")
    assert summary["smell_prevalence"]["hotspot"]["count"] == 1
    assert summary["smell_prevalence"]["layer-violation"]["status"] == "no data"
    assert 0 < summary["anomaly_share"] < 0.2
    assert summary["top_findings"][0]["name"] == "monster"


def test_summary_human(repo: Path) -> None:
    code, out, _ = run(patterns, str(repo), "--top", "3")
    assert code == 0
    assert "Smell prevalence" in out
    assert "monster" in out
    assert "…" not in out  # rule ids, paths and reasons wrap instead of being cut


def test_global_without_a_federation_exits_2(repo: Path) -> None:
    code, out, err = run(patterns, str(repo), "--global", "--confidence-threshold", "0.9")
    assert code == 2
    assert "no federation is configured" in err
    assert out == ""


def test_a_repository_too_small_for_a_model_has_no_anomaly_share(tmp_path: Path) -> None:
    small = tmp_path / "small"
    small.mkdir()
    (small / "a.py").write_text("def one():\n    return 1\n", encoding="utf-8")

    code, out, _ = run(patterns, str(small), "--json")

    assert code == 0
    assert json.loads(out)["smell_prevalence"]["anomalous-function"] == {
        "status": "no data",
        "reason": "no anomaly model: 1 function, fewer than the 30 a model needs",
    }
    assert "anomalous functions:" not in run(patterns, str(small))[1]


def test_plot_draws_every_metric_into_a_png(repo: Path, tmp_path: Path) -> None:
    target = tmp_path / "patterns.png"
    code, out, err = run(patterns, str(repo), "--json", "--plot", str(target))
    assert code == 0, err
    assert json.loads(out)["functions"] == 205  # --json output stays clean
    assert f"plot written to {target}" in err
    from matplotlib.image import imread

    height, width, _ = imread(target).shape
    assert width >= 600 and height >= 6 * 200  # five metric rows and the prevalence row


def test_plot_without_matplotlib_fails_before_analysing(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    code, out, err = run(patterns, str(repo), "--plot", str(tmp_path / "p.png"))
    assert code == 2
    assert "pip install 'bmad[plot]'" in err
    assert out == ""
    assert not (tmp_path / "p.png").exists()
