"""Run lizard (installed only in bench/_work/venv) over a list of files and time it.

Invoked with the bench venv's interpreter: file paths on stdin, one JSON document on stdout:
{"seconds": float, "functions": [[path, start_line, ccn, name], ...]}.
"""

import json
import sys
import time

import lizard


def main() -> None:
    paths = [line.rstrip("\n") for line in sys.stdin if line.strip()]
    functions = []
    started = time.perf_counter()
    for path in paths:
        info = lizard.analyze_file(path)
        functions.extend(
            [path, f.start_line, f.cyclomatic_complexity, f.name] for f in info.function_list
        )
    seconds = time.perf_counter() - started
    json.dump({"seconds": seconds, "functions": functions}, sys.stdout)


if __name__ == "__main__":
    main()
