"""The real aggregator service with one extra, bench-only learning type of 10,000 entries.

The round layout of a schema is twice its dimension (contribution + participation bits), so a
5,000-bin schema gives 10,000-entry vectors. The schema (and its unit of privacy) is added
before any federation module is imported, so governance levels and the API accept it; uvicorn's
worker processes are spawned, so they import this module again and register it too.
Usage: _bench_server.py DATABASE [WORKERS] (an SQLite path or a postgresql:// URL)
"""

from __future__ import annotations

import sys
from pathlib import Path

from bmad.privacy import schemas, units
from bmad.privacy.bounding import BinCap, Block, ContributionSchema

BENCH_TYPE = "bench_vectors"
schemas.SCHEMAS[BENCH_TYPE] = ContributionSchema(
    BENCH_TYPE, 1, (Block("x", tuple(str(i) for i in range(5_000)), BinCap(1)),)
)
schemas.LEARNING_TYPES = tuple(schemas.SCHEMAS)
units.UNIT_CAPS[BENCH_TYPE] = {"organisation": 1}  # one vector per organisation, like the others

from bmad.federation.service import serve  # noqa: E402  (after the schema is registered)

if __name__ == "__main__":
    database = sys.argv[1]
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    serve(database if "://" in database else Path(database), "127.0.0.1", 0, workers=workers)
