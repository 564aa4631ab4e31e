"""The PostgreSQL repository survives lost connections: a terminated backend is retried on a
fresh connection; statement errors are not retried."""

from __future__ import annotations

import secrets

import asyncpg
import pytest

from bot.domain.guilds import GuildSettings
from bot.storage.postgres import PostgresRepository
from bot.storage.postgres._base import retrying

from .conftest import POSTGRES_URL

pytestmark = pytest.mark.asyncio


async def test_a_method_runs_again_after_its_connection_was_terminated(
    postgres_url: str,
) -> None:
    application = f"retry_{secrets.token_hex(4)}"
    async with await PostgresRepository.open(
        f"{postgres_url}&application_name={application}", min_size=2, max_size=2
    ) as repository:
        await repository.save_guild_settings(GuildSettings(guild_id=7, locale="de"))
        admin = await asyncpg.connect(POSTGRES_URL)
        try:
            killed = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = $1",
                application,
            )
        finally:
            await admin.close()
        assert killed >= 1
        assert (await repository.guild_settings(7)).locale == "de"
        await repository.save_guild_settings(GuildSettings(guild_id=8))
        assert (await repository.guild_settings(8)).guild_id == 8


async def test_only_connection_errors_are_retried() -> None:
    calls: list[int] = []

    async def flaky(fail: type[Exception]) -> int:
        calls.append(1)
        if len(calls) < 3:
            raise fail("boom")
        return len(calls)

    assert await retrying(flaky)(asyncpg.exceptions.ConnectionDoesNotExistError) == 3
    calls.clear()
    with pytest.raises(asyncpg.exceptions.UniqueViolationError):
        await retrying(flaky)(asyncpg.exceptions.UniqueViolationError)
    assert len(calls) == 1
