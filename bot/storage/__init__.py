"""Persistence adapters. The only package that imports a database driver.

:func:`open_repository` picks the backend from ``DATABASE_URL``: SQLite (the default, one
process) or PostgreSQL (several processes over one database). asyncpg is imported only when a
PostgreSQL URL asks for it.
"""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from bot.services.ports import Repository
from bot.settings import database_backend, database_path


class OpenRepository(Repository, Protocol):
    """A repository that owns its connections: close it (or use it as a context manager)."""

    async def close(self) -> None:
        """Release every connection."""
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...


async def open_repository(url: str) -> OpenRepository:
    """Open, migrate and return the repository ``url`` selects (``sqlite:///...`` or
    ``postgresql://...``). The caller closes it: ``async with await open_repository(url) as r``.

    Raises ``ValueError`` for a URL of no supported backend.
    """
    if database_backend(url) == "postgresql":
        from bot.storage.postgres import PostgresRepository  # noqa: PLC0415

        return await PostgresRepository.open(url)
    from bot.storage.sqlite import SqliteRepository  # noqa: PLC0415

    return await SqliteRepository.open(database_path(url))
