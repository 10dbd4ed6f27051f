from __future__ import annotations

import json
import keyword
import os
import subprocess
import sys
from pathlib import Path

from gitrepo import git, init_repo, write_files
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bmad.scanning import ScanOptions, cognitive_by_path, scan_commit, scan_paths
from bmad.scanning.pipeline import content_ids

SIMPLE = "def simple(a):\n    return a\n"
NESTED = (
    "def nested(items):\n"
    "    for item in items:\n"
    "        if item:\n"
    "            return item\n"
    "    return None\n"
)


def options(tmp_path: Path, **overrides: object) -> ScanOptions:
    values: dict[str, object] = {"jobs": 1, "cache_path": tmp_path / "cache.sqlite3"}
    values.update(overrides)
    return ScanOptions(**values)  # type: ignore[arg-type]


def reasons(result: object) -> dict[str, str]:
    return {item.path: item.reason for item in result.skipped}  # type: ignore[attr-defined]


def test_scan_reports_functions_and_file_counts(tmp_path: Path) -> None:
    write_files(tmp_path / "src", {"a.py": SIMPLE + "\n# comment\n" + NESTED})

    result = scan_paths([tmp_path / "src"], options(tmp_path))

    (scanned,) = result.files
    assert scanned.path == "a.py"
    assert scanned.language == "python"
    names = [f.name for f in scanned.metrics.functions]
    assert names == ["simple", "nested"]
    assert scanned.metrics.blank_lines == 1
    assert scanned.metrics.comment_lines == 1
    nested = scanned.metrics.functions[1]
    assert (nested.ccn, nested.max_nesting, nested.start_line) == (3, 2, 5)


