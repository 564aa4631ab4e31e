"""Numbered SQL migrations for PostgreSQL (``migrations/NNNN_name.sql``), each applied atomically.

Applied versions are rows of ``schema_migrations`` in the connection's schema (the first one of
its ``search_path``). Each pending file runs as one script inside a transaction that first takes
the transaction-scoped advisory lock :data:`MIGRATION_LOCK`, then re-reads the applied versions:
two processes starting at once serialize, and the second finds nothing left to do. A failing
migration rolls back entirely, leaving the schema at the previous version.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
#: Key of the ``pg_advisory_xact_lock`` that serializes migrations across processes.
MIGRATION_LOCK = 0x1A7E_5C0E_0000_0001
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER     PRIMARY KEY,
    name       TEXT        NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""


@dataclass(frozen=True, slots=True)
class Migration:
    """One migration file: its version number, file name and SQL script."""

    version: int
    name: str
    script: str


def load_migrations(directory: Path = MIGRATIONS_DIR) -> tuple[Migration, ...]:
    """Read every migration in version order; versions must be 1, 2, 3... without gaps."""
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if match is None:
            raise ValueError(f"badly named migration {path.name}")
        migrations.append(Migration(int(match[1]), path.name, path.read_text(encoding="utf-8")))
    for expected, migration in enumerate(migrations, start=1):
        if migration.version != expected:
            raise ValueError(f"migration {migration.name} should be number {expected:04d}")
    return tuple(migrations)


async def migrate(connection: asyncpg.Connection, migrations: tuple[Migration, ...]) -> int:
    """Apply pending migrations, one transaction each; returns the resulting schema version."""
    for migration in migrations:
        async with connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
            await connection.execute(_CREATE_TABLE)
            applied = await connection.fetchval(
                "SELECT 1 FROM schema_migrations WHERE version = $1", migration.version
            )
            if applied:
                continue
            await connection.execute(migration.script)
            await connection.execute(
                "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                migration.version,
                migration.name,
            )
        log.info("Applied database migration %s", migration.name)
    return await schema_version(connection)


async def schema_version(connection: asyncpg.Connection) -> int:
    """The highest applied migration (0 for an empty schema)."""
    exists = await connection.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    if not exists:
        return 0
    return int(await connection.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"))
