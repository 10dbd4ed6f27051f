"""Rounds with validity proofs, real clients and server over the messages' JSON: honest rounds
release exactly, and each way a participant lies about its input is caught."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bmad.errors import BmadError
from bmad.federation.secagg.client import ClientSession
from bmad.federation.secagg.config import RoundConfig
from bmad.federation.secagg.graph import sparse_parameters
from bmad.federation.secagg.messages import MaskedInput, SharesInbox
from bmad.federation.secagg.range_proofs import BIT_PROOF_BYTES, Range
from bmad.federation.secagg.simulate import Simulation, simulate_round
from bmad.federation.secagg.validity import BlockTotal, InputBounds, prove_input
from tests.federation.secagg.forgery import forged_input_proof

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

BOUNDS = InputBounds((Range(0, 10),) * 3 + (Range(-6, 6),), 30, (BlockTotal(0, 3, Range(0, 10)),))
# Seven participants, threshold 6 (2n/3 + 1): one may drop out or be refused.
CONTRIBUTIONS = [
    [1, 2, 3, -6],
    [10, 0, 0, 6],
    [0, 0, 0, 0],
    [5, 5, 0, 1],
    [2, 3, 4, -2],
    [0, 0, 10, 0],
    [3, 3, 3, 3],
]
NOISE = [
    [30, -30, 0, 1],
    [-1, 2, -3, 4],
    [0, 0, 0, 0],
    [7, -7, 7, -7],
    [1, 1, 1, 1],
    [-30, 30, -30, 30],
    [0, 5, 0, -5],
]
THRESHOLD = 6
LIAR = 4


def honest_sum(leaving_out: frozenset[int] | set[int] = frozenset()) -> list[int]:
    return [
        sum(
            x[j] + e[j]
            for i, (x, e) in enumerate(zip(CONTRIBUTIONS, NOISE, strict=True), start=1)
            if i not in leaving_out
        )
        for j in range(BOUNDS.length)
    ]


def run(
    adversaries: dict[int, type[ClientSession]] | None = None,
    contributions: list[list[int]] = CONTRIBUTIONS,
    noise: list[list[int]] = NOISE,
    **options: object,
) -> Simulation:
    return simulate_round(
        contributions,
        THRESHOLD,
        input_bounds=BOUNDS,
        noise=noise,
        adversaries=adversaries,
        **options,  # type: ignore[arg-type]
    )


def released(simulation: Simulation) -> list[int]:
    assert simulation.result is not None, simulation.abort_reason
    return [int(value) for value in simulation.result.signed()]


class Liar(ClientSession):
    """Participant ``LIAR``, masking ``masked`` (its real x and e) and proving with
    ``prove``; the honest client would refuse to prove values out of range."""

    lie: ClassVar[tuple[list[int], list[int]]] = (CONTRIBUTIONS[LIAR - 1], NOISE[LIAR - 1])

    def mask_input(
        self,
        inbox: SharesInbox,
        values: Sequence[int] | NDArray[np.integer],
        noise: Sequence[int] | None = None,
    ) -> MaskedInput:
        contribution, share = self.lie
        return super().mask_input(inbox, contribution, share)

    def _input_proof(self, values: list[int], shares: list[int], blindings: list[int]) -> bytes:
        return forged_input_proof(
            self.config.session_tag, self.participant, BOUNDS, values, shares, blindings
        )


class BrokenBitLiar(ClientSession):
    """Sends an honest proof with one byte of its first bit proof changed."""

    def _input_proof(self, values: list[int], shares: list[int], blindings: list[int]) -> bytes:
        proof = bytearray(super()._input_proof(values, shares, blindings))
        proof[2 * 32 + BIT_PROOF_BYTES - 1] ^= 0x01  # the last response byte of x_0's first bit
        return bytes(proof)


class Recorder(ClientSession):
    """An honest participant whose proofs a test keeps, to replay them."""

    made: ClassVar[list[bytes]] = []

    def _input_proof(self, values: list[int], shares: list[int], blindings: list[int]) -> bytes:
        proof = super()._input_proof(values, shares, blindings)
        self.made.append(proof)
        return proof


class ReplayingLiar(ClientSession):
    """Sends a proof made elsewhere (``stolen``) instead of one for this round and itself."""

    stolen: ClassVar[bytes] = b""

    def _input_proof(self, values: list[int], shares: list[int], blindings: list[int]) -> bytes:
        return self.stolen


class ImpersonatingLiar(ClientSession):
    """Proves its input under participant 1's id."""

    def _input_proof(self, values: list[int], shares: list[int], blindings: list[int]) -> bytes:
        return prove_input(self.config.session_tag, 1, BOUNDS, values, shares, blindings)


