"""bmad's persistence: one SQLite store per kind of state, owner-only, in WAL mode.

:mod:`~bmad.store.connection` opens a store and runs each component's migrations; the
modules beside it hold the tables of what the extractors produce and the daemon mines:
the content-addressed metrics cache, the architecture cache, the mined history and the
repository registry. Components higher up keep their own tables on the same connection
(``scanning.stat_cache``, ``analysis.store``, ``privacy.db``, ``federation.server_store``).
"""
