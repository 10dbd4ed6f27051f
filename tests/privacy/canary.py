"""A git repository whose every name, path, author and string is a canary."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

MARK = "zqxcanary"  # in every identifying string below; must never appear in a payload

AUTHOR = f"Ada {MARK.capitalize()}"
EMAIL = f"ada.{MARK}@{MARK}-corp.example"

FILES: dict[str, str] = {
    f"src/{MARK}_pkg/{MARK}_core.py": (
        f"import numpy\nimport {MARK}_internal\nfrom {MARK}_vendor.sub import {MARK}_thing\n\n"
        f"SECRET_{MARK.upper()} = '{MARK}-token-123'\n\n\n"
        f"class {MARK.capitalize()}Service:\n"
        f"    def {MARK}_method(self, {MARK}_arg, other):\n"
        f"        if {MARK}_arg and other:\n"
        f"            for {MARK}_item in other:\n"
        f"                if {MARK}_item:\n"
        f"                    return {MARK}_item\n"
        f"        return None\n\n\n"
        f"def {MARK}_function(a, b, c):\n"
        f"    '''{MARK} docstring by {AUTHOR} <{EMAIL}>'''\n"
        f"    return a if a > b else c\n"
    ),
    f"tests/test_{MARK}.py": f"def test_{MARK}():\n    assert True\n",
    f"web/{MARK}-app.js": (
        f"const {MARK}Lib = require('{MARK}-private-pkg');\nconst React = require('react');\n"
        f"function {MARK}Handler(req) {{\n  if (req.{MARK}) {{ return 1; }}\n  return 2;\n}}\n"
    ),
    f"svc/{MARK}.go": (
        f'package {MARK}\n\nimport "github.com/{MARK}/internal"\n\n'
        f"func {MARK.capitalize()}Run(x int) int {{\n"
        "\tif x > 1 {\n\t\treturn x\n\t}\n\treturn 0\n}\n"
    ),
    f".github/workflows/{MARK}.yml": f"name: {MARK}\non: push\n",
    "tsconfig.json": f'{{"compilerOptions": {{"outDir": "{MARK}"}}}}\n',
}


def build_canary_repo(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": AUTHOR,
        "GIT_AUTHOR_EMAIL": EMAIL,
        "GIT_COMMITTER_NAME": AUTHOR,
        "GIT_COMMITTER_EMAIL": EMAIL,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    for relative, content in FILES.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
    for args in (
        ["init", "-q", "-b", f"{MARK}-branch"],
        ["add", "-A"],
        ["commit", "-q", "-m", f"fix {MARK} bug reported by {EMAIL}"],
    ):
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)
    return root


def leaks(data: bytes | str, root: Path) -> list[str]:
    """The canary strings found in ``data`` (case-insensitive), plus the repository path."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    lowered = text.lower()
    found = [word for word in (MARK, AUTHOR.lower(), EMAIL.lower()) if word in lowered]
    if str(root) in text or root.name in text:
        found.append("repository path")
    return found
