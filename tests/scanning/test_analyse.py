from __future__ import annotations

import subprocess
import sys

from bmad.scanning.analyse import analyse_source, as_valid_utf8

# A KOI8-R literal in a UTF-8 file (from CPython's test_source_encoding.py). Without the
# guard, tree-sitter's query predicates crashed the interpreter on this tree.
KOI8_LITERAL = b'            "\xf0\xc9\xd4\xcf\xce".encode("utf-8"),'


def test_invalid_utf8_is_analysed_without_crashing_the_process() -> None:
    probe = (
        "import sys\n"
        "from bmad.scanning.analyse import analyse_source\n"
        "metrics = analyse_source(sys.stdin.buffer.read() + b'\\nimport os\\n', 'python')\n"
        "print([ref.target for ref in metrics.imports])\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], input=KOI8_LITERAL, capture_output=True, check=False
    )

    assert completed.returncode == 0, completed.stderr.decode()
    assert completed.stdout.decode().strip() == "['os']"


def test_valid_utf8_is_passed_through_untouched() -> None:
    source = "def café():\n    return 'ü'\n".encode()

    assert as_valid_utf8(source) is source
    assert as_valid_utf8(b"a\xffb") == "a\ufffdb".encode()
    assert [f.name for f in analyse_source(source, "python").functions] == ["café"]
