"""bmad's persistence: SQLite stores, owner-only, in WAL mode, that know tables, not types.

:mod:`~bmad.store.connection` opens a store and runs each component's migrations; the
modules beside it hold the tables of the content-addressed metrics cache and the architecture
cache (encoded text), the mined history (plain rows) and the repository registry. Their typed
faces live in :mod:`bmad.scanning`. Components higher up keep their own tables on the same
connection (``scanning.stat_cache``, ``analysis.store``, ``privacy.db``,
``federation.server_store``).
"""
