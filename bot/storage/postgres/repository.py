"""The PostgreSQL implementation of the storage ports in :mod:`bot.services.ports`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, time
from types import TracebackType
from typing import Self

import asyncpg

from bot.domain.dilemmas import (
    Dilemma,
    DilemmaStatus,
    QueuedDilemma,
)
from bot.domain.guilds import DEFAULT_ENDORSEMENT_EMOJI, GuildSettings
from bot.storage._dilemma_json import dump_dilemma, load_dilemma
from bot.storage.postgres._base import (
    PostgresBase,
    affected,
    lock_guild_queue,
    retry_disconnects,
)
from bot.storage.postgres._posts import PostsMixin
from bot.storage.postgres._privacy import PrivacyMixin
from bot.storage.postgres._strategies import StrategiesMixin
from bot.storage.postgres._summaries import SummariesMixin
from bot.storage.postgres.migrations import load_migrations, migrate

log = logging.getLogger(__name__)

_GUILD_COLUMNS = (
    "guild_id, locale, timezone, endorsement_emoji, channel_id, weekday, post_time, "
    "ping_role_id, paused, next_post_at, empty_queue_notified"
)


@retry_disconnects
class PostgresRepository(PostsMixin, StrategiesMixin, PrivacyMixin, SummariesMixin, PostgresBase):
    """Guild-scoped persistence in one PostgreSQL database, shared safely by many processes.

    Same public methods, semantics and returned domain objects as
    :class:`bot.storage.sqlite.SqliteRepository`. A method whose connection is lost (server
    restarted, backend terminated) runs again on a fresh connection for a few seconds
    (:func:`bot.storage.postgres._base.retrying`) before the error reaches the caller. Use as
    ``async with await PostgresRepository.open(dsn) as repository:``.
    """

    @classmethod
    async def open(cls, dsn: str, *, min_size: int = 1, max_size: int = 10) -> Self:
        """Connect a pool to ``dsn`` (``postgresql://user@host:port/db``) and migrate.

        Query parameters the driver does not know become server settings, so
        ``?search_path=myschema`` selects the schema the repository lives in.
        """
        pool = await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size)
        try:
            async with pool.acquire() as connection:
                version = await migrate(connection, load_migrations())
        except BaseException:
            await pool.close()
            raise
        log.info("Database ready on PostgreSQL (schema version %d)", version)
        return cls(pool)

    async def close(self) -> None:
        """Close every pooled connection (waiting for the ones in use to be released)."""
        await self._pool.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    # -- guild settings -------------------------------------------------------------------------

    async def guild_settings(self, guild_id: int) -> GuildSettings:
        """The guild's settings, or defaults when the guild never configured anything."""
        async with self._connection() as db:
            row = await db.fetchrow(
                f"SELECT {_GUILD_COLUMNS} FROM guild_settings WHERE guild_id = $1",  # noqa: S608
                guild_id,
            )
        return GuildSettings(guild_id=guild_id) if row is None else _settings_from_row(row)

    async def save_guild_settings(self, settings: GuildSettings) -> None:
        """Insert or update every field of the guild's settings."""
        async with self._connection() as db:
            await db.execute(
                f"""
                INSERT INTO guild_settings ({_GUILD_COLUMNS}, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                ON CONFLICT (guild_id) DO UPDATE SET
                    locale = excluded.locale,
                    timezone = excluded.timezone,
                    endorsement_emoji = excluded.endorsement_emoji,
                    channel_id = excluded.channel_id,
                    weekday = excluded.weekday,
                    post_time = excluded.post_time,
                    ping_role_id = excluded.ping_role_id,
                    paused = excluded.paused,
                    next_post_at = excluded.next_post_at,
                    empty_queue_notified = excluded.empty_queue_notified,
                    updated_at = excluded.updated_at
                """,  # noqa: S608
                settings.guild_id,
                settings.locale,
                settings.timezone,
                settings.endorsement_emoji or DEFAULT_ENDORSEMENT_EMOJI,
                settings.channel_id,
                settings.weekday,
                settings.post_time.strftime("%H:%M") if settings.post_time else None,
                settings.ping_role_id,
                settings.paused,
                settings.next_post_at,
                settings.empty_queue_notified,
                datetime.now(UTC),
            )

    async def scheduled_guilds(self) -> list[GuildSettings]:
        """Every guild with a running (not paused) schedule, soonest first."""
        async with self._connection() as db:
            rows = await db.fetch(
                f"SELECT {_GUILD_COLUMNS} FROM guild_settings "  # noqa: S608
                "WHERE next_post_at IS NOT NULL AND NOT paused AND left_at IS NULL "
                "ORDER BY next_post_at, guild_id"
            )
        return [_settings_from_row(row) for row in rows]

    async def advance_schedule(
        self, guild_id: int, expected: datetime, following: datetime
    ) -> bool:
        """Move ``next_post_at`` from ``expected`` to ``following``; ``False`` if it had moved
        (compare-and-set: of concurrent callers with the same ``expected``, one wins)."""
        async with self._connection() as db:
            status = await db.execute(
                "UPDATE guild_settings SET next_post_at = $1 "
                "WHERE guild_id = $2 AND next_post_at = $3",
                following,
                guild_id,
                expected,
            )
        return affected(status) > 0

    # -- dilemmas -------------------------------------------------------------------------------

    async def guild_dilemmas(self, guild_id: int) -> Sequence[Dilemma]:
        """The guild's own dilemmas in queue order."""
        return [entry.dilemma for entry in await self.queue(guild_id, statuses=None)]

    async def queue(
        self, guild_id: int, statuses: Sequence[DilemmaStatus] | None = (DilemmaStatus.QUEUED,)
    ) -> list[QueuedDilemma]:
        """The guild's dilemmas with the given statuses (``None``: all), in queue order."""
        wanted = [s.value for s in (statuses or DilemmaStatus)]
        async with self._connection() as db:
            rows = await db.fetch(
                "SELECT id, topic, content, status, position FROM dilemmas "
                "WHERE guild_id = $1 AND status = ANY($2::text[]) ORDER BY position, id",
                guild_id,
                wanted,
            )
        return [
            QueuedDilemma(
                row["id"],
                load_dilemma(row["topic"], row["content"]),
                DilemmaStatus(row["status"]),
                row["position"],
            )
            for row in rows
        ]

    async def add_dilemmas(self, guild_id: int, dilemmas: Sequence[Dilemma]) -> None:
        """Append dilemmas to the guild's queue, all or none; raises
        :class:`asyncpg.UniqueViolationError` on a duplicate topic."""
        async with self._transaction() as db:
            await lock_guild_queue(db, guild_id)
            position = await _last_position(db, guild_id)
            now = datetime.now(UTC)
            await db.executemany(
                "INSERT INTO dilemmas (guild_id, topic, position, content, created_at) "
                "VALUES ($1, $2, $3, $4, $5)",
                [
                    (guild_id, d.topic, position + i, dump_dilemma(d), now)
                    for i, d in enumerate(dilemmas, start=1)
                ],
            )

    async def topics(self, guild_id: int) -> set[str]:
        """Every topic the guild stores, whatever its status."""
        async with self._connection() as db:
            rows = await db.fetch("SELECT topic FROM dilemmas WHERE guild_id = $1", guild_id)
        return {row["topic"] for row in rows}

    async def remove_queued(self, guild_id: int, topic: str) -> bool:
        """Delete a dilemma that was never posted; ``False`` if there is no such queued topic."""
        async with self._connection() as db:
            status = await db.execute(
                "DELETE FROM dilemmas WHERE guild_id = $1 AND topic = $2 AND status = $3",
                guild_id,
                topic,
                DilemmaStatus.QUEUED.value,
            )
        return affected(status) > 0

    async def move_to_back(self, guild_id: int, topic: str) -> bool:
        """Move a queued dilemma to the end of the queue; ``False`` if it is not queued."""
        async with self._transaction() as db:
            await lock_guild_queue(db, guild_id)
            position = await _last_position(db, guild_id)
            status = await db.execute(
                "UPDATE dilemmas SET position = $1 "
                "WHERE guild_id = $2 AND topic = $3 AND status = $4",
                position + 1,
                guild_id,
                topic,
                DilemmaStatus.QUEUED.value,
            )
        return affected(status) > 0


async def _last_position(db: asyncpg.Connection, guild_id: int) -> int:
    value = await db.fetchval(
        "SELECT COALESCE(MAX(position), 0) FROM dilemmas WHERE guild_id = $1", guild_id
    )
    return int(value)


def _settings_from_row(row: asyncpg.Record) -> GuildSettings:
    post_time = time.fromisoformat(row["post_time"]) if row["post_time"] else None
    return GuildSettings(
        guild_id=row["guild_id"],
        locale=row["locale"],
        timezone=row["timezone"],
        endorsement_emoji=row["endorsement_emoji"],
        channel_id=row["channel_id"],
        weekday=row["weekday"],
        post_time=post_time,
        ping_role_id=row["ping_role_id"],
        paused=row["paused"],
        next_post_at=row["next_post_at"],
        empty_queue_notified=row["empty_queue_notified"],
    )
