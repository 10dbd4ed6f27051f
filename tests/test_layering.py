"""The package's floors: every import points down the layering README's "Layout" draws, and
no two modules import each other, directly or through others (deferred imports included)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import bmad

PACKAGE = Path(bmad.__file__).parent
# Lowest first; a module may import its own floor and the floors below it.
FLOORS: tuple[frozenset[str], ...] = (
    frozenset({"bmad", "config", "errors", "dirs", "git", "priority"}),
    frozenset({"store"}),
    frozenset({"extractors"}),
    frozenset({"scanning"}),
    frozenset({"analysis"}),
    frozenset({"privacy"}),
    frozenset({"federation"}),
    frozenset({"hooks"}),
    frozenset({"daemon"}),
    frozenset({"lsp"}),
    frozenset({"dashboard"}),
    frozenset({"cli", "demo", "__main__"}),
)


def module_names() -> dict[str, Path]:
    names: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = ("bmad", *path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def imported_modules(name: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            candidates = [module, *(f"{module}.{alias.name}" for alias in node.names)]
        else:
            continue
        for candidate in candidates:
            if candidate in known and candidate != name:
                yield candidate


def floor_of(module: str) -> int:
    parts = module.split(".")
    key = parts[1] if len(parts) > 1 else "bmad"
    for level, members in enumerate(FLOORS):
        if key in members:
            return level
    raise AssertionError(f"{module} is on no floor: add its package to FLOORS and the README")


def import_graph() -> dict[str, set[str]]:
    known = module_names()
    return {name: set(imported_modules(name, path, known)) for name, path in known.items()}


def test_every_import_points_down_the_floors() -> None:
    upward = sorted(
        f"{source} -> {target}"
        for source, targets in import_graph().items()
        for target in targets
        if floor_of(target) > floor_of(source)
    )
    assert upward == []


def test_no_module_takes_part_in_an_import_cycle() -> None:
    graph = import_graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    assert cycles == []


def test_the_checker_sees_a_planted_upward_import_and_cycle(tmp_path: Path) -> None:
    lower = tmp_path / "lower.py"
    lower.write_text("from bmad.cli import main\nimport bmad.store.connection\n")
    known = {"bmad.extractors.lower": lower, "bmad.cli": PACKAGE, "bmad.store.connection": PACKAGE}
    found = set(imported_modules("bmad.extractors.lower", lower, known))
    assert found == {"bmad.cli", "bmad.store.connection"}
    assert floor_of("bmad.cli") > floor_of("bmad.extractors.lower")


IO_MODULES = frozenset({"os", "subprocess", "sqlite3", "pygit2", "shutil", "socket", "tempfile"})


def test_extractors_do_no_io() -> None:
    """Bytes, trees and commit records in; metrics, imports and history out."""
    found = []
    for path in sorted((PACKAGE / "extractors").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = {node.module.split(".")[0]}
                if node.module == "pathlib" and any(a.name == "Path" for a in node.names):
                    names.add("pathlib.Path")
            else:
                continue
            found.extend(
                f"{path.name}: {name}" for name in sorted(names & (IO_MODULES | {"pathlib.Path"}))
            )
    assert found == []
