"""Validity proofs under secure aggregation: what proving and checking bounded inputs costs.

Three parts, all in process:

1. Per bit and per coordinate: proving and verifying one range proof for the ranges real
   rounds use (a BinCap 10 bin, a FixedMass 100 bin, a noise share of the bound a 60-entry
   round derives), with the proof's size.
2. Per learning type that proves its inputs (its default unit, epsilon 1, delta 1e-5, a group
   of n = 10): the participant's whole input proof (prove, verify, bytes).
3. Whole rounds (``simulate_round``, every message through JSON) of n participants at the
   vector lengths of real learning types, with and without validation (the anchor: the same
   round with the plausibility envelope only, measured in the same run): wall time, median
   participant CPU, server CPU.

Times in parts 1 and 2 and the CPU columns of part 3 are CPU seconds of this process
(``time.process_time``), so other work on a shared machine inflates only the wall times.

Contributions are drawn in range with ``secrets``, noise shares from OpenDP's discrete Gaussian
at the share scale the round derives.

Run: .venv/bin/python bench/secagg/bench_validity.py [--sizes 10 50] [--types anti_patterns
     workflow_patterns technology_survival] [--repeat 200] [--verify-inputs-up-to 256|all]
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import time

from bmad.federation.governance import (
    VERIFY_INPUTS_UP_TO,
    governance_for,
    minimum_threshold,
    noise_shares,
    verify_inputs_limit,
)
from bmad.federation.secagg.range_proofs import Range, commit, prove_range, random_scalar
from bmad.federation.secagg.range_proofs import verify_range as verify_one
from bmad.federation.secagg.round_bounds import round_input_bounds
from bmad.federation.secagg.simulate import simulate_round
from bmad.federation.secagg.validity import InputBounds, prove_input, verify_input
from bmad.federation.wire import round_schema
from bmad.privacy.accounting import rho_budget
from bmad.privacy.noise import discrete_gaussian_noise
from bmad.privacy.schemas import LEARNING_TYPES, schema_for
from bmad.privacy.units import Unit

RHO = rho_budget(1.0, 1e-5)
TAG = b"bench" * 6 + b"..."


def default_unit(learning_type: str) -> Unit:
    """The unit the privacy levels' rules set (code_patterns and risk_model: record)."""
    return governance_for("medium").unit(learning_type)


def bounds_for(
    learning_type: str, n: int, verify_inputs_up_to: int | None = VERIFY_INPUTS_UP_TO
) -> InputBounds | None:
    threshold = minimum_threshold(n)
    return round_input_bounds(
        learning_type,
        default_unit(learning_type),
        RHO,
        noise_shares(n, threshold),
        n,
        verify_inputs_up_to,
    )


def draw_input(bounds: InputBounds) -> tuple[list[int], list[int]]:
    """A contribution in range (block totals kept) and a noise share within its bound."""
    contribution = [r.low + secrets.randbelow(r.width + 1) for r in bounds.contribution]
    for block in bounds.block_totals:  # spread at most the block's total over its bins
        contribution[block.start : block.stop] = [0] * (block.stop - block.start)
        left = block.bounds.high
        for j in range(block.start, block.stop):
            contribution[j] = min(left, bounds.contribution[j].high, secrets.randbelow(3))
            left -= contribution[j]
    scale = bounds.noise / 8
    noise: list[int] = []
    while len(noise) < bounds.length:
        noise += [
            e for e in discrete_gaussian_noise(scale, bounds.length) if abs(e) <= bounds.noise
        ]
    return contribution, noise[: bounds.length]


def per_coordinate(repeat: int) -> None:
    noise = bounds_for("workflow_patterns", 10)
    assert noise is not None
    print("## 1. One range proof (median over", repeat, "proofs)")
    print("| range | bits | bytes | prove ms | verify ms | per bit prove / verify ms |")
    print("|---|---|---|---|---|---|")
    for name, bounds in (
        ("BinCap 10: [0, 10]", Range(0, 10)),
        ("FixedMass 100: [0, 100]", Range(0, 100)),
        (f"noise share: +-{noise.noise}", noise.noise_range),
    ):
        proving, verifying = [], []
        for _ in range(repeat):
            value = bounds.low + secrets.randbelow(bounds.width + 1)
            blinding = random_scalar()
            point = commit(value, blinding)
            started = time.process_time()
            proof = prove_range(b"c", point, value, blinding, bounds)
            proved = time.process_time()
            assert verify_one(b"c", point, bounds, proof)
            proving.append(proved - started)
            verifying.append(time.process_time() - proved)
        bits = len(bounds.weights)
        prove_ms, verify_ms = 1e3 * statistics.median(proving), 1e3 * statistics.median(verifying)
        print(
            f"| {name} | {bits} | {len(proof)} | {prove_ms:.2f} | {verify_ms:.2f} | "
            f"{prove_ms / bits:.3f} / {verify_ms / bits:.3f} |"
        )


