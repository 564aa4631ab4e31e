"""The SQLite implementation of the storage ports in :mod:`bot.services.ports`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, time
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiosqlite

from bot.domain.dilemmas import (
    Dilemma,
    DilemmaStatus,
    QueuedDilemma,
)
from bot.domain.guilds import DEFAULT_ENDORSEMENT_EMOJI, GuildSettings
from bot.storage._dilemma_json import dump_dilemma, load_dilemma
from bot.storage.sqlite._base import SqliteBase, from_text, to_text
from bot.storage.sqlite._posts import PostsMixin
from bot.storage.sqlite._privacy import PrivacyMixin
from bot.storage.sqlite._strategies import StrategiesMixin
from bot.storage.sqlite._summaries import SummariesMixin
from bot.storage.sqlite.migrations import load_migrations, migrate

log = logging.getLogger(__name__)

_GUILD_COLUMNS = (
    "guild_id, locale, timezone, endorsement_emoji, channel_id, weekday, post_time, "
    "ping_role_id, paused, next_post_at, empty_queue_notified"
)


class SqliteRepository(PostsMixin, StrategiesMixin, PrivacyMixin, SummariesMixin, SqliteBase):
    """Guild-scoped persistence in one SQLite file.

    Use as ``async with await SqliteRepository.open(path) as repository:``.
    """

    @classmethod
    async def open(cls, path: Path) -> Self:
        """Open (creating directories and file), configure, and migrate the database at ``path``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so transactions are explicit.
        db = await aiosqlite.connect(path, isolation_level=None)
        try:
            await db.execute("PRAGMA journal_mode = WAL")
            await db.execute("PRAGMA foreign_keys = ON")
            await db.execute("PRAGMA busy_timeout = 5000")
            await db.execute("PRAGMA synchronous = NORMAL")
            version = await migrate(db, load_migrations())
        except BaseException:
            await db.close()
            raise
        log.info("Database ready at %s (schema version %d)", path, version)
        return cls(db)

    async def close(self) -> None:
        """Close the connection."""
        await self._db.close()

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
        async with (
            self._locked() as db,
            db.execute(
                f"SELECT {_GUILD_COLUMNS} FROM guild_settings WHERE guild_id = ?",  # noqa: S608
                (guild_id,),
            ) as cursor,
        ):
            row = await cursor.fetchone()
        return GuildSettings(guild_id=guild_id) if row is None else _settings_from_row(row)

    async def save_guild_settings(self, settings: GuildSettings) -> None:
        """Insert or update every field of the guild's settings."""
        async with self._locked() as db:
            await db.execute(
                f"""
                INSERT INTO guild_settings ({_GUILD_COLUMNS}, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
                (
                    settings.guild_id,
                    settings.locale,
                    settings.timezone,
                    settings.endorsement_emoji or DEFAULT_ENDORSEMENT_EMOJI,
                    settings.channel_id,
                    settings.weekday,
                    settings.post_time.strftime("%H:%M") if settings.post_time else None,
                    settings.ping_role_id,
                    int(settings.paused),
                    to_text(settings.next_post_at),
                    int(settings.empty_queue_notified),
                    to_text(datetime.now(UTC)),
                ),
            )

    async def scheduled_guilds(self) -> list[GuildSettings]:
        """Every guild with a running (not paused) schedule, soonest first."""
        async with (
            self._locked() as db,
            db.execute(
                f"SELECT {_GUILD_COLUMNS} FROM guild_settings "  # noqa: S608
                "WHERE next_post_at IS NOT NULL AND paused = 0 AND left_at IS NULL "
                "ORDER BY next_post_at"
            ) as cursor,
        ):
            rows = await cursor.fetchall()
        return [_settings_from_row(row) for row in rows]

    async def advance_schedule(
        self, guild_id: int, expected: datetime, following: datetime
    ) -> bool:
        """Move ``next_post_at`` from ``expected`` to ``following``; ``False`` if it had moved."""
        async with self._locked() as db:
            cursor = await db.execute(
                "UPDATE guild_settings SET next_post_at = ? "
                "WHERE guild_id = ? AND next_post_at = ?",
                (to_text(following), guild_id, to_text(expected)),
            )
            return cursor.rowcount > 0

    # -- dilemmas -------------------------------------------------------------------------------

    async def guild_dilemmas(self, guild_id: int) -> Sequence[Dilemma]:
        """The guild's own dilemmas in queue order."""
        return [entry.dilemma for entry in await self.queue(guild_id, statuses=None)]

    async def queue(
        self, guild_id: int, statuses: Sequence[DilemmaStatus] | None = (DilemmaStatus.QUEUED,)
    ) -> list[QueuedDilemma]:
        """The guild's dilemmas with the given statuses (``None``: all), in queue order."""
        wanted = [s.value for s in (statuses or DilemmaStatus)]
        marks = ", ".join("?" * len(wanted))
        async with (
            self._locked() as db,
            db.execute(
                "SELECT id, topic, content, status, position FROM dilemmas "  # noqa: S608
                f"WHERE guild_id = ? AND status IN ({marks}) ORDER BY position",
                (guild_id, *wanted),
            ) as cursor,
        ):
            rows = await cursor.fetchall()
        return [
            QueuedDilemma(row[0], load_dilemma(row[1], row[2]), DilemmaStatus(row[3]), row[4])
            for row in rows
        ]

    async def add_dilemmas(self, guild_id: int, dilemmas: Sequence[Dilemma]) -> None:
        """Append dilemmas to the guild's queue, all or none; raises on a duplicate topic."""
        async with self._transaction() as db:
            position = await _last_position(db, guild_id)
            now = to_text(datetime.now(UTC))
            await db.executemany(
                "INSERT INTO dilemmas (guild_id, topic, position, content, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    (guild_id, d.topic, position + i, dump_dilemma(d), now)
                    for i, d in enumerate(dilemmas, start=1)
                ],
            )

    async def topics(self, guild_id: int) -> set[str]:
        """Every topic the guild stores, whatever its status."""
        async with (
            self._locked() as db,
            db.execute("SELECT topic FROM dilemmas WHERE guild_id = ?", (guild_id,)) as cursor,
        ):
            return {row[0] for row in await cursor.fetchall()}

    async def remove_queued(self, guild_id: int, topic: str) -> bool:
        """Delete a dilemma that was never posted; ``False`` if there is no such queued topic."""
        async with self._locked() as db:
            cursor = await db.execute(
                "DELETE FROM dilemmas WHERE guild_id = ? AND topic = ? AND status = ?",
                (guild_id, topic, DilemmaStatus.QUEUED.value),
            )
            return cursor.rowcount > 0

    async def move_to_back(self, guild_id: int, topic: str) -> bool:
        """Move a queued dilemma to the end of the queue; ``False`` if it is not queued."""
        async with self._transaction() as db:
            position = await _last_position(db, guild_id)
            cursor = await db.execute(
                "UPDATE dilemmas SET position = ? WHERE guild_id = ? AND topic = ? AND status = ?",
                (position + 1, guild_id, topic, DilemmaStatus.QUEUED.value),
            )
            return cursor.rowcount > 0


async def _last_position(db: aiosqlite.Connection, guild_id: int) -> int:
    async with db.execute(
        "SELECT COALESCE(MAX(position), 0) FROM dilemmas WHERE guild_id = ?", (guild_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


def _settings_from_row(row: Sequence[Any]) -> GuildSettings:
    post_time = time.fromisoformat(row[6]) if row[6] else None
    return GuildSettings(
        guild_id=row[0],
        locale=row[1],
        timezone=row[2],
        endorsement_emoji=row[3],
        channel_id=row[4],
        weekday=row[5],
        post_time=post_time,
        ping_role_id=row[7],
        paused=bool(row[8]),
        next_post_at=from_text(row[9]),
        empty_queue_notified=bool(row[10]),
    )
