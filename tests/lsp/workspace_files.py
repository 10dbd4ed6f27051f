"""A small project of ordinary Python functions and a buffer with one anomalous function."""

from __future__ import annotations

from pathlib import Path

MONSTER = """def ordinary(a):
    return a + 1


def monster(a, b, c, d, e, f, g, h):
    total = 0
    for i in range(a):
        if i % 2 and b or c and d:
            for j in range(b):
                if j > c:
                    while d:
                        if e and f or g and h:
                            total += 1
                        else:
                            d -= 1
                elif j < e:
                    total -= 1
    return total
"""

TAMED = """def ordinary(a):
    return a + 1


def monster(a):
    return a * 2
"""


def build_project(root: Path) -> Path:
    """60 small functions in six modules: enough for an anomaly model."""
    root.mkdir(parents=True, exist_ok=True)
    for module in range(6):
        parts = []
        for index in range(10):
            branches = (module * 10 + index) % 4
            body = "".join(f"    if x > {j}:\n        x -= {j}\n" for j in range(branches))
            params = ", ".join(["x"] + [f"p{j}" for j in range(index % 3)])
            parts.append(
                f"def f{module}_{index}({params}):\n    y = x * 2\n{body}    return x + y\n"
            )
        (root / f"mod{module}.py").write_text("\n\n".join(parts))
    return root
