"""A small project of ordinary Python functions and a buffer with one anomalous function."""

from __future__ import annotations

from pathlib import Path

from sample_buffers import MONSTER, TAMED

__all__ = ["MONSTER", "TAMED", "build_project"]


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
