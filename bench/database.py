"""The run's own database: never the one DATABASE_URL names, never the server's default.

PostgreSQL (DATABASE_URL set): the bench works in `<name>_bench` on the same server (e.g.
`assessment_bench` for `.../assessment`), dropped and created afresh; the statements run from the
server's maintenance database. SQLite: a file in the run's scratch directory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_DATABASES = {"postgres", "template0", "template1"}


@dataclass
class BenchDatabase:
    url: str
    vendor: str  # "postgresql" | "sqlite"
    name: str
    _admin_url: str | None = None

    def drop(self) -> None:
        if self.vendor == "postgresql":
            _pg_execute(self._admin_url, f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        else:
            Path(self.name).unlink(missing_ok=True)


def _pg_execute(admin_url: str | None, statement: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(statement)


def bench_database(database_url: str | None, *, workdir: Path, name: str | None = None) -> BenchDatabase:
    """Create the run's empty database and return it (its URL goes into the subprocesses' DATABASE_URL)."""
    if not database_url:
        path = workdir / "bench.sqlite3"
        path.unlink(missing_ok=True)
        return BenchDatabase(url=f"sqlite:///{path}", vendor="sqlite", name=str(path))

    parts = urlsplit(database_url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql", "postgis"}:
        raise SystemExit(f"make bench: DATABASE_URL must be PostgreSQL or unset (SQLite), not {parts.scheme}")
    configured = parts.path.lstrip("/") or "postgres"
    name = name or f"{configured}_bench"[:63]
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise SystemExit(
            f"make bench: cannot derive a safe database name from {configured!r}; pass --database"
        )
    if name in DEFAULT_DATABASES or name == configured:
        raise SystemExit(f"make bench: refusing to drop {name!r}; pass another --database")
    scheme = "postgresql"
    admin_url = urlunsplit((scheme, parts.netloc, "/postgres", parts.query, ""))
    _pg_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _pg_execute(admin_url, f'CREATE DATABASE "{name}"')
    url = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
    return BenchDatabase(url=url, vendor="postgresql", name=name, _admin_url=admin_url)
