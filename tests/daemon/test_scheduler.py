from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bmad.daemon.scheduler import Scheduler


def test_new_repository_is_due_then_idle_until_it_changes() -> None:
    scheduler = Scheduler(backoff_base=5, backoff_max=60)
    scheduler.sync({1})
    scheduler.observe(1, "a")
    assert scheduler.due(0) == [1]
    scheduler.started(1)
    assert scheduler.due(0) == [] and scheduler.state_of(1, 0) == "mining"
    scheduler.succeeded(1)
    scheduler.observe(1, "a")
    assert scheduler.due(0) == [] and scheduler.state_of(1, 0) == "idle"
    scheduler.observe(1, "b")
    assert scheduler.due(0) == [1]


def test_polls_during_a_pass_do_not_queue_another() -> None:
    scheduler = Scheduler(5, 60)
    scheduler.sync({1})
    scheduler.observe(1, "a")
    scheduler.started(1)
    scheduler.observe(1, "a")
    scheduler.succeeded(1)
    assert scheduler.due(0) == []


def test_change_during_a_pass_makes_it_due_again() -> None:
    scheduler = Scheduler(5, 60)
    scheduler.sync({1})
    scheduler.observe(1, "a")
    scheduler.started(1)
    scheduler.observe(1, "b")
    scheduler.succeeded(1)
    assert scheduler.due(0) == [1]


def test_backoff_doubles_up_to_the_cap_and_resets() -> None:
    scheduler = Scheduler(5, 30)
    scheduler.sync({1})
    scheduler.observe(1, "a")
    delays = []
    now = 0.0
    for _ in range(5):
        assert scheduler.due(now) == [1]
        scheduler.started(1)
        delays.append(scheduler.failed(1, now))
        assert scheduler.due(now) == [] and scheduler.state_of(1, now) == "backing-off"
        now += delays[-1]
    assert delays == [5, 10, 20, 30, 30]
    scheduler.started(1)
    scheduler.succeeded(1)
    scheduler.observe(1, "b")
    scheduler.started(1)
    assert scheduler.failed(1, now) == 5


def test_poke_skips_the_backoff_and_missing_repositories_wait() -> None:
    scheduler = Scheduler(5, 30)
    scheduler.sync({1, 2})
    scheduler.observe(1, "a")
    scheduler.observe(2, None)
    assert scheduler.due(0) == [1] and scheduler.state_of(2, 0) == "missing"
    scheduler.started(1)
    scheduler.failed(1, 0)
    scheduler.poke(1)
    assert scheduler.due(0) == [1]
    scheduler.sync({1})
    assert 2 not in scheduler.entries


@given(st.lists(st.sampled_from(["observe", "start", "ok", "fail", "defer", "poke"]), max_size=40))
def test_never_two_passes_at_once(actions: list[str]) -> None:
    scheduler = Scheduler(1, 8)
    scheduler.sync({1})
    running = False
    now = 0.0
    for index, action in enumerate(actions):
        now += 1
        if action == "observe":
            scheduler.observe(1, str(index % 3))
        elif action == "start" and 1 in scheduler.due(now):
            assert not running
            scheduler.started(1)
            running = True
        elif action in ("ok", "fail", "defer") and running:
            if action == "ok":
                scheduler.succeeded(1)
            elif action == "defer":
                scheduler.deferred(1)
            else:
                scheduler.failed(1, now)
            running = False
        elif action == "poke":
            scheduler.poke(1)
        assert (scheduler.state_of(1, now) == "mining") == running
