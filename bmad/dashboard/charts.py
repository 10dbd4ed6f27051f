"""Server-rendered SVG charts: the code map, distributions, trend lines and the import graph.

Pure functions from values to markup. Colours are classes (``dashboard.css``), so the page's
content security policy needs no inline styles and the charts follow the stylesheet.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from bmad.dashboard.treemap import Rect, squarify
from bmad.extractors.architecture_graph import strongly_connected_components

HEAT_STEPS = 7  # classes heat0 (cool) .. heat6 (hot)
TILE_LABEL_WIDTH = 70.0  # px a file's tile needs before it shows the file's name
GROUP_HEADER = 14.0  # px above a folder's files on the code map, when it has room for a name


def heat_class(value: float, highest: float) -> str:
    if highest <= 0 or value <= 0:
        return "heat0"
    step = 1 + int((HEAT_STEPS - 1) * min(1.0, value / highest) - 1e-9)
    return f"heat{min(HEAT_STEPS - 1, max(1, step))}"


def _n(value: float) -> str:
    """A coordinate, short: one decimal, no trailing zero."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


@dataclass(frozen=True, slots=True)
class MapTile:
    name: str  # written on the tile when it has room
    size: float  # area weight (lines of code)
    value: float  # colour weight (risk or hotspot)
    label: str  # tooltip
    link: str
    group: str = ""  # tiles of one group are laid out together, framed and named


def code_map(tiles: Sequence[MapTile], width: float = 1200, height: float = 680) -> str:
    """A two-level squarified treemap: the groups, then the tiles inside each."""
    groups: dict[str, list[MapTile]] = {}
    for tile in tiles:
        if tile.size > 0:
            groups.setdefault(tile.group, []).append(tile)
    ordered = sorted(groups.items(), key=lambda item: -sum(t.size for t in item[1]))
    highest = max((tile.value for tile in tiles), default=0.0)
    out = [
        f'<svg class="codemap" viewBox="0 0 {_n(width)} {_n(height)}" '
        'xmlns="http://www.w3.org/2000/svg" role="img" aria-label="code map">'
    ]
    group_rects = squarify([sum(t.size for t in g) for _, g in ordered], Rect(0, 0, width, height))
    for (name, members), area in zip(ordered, group_rects, strict=True):
        members.sort(key=lambda tile: -tile.size)
        inner = area
        if name and area.height > 3 * GROUP_HEADER and area.width > 60:
            out.append(
                f'<text class="group" x="{_n(area.x + 3)}" y="{_n(area.y + 11)}">'
                f"{escape(name)}</text>"
            )
            inner = Rect(area.x, area.y + GROUP_HEADER, area.width, area.height - GROUP_HEADER)
        if name:
            out.append(
                f'<rect class="groupframe" x="{_n(area.x)}" y="{_n(area.y)}" '
                f'width="{_n(area.width)}" height="{_n(area.height)}"/>'
            )
        for tile, rect in zip(members, squarify([t.size for t in members], inner), strict=True):
            out.append(
                f'<a href="{escape(tile.link)}"><rect class="tile '
                f'{heat_class(tile.value, highest)}" x="{_n(rect.x)}" y="{_n(rect.y)}" '
                f'width="{_n(rect.width)}" height="{_n(rect.height)}">'
                f"<title>{escape(tile.label)}</title></rect>"
                + (
                    f'<text class="tilename" x="{_n(rect.x + 3)}" y="{_n(rect.y + 11)}">'
                    f"{escape(tile.name)}</text>"
                    if rect.width >= TILE_LABEL_WIDTH and rect.height >= 16
                    else ""
                )
                + "</a>"
            )
    out.append("</svg>")
    return "".join(out)


def _axis_label(x: float, y: float, text: str, anchor: str = "middle") -> str:
    return (
        f'<text class="axis" x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}">{escape(text)}</text>'
    )


