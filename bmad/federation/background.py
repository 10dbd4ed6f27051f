"""The daemon's background participation: every so often, take part in the open rounds and
refresh the cached global insights.

Only repositories whose owner enabled sharing take part, and only in a federation this machine
joined; without either, nothing is sent (not even a request). The aggregator must answer with
the key pinned at join, as in the foreground commands (no trust on first use here). Heavy
modules (httpx, the secure-aggregation core, OpenDP) are imported only when there is something
to do.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from bmad.errors import BmadError
from bmad.federation.hierarchy import is_forwarding_key

if TYPE_CHECKING:
    from bmad.federation.membership import Membership
    from bmad.federation.settings import FederationSettings
    from bmad.privacy.identity import Identity
    from bmad.store.connection import Store

logger = logging.getLogger(__name__)

STARTUP_DELAY = 5.0  # let the daemon's first mining pass start before looking for rounds


class BackgroundParticipation:
    def __init__(self, stop: threading.Event, nice: int = 0) -> None:
        self.stop = stop
        self.nice = nice  # rounds are background work: below the daemon's answers
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="bmad-federation", daemon=True)
        self._thread.start()

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def _loop(self) -> None:
        from bmad.priority import lower_current_thread

        lower_current_thread(self.nice)
        delay = STARTUP_DELAY
        while not self.stop.wait(delay):
            delay = self.run_once()

    def run_once(self) -> float:
        """One look for open rounds; returns the seconds to wait before the next one."""
        from bmad.federation import membership
        from bmad.federation.participant import open_participant_store
        from bmad.federation.settings import federation_settings
        from bmad.privacy import consent

        try:
            settings = federation_settings()
            with open_participant_store() as store:
                repositories = [
                    c.repository
                    for c in consent.all_consents(store)
                    if c.enabled and not is_forwarding_key(c.repository)
                ]
                member = membership.current(store)
                if member is None or not repositories:
                    return settings.participate_interval
                require_pinned_aggregator(member)
                from bmad.federation.participant import participate_in_open_rounds
                from bmad.privacy.identity import load_or_create_identity

                identity = load_or_create_identity(store)
                outcomes = participate_in_open_rounds(
                    store, identity, repositories, federation=settings, stop=self.stop.is_set
                )
                refresh_insights(store, identity, settings)
            for outcome in outcomes:
                logger.info(
                    "federated round %s (%s): %s",
                    outcome.round,
                    outcome.learning_type,
                    outcome.outcome,
                )
            return settings.participate_interval
        except BmadError as exc:
            logger.warning("federated participation skipped: %s", exc.message)
            return 60.0


def require_pinned_aggregator(member: Membership) -> None:
    """Refuse to talk in the background to an aggregator whose key was not pinned at join: the
    foreground commands could ask the user, the daemon would trust whatever key answers."""
    if member.pinned_aggregator_key is None:
        raise BmadError(
            f"no aggregator key was pinned when this machine joined {member.federation}: the "
            "daemon does not take part until you join again (`bmad federation join`)"
        )


def refresh_insights(store: Store, identity: Identity, settings: FederationSettings) -> int:
    """Cache the federation's latest insights of every learning type; returns how many."""
    from bmad.federation import membership
    from bmad.federation.learning import cache_insights

    member = membership.current(store)
    if member is None:
        return 0
    require_pinned_aggregator(member)
    with settings.client(member.aggregator, identity, member.pinned_aggregator_key) as client:
        items = client.insights(member.federation)
    for item in items:
        cache_insights(store, item)
    return len(items)
