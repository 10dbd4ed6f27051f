"""The language server (`bmad lsp`): findings, metrics and percentiles inside the editor.

Only :mod:`bmad.lsp.server` imports pygls and lsprotocol; the other modules are plain
Python over bmad's own data, so they are tested and reused without a client.
"""
