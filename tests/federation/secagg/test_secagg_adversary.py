"""A malicious server or peer: every deviation is refused or aborts the round."""

from __future__ import annotations

from dataclasses import replace

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bmad.errors import BmadError
from bmad.federation.secagg import (
    AdvertiseKeys,
    ClientPhase,
    ConsistencySignature,
    KeysBroadcast,
    RoundConfig,
    ServerPhase,
    SharesInbox,
    SurvivorList,
    UnmaskRequest,
    UnmaskShares,
    primitives,
    shamir,
)
from tests.federation.secagg.harness import Driver, driver, inputs_for, make_config

ALL = range(1, 7)


def run_until_unmask(dropped_after_shares: tuple[int, ...] = ()) -> Driver:
    run = driver(n=6, threshold=5)
    inputs = inputs_for(6, run.config.vector_length)
    run.advertise(ALL)
    run.share(ALL)
    survivors = [i for i in ALL if i not in dropped_after_shares]
    run.mask(survivors, inputs)
    run.consistency(survivors)
    return run


def test_client_refuses_a_request_for_both_shares_of_one_peer() -> None:
    run = run_until_unmask(dropped_after_shares=(6,))
    assert run.request is not None
    greedy = replace(run.request, dropped=(*run.request.dropped, 2))
    with pytest.raises(BmadError, match="both shares of participant 2; refused"):
        run.clients[1].unmask(greedy)
    assert run.clients[1].phase is ClientPhase.ABORTED
    with pytest.raises(BmadError, match="aborted earlier"):
        run.clients[1].unmask(run.request)


def test_client_refuses_to_answer_a_second_unmask_request() -> None:
    run = run_until_unmask(dropped_after_shares=(6,))
    assert run.request is not None
    shares = run.clients[1].unmask(run.request)
    assert set(shares.self_mask_shares) == {1, 2, 3, 4, 5}
    assert set(shares.mask_key_shares) == {6}
    # Having revealed b shares of 1..5, a later request for their masking keys is refused.
    second = UnmaskRequest(run.config.round_id, (6,), (1, 2, 3, 4, 5), run.request.signatures)
    with pytest.raises(BmadError, match="server asked for unmasking during done"):
        run.clients[1].unmask(second)


def test_client_refuses_to_reveal_a_survivors_masking_key_as_if_it_had_dropped() -> None:
    run = run_until_unmask()
    assert run.request is not None
    # The server pretends 4 dropped to learn its masking key while its input is in the sum.
    lying = replace(
        run.request, survivors=(1, 2, 3, 5), dropped=(4,), signatures=run.request.signatures
    )
    with pytest.raises(BmadError, match="differs from the one this participant signed"):
        run.clients[1].unmask(lying)


def test_split_view_of_the_survivors_fails_the_consistency_check() -> None:
    run = driver(n=6, threshold=5)
    inputs = inputs_for(6, run.config.vector_length)
    run.advertise(ALL)
    run.share(ALL)
    run.mask(ALL, inputs)
    # Participant 1 is told 6 dropped; the others see everybody.
    view_of_1 = SurvivorList(run.config.round_id, (1, 2, 3, 4, 5))
    signature_of_1 = run.clients[1].sign_survivors(view_of_1)
    assert run.survivors is not None
    others = {i: run.clients[i].sign_survivors(run.survivors).signature for i in (2, 3, 4, 5)}
    request_to_1 = UnmaskRequest(
        run.config.round_id, (1, 2, 3, 4, 5), (6,), {1: signature_of_1.signature, **others}
    )
    with pytest.raises(BmadError, match="invalid consistency signature of participant 2"):
        run.clients[1].unmask(request_to_1)


def test_unmask_request_with_too_few_or_foreign_signatures_is_refused() -> None:
    run = run_until_unmask()
    assert run.request is not None
    few = replace(run.request, signatures={1: run.request.signatures[1]})
    with pytest.raises(BmadError, match="only 1 consistency signatures, threshold is 5"):
        run.clients[2].unmask(few)
    run = run_until_unmask(dropped_after_shares=(6,))
    assert run.request is not None
    foreign = replace(run.request, signatures={**run.request.signatures, 6: b"\x00" * 64})
    with pytest.raises(BmadError, match="outside the survivor list"):
        run.clients[2].unmask(foreign)


def test_tampered_ciphertext_aborts_the_recipient() -> None:
    run = driver()
    run.advertise(ALL)
    inboxes = run.share(ALL)
    inbox = inboxes[1]
    ciphertext = bytearray(inbox.ciphertexts[2])
    ciphertext[-1] ^= 1
    tampered = replace(inbox, ciphertexts={**inbox.ciphertexts, 2: bytes(ciphertext)})
    with pytest.raises(BmadError, match="shares from participant 2 failed authentication"):
        run.clients[1].mask_input(tampered, [0] * run.config.vector_length)
    assert run.clients[1].phase is ClientPhase.ABORTED


