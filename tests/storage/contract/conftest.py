"""The ``store`` fixture: every contract test runs once per storage backend.

``sqlite``: a fresh file in the test's directory. ``postgres``: a fresh schema ``t_<random>`` in
the database ``test`` of the server on 127.0.0.1:5432 (user ``postgres``, trust auth), selected
with ``search_path`` and dropped afterwards; skipped when the server does not answer within 2 s.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiosqlite
import asyncpg
import pytest
import pytest_asyncio

from bot.storage import OpenRepository
from bot.storage.postgres import PostgresRepository
from bot.storage.sqlite import SqliteRepository

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
SKIP_REASON = "PostgreSQL not reachable at 127.0.0.1:5432"
_CONNECT_TIMEOUT = 2.0

_reachable: bool | None = None


async def postgres_reachable() -> bool:
    """Whether the test server answers (checked once per session)."""
    global _reachable  # noqa: PLW0603
    if _reachable is None:
        try:
            connection = await asyncpg.connect(POSTGRES_URL, timeout=_CONNECT_TIMEOUT)
        except (OSError, TimeoutError, asyncpg.PostgresError):
            _reachable = False
        else:
            await connection.close()
            _reachable = True
    return _reachable


@dataclass
class Backend:
    """One backend under test: its repository, and how to open a second one on the same data
    (another process, as far as the database can tell)."""

    name: str
    store: OpenRepository
    integrity_error: type[Exception]
    open_another: Callable[[], Awaitable[OpenRepository]]
    url: str


@asynccontextmanager
async def fresh_schema() -> AsyncIterator[str]:
    """A fresh, empty schema, dropped on exit; yields the URL that selects it. Skips the test
    when no server answers."""
    if not await postgres_reachable():
        pytest.skip(SKIP_REASON)
    schema = f"t_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(POSTGRES_URL, timeout=_CONNECT_TIMEOUT)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        yield f"{POSTGRES_URL}?search_path={schema}"
    finally:
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await admin.close()


@pytest_asyncio.fixture
async def postgres_url() -> AsyncIterator[str]:
    """The URL of a fresh schema (PostgreSQL-only tests)."""
    async with fresh_schema() as url:
        yield url


@pytest_asyncio.fixture(params=["sqlite", "postgres"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    """A freshly migrated repository of each backend."""
    async with AsyncExitStack() as stack:
        yield await _open_backend(request.param, tmp_path, stack)


async def _open_backend(name: str, tmp_path: Path, stack: AsyncExitStack) -> Backend:
    """Open the backend's first repository; everything opened is closed by ``stack``."""
    if name == "sqlite":
        path = tmp_path / "contract.db"

        async def open_sqlite() -> OpenRepository:
            repository = await SqliteRepository.open(path)
            stack.push_async_callback(repository.close)
            return repository

        store = await open_sqlite()
        result = Backend(
            "sqlite", store, aiosqlite.IntegrityError, open_sqlite, f"sqlite:///{path}"
        )
    else:
        url = await stack.enter_async_context(fresh_schema())

        async def open_postgres() -> OpenRepository:
            repository = await PostgresRepository.open(url)
            stack.push_async_callback(repository.close)
            return repository

        store = await open_postgres()
        result = Backend("postgres", store, asyncpg.UniqueViolationError, open_postgres, url)
    return result


@pytest.fixture
def store(backend: Backend) -> OpenRepository:
    """The repository under test (one per backend)."""
    return backend.store
