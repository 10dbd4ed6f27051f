"""Agreement with lizard: bmad's code extractor vs lizard on the same real source files.

Matches functions by (file, start line) and prints, per language, the matched count, the share
with equal CCN, and cold single-process throughput of both tools (files/s, MB/s) with the
ratio. Next to them, two floors: tree-sitter's ``Parser.parse`` alone on the same bytes
(already in memory), the best ratio any tree-sitter-based extractor could reach; and the parse
plus one query cursor walking the tree with a single pattern that matches nothing
(``(ERROR)``), the best any extractor that finds its nodes with a tree-sitter query could
reach. Times are CPU seconds of each process (steadier than wall time on a shared machine).
Usage: see bench/README.md ("Agreement with lizard").
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import sysconfig
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from _anchors import WORK, run_lizard

from bmad.extractors.code import extract
from bmad.extractors.languages import language_for_path, load_language, new_parser
from bmad.scanning.analyse import analyse_source

SKIP_DIRS = {".git", "node_modules", "vendor", "site-packages", "test_data", "testdata"}

LANGUAGES = ("python", "javascript", "go", "java", "c", "typescript", "cpp", "rust", "ruby")


def default_corpora() -> list[Path]:
    corpora = [Path(sysconfig.get_paths()["stdlib"])]
    source_root = WORK / "src"
    if source_root.is_dir():
        corpora.extend(sorted(path for path in source_root.iterdir() if path.is_dir()))
    return corpora


def discover(root: Path, languages: set[str]) -> list[tuple[Path, str]]:
    found = []
    for path in sorted(root.rglob("*")):
        if any(part in SKIP_DIRS for part in path.parts) or not path.is_file():
            continue
        language = language_for_path(path)
        if language in languages and path.stat().st_size <= 1 << 20:
            found.append((path, language))
    return found


def run_bmad(files: list[tuple[Path, str]]) -> tuple[float, dict[str, list[tuple[int, str, int]]]]:
    """CPU seconds of bmad's extractor over the files, and its functions per path."""
    result: dict[str, list[tuple[int, str, int]]] = {}
    started = time.process_time()
    for path, language in files:
        metrics = extract(path.read_bytes(), language)
        result[str(path)] = [(f.start_line, f.qualified_name, f.ccn) for f in metrics.functions]
    return time.process_time() - started, result


def run_scan_analysis(files: list[tuple[Path, str]]) -> float:
    """CPU seconds of a scan worker's per-file work (one parse, code metrics and imports) over
    the files' bytes, read beforehand."""
    sources = [(path.read_bytes(), language, path.suffix == ".h") for path, language in files]
    started = time.process_time()
    for source, language, is_header in sources:
        analyse_source(source, language, is_header)
    return time.process_time() - started


def run_parse_only(files: list[tuple[Path, str]]) -> float:
    """CPU seconds of tree-sitter's parse alone over the files' bytes, read beforehand."""
    sources = [(path.read_bytes(), language) for path, language in files]
    parsers = {language: new_parser(language) for language in {lang for _, lang in files}}
    started = time.process_time()
    for source, language in sources:
        parsers[language].parse(source)
    return time.process_time() - started


def run_parse_and_walk(files: list[tuple[Path, str]]) -> float:
    """CPU seconds of the parse plus one query cursor over every node of each tree (the pattern
    ``(ERROR)`` matches nothing in a file without syntax errors)."""
    from tree_sitter import Query, QueryCursor

    sources = [(path.read_bytes(), language) for path, language in files]
    languages = {language for _, language in files}
    parsers = {language: new_parser(language) for language in languages}
    queries = {language: Query(load_language(language), "(ERROR) @error") for language in languages}
    started = time.process_time()
    for source, language in sources:
        tree = parsers[language].parse(source)
        QueryCursor(queries[language]).captures(tree.root_node)
    return time.process_time() - started


@dataclass
class Timings:
    """Lowest CPU seconds seen per tool over the repeats."""

    extract: float = math.inf
    scan: float = math.inf
    parse: float = math.inf
    walk: float = math.inf
    lizard: float = math.inf


Functions = dict[str, list[tuple[int, str, int]]]


