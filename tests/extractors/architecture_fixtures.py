"""Build fixture trees on disk and turn them into the architecture lens' inputs."""

from __future__ import annotations

from pathlib import Path

from bmad.extractors.architecture import Architecture, build_architecture
from bmad.extractors.architecture_imports import extract_imports
from bmad.extractors.architecture_resolve import SourceFile
from bmad.extractors.languages import language_for_path, new_parser
from bmad.scanning.architecture import collect_project_files


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        location = root / relative
        location.parent.mkdir(parents=True, exist_ok=True)
        location.write_text(text)
    return root


def source_files(root: Path) -> list[SourceFile]:
    found = []
    for location in sorted(root.rglob("*")):
        relative = location.relative_to(root).as_posix()
        language = language_for_path(relative)
        if language is None or not location.is_file():
            continue
        data = location.read_bytes()
        imports = extract_imports(new_parser(language).parse(data), data, language)
        found.append(SourceFile(relative, language, imports))
    return found


def analyse_tree(root: Path, settings: dict[str, object] | None = None) -> Architecture:
    contents, problems = collect_project_files(root)
    architecture = build_architecture(source_files(root), contents, settings)
    architecture.skipped = sorted({*architecture.skipped, *problems})
    return architecture


def edge_set(architecture: Architecture) -> set[tuple[str, str]]:
    return {(edge.source, edge.target) for edge in architecture.edges}
