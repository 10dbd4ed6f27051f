"""The page shell every dashboard page shares: navigation, links that carry the token, tables."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from urllib.parse import urlencode

NAVIGATION: tuple[tuple[str, str], ...] = (
    ("/", "Code map"),
    ("/findings", "Findings"),
    ("/distributions", "Distributions"),
    ("/trends", "Trends"),
    ("/architecture", "Architecture"),
    ("/privacy", "Privacy"),
    ("/federation", "Federation"),
)


class Links:
    """URLs of this dashboard; each carries the access token, which every request needs."""

    def __init__(self, token: str) -> None:
        self.token = token

    def to(self, route: str, **parameters: str) -> str:
        query = {"token": self.token, **{k: v for k, v in parameters.items() if v}}
        return f"{route}?{urlencode(query)}"


def page(title: str, route: str, body: str, links: Links, repository: str) -> str:
    navigation = "".join(
        f'<a href="{escape(links.to(target))}"'
        + (' class="active" aria-current="page"' if target == route else "")
        + f">{escape(label)}</a>"
        for target, label in NAVIGATION
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · bmad</title>"
        f'<link rel="icon" href="{escape(links.to("/static/favicon.svg"))}" type="image/svg+xml">'
        f'<link rel="stylesheet" href="{escape(links.to("/static/dashboard.css"))}"></head>'
        f'<body><header><span class="brand">bmad</span><nav>{navigation}</nav>'
        f'<span class="repo">{escape(repository)}</span></header>'
        f"<main><h1>{escape(title)}</h1>{body}</main>"
        "<footer>Served from this machine only (127.0.0.1); nothing on this page left it.</footer>"
        "</body></html>"
    )


def table(
    headers: Sequence[str], rows: Iterable[Sequence[str]], css_id: str = "", numeric: int = 0
) -> str:
    """A table whose cells are already escaped markup; the first ``numeric`` columns align
    right."""
    head = "".join(
        f"<th{' class=num' if index < numeric else ''}>{escape(text)}</th>"
        for index, text in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{' class=num' if index < numeric else ''}>{cell}</td>"
            for index, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    identifier = f' id="{escape(css_id)}"' if css_id else ""
    return f"<table{identifier}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def notes(items: Iterable[str]) -> str:
    listed = "".join(f"<li>{escape(item)}</li>" for item in items)
    return f'<ul class="notes">{listed}</ul>' if listed else ""


def empty(text: str) -> str:
    return f'<p class="empty">{escape(text)}</p>'