def per_participant(types: list[str], verify_inputs_up_to: int | None) -> None:
    print("\n## 2. One participant's input proof (group of 10; each type's default unit)")
    print("| learning type | length | noise bound | bits | proof KiB | prove s | verify s |")
    print("|---|---|---|---|---|---|---|")
    for learning_type in types:
        bounds = bounds_for(learning_type, 10, verify_inputs_up_to)
        if bounds is None:
            length = round_schema(schema_for(learning_type), default_unit(learning_type)).dim
            print(f"| {learning_type} | {length} | envelope only | | | | |")
            continue
        contribution, noise = draw_input(bounds)
        blindings = [random_scalar() for _ in range(bounds.length)]
        bits = (
            sum(len(r.weights) for r in bounds.contribution)
            + bounds.length * len(bounds.noise_range.weights)
            + sum(len(block.bounds.weights) for block in bounds.block_totals)
        )
        started = time.process_time()
        proof = prove_input(TAG, 1, bounds, contribution, noise, blindings)
        proved = time.process_time()
        verify_input(TAG, 1, bounds, proof)
        verified = time.process_time()
        print(
            f"| {learning_type} | {bounds.length} | {bounds.noise} | {bits} | "
            f"{len(proof) / 1024:.0f} | {proved - started:.2f} | {verified - proved:.2f} |"
        )


def rounds(types: list[str], sizes: list[int], verify_inputs_up_to: int | None) -> None:
    print("\n## 3. Whole rounds in process, without and with validation")
    print(
        "| learning type | n | validation | round s | participant CPU s (median) | server CPU s |"
    )
    print("|---|---|---|---|---|---|")
    for learning_type in types:
        for n in sizes:
            bounds = bounds_for(learning_type, n, verify_inputs_up_to)
            if bounds is None:
                continue
            drawn = [draw_input(bounds) for _ in range(n)]
            contributions = [x for x, _ in drawn]
            noise = [e for _, e in drawn]
            summed = [[x + e for x, e in zip(xs, es, strict=True)] for xs, es in drawn]
            expected = [sum(column) for column in zip(*summed, strict=True)]
            threshold = minimum_threshold(n)
            for validated in (False, True):
                started = time.perf_counter()
                if validated:
                    simulation = simulate_round(
                        contributions, threshold, input_bounds=bounds, noise=noise
                    )
                else:
                    simulation = simulate_round(summed, threshold)
                elapsed = time.perf_counter() - started
                assert simulation.result is not None, simulation.abort_reason
                assert [int(v) for v in simulation.result.signed()] == expected
                client = statistics.median(simulation.client_cpu.values())
                print(
                    f"| {learning_type} ({bounds.length}) | {n} | "
                    f"{'proofs' if validated else 'envelope only'} | {elapsed:.1f} | "
                    f"{client:.2f} | {simulation.server_cpu:.1f} |"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50])
    parser.add_argument(
        "--types",
        nargs="+",
        default=["anti_patterns", "workflow_patterns", "technology_survival"],
        choices=LEARNING_TYPES,
    )
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument(
        "--verify-inputs-up-to",
        type=verify_inputs_limit,
        default=VERIFY_INPUTS_UP_TO,
        metavar="LENGTH|all",
        help="the governance rule: rounds up to this long prove their inputs",
    )
    arguments = parser.parse_args()
    per_coordinate(arguments.repeat)
    per_participant(list(LEARNING_TYPES), arguments.verify_inputs_up_to)
    rounds(arguments.types, arguments.sizes, arguments.verify_inputs_up_to)


if __name__ == "__main__":
    main()
