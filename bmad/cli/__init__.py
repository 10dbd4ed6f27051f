"""The ``bmad`` command line: one module per command group, imported only when invoked."""
