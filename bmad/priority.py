"""Background work at a lower CPU priority, interactive work at the user's.

On Linux the nice value belongs to each thread (and a process or thread started from it
inherits it), so the daemon lowers only its background threads (mining, federation rounds)
and answers editors and git hooks at full priority even while it mines. Elsewhere the nice
value is the process's: the whole daemon is lowered once.
"""

from __future__ import annotations

import os
import sys
import threading

MAX_NICE = 19
PER_THREAD = sys.platform.startswith("linux")


def lower_process(nice: int) -> None:
    """At daemon start: the whole process where priority is per process."""
    if nice > 0 and not PER_THREAD:
        os.nice(nice)


def lower_current_thread(nice: int) -> None:
    """At the start of a background thread: this thread only (Linux)."""
    if nice <= 0 or not PER_THREAD:
        return
    thread_id = threading.get_native_id()
    current = os.getpriority(os.PRIO_PROCESS, thread_id)
    os.setpriority(os.PRIO_PROCESS, thread_id, min(MAX_NICE, current + nice))
