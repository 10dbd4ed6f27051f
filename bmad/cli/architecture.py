"""``bmad architecture``: module dependency graph, cycles, coupling, hubs, layers, technology."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from bmad import config, git
from bmad.cli._common import counted, echo_json, handle_errors, json_option
from bmad.cli.steps import on_terminal, step
from bmad.errors import EXIT_FINDINGS, BmadError


def _repository_root(path: Path) -> Path:
    if not path.is_dir():
        raise BmadError(f"{path}: not a folder")
    repository = git.find_work_tree(path)
    return git.work_tree_root(repository) if repository is not None else path.resolve()


def render(document: dict[str, Any], top: int) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    summary = document["summary"]
    imports = summary["imports"]
    console.print(
        f"{counted(summary['modules'], 'module')}, "
        f"{counted(summary['edges'], 'dependency', 'dependencies')}, "
        f"{counted(summary['cycles'], 'cycle')} "
        f"({counted(summary['modules_in_cycles'], 'module')} in cycles); "
        "imports: "
        + (", ".join(f"{count} {status}" for status, count in imports.items()) or "none"),
        highlight=False,
    )
    details = document["cycle_details"][:top]
    for position, cycle in enumerate(details, start=1):
        members = cycle["members"]
        console.print(
            f"\n[bold]Cycle {position}[/bold]: {counted(len(members), 'module')}", highlight=False
        )
        shown = ", ".join(members[:top]) + (" ..." if len(members) > top else "")
        console.print(f"  members: {shown}", highlight=False)
        closing = cycle["closing_edges"][:top]
        console.print(
            "  closed by: " + "; ".join(f"{a} -> {b}" for a, b in closing), highlight=False
        )
        shortest = document["smallest_cycles"].get(members[0])
        if shortest:
            console.print(
                "  shortest through first member: " + " -> ".join([*shortest, shortest[0]]),
                highlight=False,
            )
    modules = {module["name"]: module for module in document["modules"]}
    if document["hubs"]:
        table = Table(title=f"Hubs (top {min(top, len(document['hubs']))})")
        for column in ("module", "Ca", "Ce", "instability"):
            table.add_column(column, justify="left" if column == "module" else "right")
        for hub in document["hubs"][:top]:
            module = modules[hub]
            table.add_row(hub, str(module["ca"]), str(module["ce"]), f"{module['instability']:.2f}")
        console.print(table)
    violations = document["layer_violations"]
    if violations:
        table = Table(title=f"Layer violations ({len(violations)})")
        for column in ("location", "imports", "from layer", "to layer"):
            table.add_column(column)
        for violation in violations[:top]:
            table.add_row(
                f"{violation['path']}:{violation['line']}",
                violation["to"],
                violation["from_layer"],
                violation["to_layer"],
            )
        console.print(table)
    by_ecosystem: dict[str, set[str]] = {}
    for dependency in document["dependencies"]:
        by_ecosystem.setdefault(dependency["ecosystem"], set()).add(dependency["name"])
    for ecosystem, names in sorted(by_ecosystem.items()):
        listed = sorted(names)
        more = f" ... (+{len(listed) - top})" if len(listed) > top else ""
        console.print(
            f"{ecosystem}: {counted(len(listed), 'dependency', 'dependencies')}: "
            + ", ".join(listed[:top])
            + more,
            highlight=False,
        )
    for item in document["skipped"][:top]:
        console.print(f"  skipped {item['path']}: {item['reason']}", style="dim", highlight=False)


@click.command()
@click.argument("repo", required=False, type=click.Path(path_type=Path))
@json_option
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Rows per list: cycles and their members, hubs, layer violations, dependencies.",
)
@click.option("--strict", is_flag=True, help="Exit 1 when there are cycles or layer violations.")
@handle_errors
def architecture(repo: Path | None, as_json: bool, top: int, strict: bool) -> None:
    """Module dependency graph of REPO (default: the current folder): cycles, fan-in/out,
    instability, hubs, layer violations and third-party dependencies.

    Layers come from `layers = [...]` (globs, highest layer first) under
    [tool.bmad.architecture] in pyproject.toml or [architecture] in .bmad.toml.
    """
    from bmad.scanning import ScanOptions
    from bmad.scanning.architecture import analyse_architecture

    root = _repository_root(repo or Path.cwd())
    settings = config.load(root)
    options = ScanOptions(
        jobs=settings.integer("scan.jobs", 0),
        max_file_size=settings.integer("scan.max_file_size", 1),
    )
    try:
        with step(f"reading the imports of {root}", on_terminal(as_json)):
            result = analyse_architecture(root, settings.section("architecture"), options)
    except ValueError as exc:
        raise BmadError(f"invalid architecture settings: {exc}") from exc
    document = result.to_json()
    for item in document["skipped"]:
        if item["reason"] and not item["reason"].startswith("syntax errors"):
            click.echo(f"bmad: skipped {item['path']}: {item['reason']}", err=True)
    if as_json:
        echo_json(document)
    else:
        render(document, top)
    if strict and (document["cycles"] or document["layer_violations"]):
        sys.exit(EXIT_FINDINGS)