def test_ciphertext_under_the_wrong_associated_data_is_rejected() -> None:
    run = driver()
    run.advertise(ALL)
    inboxes = run.share(ALL)
    inbox = inboxes[1]
    # The server relabels 3's ciphertext as coming from 2 (and vice versa).
    swapped = replace(
        inbox, ciphertexts={**inbox.ciphertexts, 2: inbox.ciphertexts[3], 3: inbox.ciphertexts[2]}
    )
    with pytest.raises(BmadError, match="failed authentication"):
        run.clients[1].mask_input(swapped, [0] * run.config.vector_length)
    # Another recipient's ciphertext from the same sender does not open either.
    misaddressed = replace(
        inboxes[1], ciphertexts={**inbox.ciphertexts, 2: inboxes[4].ciphertexts[2]}
    )
    with pytest.raises(BmadError, match="failed authentication"):
        run.clients[1].mask_input(misaddressed, [0] * run.config.vector_length)


def test_share_decryption_binds_round_sender_and_recipient() -> None:
    key = bytes(range(32))
    tag = bytes(32)
    sealed = primitives.encrypt_shares(key, b"shares", primitives.share_associated_data(tag, 1, 2))
    assert primitives.decrypt_shares(key, sealed, primitives.share_associated_data(tag, 1, 2)) == (
        b"shares"
    )
    for wrong in (
        primitives.share_associated_data(b"\x01" * 32, 1, 2),
        primitives.share_associated_data(tag, 2, 1),
        primitives.share_associated_data(tag, 1, 3),
    ):
        with pytest.raises(BmadError, match="failed authentication"):
            primitives.decrypt_shares(key, sealed, wrong)
    with pytest.raises(BmadError, match="truncated"):
        primitives.decrypt_shares(key, sealed[:20], primitives.share_associated_data(tag, 1, 2))


def test_server_rejects_advertised_keys_with_a_wrong_signature() -> None:
    run = driver()
    message = run.clients[1].advertise_keys()
    impostor = Ed25519PrivateKey.generate()
    forged = replace(message, signature=impostor.sign(b"anything"))
    with pytest.raises(BmadError, match="invalid key signature of participant 1"):
        run.server.receive_advertise(forged)
    swapped = replace(message, masking_public=run.clients[2].advertise_keys().masking_public)
    with pytest.raises(BmadError, match="invalid key signature of participant 1"):
        run.server.receive_advertise(swapped)
    run.server.receive_advertise(message)


def test_client_aborts_on_a_key_list_with_a_substituted_key() -> None:
    run = driver()
    keys = run.advertise(ALL)
    substituted = tuple(
        replace(k, encryption_public=keys.keys[0].encryption_public) if k.sender == 3 else k
        for k in keys.keys
    )
    with pytest.raises(BmadError, match="invalid key signature of participant 3"):
        run.clients[1].share_keys(KeysBroadcast(keys.round_id, substituted))


def test_client_aborts_when_its_own_keys_are_missing_or_too_few_peers() -> None:
    run = driver()
    keys = run.advertise(ALL)
    without_own = tuple(k for k in keys.keys if k.sender != 1)
    with pytest.raises(BmadError, match="own keys"):
        run.clients[1].share_keys(KeysBroadcast(keys.round_id, without_own))
    few = tuple(k for k in keys.keys if k.sender in (2, 3))
    with pytest.raises(BmadError, match="only 2 participants advertised keys"):
        run.clients[2].share_keys(KeysBroadcast(keys.round_id, few))
    repeated = (*keys.keys, keys.keys[3])
    with pytest.raises(BmadError, match="unknown or repeated"):
        run.clients[3].share_keys(KeysBroadcast(keys.round_id, repeated))


def test_server_rejects_a_bad_consistency_signature() -> None:
    run = driver()
    inputs = inputs_for(6, run.config.vector_length)
    run.advertise(ALL)
    run.share(ALL)
    survivors = run.mask(ALL, inputs)
    genuine = run.clients[1].sign_survivors(survivors)
    other_list = primitives.consistency_message(run.config.session_tag, (1, 2, 3))
    forged = ConsistencySignature(run.config.round_id, 1, run.identities[1].sign(other_list))
    with pytest.raises(BmadError, match="invalid consistency signature of participant 1"):
        run.server.receive_consistency(forged)
    run.server.receive_consistency(genuine)


