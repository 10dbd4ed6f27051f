"""The ``[federation]`` settings of this machine, and opening its aggregator client."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
        def seconds(name: str) -> float:
            value = section[name]
            is_number = isinstance(value, int | float) and not isinstance(value, bool)
            if not (is_number and value > 0 and math.isfinite(value)):
                raise BmadError(
                    f"federation.{name} must be a positive number of seconds, got {value!r}"
                )
            return float(value)

        try:
            tls_verify = section["tls_verify"]
            settings = cls(
                aggregator=str(section["aggregator"]),
                request_timeout=seconds("request_timeout"),
                poll_interval=seconds("poll_interval"),
                round_timeout=seconds("round_timeout"),
                participate_interval=seconds("participate_interval"),
                tls_verify=tls_verify if isinstance(tls_verify, bool) else str(tls_verify),
            )
        except KeyError as exc:
            raise BmadError(f"missing federation setting {exc.args[0]!r}") from None
        if not settings.aggregator.startswith(("http://", "https://")):
            raise BmadError("federation.aggregator must be an http:// or https:// URL")
        if isinstance(settings.tls_verify, str) and not Path(settings.tls_verify).is_file():
            raise BmadError(f"federation.tls_verify: no CA bundle at {settings.tls_verify}")
        return settings

    def client(self, url: str, identity: Identity) -> AggregatorClient:
        from bmad.federation.client import AggregatorClient

        return AggregatorClient(url, identity, self.request_timeout, verify=self.tls_verify)


def federation_settings(root: Path | None = None) -> FederationSettings:
    from bmad import config

    return FederationSettings.from_section(config.load(root).section("federation"))
