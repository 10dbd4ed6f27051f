"""Federated learning from the command line's side: open a round and follow it, read insights.

Opening a round is an admin's action; members' daemons take part in the background. Reading
insights needs any role; they are cached locally (``bmad.privacy.sharing``) and the cache
answers when the aggregator cannot be reached.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bmad.errors import BmadError
from bmad.federation.client import AggregatorClient, ImpostorAnswer
from bmad.federation.insights import combine_releases, standing
from bmad.federation.membership import Membership
from bmad.privacy.ledger import Budget
from bmad.privacy.sharing import cache_global_insights, cached_global_insights
from bmad.store.connection import Store

FINISHED = ("released", "aborted")
LONG_POLL = 5.0
COMPARED_METRICS: tuple[str, ...] = ("cognitive", "ccn", "nloc", "max_nesting", "params")


def open_round(
    client: AggregatorClient,
    member: Membership,
    learning_type: str,
    budget: Budget | None = None,
    min_participants: int | None = None,
    weights: Sequence[float] | None = None,
) -> dict[str, Any]:
    """Open a round (admin only); ``weights``: the model a risk_model step starts from."""
    if member.role != "admin":
        raise BmadError(
            f"only the federation's admin opens rounds; this machine is a {member.role} "
            "(its daemon takes part in rounds the admin opens)"
        )
    status = client.status(member.federation)
    governance = status["governance"]
    if learning_type not in governance["allowed_learning_types"]:
        raise BmadError(f"the federation's governance does not allow {learning_type} rounds")
    options: dict[str, Any] = {}
    if budget is not None:
        if budget.delta > float(governance["delta"]):
            raise BmadError(
                f"delta {budget.delta:g} is weaker than the federation's {governance['delta']:g}: "
                f"use a delta of at most {governance['delta']:g}, e.g. --privacy-budget "
                f'"epsilon={budget.epsilon:g},delta={governance["delta"]:g}"'
            )
        options["epsilon"] = budget.epsilon
        options["delta"] = budget.delta  # honoured end to end: every member checks it
    if min_participants is not None:
        options["min_participants"] = min_participants
    if weights is not None:
        options["weights"] = list(weights)
    return client.open_round(member.federation, learning_type, **options)


def follow_round(
    client: AggregatorClient,
    round_id: str,
    poll_interval: float,
    timeout: float,
    progress: Callable[[dict[str, Any]], None] = lambda _state: None,
) -> dict[str, Any]:
    """Follow the round (long polls) until it is released or aborted; ``progress`` sees every
    new state."""
    deadline = time.monotonic() + timeout
    last: tuple[Any, ...] = ()
    changes: int | None = None
    while True:
        state = client.round(round_id, changes, min(LONG_POLL, timeout))
        changes = int(state["changes"])
        seen = (state["state"], state["phase"], tuple(sorted(state["organisations"].items())))
        if seen != last:
            progress(state)
            last = seen
        if state["state"] in FINISHED:
            return state
        if time.monotonic() > deadline:
            raise BmadError(f"round {round_id} still {state['state']} after {timeout:g} s")
        time.sleep(poll_interval)


def cache_insights(store: Store, item: Mapping[str, Any]) -> None:
    """Cache one released insights document with the round it came from.

    Code-pattern distributions are combined with the cached release of the same schema and
    unit (``insights.combine_releases``: an average that favours the newer release)."""
    document = {**item["insights"], "round": item["round"], "released_at": item["released_at"]}
    learning_type = item["learning_type"]
    previous = next(
        (
            cached["insights"]
            for cached in cached_global_insights(store)
            if cached["learning_type"] == learning_type
        ),
        None,
    )
    if previous is not None and (
        previous.get("round") == document["round"]
        or previous.get("released_at", "") > document["released_at"]
    ):
        return  # already cached (maybe combined), or older than the cached release
    if (
        learning_type == "code_patterns"
        and previous is not None
        and previous.get("schema_version") == document["schema_version"]
        and previous.get("privacy", {}).get("unit") == document.get("privacy", {}).get("unit")
        and previous.get("released_at", "") < document["released_at"]
    ):
        document = combine_releases(previous, document)
    cache_global_insights(store, learning_type, document["schema_version"], document)


def fetch_insights(
    store: Store, client: AggregatorClient | None, member: Membership, learning_type: str
) -> dict[str, Any] | None:
    """The federation's latest insights of one type, refreshed from the aggregator if possible."""
    if client is not None:
        try:
            for item in client.insights(member.federation, learning_type):
                cache_insights(store, item)
        except ImpostorAnswer:
            raise  # not the aggregator this machine joined: say so rather than fall back
        except BmadError:
            pass  # unreachable or refused: the cache answers
    for cached in cached_global_insights(store):
        if cached["learning_type"] == learning_type:
            document: dict[str, Any] = cached["insights"]
            return document
    return None


def confident(insights: Mapping[str, Any], threshold: float) -> dict[str, Any]:
    """The insights whose confidence is at least ``threshold`` (the rest is dropped).

    An insight's confidence is one minus the width of its widest 95% interval, in shares
    (``bmad.federation.insights``): a threshold of 0.9 keeps what is known to within +-5 points.
    """

    def keep(items: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        return [item for item in items if float(item.get("confidence", 0)) >= threshold]

    result: dict[str, Any] = {
        key: insights[key]
        for key in ("learning_type", "organisations", "groups", "k", "privacy", "noise_std")
        if key in insights
    }
    result["confidence_threshold"] = threshold
    result["consensus"] = keep(insights.get("consensus", []))
    result["divergent"] = keep(insights.get("divergent", []))
    if "success_factors" in insights:
        result["success_factors"] = keep(insights["success_factors"])
    if "percentiles" in insights:
        result["percentiles"] = {
            metric: {
                language: entry
                for language, entry in languages.items()
                if float(entry["confidence"]) >= threshold
            }
            for metric, languages in insights["percentiles"].items()
        }
        result["percentiles"] = {m: v for m, v in result["percentiles"].items() if v}
    blocks = insights.get("blocks", {})
    result["distributions"] = {
        name: block for name, block in blocks.items() if float(block["confidence"]) >= threshold
    }
    result["withheld"] = {
        "distributions": len(blocks) - len(result["distributions"]),
        "consensus": len(insights.get("consensus", [])) - len(result["consensus"]),
        "divergent": len(insights.get("divergent", [])) - len(result["divergent"]),
    }
    return result


def compare_functions(
    insights: Mapping[str, Any],
    functions: Sequence[tuple[str, str, Mapping[str, float]]],
    threshold: float = 0.0,
) -> list[dict[str, Any]]:
    """For (label, language, metrics) of local functions: where each metric stands globally.

    A standing whose confidence (one minus its 95% interval's width) is below ``threshold``
    is left out."""
    rows = []
    for label, language, metrics in functions:
        comparisons = [
            found
            for metric in COMPARED_METRICS
            if metric in metrics
            and (found := standing(insights, metric, language, float(metrics[metric]))) is not None
            and float(found["confidence"]) >= threshold
        ]
        if comparisons:
            rows.append({"function": label, "language": language, "global": comparisons})
    return rows
