"""`bmad insights ...`: what bmad learned, locally and from the federation.

One module per subcommand (``insights_export``, ``insights_patterns``, ``insights_trends``),
added to the group here.
"""

from __future__ import annotations

import click


@click.group("insights")
def insights() -> None:
    """Insights from this machine's repositories and from the federation."""


def _register_subcommands() -> None:
    from bmad.cli.insights_export import export
    from bmad.cli.insights_patterns import patterns
    from bmad.cli.insights_trends import trends

    insights.add_command(export)
    insights.add_command(patterns)
    insights.add_command(trends)


_register_subcommands()
