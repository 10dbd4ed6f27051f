"""A real git repository with planted anomalies: one huge deeply nested function among ~200
ordinary ones, and one file changed in every commit."""

from __future__ import annotations

import random
from pathlib import Path

from tests.gitrepo import git, init_repo, write_files

ORDINARY_FILES = 20
FUNCTIONS_PER_FILE = 10
COMMITS = 12


def ordinary_function(name: str, rng: random.Random) -> str:
    params = ", ".join(f"p{i}" for i in range(rng.randint(0, 3)))
    body = [f"def {name}({params}):", "    total = 0"]
    for step in range(rng.randint(1, 6)):
        if rng.random() < 0.4:
            body += [f"    if total > {step}:", f"        total -= {step}"]
        else:
            body.append(f"    total += {step}")
    body.append("    return total")
    return "\n".join(body) + "\n\n\n"


def monster_function() -> str:
    lines = ["def monster(a, b, c):", "    total = 0"]
    depth = 1
    for level in range(8):
        indent = "    " * depth
        lines += [f"{indent}for i{level} in range(a):", f"{indent}    if i{level} % 2 == b:"]
        depth += 2
    indent = "    " * depth
    lines += [f"{indent}total += {n} * c" for n in range(60)]
    lines.append("    return total")
    return "\n".join(lines) + "\n"


def hot_file(version: int) -> str:
    decisions = "".join(
        f"def decide_{n}(value, limit):\n"
        "    if value > limit:\n"
        "        if value % 2:\n"
        "            return 1\n"
        "        return 2\n"
        "    return 0\n\n\n"
        for n in range(4)
    )
    return f"VERSION = {version}\n\n\n" + decisions


def build(root: Path, seed: int = 3) -> Path:
    rng = random.Random(seed)
    files: dict[str, str | bytes] = {}
    for index in range(ORDINARY_FILES):
        folder = "core" if index % 2 else "util"
        files[f"{folder}/mod{index}.py"] = "".join(
            ordinary_function(f"func_{index}_{n}", rng) for n in range(FUNCTIONS_PER_FILE)
        )
    files["core/monster.py"] = monster_function()
    files["hot/hot.py"] = hot_file(0)
    init_repo(root, files)
    for version in range(1, COMMITS):
        write_files(root, {"hot/hot.py": hot_file(version)})
        git(root, "commit", "-q", "-am", f"change {version}")
    return root
