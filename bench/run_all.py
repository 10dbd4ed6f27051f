"""`make bench`: every benchmark whose anchors this machine has, one after another."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SCRIPTS = ["startup.py", "scan.py", "agreement.py"]


def main() -> int:
    failures = 0
    for script in SCRIPTS:
        print(f"\n######## {script}", flush=True)
        failures += (
            subprocess.run([sys.executable, str(BENCH / script)], check=False).returncode != 0
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
