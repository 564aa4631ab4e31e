"""What every PostgreSQL repository mixin shares: the pool, transactions, and row counts."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Literal, ParamSpec, TypeVar

import asyncpg

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")
C = TypeVar("C", bound=type)

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
        """A pooled connection, outside any transaction (dropped from the pool if it broke)."""
        async with self._pool.acquire() as connection, _discard_if_broken(connection):
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
            _discard_if_broken(connection),
            connection.transaction(isolation=isolation, readonly=readonly),
        ):
            yield connection


@asynccontextmanager
async def _discard_if_broken(connection: asyncpg.Connection) -> AsyncIterator[None]:
    """Terminate ``connection`` when it fails with a connection error, so that the pool opens a
    fresh one instead of handing out a socket the server closed (or one stuck mid-protocol)."""
    try:
        yield
    except Exception as error:
        if _disconnected(error):
            # A connection the server closed has already left the pool (its proxy is detached).
            with contextlib.suppress(asyncpg.InterfaceError):
                connection.terminate()
        raise


async def lock_guild_queue(connection: asyncpg.Connection, guild_id: int) -> None:
    """Serialize, until the current transaction ends, every change to the guild's dilemma queue
    and its posts across all processes (a transaction-scoped advisory lock per guild)."""
    await connection.execute(
        "SELECT pg_advisory_xact_lock(hashtext('intervision.queue'), hashtext($1::text))",
        str(guild_id),
    )


#: Errors that mean the connection, not the statement, failed: the server terminated the
#: backend (``pg_terminate_backend``, a restart: 57P01-57P03), the socket broke, or the server
#: refused new connections for a moment (class 08). The statement (or its transaction, which
#: the server rolled back) can be run again on a fresh pooled connection.
DISCONNECTED: tuple[type[BaseException], ...] = (
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
    OSError,  # ConnectionRefusedError / ConnectionResetError while the server restarts
)
#: Waits between attempts (about 6 s in all): a dropped connection heals at once, a restart
#: within a few seconds.
RETRY_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2)


def _disconnected(error: BaseException) -> bool:
    if isinstance(error, DISCONNECTED):
        return True
    if isinstance(error, asyncpg.exceptions.InternalClientError):
        return True  # a connection left mid-protocol by a terminated backend
    # e.g. "cannot call Transaction.__aexit__(): the underlying connection is closed"
    return isinstance(error, asyncpg.InterfaceError) and "connection is closed" in str(error)


def retrying(method: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Run ``method`` again (after :data:`RETRY_DELAYS`) when its connection was lost.

    Safe because every repository method is one autocommit statement or one transaction: a
    lost connection rolled it back. The one ambiguous case is a connection lost while
    ``COMMIT`` was in flight: writes keyed by message id or compare-and-set on a slot or a
    state change nothing twice, but a manual post claimed in that instant could be claimed
    again (two intents). Only connection errors are retried, never statement errors.
    """

    @functools.wraps(method)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        for delay in RETRY_DELAYS:
            try:
                return await method(*args, **kwargs)
            except Exception as error:
                if not _disconnected(error):
                    raise
                log.warning(
                    "PostgreSQL connection lost in %s (%s); retrying in %.2f s",
                    method.__name__,
                    type(error).__name__,
                    delay,
                )
            await asyncio.sleep(delay)
        return await method(*args, **kwargs)

    return run


def retry_disconnects(cls: C) -> C:
    """Class decorator: wrap every public coroutine method of ``cls`` (and of its bases) with
    :func:`retrying`, except opening and closing."""
    for name, member in inspect.getmembers(cls, inspect.iscoroutinefunction):
        if name.startswith("_") or name in ("open", "close"):
            continue
        wrapped: Any = retrying(member)
        setattr(cls, name, wrapped)
    return cls
