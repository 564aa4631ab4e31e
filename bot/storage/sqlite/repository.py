"""The SQLite implementation of :class:`bot.services.ports.Repository`."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiosqlite

from bot.domain.dilemmas import Dilemma, DilemmaText
from bot.domain.guilds import DEFAULT_ENDORSEMENT_EMOJI, GuildSettings
from bot.storage.sqlite.migrations import load_migrations, migrate

log = logging.getLogger(__name__)


def _now() -> str:
    return datetime.now(UTC).isoformat()


class SqliteRepository:
    """Guild-scoped persistence in one SQLite file.

    Use as ``async with await SqliteRepository.open(path) as repository:``.
    """

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

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
        async with self._db.execute(
            "SELECT locale, timezone, endorsement_emoji FROM guild_settings WHERE guild_id = ?",
            (guild_id,),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return GuildSettings(guild_id=guild_id)
        return GuildSettings(
            guild_id=guild_id, locale=row[0], timezone=row[1], endorsement_emoji=row[2]
        )

    async def save_guild_settings(self, settings: GuildSettings) -> None:
        """Insert or update the guild's settings."""
        await self._db.execute(
            """
            INSERT INTO guild_settings (guild_id, locale, timezone, endorsement_emoji, updated_at)
            VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (guild_id) DO UPDATE SET
                locale = excluded.locale,
                timezone = excluded.timezone,
                endorsement_emoji = excluded.endorsement_emoji,
                updated_at = excluded.updated_at
            """,
            (
                settings.guild_id,
                settings.locale,
                settings.timezone,
                settings.endorsement_emoji or DEFAULT_ENDORSEMENT_EMOJI,
                _now(),
            ),
        )

    # -- dilemmas -------------------------------------------------------------------------------

    async def guild_dilemmas(self, guild_id: int) -> Sequence[Dilemma]:
        """The guild's own dilemmas in queue order."""
        async with self._db.execute(
            "SELECT topic, content FROM dilemmas WHERE guild_id = ? ORDER BY position",
            (guild_id,),
        ) as cursor:
            rows = await cursor.fetchall()
        return [_dilemma_from_row(topic, content) for topic, content in rows]

    async def add_dilemmas(self, guild_id: int, dilemmas: Sequence[Dilemma]) -> None:
        """Append dilemmas to the guild's queue, all or none; raises on a duplicate topic."""
        await self._db.execute("BEGIN IMMEDIATE")
        try:
            async with self._db.execute(
                "SELECT COALESCE(MAX(position), 0) FROM dilemmas WHERE guild_id = ?", (guild_id,)
            ) as cursor:
                row = await cursor.fetchone()
            position = int(row[0]) if row else 0
            now = _now()
            await self._db.executemany(
                "INSERT INTO dilemmas (guild_id, topic, position, content, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    (guild_id, d.topic, position + i, _dilemma_content(d), now)
                    for i, d in enumerate(dilemmas, start=1)
                ],
            )
            await self._db.execute("COMMIT")
        except BaseException:
            await self._db.execute("ROLLBACK")
            raise


def _dilemma_content(dilemma: Dilemma) -> str:
    payload: dict[str, Any] = {
        "texts": {
            locale: {"title": t.title, "prompt": t.prompt, "key_points": list(t.key_points)}
            for locale, t in dilemma.texts.items()
        },
        "tags": list(dilemma.tags),
        "references": list(dilemma.references),
    }
    return json.dumps(payload, ensure_ascii=False)


def _dilemma_from_row(topic: str, content: str) -> Dilemma:
    payload = json.loads(content)
    return Dilemma(
        topic=topic,
        texts={
            locale: DilemmaText(text["title"], text["prompt"], tuple(text["key_points"]))
            for locale, text in payload["texts"].items()
        },
        tags=tuple(payload.get("tags", ())),
        references=tuple(payload.get("references", ())),
    )
