"""Secure aggregation: round time, per-participant CPU and server memory.

For n participants with vectors of --length entries (mod 2^32), runs one in-process round
(``simulate_round``: every message through its JSON form) without dropouts and with one
dropout after each of the four rounds (as many as the threshold 2n/3 + 1 leaves room for).
Reports wall time of the whole simulated round (all participants run one after another in this
process), the CPU seconds of the median and slowest participant, the server's CPU, and, in a
second run under tracemalloc, the server's peak memory. The anchor measured in the same run is
the plain (insecure) sum of the same vectors with numpy.

``--protocols full sparse`` also runs each n as a SecAgg+ round (``graph.sparse_parameters``:
degree k, per-neighbourhood threshold; as many of the four dropouts as it tolerates,
floor(0.1 n)); the server-memory run is for the complete graph only.

Run: .venv/bin/python bench/secagg/bench_secagg.py [--sizes 10 50 100] [--length 10000]
     [--protocols full sparse]
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

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
    SurvivorList,
    UnmaskRequest,
    UnmaskShares,
    simulate_round,
)
from bmad.federation.secagg.graph import sparse_parameters


def make_vectors(n: int, length: int) -> list[np.ndarray]:
    # Benchmark inputs only (not a privacy path): bounded entries from the OS CSPRNG.
    raw = np.frombuffer(secrets.token_bytes(4 * n * length), dtype="<u4").reshape(n, length)
    return [(row % 2001).astype(np.int64) - 1000 for row in raw]


def public_key(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def dropouts(n: int) -> dict[int, list[int]]:
    return {0: [n], 1: [n - 1], 2: [n - 2], 3: [n - 3]}


def server_peak_memory(
    vectors: list[np.ndarray], threshold: int, drop: dict[int, list[int]]
) -> int:
    """The server's peak memory: what its blocks retained so far plus each block's own peak.

    Only server code (decoding client messages, receive_*, close_*, encoding broadcasts) runs
    inside a measured block; client work runs between blocks and is not counted.
    """
    n = len(vectors)
    identities = {i: Ed25519PrivateKey.generate() for i in range(1, n + 1)}
    config = RoundConfig(
        "bench", {i: public_key(k) for i, k in identities.items()}, threshold, len(vectors[0])
    )
    clients = {i: ClientSession(config, i, key) for i, key in identities.items()}
    tracemalloc.start()
    peak = retained = 0

    @contextmanager
    def server_side() -> Iterator[None]:
        nonlocal peak, retained
        start, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        yield
        current, block_peak = tracemalloc.get_traced_memory()
        peak = max(peak, retained + block_peak - start)
        retained += current - start

    with server_side():
        server = ServerRound(config)
    active = set(clients)
    texts = {i: clients[i].advertise_keys().to_json() for i in sorted(active)}
    with server_side():
        for text in texts.values():
            server.receive_advertise(AdvertiseKeys.from_json(text))
        broadcast = server.close_advertise().to_json()
    active -= set(drop.get(0, []))
    texts = {i: clients[i].share_keys(KeysBroadcast.from_json(broadcast)).to_json() for i in active}
    with server_side():
        for text in texts.values():
            server.receive_shares(EncryptedShares.from_json(text))
        inboxes = {i: m.to_json() for i, m in server.close_shares().items()}
    active -= set(drop.get(1, []))
    texts = {
        i: clients[i].mask_input(SharesInbox.from_json(inboxes[i]), vectors[i - 1]).to_json()
        for i in active
    }
    with server_side():
        for text in texts.values():
            server.receive_masked_input(MaskedInput.from_json(text))
        survivors = server.close_masked_inputs().to_json()
    active -= set(drop.get(2, []))
    texts = {
        i: clients[i].sign_survivors(SurvivorList.from_json(survivors)).to_json() for i in active
    }
    with server_side():
        for text in texts.values():
            server.receive_consistency(ConsistencySignature.from_json(text))
        request = server.close_consistency().to_json()
    active -= set(drop.get(3, []))
    texts = {i: clients[i].unmask(UnmaskRequest.from_json(request)).to_json() for i in active}
    with server_side():
        for text in texts.values():
            server.receive_unmask(UnmaskShares.from_json(text))
        server.close_unmask()
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 100])
    parser.add_argument("--length", type=int, default=10_000)
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc run")
    parser.add_argument("--protocols", nargs="+", default=["full"], choices=["full", "sparse"])
    args = parser.parse_args()

    header = (
        f"{'n':>4} {'protocol':>8} {'k':>4} {'dropouts':>9} {'t':>3} {'round s':>8} "
        f"{'plain sum ms':>12} "
        f"{'client cpu med s':>16} {'client cpu max s':>16} {'server cpu s':>12} "
        f"{'server peak MB':>14} {'ok':>3}"
    )
    print(f"vector length {args.length}, modulus 2^32; one process, participants in turn")
    print(header)
    for n, protocol in [(n, protocol) for n in args.sizes for protocol in args.protocols]:
        vectors = make_vectors(n, args.length)
        threshold = (2 * n + 5) // 3  # 2n/3 + 1, as RoundConfig requires since issue 18
        neighbours, tolerated = n - 1, min(4, n - threshold)
        if protocol == "sparse":
            derived = sparse_parameters(n)
            if derived is None:
                continue
            threshold, neighbours = derived.threshold, derived.neighbours
            tolerated = min(4, n - derived.min_survivors)
        some_dropouts = dict(list(dropouts(n).items())[:tolerated])
        for drop in ({}, some_dropouts) if tolerated else ({},):
            started = time.perf_counter()
            simulation = simulate_round(
                vectors,
                threshold,
                drop_after=drop,
                neighbours=neighbours if protocol == "sparse" else 0,
            )
            wall = time.perf_counter() - started
            assert simulation.result is not None, simulation.abort_reason
            summed = [i for i in range(1, n + 1) if i not in drop.get(0, []) + drop.get(1, [])]
            plain_started = time.perf_counter()
            expected = np.sum([vectors[i - 1] for i in summed], axis=0)
            plain = time.perf_counter() - plain_started
            ok = simulation.result.signed().tolist() == expected.tolist()
            cpus = list(simulation.client_cpu.values())
            memory = (
                "-"
                if args.no_memory or protocol == "sparse"
                else f"{server_peak_memory(vectors, threshold, drop) / 1e6:.1f}"
            )
            print(
                f"{n:>4} {protocol:>8} {neighbours:>4} {len(drop) if drop else 0:>9} "
                f"{threshold:>3} {wall:>8.2f} "
                f"{plain * 1000:>12.2f} {statistics.median(cpus):>16.3f} {max(cpus):>16.3f} "
                f"{simulation.server_cpu:>12.3f} {memory:>14} {'yes' if ok else 'NO':>3}"
            )


if __name__ == "__main__":
    main()
