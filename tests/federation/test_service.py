"""Serving the aggregator: plain HTTP beyond this machine is warned about; answers leave at once."""

from __future__ import annotations

import pytest

from bmad.federation.service import bound_socket, plaintext_warning


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


def test_accepted_connections_send_without_waiting_for_acknowledgements() -> None:
    """asyncio turns Nagle's algorithm off only on sockets it knows are TCP; with it on, every
    answer written as headers then body waited for the client's delayed ACK (~40 ms)."""
    import asyncio
    import socket

    async def accepted_nodelay() -> int:
        accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def connected(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            raw = writer.get_extra_info("socket")
            accepted.set_result(raw.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        listener = bound_socket("127.0.0.1", 0)
        server = await asyncio.start_server(connected, sock=listener)
        async with server:
            _, writer = await asyncio.open_connection(*listener.getsockname())
            result = await asyncio.wait_for(accepted, 10)
            writer.close()
            await writer.wait_closed()
        return result

    assert asyncio.run(accepted_nodelay()) != 0
