"""Numbered SQL migrations (``migrations/NNNN_name.sql``), each applied atomically.

The schema version is SQLite's ``user_version``. Each pending file runs statement by statement
inside one ``BEGIN IMMEDIATE`` transaction together with the version bump, so a failure leaves
the database exactly at the previous version, and two processes starting at once serialize on the
write lock (the second re-reads the version and finds nothing to do).
"""

from __future__ import annotations

import logging
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    """One migration file: its version number and SQL statements."""

    version: int
    name: str
    statements: tuple[str, ...]


def load_migrations(directory: Path = MIGRATIONS_DIR) -> tuple[Migration, ...]:
    """Read every migration in version order; versions must be 1, 2, 3... without gaps."""
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if match is None:
            raise ValueError(f"badly named migration {path.name}")
        migrations.append(Migration(int(match[1]), path.name, split_statements(path.read_text())))
    for expected, migration in enumerate(migrations, start=1):
        if migration.version != expected:
            raise ValueError(f"migration {migration.name} should be number {expected:04d}")
    return tuple(migrations)


def split_statements(script: str) -> tuple[str, ...]:
    """Split a SQL script into complete statements (comments and blank lines dropped)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines():
        if not buffer and (not line.strip() or line.lstrip().startswith("--")):
            continue
        buffer += line + "\n"
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        raise ValueError(f"incomplete SQL statement: {buffer.strip()[:60]}")
    return tuple(statements)


async def migrate(db: aiosqlite.Connection, migrations: tuple[Migration, ...]) -> int:
    """Apply pending migrations; returns the resulting schema version."""
    for migration in migrations:
        await db.execute("BEGIN IMMEDIATE")
        try:
            async with db.execute("PRAGMA user_version") as cursor:
                row = await cursor.fetchone()
            current = int(row[0]) if row else 0
            if current >= migration.version:
                await db.execute("ROLLBACK")
                continue
            for statement in migration.statements:
                await db.execute(statement)
            await db.execute(f"PRAGMA user_version = {migration.version:d}")
            await db.execute("COMMIT")
        except BaseException:
            await db.execute("ROLLBACK")
            raise
        log.info("Applied database migration %s", migration.name)
    async with db.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0
