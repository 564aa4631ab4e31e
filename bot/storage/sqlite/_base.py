"""What every SQLite repository mixin shares: the connection and explicit transactions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import aiosqlite


def to_text(moment: datetime | None) -> str | None:
    """An aware datetime as a sortable UTC ISO string (what the schema stores)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_text(value: str | None) -> datetime | None:
    """The inverse of :func:`to_text`."""
    return None if value is None else datetime.fromisoformat(value)


class SqliteBase:
    """Holds the one connection, in autocommit mode (``isolation_level=None``).

    Contract for every repository method: run its statements inside :meth:`_locked` (reads and
    single writes) or :meth:`_transaction` (several writes). Coroutines share the connection, so
    without the lock one coroutine's statements could land inside another's open transaction.
    """

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def _locked(self) -> AsyncIterator[aiosqlite.Connection]:
        """Exclusive use of the connection, outside any transaction."""
        async with self._lock:
            yield self._db

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on any error): all or nothing, and
        serialized against other processes on the same file."""
        async with self._lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")
