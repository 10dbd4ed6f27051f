"""Background threads lowered, the rest of the process left at the user's priority (Linux)."""

from __future__ import annotations

import os
import threading

import pytest

from bmad.priority import PER_THREAD, lower_current_thread


@pytest.mark.skipif(not PER_THREAD, reason="the nice value is per process here")
def test_only_the_calling_thread_is_lowered() -> None:
    before = os.getpriority(os.PRIO_PROCESS, 0)
    seen: list[int] = []

    def background() -> None:
        lower_current_thread(5)
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        child = threading.Thread(target=lambda: seen.append(os.getpriority(os.PRIO_PROCESS, 0)))
        child.start()
        child.join()

    worker = threading.Thread(target=background)
    worker.start()
    worker.join()
    assert seen == [min(19, before + 5), min(19, before + 5)]  # a thread it starts inherits it
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before


def test_nothing_is_lowered_without_a_nice_value() -> None:
    before = os.getpriority(os.PRIO_PROCESS, 0)
    lower_current_thread(0)
    assert os.getpriority(os.PRIO_PROCESS, 0) == before
