"""Shamir's two promises: any t shares give the secret back, and t - 1 shares say nothing about it.

"Nothing" is tested as the scheme defines it: whatever t - 1 shares are held, every secret is
equally consistent with them, so interpolating them at 0 (the best guess a holder of t - 1
shares can make) gives a value uniformly distributed over the field, whatever the secret.
Reconstructions over 2,000 fresh sharings are compared with the uniform distribution on
[0, PRIME) by Kolmogorov-Smirnov at alpha = 1e-6: a correct sharing fails one run in a million,
while a polynomial one degree short hands every holder of t - 1 shares the secret itself.
"""

from __future__ import annotations

import itertools

import pytest
from scipy import stats  # type: ignore[import-untyped]

from bmad.errors import BmadError
from bmad.federation.secagg import shamir

ALPHA = 1e-6
SAMPLES = 2_000


def guesses_from_too_few_shares(
    secret: int, threshold: int, holders: list[int], held: list[int]
) -> list[float]:
    """Interpolations at 0 of the shares ``held`` (t - 1 of them), as fractions of the field."""
    guesses = []
    for _ in range(SAMPLES):
        shares = shamir.split(secret, threshold, holders)
        guess = shamir.combine({holder: shares[holder] for holder in held}, len(held))
        guesses.append(guess / shamir.PRIME)
    return guesses


def looks_uniform(fractions: list[float]) -> bool:
    return bool(stats.kstest(fractions, "uniform").pvalue > ALPHA)


@pytest.mark.parametrize(
    ("secret", "threshold", "holders", "held"),
    [
        (42, 2, [1, 2, 3], [3]),
        (0, 3, [1, 2, 3, 4, 5], [2, 5]),
        (shamir.PRIME - 1, 3, [7, 9, 11], [7, 11]),
        (2**256 - 1, 5, [1, 2, 3, 4, 5, 6], [1, 3, 4, 6]),
    ],
    ids=["t=2, secret 42", "t=3, secret 0", "t=3, largest secret", "t=5, 256-bit secret"],
)
def test_threshold_minus_one_shares_reveal_nothing_about_the_secret(
    secret: int, threshold: int, holders: list[int], held: list[int]
) -> None:
    assert len(held) == threshold - 1
    guesses = guesses_from_too_few_shares(secret, threshold, holders, held)
    assert looks_uniform(guesses)


def test_the_uniformity_check_rejects_shares_that_leak_the_secret() -> None:
    # What t - 1 shares of a polynomial of degree t - 2 give: the secret, every time.
    leaked = [42 / shamir.PRIME] * SAMPLES
    assert not looks_uniform(leaked)
    # And a milder leak: a guess that is right one time in two.
    half_leaked = [42 / shamir.PRIME if i % 2 else (i + 0.5) / SAMPLES for i in range(SAMPLES)]
    assert not looks_uniform(half_leaked)


@pytest.mark.parametrize(("threshold", "holders"), [(1, 3), (2, 3), (3, 5), (4, 4)])
def test_every_set_of_threshold_shares_reconstructs_the_secret(
    threshold: int, holders: int
) -> None:
    secret = 2**255 + 12345
    shares = shamir.split(secret, threshold, range(1, holders + 1))
    for subset in itertools.combinations(sorted(shares), threshold):
        assert shamir.combine({x: shares[x] for x in subset}, threshold) == secret
    assert shamir.combine(shares, threshold) == secret


def test_fewer_than_threshold_shares_are_refused() -> None:
    shares = shamir.split(7, 3, [1, 2, 3])
    with pytest.raises(BmadError, match=r"needs 3 shares, got 2"):
        shamir.combine({1: shares[1], 2: shares[2]}, 3)


def test_an_extra_share_off_the_polynomial_is_refused() -> None:
    shares = shamir.split(7, 2, [1, 2, 3])
    shares[3] = (shares[3] + 1) % shamir.PRIME
    with pytest.raises(BmadError, match=r"^Shamir shares are inconsistent$"):
        shamir.combine(shares, 2)


@pytest.mark.parametrize(
    ("shares", "message"),
    [
        ({0: 1, 1: 1}, "not a field element"),
        ({shamir.PRIME: 1, 1: 1}, "not a field element"),
        ({1: shamir.PRIME, 2: 1}, "not a field element"),
        ({1: -1, 2: 1}, "not a field element"),
    ],
)
def test_shares_outside_the_field_are_refused(shares: dict[int, int], message: str) -> None:
    with pytest.raises(BmadError, match=rf"^Shamir share is {message}$"):
        shamir.combine(shares, 2)


def test_field_bounds_of_secrets_holders_and_threshold() -> None:
    assert shamir.combine(shamir.split(shamir.PRIME - 1, 2, [1, 2]), 2) == shamir.PRIME - 1
    assert shamir.combine(shamir.split(0, 2, [shamir.PRIME - 1, 1]), 2) == 0
    with pytest.raises(BmadError, match=r"^Shamir secret is not a field element$"):
        shamir.split(shamir.PRIME, 2, [1, 2])
    with pytest.raises(BmadError, match=r"^Shamir secret is not a field element$"):
        shamir.split(-1, 2, [1, 2])
    with pytest.raises(BmadError, match=r"^Shamir threshold must be at least 1$"):
        shamir.split(1, 0, [1, 2])
    for holder in (0, shamir.PRIME):
        with pytest.raises(BmadError, match=r"^Shamir share holder ids must be positive$"):
            shamir.split(1, 2, [1, holder])


def test_share_bytes_are_big_endian_and_bounded_to_the_field() -> None:
    assert shamir.share_to_bytes(1) == bytes(shamir.ELEMENT_BYTES - 1) + b"\x01"
    assert shamir.share_from_bytes(bytes(shamir.ELEMENT_BYTES - 1) + b"\x01") == 1
    largest = shamir.share_to_bytes(shamir.PRIME - 1)
    assert shamir.share_from_bytes(largest) == shamir.PRIME - 1
    with pytest.raises(BmadError, match=r"^Shamir share is not a field element$"):
        shamir.share_from_bytes(shamir.PRIME.to_bytes(shamir.ELEMENT_BYTES, "big"))
    for length in (shamir.ELEMENT_BYTES - 1, shamir.ELEMENT_BYTES + 1):
        with pytest.raises(BmadError, match=r"^Shamir share has the wrong length$"):
            shamir.share_from_bytes(bytes(length))