def test_bad_inputs_are_skipped_with_reasons_and_never_abort(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    write_files(
        tree,
        {
            "binary.c": b"int x;\x00\x01\x02",
            "huge.py": "x = 1\n" * 400,
            "latin1.py": b"# caf\xe9\ndef f():\n    pass\n",
            "utf16.cs": "class A { void M() { } }\n".encode("utf-16"),
            "broken_syntax.py": "def ok():\n    return 1\n\ndef bad(:\n    pass\n",
            "empty.js": "",
            "fine.go": "package m\n\nfunc F() int { return 1 }\n",
        },
    )
    os.symlink(tree / "nowhere.py", tree / "dangling.py")

    result = scan_paths([tree], options(tmp_path, max_file_size=1000))

    skipped = reasons(result)
    assert skipped["binary.c"] == "binary (NUL bytes)"
    assert skipped["huge.py"].startswith("larger than the size limit (2400 > 1000 bytes)")
    assert skipped["latin1.py"] == "not UTF-8 (invalid byte at offset 5)"
    assert skipped["dangling.py"] == "broken symbolic link"
    files = {f.path: f for f in result.files}
    assert set(files) == {"utf16.cs", "broken_syntax.py", "empty.js", "fine.go"}
    assert [f.name for f in files["utf16.cs"].metrics.functions] == ["M"]
    assert files["broken_syntax.py"].metrics.has_syntax_errors
    assert "ok" in [f.name for f in files["broken_syntax.py"].metrics.functions]
    assert files["empty.js"].metrics.loc == 0
    assert files["empty.js"].metrics.functions == ()
    assert not files["fine.go"].metrics.has_syntax_errors


def test_tracked_path_replaced_by_a_folder_is_reported(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", {"odd.py": SIMPLE, "ok.py": SIMPLE})
    (repo / "odd.py").unlink()
    (repo / "odd.py").mkdir()

    result = scan_paths([repo], options(tmp_path))

    assert [f.path for f in result.files] == ["ok.py"]
    assert reasons(result) == {"odd.py": "is a directory"}


SCAN_IN_CHILD = """
import json, sys
from pathlib import Path
from bmad.scanning import ScanOptions, scan_paths
result = scan_paths([Path(sys.argv[1])], ScanOptions(jobs=1, cache_path=Path(sys.argv[2])))
print(json.dumps({
    "skipped": {item.path: item.reason for item in result.skipped},
    "scanned": [item.path for item in result.files],
}))
"""


def test_unreadable_file_is_reported(tmp_path: Path) -> None:
    write_files(tmp_path / "t", {"secret.py": SIMPLE, "open.py": NESTED})
    (tmp_path / "t" / "secret.py").chmod(0)
    # Root reads a file whatever its mode, through CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH.
    # Without them in its bounding set, a root process obeys the mode like anyone else.
    drop = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
    command = [*(drop if os.geteuid() == 0 else []), sys.executable, "-c", SCAN_IN_CHILD]
    child = subprocess.run(
        [*command, str(tmp_path / "t"), str(tmp_path / "cache.sqlite3")],
        capture_output=True,
        text=True,
        check=True,
    )

    outcome = json.loads(child.stdout)
    assert outcome["skipped"]["secret.py"] == "unreadable: Permission denied"
    assert outcome["scanned"] == ["open.py"]


def test_warm_scan_parses_nothing_and_equals_the_cold_scan(tmp_path: Path) -> None:
    repo = init_repo(
        tmp_path / "repo", {"a.py": SIMPLE, "b.py": NESTED, "c/d.js": "function f(){}"}
    )

    cold = scan_paths([repo], options(tmp_path))
    warm = scan_paths([repo], options(tmp_path))
    bypass = scan_paths([repo], options(tmp_path, use_cache=False))

    assert (cold.analysed, cold.cache_hits) == (3, 0)
    assert (warm.analysed, warm.cache_hits) == (0, 3)
    assert (bypass.analysed, bypass.cache_hits) == (3, 0)
    assert warm.files == cold.files == bypass.files

    (repo / "a.py").write_text(NESTED)
    changed = scan_paths([repo], options(tmp_path))
    assert (changed.analysed, changed.cache_hits) == (0, 3)  # a.py now has b.py's bytes
    (repo / "a.py").write_text(NESTED + SIMPLE)
    assert scan_paths([repo], options(tmp_path)).analysed == 1


def test_parallel_scan_equals_single_process_scan(tmp_path: Path) -> None:
    files = {f"pkg/m{i:03}.py": NESTED.replace("nested", f"f{i}") for i in range(60)}
    repo = init_repo(tmp_path / "repo", files)

    one = scan_paths([repo], options(tmp_path, jobs=1, use_cache=False))
    two = scan_paths([repo], options(tmp_path, jobs=2, use_cache=False))

    assert [f.path for f in two.files] == sorted(files)
    assert one.files == two.files


def test_commit_scan_reads_git_objects_not_the_work_tree(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", {"a.py": NESTED, "b.py": SIMPLE})
    first = git(repo, "rev-parse", "HEAD").strip()
    (repo / "a.py").write_text(SIMPLE)
    git(repo, "commit", "-qam", "simplify")

    at_first = scan_commit(repo, first, options(tmp_path))
    totals = cognitive_by_path(repo, first)

    nested = at_first.files[0].metrics.functions[0]
    assert nested.name == "nested"
    assert totals == {"a.py": nested.cognitive, "b.py": 0}
    assert cognitive_by_path(repo, "HEAD") == {"a.py": 0, "b.py": 0}


python_identifiers = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True).filter(
    lambda name: not keyword.iskeyword(name)  # "def or(x):" is a syntax error, not a function
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    names=st.lists(python_identifiers, min_size=1, max_size=5, unique=True),
    depth=st.integers(min_value=0, max_value=4),
)
def test_cache_hits_equal_cold_results(tmp_path: Path, names: list[str], depth: int) -> None:
    body = (
        "".join("    " * (level + 1) + f"if x > {level}:\n" for level in range(depth))
        + "    " * (depth + 1)
        + "return x\n"
    )
    source = "\n".join(f"def {name}(x):\n{body}" for name in names)
    folder = tmp_path / "-".join(names) / str(depth)
    write_files(folder, {"m.py": source})
    cache = tmp_path / f"cache-{'-'.join(names)}-{depth}.sqlite3"

    cold = scan_paths([folder], options(tmp_path, cache_path=cache))
    warm = scan_paths([folder], options(tmp_path, cache_path=cache))

    assert warm.cache_hits == 1
    assert warm.files == cold.files
    assert [f.name for f in cold.files[0].metrics.functions] == names


def test_uncommitted_edits_are_measured_from_the_work_tree(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", {"a.py": SIMPLE})
    scan_paths([repo], options(tmp_path))
    (repo / "a.py").write_text(NESTED)

    result = scan_paths([repo], options(tmp_path))

    assert [f.name for f in result.files[0].metrics.functions] == ["nested"]
    assert result.analysed == 1


def test_a_lower_size_limit_skips_tracked_files_the_cache_holds(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", {"small.py": SIMPLE, "big.py": NESTED * 20})
    scan_paths([repo], options(tmp_path))

    limited = scan_paths([repo], options(tmp_path, max_file_size=100))

    assert [f.path for f in limited.files] == ["small.py"]
    assert limited.cache_hits == 1
    size = len(NESTED * 20)
    assert reasons(limited) == {"big.py": f"larger than the size limit ({size} > 100 bytes)"}


def test_content_ids_of_a_tracked_file_over_the_limit_give_the_skip_reason(
    tmp_path: Path,
) -> None:
    repo = init_repo(tmp_path / "repo", {"small.py": SIMPLE, "big.py": NESTED * 20})
    tracked = {
        line.split("\t")[1]: line.split()[2] for line in git(repo, "ls-files", "-s").splitlines()
    }
    files = [(repo / name, tracked[name]) for name in ("small.py", "big.py")]

    ids = content_ids(files, options(tmp_path, max_file_size=100), None)

    assert ids == [
        tracked["small.py"],
        f"larger than the size limit ({len(NESTED * 20)} > 100 bytes)",
    ]