def distribution_chart(
    bins: Sequence[str],
    local_shares: Sequence[float],
    global_entry: Mapping[str, Any] | None,
    width: float = 560,
    height: float = 220,
) -> str:
    """Bars: this repository's share of functions per bin. With a global entry (one metric and
    language of the cached code-pattern insights): its share per bin as ticks, and its
    cumulative share below each bin edge with the 95% interval as a band, against the local
    cumulative line."""
    left, right, top, bottom = 36.0, 8.0, 10.0, 40.0
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(1, len(bins))
    global_shares = [float(share) for share in global_entry["shares"]] if global_entry else []
    highest = max([*local_shares, *global_shares, 0.01])

    def y_share(share: float) -> float:
        return top + plot_h * (1 - share / highest)

    def y_cumulative(share: float) -> float:
        return top + plot_h * (1 - share)

    out = [
        f'<svg class="chart" viewBox="0 0 {_n(width)} {_n(height)}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<line class="axisline" x1="{_n(left)}" y1="{_n(top + plot_h)}" '
        f'x2="{_n(width - right)}" y2="{_n(top + plot_h)}"/>',
        _axis_label(left - 4, top + 8, f"{highest:.0%}", "end"),
        _axis_label(left - 4, top + plot_h, "0", "end"),
    ]
    if global_entry:
        below = list(global_entry["share_below"])
        halves = list(global_entry["share_below_plus_minus"])
        upper = [
            f"{_n(left + i * step)},{_n(y_cumulative(min(1.0, b + h)))}"
            for i, (b, h) in enumerate(zip(below, halves, strict=True))
        ]
        lower = [
            f"{_n(left + i * step)},{_n(y_cumulative(max(0.0, b - h)))}"
            for i, (b, h) in reversed(list(enumerate(zip(below, halves, strict=True))))
        ]
        out.append(f'<polygon class="band" points="{" ".join(upper + lower)}"/>')
        out.append(
            '<polyline class="globalcdf" points="'
            + " ".join(f"{_n(left + i * step)},{_n(y_cumulative(b))}" for i, b in enumerate(below))
            + '"/>'
        )
    running, local_below = 0.0, []
    for share in local_shares:
        local_below.append(running)
        running += share
    out.append(
        '<polyline class="localcdf" points="'
        + " ".join(
            f"{_n(left + i * step)},{_n(y_cumulative(b))}" for i, b in enumerate(local_below)
        )
        + '"/>'
    )
    label_every = max(1, len(bins) // 12)
    for index, (label, share) in enumerate(zip(bins, local_shares, strict=True)):
        x = left + index * step
        bar_top = y_share(share)
        out.append(
            f'<rect class="bar" x="{_n(x + 1)}" y="{_n(bar_top)}" width="{_n(max(1.0, step - 2))}"'
            f' height="{_n(top + plot_h - bar_top)}"><title>{escape(label)}: {share:.1%} of '
            "this repository's functions</title></rect>"
        )
        if index < len(global_shares):
            tick = y_share(global_shares[index])
            out.append(
                f'<line class="globaltick" x1="{_n(x + 1)}" y1="{_n(tick)}" '
                f'x2="{_n(x + step - 1)}" y2="{_n(tick)}"><title>{escape(label)}: '
                f"{global_shares[index]:.1%} of functions across the federation</title></line>"
            )
        if index % label_every == 0:
            out.append(_axis_label(x + step / 2, height - bottom + 14, label))
    out.append("</svg>")
    return "".join(out)


def line_chart(
    points: Sequence[tuple[str, float | None]],
    value_text: Callable[[float], str] = lambda value: f"{value:g}",
    width: float = 560,
    height: float = 180,
) -> str:
    """One series over labelled x positions (months); None leaves a gap."""
    left, right, top, bottom = 48.0, 10.0, 10.0, 34.0
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [value for _, value in points if value is not None]
    highest = max([*values, 0.0]) or 1.0
    step = plot_w / max(1, len(points) - 1)
    out = [
        f'<svg class="chart" viewBox="0 0 {_n(width)} {_n(height)}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<line class="axisline" x1="{_n(left)}" y1="{_n(top + plot_h)}" '
        f'x2="{_n(width - right)}" y2="{_n(top + plot_h)}"/>',
        _axis_label(left - 4, top + 8, value_text(highest), "end"),
        _axis_label(left - 4, top + plot_h, value_text(0), "end"),
    ]
    segment: list[str] = []
    segments: list[list[str]] = []
    for index, (label, value) in enumerate(points):
        x = left + index * step
        if value is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        y = top + plot_h * (1 - value / highest)
        segment.append(f"{_n(x)},{_n(y)}")
        out.append(
            f'<circle class="point" cx="{_n(x)}" cy="{_n(y)}" r="2.5">'
            f"<title>{escape(label)}: {escape(value_text(value))}</title></circle>"
        )
    if segment:
        segments.append(segment)
    out += [f'<polyline class="series" points="{" ".join(s)}"/>' for s in segments]
    label_every = max(1, len(points) // 8)
    for index, (label, _) in enumerate(points):
        if index % label_every == 0 or index == len(points) - 1:
            out.append(_axis_label(left + index * step, height - bottom + 16, label))
    out.append("</svg>")
    return "".join(out)


@dataclass(frozen=True, slots=True)
class GraphView:
    """The import graph as drawn: modules, or folders when there are too many modules."""

    nodes: tuple[str, ...]
    edges: frozenset[tuple[str, str]]
    cyclic: frozenset[tuple[str, str]]  # edges inside a cycle of the original graph
    violations: frozenset[tuple[str, str]]  # edges that break a configured layer
    in_cycle: frozenset[str]
    grouped: bool
    levels: dict[str, int]  # row of each node: 0 imports nothing, higher rows import lower


def _folder(parts: Sequence[str], depth: int) -> str:
    """The folder ``depth`` levels deep of a path split at its slashes (its file name last)."""
    return "/".join(parts[:-1][:depth]) + "/" if len(parts) > 1 else "(root)"


def graph_view(document: Mapping[str, Any], max_nodes: int = 80) -> GraphView:
    """Collapse modules into folders (deepest grouping that fits ``max_nodes``) when needed."""
    modules: dict[str, Mapping[str, Any]] = {
        str(module["name"]): module for module in document["modules"]
    }
    component = {
        name: index for index, members in enumerate(document["cycles"]) for name in members
    }
    edges = [(edge["from"], edge["to"]) for edge in document["edges"]]
    cyclic = {
        (a, b) for a, b in edges if a in component and component[a] == component.get(b) and a != b
    }
    violations = {(item["from"], item["to"]) for item in document["layer_violations"]}

    grouped = len(modules) > max_nodes
    group: dict[str, str] = {name: name for name in modules}
    if grouped:
        parts = {name: str(module["path"]).split("/") for name, module in modules.items()}
        depth = 1
        while depth < 8 and len({_folder(p, depth + 1) for p in parts.values()}) <= max_nodes:
            depth += 1
        group = {name: _folder(found, depth) for name, found in parts.items()}

    def name_of(module: str) -> str:
        return group.get(module, module)

    def lift(pairs: set[tuple[str, str]]) -> frozenset[tuple[str, str]]:
        return frozenset((name_of(a), name_of(b)) for a, b in pairs if name_of(a) != name_of(b))

    module_levels = layers_of(tuple(modules), frozenset(edges))
    members: dict[str, list[int]] = {}
    for name in modules:
        members.setdefault(name_of(name), []).append(module_levels.get(name, 0))
    return GraphView(
        nodes=tuple(sorted(members)),
        edges=lift(set(edges)),
        cyclic=lift(cyclic),
        violations=lift(violations),
        in_cycle=frozenset(name_of(name) for name in component),
        grouped=grouped,
        levels={node: round(sum(found) / len(found)) for node, found in members.items()},
    )


def layers_of(nodes: Sequence[str], edges: frozenset[tuple[str, str]]) -> dict[str, int]:
    """Longest path down to a module that imports nothing (cycles collapse to one level)."""
    graph: dict[str, list[str]] = {node: [] for node in nodes}
    for a, b in sorted(edges):
        graph.setdefault(a, []).append(b)
        graph.setdefault(b, [])
    level: dict[str, int] = {}
    for members in strongly_connected_components(graph):  # sinks first
        inside = set(members)
        below = [level[b] for a in members for b in graph[a] if b not in inside]
        depth = 1 + max(below) if below else 0
        for member in members:
            level[member] = depth
    return level


def import_graph(view: GraphView) -> str:
    """Importers above what they import; cycle edges and layer violations highlighted."""
    level = view.levels
    used = {value: rank for rank, value in enumerate(sorted(set(level.values())))}
    rows: dict[int, list[str]] = {}
    for node in view.nodes:  # consecutive rows: levels that hold no node take no room
        rows.setdefault(used.get(level.get(node, 0), 0), []).append(node)
    row_height, node_h, node_w = 64.0, 20.0, 128.0
    width = max(1200.0, node_w * (1 + max((len(m) for m in rows.values()), default=0)))
    depth = max(rows, default=0)
    height = (depth + 1) * row_height + 20
    where: dict[str, tuple[float, float]] = {}
    for row, members in rows.items():
        slot = width / (len(members) + 1)
        for position, node in enumerate(members, start=1):
            where[node] = (slot * position, 20 + (depth - row) * row_height)
    out = [
        f'<svg class="graph" width="{_n(width)}" height="{_n(height)}" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" '
        'xmlns="http://www.w3.org/2000/svg" role="img" aria-label="import graph">'
    ]
    for a, b in sorted(view.edges):
        kind = (
            "edge violation"
            if (a, b) in view.violations
            else "edge cyclic"
            if (a, b) in view.cyclic
            else "edge"
        )
        (x1, y1), (x2, y2) = where[a], where[b]
        out.append(
            f'<line class="{kind}" x1="{_n(x1)}" y1="{_n(y1 + node_h / 2)}" x2="{_n(x2)}" '
            f'y2="{_n(y2 - node_h / 2)}"><title>{escape(a)} imports {escape(b)}</title></line>'
        )
    for node in view.nodes:
        x, y = where[node]
        short = node if len(node) <= 22 else "…" + node[-21:]
        kind = "node cyclic" if node in view.in_cycle else "node"
        out.append(
            f'<g class="{kind}"><title>{escape(node)}</title>'
            f'<rect x="{_n(x - 60)}" y="{_n(y - node_h / 2)}" width="120" height="{_n(node_h)}" '
            f'rx="4"/><text x="{_n(x)}" y="{_n(y + 4)}" text-anchor="middle">'
            f"{escape(short)}</text></g>"
        )
    out.append("</svg>")
    return "".join(out)
