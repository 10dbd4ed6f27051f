"""Pages about the code as it is: the code map, one file's functions and findings, the ranked
findings with their filters, and the metric distributions against the federation's."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from fnmatch import fnmatchcase
from html import escape
from pathlib import PurePosixPath
from typing import Any

from bmad.analysis.findings import Finding, RankedItem
from bmad.analysis.rule_catalogue import RULES
from bmad.dashboard import charts
from bmad.dashboard.distributions import metric_distributions
from bmad.dashboard.layout import Links, empty, notes, page, table
from bmad.dashboard.model import DashboardData, FileEntry

MAP_MAX_FILES = 2000  # more files under a folder: the map shows its subfolders instead
MAP_GROUP_DEPTH = 2  # files drawn one by one are grouped by their folder this deep
FINDING_ROWS = 500  # rows rendered on the findings page; the count says how many matched
COLOURINGS = {
    "risk": "risk (the ranking's priority)",
    "hotspot": "hotspot (revisions x complexity)",
}


def _tile_label(entry: FileEntry) -> str:
    return (
        f"{entry.path}: {entry.nloc} lines of code, risk {entry.priority:.2f}, "
        f"hotspot {entry.hotspot}, {entry.findings} findings"
    )


def _colour_value(entry: FileEntry, colour: str) -> float:
    return entry.priority if colour == "risk" else float(entry.hotspot)


def map_tiles(
    files: Sequence[FileEntry], folder: str, colour: str, links: Links
) -> tuple[list[charts.MapTile], str]:
    """The tiles of the code map under ``folder`` and the folder actually shown (a folder
    holding only one folder opens that one). Up to ``MAP_MAX_FILES`` files are drawn one by
    one, grouped by their folder (two levels below it); beyond, each subfolder is one tile that
    opens it."""
    prefix = folder.strip("/") + "/" if folder.strip("/") else ""
    inside = [entry for entry in files if entry.path.startswith(prefix)]
    while True:
        below = {entry.path[len(prefix) :].partition("/") for entry in inside}
        children = {head for head, slash, _rest in below if slash}
        if len(children) != 1 or any(not slash for _head, slash, _rest in below):
            break
        prefix += children.pop() + "/"

    def child(entry: FileEntry) -> str:
        head, slash, _rest = entry.path[len(prefix) :].partition("/")
        return head + "/" if slash else ""

    def folder_of(entry: FileEntry) -> str:
        folders = entry.path[len(prefix) :].split("/")[:-1][:MAP_GROUP_DEPTH]
        return "/".join(folders) + "/" if folders else ""

    def file_tile(entry: FileEntry, group: str) -> charts.MapTile:
        return charts.MapTile(
            PurePosixPath(entry.path).name,
            float(entry.nloc),
            _colour_value(entry, colour),
            _tile_label(entry),
            links.to("/file", path=entry.path),
            group,
        )

    if len(inside) <= MAP_MAX_FILES:
        return [file_tile(entry, folder_of(entry)) for entry in inside], prefix
    folders: dict[str, list[FileEntry]] = {}
    tiles = []
    for entry in inside:
        name = child(entry)
        if name:
            folders.setdefault(name, []).append(entry)
        else:
            tiles.append(file_tile(entry, ""))
    for name, members in folders.items():
        hottest = max(members, key=lambda entry: _colour_value(entry, colour))
        tiles.append(
            charts.MapTile(
                name,
                float(sum(entry.nloc for entry in members)),
                _colour_value(hottest, colour),
                f"{prefix}{name}: {len(members)} files, "
                f"{sum(entry.nloc for entry in members)} lines of code, "
                f"{sum(entry.findings for entry in members)} findings; "
                f"hottest {hottest.path}",
                links.to("/", folder=prefix + name, colour=colour),
            )
        )
    return tiles, prefix


def _breadcrumb(prefix: str, colour: str, links: Links) -> str:
    crumbs = [f'<a href="{escape(links.to("/", colour=colour))}">(all)</a>']
    walked = ""
    for part in prefix.strip("/").split("/") if prefix else []:
        walked += part + "/"
        crumbs.append(
            f'<a href="{escape(links.to("/", folder=walked, colour=colour))}">{escape(part)}/</a>'
        )
    return '<p class="crumbs" id="crumbs">' + " ".join(crumbs) + "</p>"


def map_page(data: DashboardData, links: Links, colour: str, folder: str) -> str:
    colour = colour if colour in COLOURINGS else "risk"
    tiles, prefix = map_tiles(data.files, folder, colour, links)
    switch = " ".join(
        f'<a class="{"chosen" if name == colour else "choice"}" id="colour-{name}" '
        f'href="{escape(links.to("/", colour=name, folder=prefix))}">{escape(text)}</a>'
        for name, text in COLOURINGS.items()
    )
    report = data.report
    summary = (
        f'<p class="summary"><span id="file-count">{len(data.files)}</span> files, '
        f"{report.functions} functions, {report.flagged} anomalous, "
        f'<span id="finding-count">{len(report.findings)}</span> findings; '
        f"analysed {escape(data.gathered_at)}. Area: lines of code. Colour by: {switch}</p>"
    )
    hottest = sorted(
        (entry for entry in data.files if entry.path.startswith(prefix)),
        key=lambda entry: (-_colour_value(entry, colour), entry.path),
    )[:15]
    top = table(
        ["risk", "hotspot", "lines", "findings", "file"],
        (
            (
                f"{entry.priority:.2f}",
                str(entry.hotspot),
                str(entry.nloc),
                str(entry.findings),
                f'<a href="{escape(links.to("/file", path=entry.path))}">{escape(entry.path)}</a>',
            )
            for entry in hottest
        ),
        "hottest",
        numeric=4,
    )
    body = (
        summary
        + _breadcrumb(prefix, colour, links)
        + f'<div class="mapbox">{charts.code_map(tiles)}</div>'
        + '<p class="legend">cool <span class="swatch heat0"></span>'
        + "".join(f'<span class="swatch heat{i}"></span>' for i in range(1, charts.HEAT_STEPS))
        + " hot</p><h2>Hottest files</h2>"
        + top
        + notes(data.notes)
    )
    return page("Code map", "/", body, links, str(data.repository))


def _finding_text(finding: Finding) -> str:
    rule = RULES.get(finding.rule_id)
    why = f'<p class="why">{escape(rule.full)} <em>{escape(rule.help)}</em></p>' if rule else ""
    return (
        f'<div class="finding"><span class="rule sev-{escape(finding.severity)}">'
        f"{escape(finding.rule_id)}</span> line {finding.start_line}: "
        f"{escape(finding.message)}{why}</div>"
    )


def file_page(data: DashboardData, links: Links, path: str) -> str | None:
    entry = data.file(path)
    if entry is None:
        return None
    items = [item for item in data.items if item.path == path]
    by_line: dict[int, list[RankedItem]] = {}
    for item in items:
        by_line.setdefault(item.start_line, []).append(item)
    rows = []
    for record in data.functions.get(path, ()):
        metrics = record.metrics
        found = [
            finding
            for item in by_line.get(metrics.start_line, [])
            if item.kind == "function"
            for finding in item.findings
        ]
        rows.append(
            (
                str(metrics.start_line),
                str(metrics.nloc),
                str(metrics.ccn),
                str(metrics.cognitive),
                str(metrics.max_nesting),
                str(metrics.params),
                f'<span class="fn">{escape(metrics.qualified_name)}</span>'
                + "".join(_finding_text(finding) for finding in found),
            )
        )
    file_findings = [finding for item in items if item.kind == "file" for finding in item.findings]
    explanations = [item.explanation for item in items if item.explanation]
    risk = next((item.risk_explanation for item in items if item.risk_explanation), None)
    body = (
        f'<p class="summary">{entry.nloc} lines of code in {escape(entry.language)}; risk '
        f"{entry.priority:.2f}; hotspot score {entry.hotspot}; {entry.findings} findings.</p>"
        + (
            f'<p class="summary" id="defect-risk">Defect-risk model: {escape(risk)}.</p>'
            if risk
            else ""
        )
        + (
            "<h2>File findings</h2>" + "".join(_finding_text(f) for f in file_findings)
            if file_findings
            else ""
        )
        + ("<h2>Why the model flags it</h2>" + notes(explanations) if explanations else "")
        + "<h2>Functions</h2>"
        + (
            table(
                ["line", "nloc", "ccn", "cognitive", "nesting", "params", "function"],
                rows,
                "functions",
                numeric=6,
            )
            if rows
            else empty("no functions in this file")
        )
    )
    return page(path, "/file", body, links, str(data.repository))


def matches(item: RankedItem, rule: str, path_filter: str) -> bool:
    """Whether a ranked item passes the filters: a rule id, and a path glob or substring."""
    if rule and all(finding.rule_id != rule for finding in item.findings):
        return False
    if not path_filter:
        return True
    if any(char in path_filter for char in "*?["):
        return fnmatchcase(item.path, path_filter)
    return path_filter in item.path


def findings_page(data: DashboardData, links: Links, rule: str, path_filter: str) -> str:
    counts = Counter(finding.rule_id for finding in data.report.findings)
    options = '<option value="">every rule</option>' + "".join(
        f'<option value="{escape(rule_id)}"{" selected" if rule_id == rule else ""}>'
        f"{escape(rule_id)} ({count})</option>"
        for rule_id, count in sorted(counts.items())
    )
    form = (
        '<form id="filters" method="get" action="/findings">'
        f'<input type="hidden" name="token" value="{escape(links.token)}">'
        f'<label>rule <select name="rule" id="rule-filter">{options}</select></label> '
        '<label>path <input type="text" name="path" id="path-filter" '
        f'placeholder="substring or glob, e.g. src/*.py" value="{escape(path_filter)}"></label> '
        '<button type="submit" id="apply-filters">Filter</button> '
        f'<a href="{escape(links.to("/findings"))}">clear</a></form>'
    )
    chosen = [item for item in data.items if matches(item, rule, path_filter)]
    rows = (
        (
            str(item.rank),
            f"{item.priority:.2f}",
            f'<a href="{escape(links.to("/file", path=item.path))}">'
            f"{escape(item.path)}:{item.start_line}</a>",
            escape(item.name or "(file)"),
            " ".join(
                f'<span class="rule sev-{escape(f.severity)}">{escape(f.rule_id)}</span>'
                for f in item.findings
            ),
            escape(item.explanation or item.findings[0].message),
        )
        for item in chosen[:FINDING_ROWS]
    )
    shown = min(len(chosen), FINDING_ROWS)
    body = (
        form
        + f'<p class="summary" id="match-count">{len(chosen)} of {len(data.items)} ranked items '
        + f"match{'' if shown == len(chosen) else f'; the first {shown} are listed'}.</p>"
        + (
            table(["#", "priority", "where", "what", "rules", "why"], rows, "findings", numeric=2)
            if chosen
            else empty("no finding matches these filters")
        )
    )
    return page("Findings", "/findings", body, links, str(data.repository))


def distributions_page(data: DashboardData, links: Links) -> str:
    insights = data.federation.code_patterns()
    records = [record for found in data.functions.values() for record in found]
    sections = []
    for distribution in metric_distributions(records, insights):
        entry = distribution.global_entry
        caption = f"{distribution.functions} {distribution.language} functions here" + (
            _global_caption(entry)
            if entry
            else "; no global distribution cached for this metric and language"
        )
        metric, language = escape(distribution.metric), escape(distribution.language)
        sections.append(
            f'<figure class="dist" data-metric="{metric}" data-language="{language}">'
            f"<figcaption><b>{metric}</b> · {language}: {escape(caption)}</figcaption>"
            f"{charts.distribution_chart(distribution.labels, distribution.shares, entry)}"
            "</figure>"
        )
    legend = (
        '<p class="legend"><span class="swatch bar"></span> this repository, share per bin '
        '<span class="swatch localcdf"></span> this repository, share below '
        + (
            '<span class="swatch globaltick"></span> federation, share per bin '
            '<span class="swatch band"></span> federation, share below with its 95% interval'
            if insights is not None
            else "· no global insights are cached yet (they arrive after a federation round)"
        )
        + "</p>"
    )
    body = legend + (
        "".join(sections) if sections else empty("no functions were measured in this repository")
    )
    return page("Distributions", "/distributions", body, links, str(data.repository))


def _global_caption(entry: Mapping[str, Any]) -> str:
    percentiles = entry["percentiles"]
    return (
        f"; across {entry['organisations']} organisations: p50 in {percentiles['p50']}, "
        f"p90 in {percentiles['p90']}, p95 in {percentiles['p95']} "
        f"(confidence {float(entry['confidence']):.2f})"
    )
