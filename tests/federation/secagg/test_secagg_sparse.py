"""SecAgg+ rounds: the sparse graph, its parameters, dropouts, and clients refusing a bad graph."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bmad.errors import BmadError
from bmad.federation.secagg import (
    ClientSession,
    KeysBroadcast,
    RoundConfig,
    ServerRound,
    SharesInbox,
    simulate_round,
)
from bmad.federation.secagg.graph import (
    COLLUSION_FRACTION_DENOMINATOR,
    DROPOUT_FRACTION,
    SparseParameters,
    ring_order,
    sparse_parameters,
    sparse_round,
)
from tests.federation.secagg.harness import inputs_for, make_identities, public_key

N = 20
LENGTH = 8


def sparse_config(n: int = N, changes: dict[str, int] | None = None) -> RoundConfig:
    derived = sparse_parameters(n)
    assert derived is not None
    numbers = {
        "threshold": derived.threshold,
        "neighbours": derived.neighbours,
        "min_survivors": derived.min_survivors,
        **(changes or {}),
    }
    return RoundConfig(
        round_id="sparse-a",
        roster={i: public_key(key) for i, key in make_identities(n).items()},
        vector_length=LENGTH,
        **numbers,
    )


def expected_sum(ids: set[int]) -> list[int]:
    inputs = inputs_for(N, LENGTH)
    return [sum(inputs[i][j] for i in ids) for j in range(LENGTH)]


def test_parameters_follow_the_paper_s_bounds_and_stay_logarithmic() -> None:
    previous_degree = 0
    for n in (30, 100, 333, 1000, 5000):
        derived = sparse_parameters(n)
        assert derived is not None
        k, t = derived.neighbours, derived.threshold
        assert k % 2 == 0 and k < n - 1
        # contradictory unmask requests: t shares of each secret from k + 1 holders need more
        # than the honest holders plus a third of them colluding
        assert 2 * t > k + 1 + k // COLLUSION_FRACTION_DENOMINATOR
        assert t <= k + 1 - math.floor(DROPOUT_FRACTION * k)
        assert derived.min_survivors == n - math.floor(DROPOUT_FRACTION * n)
        assert k >= previous_degree
        previous_degree = k
    large = sparse_parameters(5000)
    assert large is not None and large.neighbours < 5000 / 10  # far below the complete graph
    assert sparse_parameters(3) is None
    assert sparse_round(29) is None and sparse_round(30) == sparse_parameters(30)


def test_every_client_derives_the_same_regular_connected_graph_from_the_round_alone() -> None:
    config = sparse_config()
    again = RoundConfig(
        config.round_id,
        config.roster,
        config.threshold,
        LENGTH,
        min_survivors=config.min_survivors,
        neighbours=config.neighbours,
    )
    for participant in config.roster:
        holders = config.holders(participant)
        assert holders == again.holders(participant)
        assert participant in holders and len(holders) == config.neighbours + 1
        assert all(participant in config.holders(peer) for peer in holders)  # symmetric
    reached, frontier = {1}, [1]
    while frontier:
        for peer in config.holders(frontier.pop()) - reached:
            reached.add(peer)
            frontier.append(peer)
    assert reached == set(config.roster)
    other_round = replace_round(config, "sparse-b")
    assert ring_order(other_round.session_tag, config.roster) != ring_order(
        config.session_tag, config.roster
    )


def replace_round(config: RoundConfig, round_id: str) -> RoundConfig:
    return RoundConfig(
        round_id,
        config.roster,
        config.threshold,
        LENGTH,
        min_survivors=config.min_survivors,
        neighbours=config.neighbours,
    )


@pytest.mark.parametrize("drop_round", [None, 0, 1, 2, 3])
def test_a_sparse_round_sums_exactly_with_a_dropout_after_each_phase(
    drop_round: int | None,
) -> None:
    derived = sparse_parameters(N)
    assert derived is not None
    inputs = inputs_for(N, LENGTH)
    dropped = {2, 7}
    simulation = simulate_round(
        [inputs[i] for i in range(1, N + 1)],
        derived.threshold,
        {} if drop_round is None else {drop_round: dropped},
        neighbours=derived.neighbours,
    )
    assert simulation.result is not None, simulation.abort_reason
    in_sum = set(range(1, N + 1))
    if drop_round is not None and drop_round < 2:
        in_sum -= dropped  # silent before their masked input: not in the sum
    assert list(simulation.result.signed()) == expected_sum(in_sum)
    assert set(simulation.result.survivors) == in_sum


def test_more_dropouts_than_the_sparse_round_tolerates_abort_it() -> None:
    derived = sparse_parameters(N)
    assert derived is not None
    inputs = inputs_for(N, LENGTH)
    simulation = simulate_round(
        [inputs[i] for i in range(1, N + 1)],
        derived.threshold,
        {1: {1, 2, 3}},  # 17 left, the round needs 18 survivors
        neighbours=derived.neighbours,
    )
    assert simulation.result is None
    assert simulation.abort_reason is not None and "at least 18" in simulation.abort_reason


@pytest.mark.parametrize(
    "changes",
    [
        {"neighbours": 8},
        {"threshold": 6},
        {"neighbours": 10, "threshold": 8},
        {"min_survivors": 17},
    ],
)
def test_a_degree_threshold_or_survivor_count_the_aggregator_chose_is_refused(
    changes: dict[str, int],
) -> None:
    with pytest.raises(BmadError, match=r"sparse round of 20 needs|min_survivors must lie"):
        sparse_config(changes=changes)


def test_a_small_roster_has_no_sparse_graph_to_accept() -> None:
    with pytest.raises(BmadError, match="no sparse graph"):
        RoundConfig(
            "tiny",
            {i: public_key(key) for i, key in make_identities(3).items()},
            2,
            LENGTH,
            min_survivors=3,
            neighbours=2,
        )


def advertised(config: RoundConfig) -> tuple[dict[int, ClientSession], ServerRound]:
    identities = make_identities(N)
    roster = {i: public_key(key) for i, key in identities.items()}
    config = RoundConfig(
        config.round_id,
        roster,
        config.threshold,
        LENGTH,
        min_survivors=config.min_survivors,
        neighbours=config.neighbours,
    )
    clients = {i: ClientSession(config, i, key) for i, key in identities.items()}
    server = ServerRound(config)
    for client in clients.values():
        server.receive_advertise(client.advertise_keys())
    server.close_advertise()
    return clients, server


def test_a_client_refuses_keys_of_a_participant_outside_its_neighbourhood() -> None:
    clients, server = advertised(sparse_config())
    victim = clients[1]
    outsider = min(set(server.config.roster) - server.config.holders(1))
    own = server.keys_for(1)
    foreign = server.keys_for(outsider).keys
    stuffed = KeysBroadcast(
        own.round_id, (*own.keys, *(k for k in foreign if k.sender == outsider))
    )
    with pytest.raises(BmadError, match="non-neighbour"):
        victim.share_keys(stuffed)


def test_a_client_refuses_shares_from_outside_its_neighbourhood_and_too_few_neighbours() -> None:
    clients, server = advertised(sparse_config())
    for i, client in clients.items():
        server.receive_shares(client.share_keys(server.keys_for(i)))
    inboxes = server.close_shares()
    outsider = min(set(server.config.roster) - server.config.holders(1))
    into_outsider = inboxes[outsider]
    neighbour_of_outsider = min(set(into_outsider.ciphertexts) - server.config.holders(1))
    forged = SharesInbox(
        inboxes[1].round_id,
        1,
        {**inboxes[1].ciphertexts, neighbour_of_outsider: b"\0" * 60},
        {**inboxes[1].commitments, neighbour_of_outsider: b"\0" * 64},
    )
    with pytest.raises(BmadError, match="outside the key list"):
        clients[1].mask_input(forged, [0] * LENGTH)
    few = dict(list(inboxes[2].ciphertexts.items())[: server.config.threshold - 2])
    starved = SharesInbox(inboxes[2].round_id, 2, few, inboxes[2].commitments)
    with pytest.raises(BmadError, match="at least"):
        clients[2].mask_input(starved, [0] * LENGTH)


def test_the_server_refuses_shares_addressed_beyond_the_sender_s_neighbourhood() -> None:
    clients, server = advertised(sparse_config())
    message = clients[1].share_keys(server.keys_for(1))
    outsider = min(set(server.config.roster) - server.config.holders(1))
    widened = replace(message, ciphertexts={**message.ciphertexts, outsider: b"\0" * 60})
    with pytest.raises(BmadError, match="address every other advertiser"):
        server.receive_shares(widened)


def test_each_unmask_request_forwards_the_threshold_s_worth_of_its_holders_signatures() -> None:
    clients, server = advertised(sparse_config())
    for i, client in clients.items():
        server.receive_shares(client.share_keys(server.keys_for(i)))
    inputs = inputs_for(N, LENGTH)
    for i, inbox in server.close_shares().items():
        server.receive_masked_input(clients[i].mask_input(inbox, inputs[i]))
    survivors = server.close_masked_inputs()
    for client in clients.values():
        server.receive_consistency(client.sign_survivors(survivors))
    server.close_consistency()
    threshold = server.config.threshold
    for i, client in clients.items():
        request = server.unmask_request_for(i)
        assert len(request.signatures) == threshold < len(server.config.holders(i))
        assert set(request.signatures) <= server.config.holders(i)
        client.unmask(request)  # the threshold's worth is what the client's check needs


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(min_value=10, max_value=24),
    drops=st.lists(st.tuples(st.integers(0, 3), st.integers(1, 24)), max_size=2),
)
def test_any_small_sparse_round_with_tolerated_dropouts_releases_the_exact_sum(
    n: int, drops: list[tuple[int, int]]
) -> None:
    derived = sparse_parameters(n)
    assert isinstance(derived, SparseParameters)
    drop_after: dict[int, set[int]] = {}
    for phase, participant in drops:
        if participant <= n and all(participant not in ids for ids in drop_after.values()):
            drop_after.setdefault(phase, set()).add(participant)
    if sum(len(ids) for ids in drop_after.values()) > n - derived.min_survivors:
        drop_after = {}
    vectors = [[i * 3 - 7, i] for i in range(1, n + 1)]
    simulation = simulate_round(
        vectors, derived.threshold, drop_after, neighbours=derived.neighbours
    )
    assert simulation.result is not None, simulation.abort_reason
    early = {p for phase, ids in drop_after.items() if phase < 2 for p in ids}
    in_sum = [vectors[i - 1] for i in range(1, n + 1) if i not in early]
    assert list(simulation.result.signed()) == [sum(column) for column in zip(*in_sum, strict=True)]
