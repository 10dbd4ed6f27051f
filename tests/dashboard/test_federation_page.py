"""The federation page shows the members' trust levels as last fetched, never asking for them."""

from __future__ import annotations

from dataclasses import replace

from bmad.dashboard.model import FederationView
from bmad.dashboard.privacy_pages import federation_page
from dashboard.conftest import Live

LEVELS = {
    "levels": {"new": "too little evidence", "trusted": "lower bound at least 0.7"},
    "organisations": [
        {
            "organisation": "acme",
            "level": "trusted",
            "score": 0.9166,
            "interval": [0.71, 0.99],
            "events": 10,
            "ratings": 1,
            "credits": 12,
        },
        {
            "organisation": "initech",
            "level": "new",
            "score": 0.5,
            "interval": [0.05, 0.95],
            "events": 0,
            "ratings": 0,
            "credits": 0,
        },
    ],
}


def test_the_cached_trust_levels_are_listed_with_their_date(live: Live) -> None:
    view = FederationView(None, (), (), ("2026-12-05T02:00:00+00:00", LEVELS))
    html = federation_page(replace(live.data, federation=view), live.server.links)
    assert 'id="trust-levels"' in html
    assert "<td>acme</td><td>trusted</td><td>0.92</td><td>0.71 - 0.99</td><td>12</td>" in html
    assert "<td>initech</td><td>new</td><td>0.50</td>" in html
    assert "2026-12-05T02:00:00+00:00" in html
    assert "trusted: lower bound at least 0.7" in html


def test_before_any_fetch_the_page_says_how_to_get_them(live: Live) -> None:
    html = federation_page(
        replace(live.data, federation=FederationView(None, (), ())), live.server.links
    )
    assert 'id="trust-levels"' not in html
    assert "bmad federation status --trust-levels" in html
