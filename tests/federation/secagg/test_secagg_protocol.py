"""A whole round: correctness, dropouts after each round, thresholds."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bmad.errors import BmadError
from bmad.federation.secagg import (
    ClientPhase,
    ServerPhase,
    SurvivorList,
    max_abs_entry,
    simulate_round,
)
from tests.federation.secagg.harness import driver, inputs_for


@st.composite
def rounds(draw: st.DrawFn) -> tuple[list[list[int]], int, int]:
    n = draw(st.integers(3, 7))
    threshold = draw(st.integers((2 * n + 5) // 3, n))
    bits = draw(st.sampled_from([32, 64]))
    length = draw(st.integers(1, 40))
    bound = max_abs_entry(n, bits)
    entry = st.integers(-bound, bound)
    vectors = [draw(st.lists(entry, min_size=length, max_size=length)) for _ in range(n)]
    return vectors, threshold, bits


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rounds())
def test_sum_equals_the_exact_sum(case: tuple[list[list[int]], int, int]) -> None:
    vectors, threshold, bits = case
    simulation = simulate_round(vectors, threshold, modulus_bits=bits)
    assert simulation.abort_reason is None
    assert simulation.result is not None
    expected = [sum(column) for column in zip(*vectors, strict=True)]
    assert simulation.result.signed().tolist() == expected
    assert simulation.result.survivors == tuple(range(1, len(vectors) + 1))


@settings(max_examples=15, deadline=None)
@given(
    bits=st.sampled_from([32, 64]),
    data=st.data(),
)
def test_modular_sum_for_any_entries_in_range(bits: int, data: st.DataObject) -> None:
    entry = st.integers(-(2 ** (bits - 1)), 2**bits - 1)
    vectors = [data.draw(st.lists(entry, min_size=5, max_size=5)) for _ in range(3)]
    simulation = simulate_round(vectors, 3, modulus_bits=bits)
    assert simulation.result is not None
    expected = [sum(column) % 2**bits for column in zip(*vectors, strict=True)]
    assert [int(v) for v in simulation.result.modular_sum] == expected


def test_large_vector_of_100000_entries() -> None:
    generator = np.arange(100_000, dtype=np.int64)
    signs = (1, -1, 3, 2, -2, 1)
    vectors = [generator * sign - 7 * i for i, sign in enumerate(signs, start=1)]
    simulation = simulate_round(vectors, 5, drop_after={1: [2]})
    assert simulation.result is not None
    expected = sum(vector for index, vector in enumerate(vectors) if index != 1)
    assert simulation.result.signed().tolist() == expected.tolist()


@pytest.mark.parametrize("round_number", [0, 1, 2, 3])
def test_round_survives_dropouts_down_to_the_threshold(round_number: int) -> None:
    vectors = list(inputs_for(9, 4).values())
    simulation = simulate_round(vectors, 7, drop_after={round_number: [2, 4]})
    assert simulation.abort_reason is None
    assert simulation.result is not None
    # Inputs count when their sender reached MaskedInputCollection (round 2).
    summed = [1, 3, 5, 6, 7, 8, 9] if round_number < 2 else list(range(1, 10))
    expected = np.sum([vectors[i - 1] for i in summed], axis=0)
    assert simulation.result.signed().tolist() == expected.tolist()
    assert simulation.result.survivors == tuple(summed)


@pytest.mark.parametrize(
    ("round_number", "reason"),
    [
        (0, "only 6 participants shared keys, at least 7"),
        (1, "only 6 masked inputs, at least 7"),
        (2, "only 6 consistency signatures, at least 7"),
        (3, "only 6 participants sent unmasking shares, at least 7"),
    ],
)
def test_round_aborts_below_the_threshold(round_number: int, reason: str) -> None:
    vectors = list(inputs_for(9, 4).values())
    simulation = simulate_round(vectors, 7, drop_after={round_number: [1, 2, 3]})
    assert simulation.result is None
    assert simulation.abort_reason is not None
    assert reason in simulation.abort_reason


def test_round_aborts_when_too_few_advertise_and_stays_aborted() -> None:
    run = driver(n=5, threshold=5)
    with pytest.raises(BmadError, match="only 2 participants advertised keys, at least 5"):
        run.advertise([1, 2])
    assert run.server.phase is ServerPhase.ABORTED
    assert run.server.abort_reason == "only 2 participants advertised keys, at least 5 are required"
    with pytest.raises(BmadError, match="aborted earlier"):
        run.server.receive_advertise(run.clients[3].advertise_keys())
    with pytest.raises(BmadError, match="aborted earlier"):
        run.server.close_advertise()


def test_dropouts_in_several_rounds_at_once() -> None:
    vectors = list(inputs_for(12, 3).values())
    simulation = simulate_round(vectors, 9, drop_after={0: [1], 1: [2], 2: [3]})
    assert simulation.result is not None
    expected = np.sum([vectors[i - 1] for i in range(3, 13)], axis=0)
    assert simulation.result.signed().tolist() == expected.tolist()


def test_min_survivors_is_enforced_on_the_summed_inputs() -> None:
    vectors = list(inputs_for(9, 2).values())
    fine = simulate_round(vectors, 7, drop_after={1: [9]}, min_survivors=8)
    assert fine.result is not None
    short = simulate_round(vectors, 7, drop_after={1: [8, 9]}, min_survivors=8)
    assert short.result is None
    assert short.abort_reason is not None
    assert "only 7 masked inputs, at least 8" in short.abort_reason


def test_client_refuses_a_survivor_list_below_min_survivors() -> None:
    run = driver(n=6, threshold=5, min_survivors=6)
    inputs = inputs_for(6, run.config.vector_length)
    run.advertise(range(1, 7))
    run.share(range(1, 7))
    for i in range(1, 7):
        run.clients[i].mask_input(run.inboxes[i], inputs[i])
    forged = SurvivorList(run.config.round_id, (1, 2, 3, 4, 5))
    with pytest.raises(BmadError, match="only 5 survivors, at least 6"):
        run.clients[1].sign_survivors(forged)
    assert run.clients[1].phase is ClientPhase.ABORTED


def test_simulation_reports_cpu_per_participant_and_server() -> None:
    simulation = simulate_round([[1], [2], [3]], 3)
    assert set(simulation.client_cpu) == {1, 2, 3}
    assert all(seconds >= 0 for seconds in simulation.client_cpu.values())
    assert simulation.server_cpu >= 0


def test_simulation_rejects_bad_drop_rounds_and_empty_input() -> None:
    with pytest.raises(BmadError, match="drop_after rounds"):
        simulate_round([[1], [2], [3]], 2, drop_after={4: [1]})
    with pytest.raises(BmadError, match="at least one vector"):
        simulate_round([], 2)
