"""An open technology file (a manifest, CI or tool configuration) in the editor: its stored
decision findings (``abandoned-dependency``), each on the line of the buffer that names its
technology now, so that re-adding a dropped dependency is flagged where it is typed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from bmad.analysis.buffer import BufferReport
from bmad.analysis.findings import Finding
from bmad.analysis.suppression import is_suppressed
from bmad.extractors.metrics import FileMetrics
from bmad.extractors.technology_trends import ABANDONMENT_RULE, naming_line

TECHNOLOGY_FILE = "technology-file"  # the report's language: no functions, no parser


def technology_file_report(text: str, path: str, stored: Iterable[Finding]) -> BufferReport:
    """The buffer's report: the stored abandoned-dependency findings of ``path`` moved to the
    lines naming their technologies in ``text``, less those a comment suppresses."""
    lines = text.splitlines()
    placed = []
    for found in stored:
        if found.rule_id != ABANDONMENT_RULE:
            continue
        technology = found.evidence.get("technology")
        line = naming_line(text, technology) if isinstance(technology, str) else found.start_line
        placed.append(replace(found, start_line=line, end_line=line))
    kept = tuple(finding for finding in placed if not is_suppressed(finding, lines))
    blank = sum(1 for line in lines if not line.strip())
    metrics = FileMetrics(TECHNOLOGY_FILE, len(lines), len(lines) - blank, 0, blank, False)
    return BufferReport(path, TECHNOLOGY_FILE, metrics, (), kept, len(placed) - len(kept))
