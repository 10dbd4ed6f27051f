"""Golden fixtures: every expectation is worked out by hand in the fixture's comments."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

from bmad.extractors.code import extract
from bmad.extractors.languages import language_for_path

GOLDEN = Path(__file__).parent / "golden"
EXPECT = re.compile(r"expect: (.*)$")
FIELDS = ("ccn", "cognitive", "max_nesting", "params", "nloc")


def fixtures() -> list[Path]:
    return sorted(path for path in GOLDEN.rglob("*") if path.is_file())


def expectations(text: str) -> list[dict[str, str]]:
    found = []
    for line in text.splitlines():
        match = EXPECT.search(line)
        if match:
            found.append(dict(item.split("=", 1) for item in match.group(1).split() if "=" in item))
    return found


def test_every_language_has_a_golden_fixture() -> None:
    languages = {language_for_path(path) for path in fixtures()}
    assert languages == {
        "python",
        "javascript",
        "typescript",
        "tsx",
        "go",
        "java",
        "rust",
        "c",
        "cpp",
        "ruby",
        "csharp",
    }


@pytest.mark.parametrize("path", fixtures(), ids=lambda path: path.parent.name)
def test_golden_fixture(path: Path) -> None:
    language = language_for_path(path)
    assert language is not None
    source = path.read_bytes()
    expected = expectations(source.decode())
    assert expected, f"{path} has no expectations"
    metrics = extract(source, language)
    assert not metrics.has_syntax_errors
    by_name = defaultdict(list)
    for function in metrics.functions:
        by_name[function.name].append(function)
    seen: dict[str, int] = defaultdict(int)
    for expectation in expected:
        name = expectation["name"]
        candidates = by_name[name]
        assert seen[name] < len(candidates), f"no function {name} in {path.name}"
        function = candidates[seen[name]]
        seen[name] += 1
        actual = {field: getattr(function, field) for field in FIELDS}
        wanted = {field: int(expectation[field]) for field in FIELDS}
        assert actual == wanted, f"{path.name}:{function.start_line} {name}"
