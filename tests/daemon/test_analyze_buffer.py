"""``analyze_buffer`` on a real daemon: findings computed against a registered repository's
context (built on first use, rebuilt after the repository is mined again)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sample_buffers import MONSTER
from sample_buffers import TAMED as CLEAN

from bmad.daemon.client import RpcError, call
from tests.daemon.test_daemon_process import DaemonProcess, cli_ok, repository_row, wait_for


def small_functions(module: int, count: int) -> str:
    parts = []
    for index in range(count):
        branches = (module * count + index) % 4
        body = "".join(f"    if x > {j}:\n        x -= {j}\n" for j in range(branches))
        params = ", ".join(["x"] + [f"p{j}" for j in range(index % 3)])
        parts.append(f"def f{module}_{index}({params}):\n    y = x * 2\n{body}    return x + y\n")
    return "\n\n".join(parts)


@pytest.fixture
def daemon(bmad_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("BMAD_DAEMON__POLL_INTERVAL", "0.1")
    process = DaemonProcess(dict(os.environ), tmp_path / "daemon-stderr.log").start()
    yield
    process.stop()


def mined(name: str, head: str) -> Callable[[], Any]:
    def check() -> Any:
        row = repository_row(name)
        return row and row["last_mined_commit"] == head and row["state"] == "idle" and row

    return check


def analyze(path: Path | str, text: str) -> dict[str, Any]:
    result: dict[str, Any] = call("analyze_buffer", {"path": str(path), "text": text}, timeout=60)
    return result


def rules(result: dict[str, Any]) -> set[str]:
    return {finding["rule_id"] for finding in result["findings"]}


@pytest.mark.slow
def test_findings_of_a_buffer_in_a_registered_repository(
    daemon: None,
    make_repo: Callable[..., Path],
    commit: Callable[..., str],
    run_git: Callable[..., str],
) -> None:
    repo = make_repo("project", {"mod0.py": small_functions(0, 10)})
    cli_ok("repo", "add", str(repo))
    wait_for(mined("project", run_git(repo, "rev-parse", "HEAD")), "the first pass")

    few = analyze(repo / "new.py", MONSTER)
    assert few["repository"] == "project" and few["path"] == "new.py"
    assert "anomalous-function" not in rules(few)  # 10 functions: too few for a model
    assert any("no anomaly model: 10 functions" in note for note in few["notes"])
    assert {"complex-method", "deep-nesting"} <= rules(few)

    head = commit(repo, {f"mod{m}.py": small_functions(m, 10) for m in range(1, 6)})
    wait_for(mined("project", head), "the second pass")
    found = analyze(repo / "new.py", MONSTER)
    anomaly = [f for f in found["findings"] if f["rule_id"] == "anomalous-function"]
    assert len(anomaly) == 1
    finding = anomaly[0]
    assert finding["severity"] == "warning" and finding["path"] == "new.py"
    assert (finding["start_line"], finding["end_line"]) == (5, 18)
    assert "stands out" in finding["message"] and finding["anomaly_score"] > 0.5
    assert finding["evidence"]["percentiles"]["max_nesting"] == 100.0
    monster = found["functions"][1]
    assert monster["name"] == "monster" and monster["anomaly"]["flagged"] is True
    assert monster["percentiles"]["cognitive"] == 100.0

    clean = analyze(repo / "new.py", CLEAN)
    assert clean["findings"] == []
    assert [function["name"] for function in clean["functions"]] == ["ordinary", "monster"]


def test_a_buffer_outside_any_repository_gets_the_rules_only(daemon: None) -> None:
    result = analyze("scratch.py", MONSTER)
    assert result["repository"] is None
    assert "complex-method" in rules(result) and "anomalous-function" not in rules(result)
    assert analyze("scratch.py", CLEAN)["findings"] == []


def test_unsupported_or_binary_buffers_get_clear_errors(daemon: None, tmp_path: Path) -> None:
    with pytest.raises(RpcError) as unsupported:
        analyze(tmp_path / "notes.txt", "hello")
    assert unsupported.value.code == -32602
    assert "no supported language" in unsupported.value.rpc_message
    with pytest.raises(RpcError) as binary:
        analyze(tmp_path / "blob.py", "def f():\x00\x01\n")
    assert binary.value.code == -32602 and "binary" in binary.value.rpc_message
    with pytest.raises(RpcError) as unknown:
        call("analyze_buffer", {"path": "a.py", "text": "", "language": "cobol"})
    assert unknown.value.code == -32602 and "unknown language" in unknown.value.rpc_message
    assert analyze("a.py", "")["findings"] == []  # the daemon carries on


@pytest.mark.slow
def test_a_buffer_refers_to_the_federation_once_insights_are_cached(
    daemon: None, make_repo: Callable[..., Path], run_git: Callable[..., str]
) -> None:
    from tests.lsp.test_global_standing import cache_code_insights

    cache_code_insights()  # 6 organisations' python functions, confident
    repo = make_repo("project", {f"mod{m}.py": small_functions(m, 10) for m in range(6)})
    cli_ok("repo", "add", str(repo))
    wait_for(mined("project", run_git(repo, "rev-parse", "HEAD")), "the first pass")
    found = analyze(repo / "new.py", MONSTER)
    scopes = {entry["anomaly"]["scope"] for entry in found["functions"] if entry["anomaly"]}
    assert scopes == {"6 organisations' python functions"}
