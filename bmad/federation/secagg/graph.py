"""SecAgg+ (Bell, Bonawitz, Gascon, Lepoint, Raykova, CCS 2020): who masks with and shares to whom.

In a sparse round each participant masks with, and Shamir-shares its two secrets to, only its
``neighbours`` (k) peers of a random k-regular graph instead of all n - 1 (Bonawitz et al. 2017,
the complete graph). The graph is the Harary graph H(k, n) (a ring where each node is joined to
the k/2 nodes on either side) over the participants in a pseudo-random order: participant p's
place in the ring is the rank of SHA-256("bmad secagg graph v1" || session tag || p). The
session tag commits to the round id, every parameter and the whole roster with its keys, so
every client derives the same graph from the round's configuration alone and refuses any other.

Parameters (``sparse_parameters``), after the paper's Harary-graph analysis as implemented in
Google's ``fcp/secagg/server/graph_parameter_finder.cc``, for n participants of which at most
``collusion_allowance(n)`` = floor(n/3) (fraction gamma = 1/3, the federation's collusion
allowance) collude with the aggregator and at most D = floor(delta n) drop out or are declared
dropped (delta = ``DROPOUT_FRACTION`` = 0.1):

- k, even, is the least degree for which (a) the honest survivors stay connected:
  Pr[disconnected] <= n (n - k - 1) / 2 * C(n - k, B - k) / C(n, B) < 2^-(sigma + 1) with
  B = floor(gamma n) + D bad nodes (disconnecting H(k, n) takes k/2 consecutive bad nodes at two
  places of the ring); (b) a threshold t exists in (t1, t2] below;
- t1: the least a with Pr[more than a colluders among a node's k neighbours] <= 2^-(sigma+1) / n
  (hypergeometric: k draws from n with floor(gamma n) colluders), union-bounded over the n nodes;
- t2: the largest s with Pr[fewer than s surviving neighbours] <= 2^-eta / n (hypergeometric
  with n - D survivors);
- t (the Shamir threshold over the k + 1 holders, the owner keeps one share like in the full
  protocol) is the least value with t > t1 and 2t > k + 1 + t1: a malicious aggregator that
  tells some holders "u survived" and others "u dropped" needs t shares of each secret, which
  its at most t1 colluding holders and the disjoint honest ones cannot give (the analogue of
  t > 2n/3 + 1 for the complete graph);
- sigma = ``SECURITY_BITS`` = 64, eta = ``CORRECTNESS_BITS`` = 30. The aggregator picks the
  round id and so can try many graphs offline: 2^g tries raise a victim's chance of a bad graph
  to at most 2^(g - 64), which is why sigma is 64 and not the paper's 40.
- ``min_survivors`` = n - D: a client signs a survivor list only if it holds at least n - D
  participants, so the aggregator cannot declare more than D honest participants dropped to cut
  the graph (and the distributed noise is sized for n - D survivors minus the colluders).

Without parameters for n (small n, where k would reach n - 1) a round uses the complete graph.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

COLLUSION_FRACTION_DENOMINATOR = 3  # floor(n / 3) colluders, as governance.collusion_allowance
DROPOUT_FRACTION = 0.1
SECURITY_BITS = 64
CORRECTNESS_BITS = 30
_GRAPH = b"bmad secagg graph v1"
# Groups of at least this many use the sparse graph. Measured with bench/secagg/bench_secagg.py
# --protocols full sparse (bench/README.md, "Secure aggregation"): a participant's CPU is 1.0x
# the complete graph's at n = 10, 0.67x at 20, 0.62x at 30 and 50, 0.59x at 100, 0.53x at 200;
# below 30 the saving is small and the complete graph keeps its larger dropout tolerance (n - t,
# about n/3, against floor(0.1 n)).
SPARSE_FROM = 30


@dataclass(frozen=True, slots=True)
class SparseParameters:
    """The degree, Shamir threshold and least survivors of a sparse round of ``participants``."""

    participants: int
    neighbours: int
    threshold: int
    min_survivors: int


def _log_choose(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def _hypergeometric(population: int, marked: int, draws: int) -> list[float]:
    """P(X = x) for x = 0..draws, X the marked items among ``draws`` taken without replacement."""
    total = _log_choose(population, draws)
    probabilities = []
    for x in range(draws + 1):
        if x > marked or draws - x > population - marked:
            probabilities.append(0.0)
        else:
            log_p = _log_choose(marked, x) + _log_choose(population - marked, draws - x) - total
            probabilities.append(math.exp(log_p))
    return probabilities


def _log_disconnection_bound(n: int, k: int, bad: int) -> float:
    """log of the union bound on H(k, n), randomly ordered, losing connectivity without ``bad``."""
    if k > bad:
        return -math.inf
    gap_pairs = math.log(n) + math.log(n - k - 1) - math.log(2)
    all_bad = (
        math.lgamma(bad + 1)
        + math.lgamma(n - k + 1)
        - math.lgamma(n + 1)
        - math.lgamma(bad - k + 1)
    )
    return gap_pairs + all_bad


def _threshold_for(n: int, k: int, colluders: int, survivors: int) -> int | None:
    per_node_security = 2.0 ** -(SECURITY_BITS + 1) / n
    per_node_correctness = 2.0**-CORRECTNESS_BITS / n
    colluding = _hypergeometric(n, colluders, k)
    t1, upper_tail = k, 0.0
    for a in range(k, -1, -1):  # the least a with P(X > a) <= bound
        if upper_tail + colluding[a] > per_node_security:
            t1 = a
            break
        upper_tail += colluding[a]
    else:
        t1 = -1
    surviving = _hypergeometric(n, survivors, k)
    t2, lower_tail = 0, 0.0
    for s in range(k + 1):  # the largest s with P(X < s) <= bound
        lower_tail += surviving[s]
        if lower_tail > per_node_correctness:
            t2 = s
            break
    else:
        t2 = k
    threshold = max(t1 + 1, (k + 1 + t1) // 2 + 1, 2)
    return threshold if threshold <= t2 else None


@lru_cache(maxsize=64)
def sparse_parameters(n: int) -> SparseParameters | None:
    """The SecAgg+ parameters of a round of ``n`` (module docstring), or None where the least
    degree reaches the complete graph."""
    if n < 4:
        return None
    colluders = n // COLLUSION_FRACTION_DENOMINATOR
    dropouts = math.floor(DROPOUT_FRACTION * n)
    bad = colluders + dropouts
    log_security = -(SECURITY_BITS + 1) * math.log(2)
    for k in range(2, n - 1, 2):
        if _log_disconnection_bound(n, k, bad) >= log_security:
            continue
        threshold = _threshold_for(n, k, colluders, n - dropouts)
        if threshold is not None:
            return SparseParameters(n, k, threshold, n - dropouts)
    return None


def sparse_round(n: int, sparse_from: int = SPARSE_FROM) -> SparseParameters | None:
    """The parameters a group of ``n`` runs with: sparse from ``sparse_from`` on, else None."""
    return sparse_parameters(n) if n >= sparse_from else None


def ring_order(session_tag: bytes, participants: Iterable[int]) -> list[int]:
    """The participants in their pseudo-random ring order, derived from the session tag only."""
    prefix = hashlib.sha256(_GRAPH + session_tag)

    def rank(participant: int) -> bytes:
        digest = prefix.copy()
        digest.update(participant.to_bytes(4, "big"))
        return digest.digest()

    return sorted(participants, key=rank)


def closed_neighbourhood(ring: Sequence[int], place: int, degree: int) -> frozenset[int]:
    """The node at ``place`` of the ring and its ``degree`` neighbours in H(degree, len(ring))."""
    n, half = len(ring), degree // 2
    if degree % 2 or not 2 <= degree < n:
        raise ValueError(f"a Harary graph of {n} nodes needs an even degree in 2..{n - 1}")
    return frozenset(ring[(place + step) % n] for step in range(-half, half + 1))
