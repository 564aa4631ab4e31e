"""PostgreSQL only: races between processes (separate pools), migrations, purge coverage."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest

from bot.domain.guilds import GuildSettings
from bot.domain.strategies import member_key
from bot.services.ports import ClaimOutcome
from bot.storage import open_repository
from bot.storage.postgres import PostgresRepository
from bot.storage.postgres._privacy import PURGE_STATEMENTS
from bot.storage.postgres.migrations import load_migrations, migrate, schema_version
from tests.storage.contract.helpers import GUILD, SLOT, T0, dilemma, open_post, strategy

NEXT = SLOT + timedelta(days=7)


async def test_two_processes_racing_for_a_slot_yield_one_post(postgres_url: str) -> None:
    async with (
        await PostgresRepository.open(postgres_url) as first,
        await PostgresRepository.open(postgres_url) as second,
    ):
        await first.save_guild_settings(GuildSettings(GUILD, channel_id=10, next_post_at=SLOT))
        await first.add_dilemmas(GUILD, [dilemma("one"), dilemma("two")])
        claims = await asyncio.gather(
            *(
                repo.claim_post(
                    GUILD,
                    slot=SLOT,
                    nonce=f"n{i}",
                    channel_id=10,
                    expected_next=SLOT,
                    next_post_at=NEXT,
                )
                for i, repo in enumerate([first, second] * 10)
            )
        )
        outcomes = sorted(claim.outcome.value for claim in claims)
        assert outcomes == ["claimed"] + ["taken"] * 19
        assert [q.dilemma.topic for q in await second.queue(GUILD)] == ["two"]
        assert (await second.guild_settings(GUILD)).next_post_at == NEXT


async def test_racing_manual_claims_never_share_a_slot_or_a_dilemma(postgres_url: str) -> None:
    async with (
        await PostgresRepository.open(postgres_url) as first,
        await PostgresRepository.open(postgres_url) as second,
    ):
        await first.add_dilemmas(GUILD, [dilemma(f"t{i}") for i in range(6)])
        claims = await asyncio.gather(
            *(
                repo.claim_post(
                    GUILD,
                    slot=SLOT + timedelta(hours=i // 2),
                    nonce=f"n{i}",
                    channel_id=10,
                    expected_next=None,
                    next_post_at=None,
                )
                for i, repo in enumerate([first, second] * 4)
            )
        )
        won = [claim.post for claim in claims if claim.outcome is ClaimOutcome.CLAIMED]
        assert len(won) == 4  # one per slot
        assert len({post.slot for post in won if post}) == 4
        assert len({post.topic for post in won if post}) == 4
        assert len(await first.queue(GUILD)) == 2


async def test_concurrent_writers_keep_the_summaries_exact(postgres_url: str) -> None:
    async with (
        await PostgresRepository.open(postgres_url) as first,
        await PostgresRepository.open(postgres_url) as second,
    ):
        post = await open_post(first, "one", thread_id=501)
        themes = ("agreement", "consent")
        await asyncio.gather(
            *(
                repo.add_strategies(
                    [strategy(post, m, m % 5, themes=themes[: m % 3], quotes=[("consent", "x")])]
                )
                for m, repo in zip(range(1, 41), [first, second] * 20, strict=True)
            )
        )
        await asyncio.gather(
            *(
                repo.add_endorsement(GUILD, m, member_key(e), T0)
                for m in range(1, 41)
                for e, repo in zip(range(3), [first, second, first], strict=True)
            ),
            *(second.delete_strategies(GUILD, [m]) for m in range(1, 41, 4)),
        )
        snapshot = await second.topic_snapshot(GUILD, "one", "en", ["consent"], 2)
        kept = [m for m in range(1, 41) if m % 4 != 1]
        assert snapshot.strategies == len(kept)
        assert snapshot.members == len({m % 5 for m in kept})
        assert dict(snapshot.theme_members) == {
            "agreement": len({m % 5 for m in kept if m % 3}),
            "consent": len({m % 5 for m in kept if m % 3 == 2}),
        }
        assert all(c.endorsements == 3 for c in snapshot.candidates)


async def test_migrations_run_once_even_when_processes_start_together(postgres_url: str) -> None:
    repositories = await asyncio.gather(*(PostgresRepository.open(postgres_url) for _ in range(3)))
    for repository in repositories:
        await repository.close()
    connection = await asyncpg.connect(postgres_url)
    try:
        rows = await connection.fetch("SELECT version, name FROM schema_migrations ORDER BY 1")
        assert [(r["version"], r["name"]) for r in rows] == [
            (m.version, m.name) for m in load_migrations()
        ]
    finally:
        await connection.close()


async def test_a_failing_migration_leaves_the_previous_version(
    postgres_url: str, tmp_path: Path
) -> None:
    (tmp_path / "0001_first.sql").write_text("CREATE TABLE a (x INTEGER);\n")
    (tmp_path / "0002_broken.sql").write_text(
        "CREATE TABLE b (y INTEGER);\nINSERT INTO missing VALUES (1);\n"
    )
    connection = await asyncpg.connect(postgres_url)
    try:
        with pytest.raises(asyncpg.UndefinedTableError):
            await migrate(connection, load_migrations(tmp_path))
        assert await schema_version(connection) == 1
        assert await connection.fetchval("SELECT to_regclass('a') IS NOT NULL")
        assert not await connection.fetchval("SELECT to_regclass('b') IS NOT NULL")
    finally:
        await connection.close()


async def test_purge_covers_every_table_with_a_guild_id(postgres_url: str) -> None:
    async with await PostgresRepository.open(postgres_url):
        connection = await asyncpg.connect(postgres_url)
        try:
            tables = {
                row[0]
                for row in await connection.fetch(
                    "SELECT table_name FROM information_schema.columns "
                    "WHERE table_schema = current_schema() AND column_name = 'guild_id'"
                )
            }
        finally:
            await connection.close()
    assert tables <= {table for table, _ in PURGE_STATEMENTS}
    assert "strategies" in tables


async def test_open_repository_picks_the_backend_from_the_url(
    postgres_url: str, tmp_path: Path
) -> None:
    async with await open_repository(postgres_url) as repository:
        assert isinstance(repository, PostgresRepository)
    async with await open_repository(f"sqlite:///{tmp_path / 'x.db'}") as repository:
        assert not isinstance(repository, PostgresRepository)
    with pytest.raises(ValueError, match="postgresql://"):
        await open_repository("mysql://nope")
