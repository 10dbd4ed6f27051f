"""Install and uninstall bmad's git hooks, chaining whatever hook was there before.

A foreign hook ``<name>`` is renamed to ``<name>.bmad-chained`` (a rename keeps its bytes,
mode and timestamps) and bmad's script runs it first with the same arguments and stdin; its
exit code propagates. bmad's scripts carry :data:`MARKER`, so installing again only rewrites
them, and uninstalling removes them and renames the chained hook back.
"""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from bmad.errors import BmadError

MARKER = "# bmad-managed-hook"
CHAINED_SUFFIX = ".bmad-chained"
HOOK_NAMES: tuple[str, ...] = ("pre-commit", "post-commit", "post-merge", "post-checkout")
SCRIPT_MODE = 0o755

_PRELUDE = """#!/bin/sh
{marker} {name}: written by `bmad hooks install`; `bmad hooks uninstall` restores what was here.
BMAD_PYTHON={python}
hook_dir=$(dirname -- "$0")
chained="$hook_dir/{name}{suffix}"
"""

# pre-commit: the foreign hook first; its failure blocks the commit before bmad runs.
_PRE_COMMIT = """if [ -x "$chained" ]; then
    "$chained" "$@" || exit $?
fi
[ "${{BMAD_SKIP:-}}" = "1" ] && exit 0
if [ ! -x "$BMAD_PYTHON" ]; then
    echo "bmad: the Python that installed this hook ($BMAD_PYTHON) is gone;" \\
        "run 'bmad hooks install' again or 'bmad hooks uninstall'" >&2
    exit {missing_python_status}
fi
exec "$BMAD_PYTHON" -m bmad hook pre-commit{strict}
"""

# post-*: the foreign hook's status is kept; the notification runs detached so git never waits.
_NOTIFY = """status=0
if [ -x "$chained" ]; then
    "$chained" "$@"
    status=$?
fi
if [ "${{BMAD_SKIP:-}}" != "1" ] && [ -x "$BMAD_PYTHON" ]; then
    "$BMAD_PYTHON" -m bmad.daemon.notify {name} "$@" </dev/null >/dev/null 2>&1 &
fi
exit $status
"""


@dataclass(frozen=True, slots=True)
class HookChange:
    name: str
    action: str  # installed | updated | chained | removed | restored | absent | foreign-kept
    path: str

    def to_dict(self) -> dict[str, str]:
        return {"hook": self.name, "action": self.action, "path": self.path}


def render_script(name: str, python: str, strict: bool) -> str:
    prelude = _PRELUDE.format(
        marker=MARKER, name=name, python=shlex.quote(python), suffix=CHAINED_SUFFIX
    )
    if name == "pre-commit":
        body = _PRE_COMMIT.format(
            strict=" --strict" if strict else "", missing_python_status=1 if strict else 0
        )
    else:
        body = _NOTIFY.format(name=name)
    return prelude + body


def is_bmad_hook(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(512)
    except OSError:
        return False
    return MARKER.encode() in head


def _exists(path: Path) -> bool:
    return path.is_symlink() or path.exists()


def _write_script(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.bmad-tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        temporary.chmod(SCRIPT_MODE)
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise BmadError(f"cannot write the hook {path}: {exc.strerror}") from exc


def install_hook(directory: Path, name: str, python: str, strict: bool) -> HookChange:
    hook = directory / name
    chained = directory / f"{name}{CHAINED_SUFFIX}"
    script = render_script(name, python, strict)
    if _exists(hook) and not is_bmad_hook(hook):
        if _exists(chained):
            raise BmadError(
                f"{hook} is not bmad's and {chained.name} already exists: "
                "move one of them aside, then install again"
            )
        try:
            os.rename(hook, chained)
        except OSError as exc:
            raise BmadError(f"cannot move {hook} aside: {exc.strerror}") from exc
        _write_script(hook, script)
        return HookChange(name, "chained", str(hook))
    action = "updated" if _exists(hook) else "installed"
    _write_script(hook, script)
    return HookChange(name, action, str(hook))


def uninstall_hook(directory: Path, name: str) -> HookChange:
    hook = directory / name
    chained = directory / f"{name}{CHAINED_SUFFIX}"
    if _exists(hook) and not is_bmad_hook(hook):
        return HookChange(name, "foreign-kept", str(hook))
    removed = _exists(hook)
    if removed:
        hook.unlink()
    if _exists(chained):
        os.rename(chained, hook)
        return HookChange(name, "restored", str(hook))
    return HookChange(name, "removed" if removed else "absent", str(hook))


@dataclass(frozen=True, slots=True)
class HookState:
    name: str
    state: str  # absent | foreign | current | outdated | python-missing
    path: str
    python: str | None  # the interpreter a bmad hook runs
    strict: bool | None  # a bmad pre-commit hook's mode
    chained: bool  # a foreign hook runs first

    def to_dict(self) -> dict[str, str | bool | None]:
        return {
            "hook": self.name,
            "state": self.state,
            "path": self.path,
            "python": self.python,
            "strict": self.strict,
            "chained": self.chained,
        }


def _recorded_python(text: str) -> str | None:
    for line in text.splitlines():
        if line.startswith("BMAD_PYTHON="):
            words = shlex.split(line.removeprefix("BMAD_PYTHON="))
            return words[0] if len(words) == 1 else None
    return None


def hook_state(directory: Path, name: str) -> HookState:
    """What ``name`` is in ``directory``: a bmad hook is ``outdated`` when its text is not what
    this bmad writes for the same interpreter and mode (written by an older bmad, or edited)."""
    hook = directory / name
    chained = _exists(directory / f"{name}{CHAINED_SUFFIX}")
    if not _exists(hook):
        return HookState(name, "absent", str(hook), None, None, chained)
    if not is_bmad_hook(hook):
        return HookState(name, "foreign", str(hook), None, None, chained)
    try:
        text = hook.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return HookState(name, "outdated", str(hook), None, None, chained)
    python = _recorded_python(text)
    strict = " --strict" in text if name == "pre-commit" else None
    if python is None or text != render_script(name, python, bool(strict)):
        state = "outdated"
    elif not os.access(python, os.X_OK):
        state = "python-missing"
    else:
        state = "current"
    return HookState(name, state, str(hook), python, strict, chained)


def status(directory: Path) -> list[HookState]:
    return [hook_state(directory, name) for name in HOOK_NAMES]


def install(directory: Path, strict: bool, python: str | None = None) -> list[HookChange]:
    """Install every bmad hook into ``directory`` (git's hooks directory)."""
    interpreter = python or sys.executable
    if not interpreter or not Path(interpreter).is_absolute():
        raise BmadError("cannot tell which Python runs bmad (sys.executable is not absolute)")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BmadError(f"cannot create the hooks directory {directory}: {exc.strerror}") from exc
    return [install_hook(directory, name, interpreter, strict) for name in HOOK_NAMES]


def uninstall(directory: Path) -> list[HookChange]:
    if not directory.is_dir():
        return [HookChange(name, "absent", str(directory / name)) for name in HOOK_NAMES]
    try:
        return [uninstall_hook(directory, name) for name in HOOK_NAMES]
    except OSError as exc:
        raise BmadError(f"cannot restore the hooks in {directory}: {exc.strerror}") from exc
