"""Pages about how the repository grew and hangs together: trends per month from the mined
history, and the import graph with its cycles and layer violations."""

from __future__ import annotations

from html import escape

from bmad.dashboard import charts
from bmad.dashboard.layout import Links, empty, page, table
from bmad.dashboard.model import DashboardData
from bmad.dashboard.trends import technology_adoption_section

CYCLE_ROWS = 30
VIOLATION_ROWS = 100


def trends_page(data: DashboardData, links: Links) -> str:
    trends = data.trends
    if not trends:
        body = empty("no mined history: the trends need a git repository with commits")
        return page("Trends", "/trends", body, links, str(data.repository))
    series = (
        ("commits", "Commits", [(t.month, float(t.commits)) for t in trends], "{:g}"),
        (
            "churn",
            "Churn (lines added + deleted)",
            [(t.month, float(t.churn)) for t in trends],
            "{:g}",
        ),
        (
            "fix-ratio",
            "Fix ratio (fix commits / commits)",
            [(t.month, t.fix_ratio) for t in trends],
            "{:.0%}",
        ),
        ("authors", "Active authors", [(t.month, float(t.authors)) for t in trends], "{:g}"),
        (
            "complexity",
            "Total cognitive complexity at the month's last commit",
            [(t.month, None if t.cognitive is None else float(t.cognitive)) for t in trends],
            "{:g}",
        ),
    )
    figures = "".join(
        f'<figure class="trend" id="trend-{name}"><figcaption>{escape(title)}</figcaption>'
        f"{charts.line_chart(points, form.format)}</figure>"
        for name, title, points, form in series
    )
    rows = (
        (
            str(t.commits),
            str(t.churn),
            f"{t.fix_ratio:.0%}",
            str(t.authors),
            "" if t.cognitive is None else str(t.cognitive),
            escape(t.month),
        )
        for t in reversed(trends)
    )
    body = (
        f'<p class="summary">{len(trends)} months with commits, '
        f"{sum(t.commits for t in trends)} commits. Complexity is measured at the last commit "
        "of each of the latest months (it scans that tree).</p>"
        + f'<div class="grid">{figures}</div><h2>Per month</h2>'
        + table(
            ["commits", "churn", "fix ratio", "authors", "cognitive", "month"],
            rows,
            "trend-table",
            numeric=5,
        )
        + technology_adoption_section(data.repository)
    )
    return page("Trends", "/trends", body, links, str(data.repository))


def architecture_page(data: DashboardData, links: Links) -> str:
    document = data.architecture
    if document is None:
        body = empty("no import graph could be built (see the notes on the code map)")
        return page("Architecture", "/architecture", body, links, str(data.repository))
    summary = document["summary"]
    view = charts.graph_view(document)
    cycles = document["cycle_details"][:CYCLE_ROWS]
    cycle_rows = (
        (
            str(len(cycle["members"])),
            escape(", ".join(cycle["members"])),
            escape("; ".join(f"{a} -> {b}" for a, b in cycle["closing_edges"])),
        )
        for cycle in cycles
    )
    violations = document["layer_violations"][:VIOLATION_ROWS]
    violation_rows = (
        (
            f"{escape(item['path'])}:{item['line']}",
            escape(item["to"]),
            escape(item["from_layer"]),
            escape(item["to_layer"]),
        )
        for item in violations
    )
    grouped = (
        " Too many modules to draw one by one: each box is a folder, and an arrow means some "
        "module in one imports some module in the other."
        if view.grouped
        else ""
    )
    body = (
        f'<p class="summary"><span id="module-count">{summary["modules"]}</span> modules, '
        f'{summary["edges"]} imports between them, <span id="cycle-count">{summary["cycles"]}'
        f"</span> cycles ({summary['modules_in_cycles']} modules in cycles), "
        f'<span id="violation-count">{len(document["layer_violations"])}</span> layer '
        f"violations. Importers sit above what they import.{grouped}</p>"
        '<p class="legend"><span class="swatch edge"></span> import '
        '<span class="swatch cyclic"></span> inside a cycle '
        '<span class="swatch violation"></span> breaks a layer</p>'
        + f'<div class="graphbox">{charts.import_graph(view)}</div>'
        + "<h2>Cycles</h2>"
        + (
            table(["modules", "members", "closed by"], cycle_rows, "cycles", numeric=1)
            if cycles
            else empty("no import cycles")
        )
        + "<h2>Layer violations</h2>"
        + (
            table(["where", "imports", "from layer", "to layer"], violation_rows, "violations")
            if violations
            else empty(data.report.rules_without_data.get("layer-violation", "no layer violations"))
        )
    )
    return page("Architecture", "/architecture", body, links, str(data.repository))
