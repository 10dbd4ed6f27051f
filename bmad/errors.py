"""The single error type of bmad and its exit codes."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


class BmadError(Exception):
    """A failure the user can act on; the CLI prints the message and exits with ``exit_code``.

    Messages must never contain secrets (keys, tokens) or file contents.
    """

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message