class MismatchLiar(ClientSession):
    """Masks 1,000 more on coordinate 0 than the in-range values it commits to and proves."""

    def mask_input(
        self,
        inbox: SharesInbox,
        values: Sequence[int] | NDArray[np.integer],
        noise: Sequence[int] | None = None,
    ) -> MaskedInput:
        lied = [CONTRIBUTIONS[LIAR - 1][0] + 1000, *CONTRIBUTIONS[LIAR - 1][1:]]
        return super().mask_input(inbox, lied, NOISE[LIAR - 1])

    def _input_proof(self, values: list[int], shares: list[int], blindings: list[int]) -> bytes:
        return super()._input_proof(CONTRIBUTIONS[LIAR - 1], shares, blindings)


def test_an_honest_round_releases_the_exact_sum_of_contributions_and_noise() -> None:
    simulation = run()
    assert released(simulation) == honest_sum()
    assert simulation.invalid_inputs == {}


def test_a_dropout_before_its_masked_input_leaves_the_others_sum() -> None:
    simulation = run(drop_after={1: [2]})
    assert released(simulation) == honest_sum({2})
    assert simulation.result is not None and 2 not in simulation.result.survivors


def test_a_dropout_after_its_masked_input_still_counts() -> None:
    simulation = run(drop_after={2: [6]})
    assert released(simulation) == honest_sum()


@pytest.mark.parametrize(
    ("lie", "reason"),
    [
        (([1000, 0, 0, 0], NOISE[LIAR - 1]), "coordinate 0: contribution outside \\[0, 10\\]"),
        (([0, 0, 0, -7], NOISE[LIAR - 1]), "coordinate 3: contribution outside \\[-6, 6\\]"),
        ((CONTRIBUTIONS[LIAR - 1], [0, 0, 31, 0]), "coordinate 2: noise share beyond \\+-30"),
        ((CONTRIBUTIONS[LIAR - 1], [-(2**20), 0, 0, 0]), "coordinate 0: noise share"),
        (([6, 6, 0, 0], NOISE[LIAR - 1]), "coordinates 0..2 total outside \\[0, 10\\]"),
    ],
    ids=["x over its cap", "x under its signed bound", "noise share", "huge noise", "block mass"],
)
def test_an_out_of_range_input_is_refused_and_the_round_releases_the_honest_sum(
    lie: tuple[list[int], list[int]], reason: str
) -> None:
    liar = type("Liar", (Liar,), {"lie": lie})
    simulation = run({LIAR: liar})
    assert list(simulation.invalid_inputs) == [LIAR]
    assert re.search(reason, simulation.invalid_inputs[LIAR])
    assert simulation.result is not None and LIAR not in simulation.result.survivors
    assert released(simulation) == honest_sum({LIAR})


def test_a_liar_whose_forgery_stays_in_range_is_not_refused() -> None:
    # The forger's prover is honest where it can be: in range it makes real proofs.
    simulation = run({LIAR: Liar})
    assert simulation.invalid_inputs == {}
    assert released(simulation) == honest_sum()


def test_a_damaged_bit_proof_is_refused() -> None:
    simulation = run({LIAR: BrokenBitLiar})
    assert "coordinate 0: contribution" in simulation.invalid_inputs[LIAR]
    assert released(simulation) == honest_sum({LIAR})


def test_a_proof_replayed_from_another_round_is_refused() -> None:
    Recorder.made.clear()
    assert released(run({LIAR: Recorder})) == honest_sum()
    replaying = type("Replaying", (ReplayingLiar,), {"stolen": Recorder.made[0]})
    simulation = run({LIAR: replaying})
    assert "coordinate 0" in simulation.invalid_inputs[LIAR]
    assert released(simulation) == honest_sum({LIAR})


def test_a_proof_made_under_another_participants_id_is_refused() -> None:
    simulation = run({LIAR: ImpersonatingLiar})
    assert "coordinate 0" in simulation.invalid_inputs[LIAR]
    assert released(simulation) == honest_sum({LIAR})