def test_messages_replayed_from_another_round_are_rejected() -> None:
    first = driver(round_id="round-a")
    second = Driver(replace_round(first, "round-b"), first.identities)
    keys_a = first.advertise(ALL)
    old = keys_a.keys[0]
    with pytest.raises(BmadError, match="another round"):
        second.server.receive_advertise(old)
    # Relabelled with the new round id, the signature (bound to the old session) fails.
    relabelled = replace(old, round_id="round-b")
    with pytest.raises(BmadError, match="invalid key signature"):
        second.server.receive_advertise(relabelled)
    # A client also refuses a broadcast of another round, and aborts.
    second.clients[2].advertise_keys()
    with pytest.raises(BmadError, match="another round"):
        second.clients[2].share_keys(keys_a)


def replace_round(run: Driver, round_id: str) -> RoundConfig:
    return make_config(run.identities, run.config.threshold, run.config.vector_length, round_id)


def test_shares_encrypted_in_another_round_do_not_open() -> None:
    first = driver(round_id="round-a")
    first.advertise(ALL)
    old_inboxes = first.share(ALL)
    second = Driver(replace_round(first, "round-b"), first.identities)
    second.advertise(ALL)
    inboxes = second.share(ALL)
    replayed = replace(
        inboxes[1], ciphertexts={**inboxes[1].ciphertexts, 2: old_inboxes[1].ciphertexts[2]}
    )
    with pytest.raises(BmadError, match="failed authentication"):
        second.clients[1].mask_input(replayed, [0] * second.config.vector_length)


def test_repeated_messages_and_wrong_phase_are_rejected_by_the_server() -> None:
    run = driver()
    message = run.clients[1].advertise_keys()
    run.server.receive_advertise(message)
    with pytest.raises(BmadError, match="already advertised"):
        run.server.receive_advertise(message)
    with pytest.raises(BmadError, match="round is in advertise_keys, not masked_input"):
        run.server.close_masked_inputs()
    outsider = replace(message, sender=9)
    with pytest.raises(BmadError, match="participant 9 may not send"):
        run.server.receive_advertise(outsider)


def test_server_rejects_malformed_shares_and_masked_inputs() -> None:
    run = driver()
    run.advertise(ALL)
    shares = run.clients[1].share_keys(run.keys)  # type: ignore[arg-type]
    partial = replace(shares, ciphertexts={2: shares.ciphertexts[2]})
    with pytest.raises(BmadError, match="address every other advertiser"):
        run.server.receive_shares(partial)
    run.server.receive_shares(shares)
    for i in (2, 3, 4, 5):
        run.server.receive_shares(run.clients[i].share_keys(run.keys))  # type: ignore[arg-type]
    run.inboxes = run.server.close_shares()
    masked = run.clients[1].mask_input(run.inboxes[1], [1] * run.config.vector_length)
    with pytest.raises(BmadError, match="masked vector must be 6 entries of 4 bytes"):
        run.server.receive_masked_input(replace(masked, masked=masked.masked[:-1]))


def test_server_rejects_unmask_shares_of_the_wrong_coverage() -> None:
    run = run_until_unmask(dropped_after_shares=(6,))
    assert run.request is not None
    shares = run.clients[1].unmask(run.request)
    no_keys = replace(shares, mask_key_shares={})
    with pytest.raises(BmadError, match="dropped participants' keys"):
        run.server.receive_unmask(no_keys)
    extra = replace(
        shares, self_mask_shares={**shares.self_mask_shares, 6: shares.mask_key_shares[6]}
    )
    with pytest.raises(BmadError, match="survivors' self masks"):
        run.server.receive_unmask(extra)
    bad_element = replace(shares, mask_key_shares={6: b"\xff" * shamir.ELEMENT_BYTES})
    with pytest.raises(BmadError, match="not a field element"):
        run.server.receive_unmask(bad_element)


def forged(shares: UnmaskShares, owner: int, field: str) -> UnmaskShares:
    """``shares`` with the share of ``owner`` in ``field`` moved by one."""
    revealed = dict(getattr(shares, field))
    revealed[owner] = shamir.share_to_bytes(
        (shamir.share_from_bytes(revealed[owner]) + 1) % shamir.PRIME
    )
    return replace(shares, **{field: revealed})


def test_a_wrong_self_mask_share_is_refused_and_attributed_and_the_sum_still_comes_out() -> None:
    run = run_until_unmask()
    assert run.request is not None
    for i in (1, 2, 3, 4, 5):
        run.server.receive_unmask(run.clients[i].unmask(run.request))
    lying = forged(run.clients[6].unmask(run.request), 2, "self_mask_shares")
    with pytest.raises(BmadError, match="participant 6 revealed a share of participant 2"):
        run.server.receive_unmask(lying)
    assert run.server.misbehaving == {6}
    inputs = inputs_for(6, run.config.vector_length)
    expected = [sum(inputs[i][j] for i in ALL) for j in range(run.config.vector_length)]
    assert run.server.close_unmask().signed().tolist() == expected