def time_tools(
    files: list[tuple[Path, str]], repeat: int
) -> tuple[Timings, Functions, dict[str, object]]:
    """Each tool over the same files, ``repeat`` times interleaved; and both tools' functions."""
    for path, language in files[:1]:  # grammars and queries load outside the timings
        analyse_source(path.read_bytes(), language, path.suffix == ".h")
    timings = Timings()
    ours: Functions = {}
    theirs: dict[str, object] = {}
    for _ in range(repeat):
        seconds, ours = run_bmad(files)
        timings.extract = min(timings.extract, seconds)
        timings.scan = min(timings.scan, run_scan_analysis(files))
        timings.parse = min(timings.parse, run_parse_only(files))
        timings.walk = min(timings.walk, run_parse_and_walk(files))
        lizard = run_lizard([path for path, _ in files])
        timings.lizard = min(timings.lizard, lizard.cpu_seconds)
        theirs = lizard.functions
    return timings, ours, theirs


def compare(
    files: list[tuple[Path, str]],
    ours: dict[str, list[tuple[int, str, int]]],
    theirs: dict[str, object],
    show: int,
) -> dict[str, Counter[str]]:
    stats: dict[str, Counter[str]] = defaultdict(Counter)
    for path, language in files:
        key = str(path)
        counts = stats[language]
        lizard_functions = theirs.get(key)
        if not isinstance(lizard_functions, list):
            counts["lizard_errors"] += 1
            continue
        by_line_ours = defaultdict(list)
        for line, name, ccn in ours[key]:
            by_line_ours[line].append((name, ccn))
        by_line_lizard = defaultdict(list)
        for line, name, ccn in lizard_functions:
            by_line_lizard[line].append((name, ccn))
        counts["bmad_functions"] += len(ours[key])
        counts["lizard_functions"] += len(lizard_functions)
        for line, entries in by_line_lizard.items():
            mine = by_line_ours.get(line)
            if not mine:
                continue
            if len(mine) != 1 or len(entries) != 1:
                counts["ambiguous"] += 1
                continue
            counts["matched"] += 1
            if mine[0][1] == entries[0][1]:
                counts["equal_ccn"] += 1
            elif counts["shown"] < show:
                counts["shown"] += 1
                print(
                    f"  differs {language} {key}:{line} bmad {mine[0][0]}={mine[0][1]}"
                    f" lizard {entries[0][0]}={entries[0][1]}",
                    file=sys.stderr,
                )
    return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "corpora", nargs="*", type=Path, help="folders (default: stdlib + _work/src/*)"
    )
    parser.add_argument("--lang", action="append", help="languages to include (repeatable)")
    parser.add_argument(
        "--show", type=int, default=0, help="print up to N CCN differences per language"
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="time every tool N times, interleaved, and keep each one's lowest CPU time",
    )
    args = parser.parse_args(argv)
    languages = set(args.lang or LANGUAGES)
    files = [
        item for root in (args.corpora or default_corpora()) for item in discover(root, languages)
    ]
    if not files:
        parser.error("no source files found")
    bmad_seconds_total = 0.0
    lizard_seconds_total = 0.0
    parse_seconds_total = 0.0
    walk_seconds_total = 0.0
    scan_seconds_total = 0.0
    by_language: dict[str, list[tuple[Path, str]]] = defaultdict(list)
    for item in files:
        by_language[item[1]].append(item)
    report = {}
    for language, group in sorted(by_language.items()):
        size = sum(path.stat().st_size for path, _ in group)
        timings, ours, theirs = time_tools(group, max(1, args.repeat))
        bmad_seconds, scan_seconds = timings.extract, timings.scan
        parse_seconds, lizard_seconds = timings.parse, timings.lizard
        bmad_seconds_total += bmad_seconds
        lizard_seconds_total += lizard_seconds
        parse_seconds_total += parse_seconds
        walk_seconds_total += timings.walk
        scan_seconds_total += scan_seconds
        counts = compare(group, ours, theirs, args.show)[language]
        matched = counts["matched"]
        report[language] = {
            "files": len(group),
            "megabytes": round(size / 1e6, 2),
            "bmad_functions": counts["bmad_functions"],
            "lizard_functions": counts["lizard_functions"],
            "matched": matched,
            "ambiguous": counts["ambiguous"],
            "equal_ccn_share": round(counts["equal_ccn"] / matched, 4) if matched else None,
            "bmad_files_per_s": round(len(group) / bmad_seconds, 1),
            "bmad_mb_per_s": round(size / 1e6 / bmad_seconds, 2),
            "lizard_files_per_s": round(len(group) / lizard_seconds, 1),
            "lizard_mb_per_s": round(size / 1e6 / lizard_seconds, 2),
            "speed_ratio": round(lizard_seconds / bmad_seconds, 2),
            "bmad_seconds": round(bmad_seconds, 3),
            "scan_analysis_seconds": round(scan_seconds, 3),
            "parse_only_seconds": round(parse_seconds, 3),
            "parse_and_walk_seconds": round(timings.walk, 3),
            "lizard_seconds": round(lizard_seconds, 3),
            "scan_analysis_ratio": round(lizard_seconds / scan_seconds, 2),
            "parse_only_ratio": round(lizard_seconds / parse_seconds, 2),
            "parse_and_walk_ratio": round(lizard_seconds / timings.walk, 2),
        }
    report["total"] = {
        "files": len(files),
        "bmad_seconds": round(bmad_seconds_total, 2),
        "scan_analysis_seconds": round(scan_seconds_total, 2),
        "parse_only_seconds": round(parse_seconds_total, 2),
        "parse_and_walk_seconds": round(walk_seconds_total, 2),
        "lizard_seconds": round(lizard_seconds_total, 2),
        "speed_ratio": round(lizard_seconds_total / bmad_seconds_total, 2),
        "scan_analysis_ratio": round(lizard_seconds_total / scan_seconds_total, 2),
        "parse_only_ratio": round(lizard_seconds_total / parse_seconds_total, 2),
        "parse_and_walk_ratio": round(lizard_seconds_total / walk_seconds_total, 2),
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    header = (
        f"{'language':<11}{'files':>6}{'MB':>7}{'matched':>9}{'eq CCN':>8}"
        f"{'bmad f/s':>10}{'MB/s':>7}{'lizard f/s':>11}{'MB/s':>7}{'ratio':>7}"
        f"{'extract s':>10}{'scan s':>8}{'parse s':>8}{'+walk s':>8}{'lizard s':>9}"
        f"{'scan x':>7}{'floor x':>8}{'walk x':>7}"
    )
    print(header)
    for language, row in report.items():
        if language == "total":
            continue
        share = row["equal_ccn_share"]
        print(
            f"{language:<11}{row['files']:>6}{row['megabytes']:>7}{row['matched']:>9}"
            f"{(f'{share:.1%}' if share is not None else '-'):>8}"
            f"{row['bmad_files_per_s']:>10}{row['bmad_mb_per_s']:>7}"
            f"{row['lizard_files_per_s']:>11}{row['lizard_mb_per_s']:>7}{row['speed_ratio']:>7}"
            f"{row['bmad_seconds']:>10.2f}{row['scan_analysis_seconds']:>8.2f}"
            f"{row['parse_only_seconds']:>8.2f}{row['parse_and_walk_seconds']:>8.2f}"
            f"{row['lizard_seconds']:>9.2f}"
            f"{row['scan_analysis_ratio']:>7}{row['parse_only_ratio']:>8}"
            f"{row['parse_and_walk_ratio']:>7}"
        )
    total = report["total"]
    print(
        f"total: {total['files']} files, CPU s: bmad extract {total['bmad_seconds']}, "
        f"scan analysis {total['scan_analysis_seconds']}, parse only "
        f"{total['parse_only_seconds']}, lizard {total['lizard_seconds']}; lizard / extract "
        f"{total['speed_ratio']}x, lizard / scan analysis {total['scan_analysis_ratio']}x, "
        f"floor (lizard / parse only) {total['parse_only_ratio']}x, query floor (lizard / "
        f"parse and one query walk) {total['parse_and_walk_ratio']}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