def test_a_masked_input_that_differs_from_its_commitments_aborts_before_release() -> None:
    simulation = run({LIAR: MismatchLiar})
    assert simulation.result is None
    assert simulation.abort_reason is not None
    assert "differs from the committed inputs at coordinate 0" in simulation.abort_reason
    assert simulation.invalid_inputs == {}  # the sum check cannot say who it was


def test_too_many_liars_abort_the_round() -> None:
    simulation = run({LIAR: BrokenBitLiar, LIAR + 1: BrokenBitLiar})
    assert sorted(simulation.invalid_inputs) == [LIAR, LIAR + 1]
    assert simulation.result is None
    assert simulation.abort_reason is not None and "masked inputs" in simulation.abort_reason


def test_a_refused_participant_cannot_send_again() -> None:
    simulation = run({LIAR: BrokenBitLiar}, drop_after={1: [1]})  # refusal plus a dropout
    assert simulation.result is None  # 5 left, threshold 6
    assert list(simulation.invalid_inputs) == [LIAR]


def test_the_bounds_are_part_of_the_session() -> None:
    identities = {i: Ed25519PrivateKey.generate() for i in range(1, 4)}
    roster = {i: key.public_key().public_bytes_raw() for i, key in identities.items()}
    plain = RoundConfig("r", roster, threshold=3, vector_length=4)
    bounded = RoundConfig("r", roster, threshold=3, vector_length=4, input_bounds=BOUNDS)
    wider = InputBounds(BOUNDS.contribution, 31, BOUNDS.block_totals)
    other = RoundConfig("r", roster, threshold=3, vector_length=4, input_bounds=wider)
    assert len({plain.session_tag, bounded.session_tag, other.session_tag}) == 3
    with pytest.raises(BmadError, match="cover 4 coordinates, the round 5"):
        RoundConfig("r", roster, threshold=3, vector_length=5, input_bounds=BOUNDS)
    huge = InputBounds((Range(0, 2**30),) * 4, 0)
    with pytest.raises(BmadError, match="overflow 32-bit sums"):
        RoundConfig("r", roster, threshold=3, vector_length=4, input_bounds=huge)


def test_a_bounded_round_needs_the_noise_share_apart_and_a_plain_one_refuses_it() -> None:
    for simulation in (
        simulate_round(CONTRIBUTIONS, THRESHOLD, input_bounds=BOUNDS),
        simulate_round(CONTRIBUTIONS, THRESHOLD, noise=NOISE),
    ):
        assert simulation.result is None
        assert simulation.abort_reason is not None
        assert "noise share is passed apart" in simulation.abort_reason


SPARSE = sparse_parameters(12)  # 8 neighbours, threshold 7, one dropout tolerated
SPARSE_CONTRIBUTIONS = [[i % 11, 0, 10 - i % 11, i % 13 - 6] for i in range(12)]
SPARSE_NOISE = [[i - 6, 6 - i, 2 * i, -i] for i in range(12)]


def run_sparse(
    adversaries: dict[int, type[ClientSession]] | None = None, **options: object
) -> Simulation:
    assert SPARSE is not None
    return simulate_round(
        SPARSE_CONTRIBUTIONS,
        SPARSE.threshold,
        neighbours=SPARSE.neighbours,
        input_bounds=BOUNDS,
        noise=SPARSE_NOISE,
        adversaries=adversaries,
        **options,  # type: ignore[arg-type]
    )


def sparse_sum(leaving_out: set[int]) -> list[int]:
    return [
        sum(
            x[j] + e[j]
            for i, (x, e) in enumerate(zip(SPARSE_CONTRIBUTIONS, SPARSE_NOISE, strict=True), 1)
            if i not in leaving_out
        )
        for j in range(BOUNDS.length)
    ]


def test_a_sparse_round_ties_the_blindings_to_the_neighbours_masks() -> None:
    # A dropout after sharing keys: the server removes its pairwise terms with its neighbours
    # from the blindings as from the masks.
    assert released(run_sparse(drop_after={1: [5]})) == sparse_sum({5})


def test_a_sparse_round_refuses_a_forged_proof() -> None:
    simulation = run_sparse({LIAR: BrokenBitLiar})
    assert list(simulation.invalid_inputs) == [LIAR]
    assert released(simulation) == sparse_sum({LIAR})
