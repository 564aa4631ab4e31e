"""What every PostgreSQL repository mixin shares: the pool, transactions, and row counts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

import asyncpg

Isolation = Literal["read_committed", "repeatable_read", "serializable"]


def affected(status: str) -> int:
    """The row count of a command status such as ``DELETE 3`` or ``INSERT 0 1``."""
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


class PostgresBase:
    """Holds the connection pool.

    Contract for every repository method: run its statements on a connection from
    :meth:`_connection` (one statement, autocommit) or inside :meth:`_transaction` (several
    statements: all or nothing). Connections are never shared between coroutines, so unlike the
    SQLite backend no in-process lock is needed; cross-process races are settled by row locks,
    unique constraints and compare-and-set updates in the database itself.
    """

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection, outside any transaction."""
        async with self._pool.acquire() as connection:
            yield connection

    @asynccontextmanager
    async def _transaction(
        self, isolation: Isolation = "read_committed", *, readonly: bool = False
    ) -> AsyncIterator[asyncpg.Connection]:
        """``BEGIN`` ... ``COMMIT`` on a pooled connection (``ROLLBACK`` on any error).

        Reads that must agree with each other use ``repeatable_read`` (one snapshot).
        """
        async with (
            self._pool.acquire() as connection,
            connection.transaction(isolation=isolation, readonly=readonly),
        ):
            yield connection


async def lock_guild_queue(connection: asyncpg.Connection, guild_id: int) -> None:
    """Serialize, until the current transaction ends, every change to the guild's dilemma queue
    and its posts across all processes (a transaction-scoped advisory lock per guild)."""
    await connection.execute(
        "SELECT pg_advisory_xact_lock(hashtext('intervision.queue'), hashtext($1::text))",
        str(guild_id),
    )
