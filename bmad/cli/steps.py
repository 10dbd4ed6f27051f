"""Long steps of the commands, shown on a terminal while they run.

A step (mining, detection) gets a transient spinner with its elapsed time once it has taken
about a second; a federated round gets a live line with its phase, the organisations taking
part and the time left. On a pipe, or with ``--json``, nothing of this is shown.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bmad.cli._common import counted

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from bmad.analysis.detect import DetectionReport
    from bmad.analysis.inputs import AnalysisInput
    from bmad.analysis.reference import ReferenceSource

SHOW_AFTER_SECONDS = 1.0
DEFAULT_COLUMNS = 80


def on_terminal(as_json: bool) -> bool:
    """Whether progress is shown: stderr is a terminal and stdout is not machine output."""
    return not as_json and sys.stderr.isatty()


def stderr_console() -> Console:
    """A console on the terminal behind stderr, as wide as that terminal (COLUMNS may have
    been widened for a piped stdout: ``cli.main.unwrap_when_piped``)."""
    import os

    from rich.console import Console

    try:
        columns = os.get_terminal_size(sys.stderr.fileno()).columns
    except OSError:
        columns = 0
    return Console(stderr=True, width=columns or DEFAULT_COLUMNS)  # 0: a terminal of no size


@contextmanager
def step(description: str, shown: bool) -> Iterator[None]:
    """A spinner with ``description`` and the elapsed time, from about a second into the step."""
    if not shown:
        yield
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=stderr_console(),
        transient=True,
    )
    progress.add_task(description, total=None)
    timer = threading.Timer(SHOW_AFTER_SECONDS, progress.start)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        if timer.is_alive():
            timer.join()  # a start already under way finishes before the stop
        progress.stop()


def analyse_in_steps(
    repo: Path, shown: bool, reference_source: ReferenceSource | None = None
) -> tuple[AnalysisInput, DetectionReport, Path]:
    """``analysis.store.analyse_repository`` with its two long steps shown."""
    from bmad import config
    from bmad.analysis.adapters import gather
    from bmad.analysis.detect import detect
    from bmad.analysis.settings import analysis_settings

    settings = config.load(repo if repo.is_dir() else None)
    analysis = analysis_settings(settings.section("rules"), settings.section("analysis"))
    with step(f"mining {repo}: code, history and imports", shown):
        analysis_input, root = gather(repo, settings)
    functions = len(analysis_input.functions)
    with step(f"detecting anti-patterns among {counted(functions, 'function')}", shown):
        report = detect(analysis_input, analysis, reference_source)
    return analysis_input, report, root


def round_line(state: Mapping[str, Any]) -> str:
    """The round's state, phase and organisations, e.g. 'running masking (enrolled 4)'."""
    counts = ", ".join(f"{k} {v}" for k, v in state["organisations"].items())
    where = " ".join(part for part in (state["state"], state["phase"]) if part)
    return f"round {state['id'][:8]}: {where} ({counts or 'no organisation yet'})"


def _seconds(seconds: float) -> str:
    minutes, rest = divmod(max(0, round(seconds)), 60)
    return f"{minutes}:{rest:02d}" if minutes else f"{rest} s"


class RoundDisplay:
    """The live line under a followed round: phase, organisations, countdowns.

    The aggregator closes enrolment ``enrol_timeout`` seconds after the round opens and each
    phase ``phase_timeout`` seconds after it starts; the time left is counted from when this
    machine saw the change, so it is at most a poll late.
    """

    def __init__(self, timeout: float) -> None:
        self.gives_up_at = time.monotonic() + timeout
        self.state: Mapping[str, Any] | None = None
        self.phase_ends_at: float | None = None

    def update(self, state: Mapping[str, Any]) -> None:
        previous = self.state
        self.state = state
        if previous is None or (previous["state"], previous["phase"]) != (
            state["state"],
            state["phase"],
        ):
            parameters = state.get("parameters") or {}
            key = "enrol_timeout" if state["state"] == "enrolling" else "phase_timeout"
            limit = parameters.get(key)
            self.phase_ends_at = None if limit is None else time.monotonic() + float(limit)

    def __rich__(self) -> Text:
        from rich.text import Text

        now = time.monotonic()
        if self.state is None:
            return Text(
                f"asking for the round's state · gives up in {_seconds(self.gives_up_at - now)}"
            )
        organisations = sum(self.state["organisations"].values())
        phase = self.state["phase"] or self.state["state"]
        parts = [f"{phase}", f"{organisations} organisation{'s' if organisations != 1 else ''}"]
        if self.phase_ends_at is not None:
            what = "enrolment closes" if self.state["state"] == "enrolling" else "phase ends"
            parts.append(f"{what} in {_seconds(self.phase_ends_at - now)}")
        parts.append(f"gives up in {_seconds(self.gives_up_at - now)}")
        return Text(" · ".join(parts))


@contextmanager
def round_display(timeout: float, shown: bool) -> Iterator[RoundDisplay | None]:
    """A live :class:`RoundDisplay` on stderr while the round is followed (None if not shown)."""
    if not shown:
        yield None
        return
    from rich.live import Live

    display = RoundDisplay(timeout)
    with Live(display, console=stderr_console(), refresh_per_second=2, transient=True):
        yield display
