"""The ``[federation]`` settings of this machine, and opening its aggregator client."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bmad.config import require_positive
from bmad.errors import BmadError

if TYPE_CHECKING:
    from bmad.federation.client import AggregatorClient
    from bmad.privacy.identity import Identity


@dataclass(frozen=True, slots=True)
class FederationSettings:
    aggregator: str
    request_timeout: float
    poll_interval: float
    round_timeout: float
    participate_interval: float
    tls_verify: bool | str

    @classmethod
    def from_section(cls, section: Mapping[str, Any]) -> FederationSettings:
        try:
            tls_verify = section["tls_verify"]
            settings = cls(
                aggregator=str(section["aggregator"]),
                request_timeout=require_positive("federation", section, "request_timeout"),
                poll_interval=require_positive("federation", section, "poll_interval"),
                round_timeout=require_positive("federation", section, "round_timeout"),
                participate_interval=require_positive(
                    "federation", section, "participate_interval"
                ),
                tls_verify=tls_verify if isinstance(tls_verify, bool) else str(tls_verify),
            )
        except KeyError as exc:
            raise BmadError(f"missing federation setting {exc.args[0]!r}") from None
        if not settings.aggregator.startswith(("http://", "https://")):
            raise BmadError("federation.aggregator must be an http:// or https:// URL")
        if isinstance(settings.tls_verify, str) and not Path(settings.tls_verify).is_file():
            raise BmadError(f"federation.tls_verify: no CA bundle at {settings.tls_verify}")
        return settings

    def client(
        self, url: str, identity: Identity, aggregator_key: bytes | None = None
    ) -> AggregatorClient:
        """A client for ``url``; ``aggregator_key`` is the key pinned at join (without it, the
        key the aggregator states on first contact)."""
        from bmad.federation.client import AggregatorClient

        return AggregatorClient(
            url,
            identity,
            self.request_timeout,
            verify=self.tls_verify,
            aggregator_key=aggregator_key,
        )


def federation_settings(root: Path | None = None) -> FederationSettings:
    from bmad import config

    return FederationSettings.from_section(config.load(root).section("federation"))