def test_with_exactly_t_responders_a_wrong_share_is_caught_not_summed() -> None:
    """Exactly t responders: interpolation cannot see a forged share, the commitment does; the
    round then aborts for too few honest shares instead of releasing a corrupted sum."""
    run = run_until_unmask(dropped_after_shares=(6,))
    assert run.request is not None
    for i in (1, 2, 3, 4):
        run.server.receive_unmask(run.clients[i].unmask(run.request))
    honest = run.clients[5].unmask(run.request)
    for field, owner in (("mask_key_shares", 6), ("self_mask_shares", 1)):
        with pytest.raises(
            BmadError, match=f"participant 5 revealed a share of participant {owner}"
        ):
            run.server.receive_unmask(forged(honest, owner, field))
    with pytest.raises(BmadError, match="only 4 participants sent unmasking shares"):
        run.server.close_unmask()
    assert run.server.phase is ServerPhase.ABORTED


def test_a_share_that_does_not_match_its_commitment_stops_the_holder_before_its_input() -> None:
    run = driver()
    run.advertise(ALL)
    inboxes = run.share(ALL)
    inbox = inboxes[1]
    framed = replace(inbox, commitments={**inbox.commitments, 2: bytes(64)})
    with pytest.raises(BmadError, match="shares from participant 2 do not match its commitments"):
        run.clients[1].mask_input(framed, [0] * run.config.vector_length)
    assert run.clients[1].phase is ClientPhase.ABORTED


def test_client_aborts_on_calls_out_of_order_and_foreign_inboxes() -> None:
    run = driver()
    run.clients[1].advertise_keys()
    with pytest.raises(BmadError, match="server asked for masked_input during share_keys"):
        run.clients[1].mask_input(SharesInbox("round-a", 1, {}), [0] * 6)
    run = driver()
    run.advertise(ALL)
    inboxes = run.share(ALL)
    with pytest.raises(BmadError, match="addressed to another participant"):
        run.clients[1].mask_input(inboxes[2], [0] * 6)
    with pytest.raises(BmadError, match="shares from outside the key list"):
        run.clients[2].mask_input(replace(inboxes[2], ciphertexts={9: b"x" * 40}), [0] * 6)


def test_bad_input_vector_is_refused_without_aborting() -> None:
    run = driver()
    run.advertise(ALL)
    inboxes = run.share(ALL)
    for bad in ([0] * 5, [0.5] * 6, [[0] * 6], [2**32] * 6, [True] * 6):
        with pytest.raises(BmadError, match="input"):
            run.clients[1].mask_input(inboxes[1], bad)  # type: ignore[arg-type]
        assert run.clients[1].phase is ClientPhase.MASK
    run.clients[1].mask_input(inboxes[1], [0] * 6)
    assert run.clients[1].phase is ClientPhase.CONSISTENCY


def test_survivor_list_naming_strangers_or_leaving_the_client_out_aborts() -> None:
    run = driver()
    inputs = inputs_for(6, 6)
    run.advertise(ALL)
    run.share([1, 2, 3, 4, 5])
    for i in (1, 2):
        run.clients[i].mask_input(run.inboxes[i], inputs[i])
    with pytest.raises(BmadError, match="never shared keys"):
        run.clients[1].sign_survivors(SurvivorList("round-a", (1, 2, 3, 4, 6)))
    with pytest.raises(BmadError, match="leaves this participant out"):
        run.clients[2].sign_survivors(SurvivorList("round-a", (1, 3, 4, 5)))


def test_advertised_keys_message_carries_distinct_keys() -> None:
    run = driver()
    message: AdvertiseKeys = run.clients[1].advertise_keys()
    assert message.encryption_public != message.masking_public
    keys = run.advertise([2, 3, 4, 5, 6])
    duplicated = tuple(
        replace(k, masking_public=k.encryption_public) if k.sender == 2 else k for k in keys.keys
    )
    # Re-signed by 2 itself, so only the distinctness check can catch it.
    resigned = tuple(
        replace(
            k,
            signature=run.identities[2].sign(
                primitives.advertise_message(
                    run.config.session_tag, 2, k.encryption_public, k.masking_public
                )
            ),
        )
        if k.sender == 2
        else k
        for k in duplicated
    )
    with pytest.raises(BmadError, match="not all distinct"):
        run.clients[3].share_keys(KeysBroadcast("round-a", resigned))
