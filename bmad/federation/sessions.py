"""The secure-aggregation state machines (``bmad.federation.secagg``) bound to the round phases.

The aggregator keeps one :class:`ServerGroupSession` per group of a round; a participant keeps
one :class:`ClientDriver`. Both exchange the secagg messages' JSON text unchanged, so the HTTP
layer carries opaque strings and the protocol's own checks (signatures, addressing, phase
order, never both shares of one peer) stay in the secagg core. In a sparse (SecAgg+) round the
key list and the unmasking request are personal too, made for each participant when asked.
"""

from __future__ import annotations

from collections.abc import Sequence

from bmad.errors import BmadError
from bmad.federation.secagg import (
    AdvertiseKeys,
    ClientSession,
    ConsistencySignature,
    EncryptedShares,
    KeysBroadcast,
    MaskedInput,
    RoundConfig,
    ServerRound,
    SharesInbox,
    Signer,
    SurvivorList,
    UnmaskRequest,
    UnmaskShares,
)
from bmad.federation.secagg.messages import Message
from bmad.federation.wire import PHASES

_UPLOADS: dict[str, type[Message]] = {
    "advertise_keys": AdvertiseKeys,
    "share_keys": EncryptedShares,
    "masked_input": MaskedInput,
    "consistency_check": ConsistencySignature,
    "unmasking": UnmaskShares,
}


class ServerGroupSession:
    """The server side of one group: a ``ServerRound`` plus what each participant gets next."""

    def __init__(self, config: RoundConfig) -> None:
        self.round = ServerRound(config)
        self._broadcast: str | None = None  # same text for everyone
        # share_keys -> masked_input inboxes, encoded when asked: encoding them all (1,000 of
        # ~50 kB in a round of 1,000) held up the request that closed the phase
        self._personal: dict[int, SharesInbox] = {}
        self._result: list[int] | None = None

    def inbox(self, phase: str, participant: int) -> str | None:
        if phase == "masked_input":
            personal = self._personal.get(participant)
            return None if personal is None else personal.to_json()
        if self.round.config.sparse and phase in ("share_keys", "unmasking"):
            return self._sparse_inbox(phase, participant)
        return None if phase == PHASES[0] else self._broadcast

    def _sparse_inbox(self, phase: str, participant: int) -> str | None:
        try:
            if phase == "share_keys":
                return self.round.keys_for(participant).to_json()
            return self.round.unmask_request_for(participant).to_json()
        except BmadError:  # not in U1 / U4, or the group aborted
            return None

    def check(self, phase: str, participant: int, message: str) -> None:
        """Verify a masked input's proof (InvalidInput if it fails); needs no round state."""
        if phase != "masked_input" or self.round.config.input_bounds is None:
            return
        parsed = MaskedInput.from_json(message)
        if parsed.sender == participant:  # else ``receive`` refuses it
            self.round.check_input(parsed)

    def receive(
        self, phase: str, participant: int, message: str, proof_checked: bool = False
    ) -> None:
        """``proof_checked``: ``check`` passed, or the message comes back from the round's own
        log, where it was logged only once accepted, so its input proof is not verified again."""
        parsed = _UPLOADS[phase].from_json(message)
        if getattr(parsed, "sender", None) != participant:
            raise BmadError("the message's sender is not the authenticated participant")
        if proof_checked and isinstance(parsed, MaskedInput):
            self.round.receive_masked_input(parsed, proof_checked=True)
            return
        receive = {
            "advertise_keys": self.round.receive_advertise,
            "share_keys": self.round.receive_shares,
            "masked_input": self.round.receive_masked_input,
            "consistency_check": self.round.receive_consistency,
            "unmasking": self.round.receive_unmask,
        }[phase]
        receive(parsed)  # type: ignore[operator]

    def close(self, phase: str) -> None:
        self._broadcast = None
        self._personal = {}
        if phase == "advertise_keys":
            broadcast = self.round.close_advertise()
            if not self.round.config.sparse:
                self._broadcast = broadcast.to_json()
        elif phase == "share_keys":
            self._personal = self.round.close_shares()
        elif phase == "masked_input":
            self._broadcast = self.round.close_masked_inputs().to_json()
        elif phase == "consistency_check":
            request = self.round.close_consistency()
            if not self.round.config.sparse:
                self._broadcast = request.to_json()
        else:
            self._result = [int(value) for value in self.round.close_unmask().signed()]

    def result(self) -> list[int]:
        if self._result is None:
            raise BmadError("the group has no result")
        return self._result


class ClientDriver:
    """A participant's ``ClientSession``, answering each phase's inbox with its message."""

    def __init__(
        self, config: RoundConfig, participant: int, signer: Signer, vector: Sequence[int]
    ) -> None:
        self.session = ClientSession(config, participant, signer)
        self.vector = list(vector)
        self.noise: list[int] | None = None  # the noise share apart, in a round with bounds

    def answer(self, phase: str, inbox: str | None) -> str:
        if phase == "advertise_keys":
            return self.session.advertise_keys().to_json()
        if inbox is None:
            raise BmadError(f"the aggregator sent nothing to answer {phase} with")
        if phase == "share_keys":
            return self.session.share_keys(KeysBroadcast.from_json(inbox)).to_json()
        if phase == "masked_input":
            masked = self.session.mask_input(SharesInbox.from_json(inbox), self.vector, self.noise)
            self.vector, self.noise = [], None  # the plain vectors are not needed any more
            return masked.to_json()
        if phase == "consistency_check":
            return self.session.sign_survivors(SurvivorList.from_json(inbox)).to_json()
        if phase == "unmasking":
            return self.session.unmask(UnmaskRequest.from_json(inbox)).to_json()
        raise BmadError(f"unknown round phase {phase!r}")
