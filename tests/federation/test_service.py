"""Serving the aggregator: plain HTTP beyond this machine is warned about."""

from __future__ import annotations

import pytest

from bmad.federation.service import plaintext_warning


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_loopback_needs_no_warning(host: str) -> None:
    assert plaintext_warning(host, tls=False) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "::", "aggregator.example.org"])
def test_plain_http_beyond_this_machine_is_warned_about(host: str) -> None:
    assert plaintext_warning(host, tls=False) == (
        f"bmad: warning: serving plain HTTP on {host}: enrolment tokens cross the network in "
        "clear; serve with --ssl-certfile and --ssl-keyfile"
    )
    assert plaintext_warning(host, tls=True) is None
