"""post-commit, post-merge and post-checkout: tell the daemon to mine the new state.

Run as ``python -m bmad.daemon.notify <hook> [git's arguments]`` by the installed scripts (no
click, nothing heavy: the standard library and the daemon's stdlib-only client). It never
fails the git command: without a daemon, or for a repository the daemon does not know, it
exits 0 silently.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from bmad.daemon.client import DaemonUnavailable, RpcError, call

NOTIFY_TIMEOUT = 0.5  # seconds; the daemon answers notify without doing any work
EVENTS = {"post-commit": "commit", "post-merge": "merge", "post-checkout": "checkout"}


def work_tree() -> Path:
    """Git runs hooks at the top of the work tree, with GIT_DIR set for bare/linked layouts."""
    return Path(os.environ.get("GIT_WORK_TREE") or Path.cwd()).resolve()


def notify(hook: str, repository: Path) -> bool:
    """Poke the daemon; True when it queued the repository."""
    if os.environ.get("BMAD_SKIP") == "1":
        return False
    try:
        result = call(
            "notify",
            {"repository": str(repository), "event": EVENTS.get(hook, "changed")},
            timeout=NOTIFY_TIMEOUT,
        )
    except (DaemonUnavailable, RpcError, OSError, ValueError):
        return False
    return bool(isinstance(result, dict) and result.get("queued"))


def main(argv: list[str]) -> int:
    if argv:
        notify(argv[0], work_tree())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
