"""Service definitions that start the daemon at login: a systemd user unit or a launchd agent.

Neither sets a nice value: the daemon lowers itself by ``[daemon] nice`` (on Linux only its
mining and federation threads, so that editors and git hooks are answered at the user's
priority); a service-wide Nice would lower those answers too, and add to the daemon's own.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

LAUNCHD_LABEL = "dev.bmad.daemon"
SYSTEMD_UNIT = "bmad-daemon.service"
# Settings a service must inherit to find the same store and socket as the user's CLI.
FORWARDED_ENV = ("BMAD_HOME", "BMAD_DATA_DIR", "BMAD_CACHE_DIR", "BMAD_RUNTIME_DIR",
                 "BMAD_LOG_DIR", "BMAD_CONFIG")  # fmt: skip


@dataclass(frozen=True, slots=True)
class ServiceFile:
    path: Path
    text: str
    activate: str  # the command that enables it


def _forwarded(environ: Mapping[str, str]) -> dict[str, str]:
    return {name: environ[name] for name in FORWARDED_ENV if environ.get(name)}


def _systemd_quote(argument: str) -> str:
    return '"' + argument.replace("\\", "\\\\").replace('"', '\\"') + '"'


def systemd_unit(python: str, environ: Mapping[str, str], home: Path) -> ServiceFile:
    config_home = Path(environ.get("XDG_CONFIG_HOME") or home / ".config")
    lines = [
        "[Unit]",
        "Description=bmad daemon: keeps registered repositories analysed",
        "",
        "[Service]",
        "Type=simple",
        f"ExecStart={_systemd_quote(python)} -m bmad daemon start --foreground --no-stderr",
        "Restart=on-failure",
        "RestartSec=5",
    ]
    lines += [
        f"Environment={_systemd_quote(f'{name}={value}')}"
        for name, value in _forwarded(environ).items()
    ]
    lines += ["", "[Install]", "WantedBy=default.target", ""]
    return ServiceFile(
        config_home / "systemd" / "user" / SYSTEMD_UNIT,
        "\n".join(lines),
        f"systemctl --user daemon-reload && systemctl --user enable --now {SYSTEMD_UNIT}",
    )


def launchd_agent(python: str, environ: Mapping[str, str], home: Path) -> ServiceFile:
    arguments = [python, "-m", "bmad", "daemon", "start", "--foreground", "--no-stderr"]
    program = "".join(f"    <string>{escape(item)}</string>\n" for item in arguments)
    forwarded = _forwarded(environ)
    environment = ""
    if forwarded:
        pairs = "".join(
            f"    <key>{escape(name)}</key><string>{escape(value)}</string>\n"
            for name, value in forwarded.items()
        )
        environment = f"  <key>EnvironmentVariables</key>\n  <dict>\n{pairs}  </dict>\n"
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" '
        '"http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
        '<plist version="1.0">\n<dict>\n'
        f"  <key>Label</key><string>{LAUNCHD_LABEL}</string>\n"
        f"  <key>ProgramArguments</key>\n  <array>\n{program}  </array>\n"
        f"{environment}"
        "  <key>RunAtLoad</key><true/>\n"
        "  <key>KeepAlive</key><dict><key>SuccessfulExit</key><false/></dict>\n"
        "  <key>ProcessType</key><string>Background</string>\n"
        "</dict>\n</plist>\n"
    )
    path = home / "Library" / "LaunchAgents" / f"{LAUNCHD_LABEL}.plist"
    return ServiceFile(path, text, f"launchctl load -w {path}")


def service_file(platform: str | None = None) -> ServiceFile:
    """The definition for this machine (``platform`` as in ``sys.platform``)."""
    platform = platform or sys.platform
    home = Path(os.environ.get("HOME") or Path.home())
    if platform == "darwin":
        return launchd_agent(sys.executable, os.environ, home)
    return systemd_unit(sys.executable, os.environ, home)


def install(service: ServiceFile) -> None:
    service.path.parent.mkdir(parents=True, exist_ok=True)
    service.path.write_text(service.text, encoding="utf-8")
