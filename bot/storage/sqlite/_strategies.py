"""Strategies and endorsements. Every statement is scoped by ``guild_id``."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from bot.domain.privacy import counting_key
from bot.domain.strategies import Analysis, NewStrategy, Strategy, TopicStats
from bot.storage.sqlite._base import SqliteBase, from_text, to_text

STRATEGY_COLUMNS = (
    "s.id, s.guild_id, s.post_id, s.message_id, s.author_key, s.author_id, s.anonymous, s.text, "
    "s.language, s.themes, s.created_at, s.edited_at, s.shared"
)
#: SQLite's default limit of bound parameters is 999 (older builds); stay well below it.
_CHUNK = 500
#: Rows per multi-row insert (12 parameters each).
_ROWS = 80


class StrategiesMixin(SqliteBase):
    """Rows of ``strategies`` and ``endorsements``."""

    async def add_strategies(self, new: Sequence[NewStrategy]) -> list[Strategy | None]:
        """Store strategies and their quotes in one transaction; per item the stored strategy,
        or ``None`` (and no change for it) if its message is already stored (also by an earlier
        item) or its post is not the guild's. Needs SQLite 3.35 (``RETURNING``)."""
        items = list(new)
        if not items:
            return []
        inserted: dict[tuple[int, int, int], int] = {}  # (message, guild, post) -> strategy id
        async with self._transaction() as db:
            for start in range(0, len(items), _ROWS):
                chunk = items[start : start + _ROWS]
                values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(chunk))
                # rows are inserted in the order of VALUES: a later duplicate conflicts
                async with db.execute(
                    "INSERT INTO strategies (guild_id, post_id, message_id, author_key, "  # noqa: S608
                    "author_id, anonymous, text, language, themes, created_at, shared, "
                    f"member_key) SELECT * FROM (VALUES {values}) AS v WHERE EXISTS "
                    "(SELECT 1 FROM posts p WHERE p.id = v.column2 AND p.guild_id = v.column1) "
                    "ON CONFLICT (message_id) DO NOTHING "
                    "RETURNING id, message_id, guild_id, post_id",
                    [value for item in chunk for value in _strategy_row(item)],
                ) as cursor:
                    for strategy_id, message_id, guild_id, post_id in await cursor.fetchall():
                        inserted[(message_id, guild_id, post_id)] = strategy_id
            owners: list[int | None] = []  # per item, the id of the row it inserted
            for item in items:
                owners.append(inserted.pop((item.message_id, item.guild_id, item.post_id), None))
            await _insert_quotes(
                db,
                [
                    (theme, sentence, strategy_id)
                    for item, strategy_id in zip(items, owners, strict=True)
                    if strategy_id is not None
                    for theme, sentence in item.quotes
                ],
            )
            ids = [strategy_id for strategy_id in owners if strategy_id is not None]
            stored: dict[int, Strategy] = {}
            for start in range(0, len(ids), _CHUNK):
                chunk_ids = ids[start : start + _CHUNK]
                for strategy in await _strategies_where(
                    db, f"s.id IN ({_marks(chunk_ids)})", chunk_ids
                ):
                    stored[strategy.id] = strategy
        return [None if strategy_id is None else stored[strategy_id] for strategy_id in owners]

    async def strategy_by_message(self, guild_id: int, message_id: int) -> Strategy | None:
        """The guild's strategy stored for ``message_id``, if any."""
        async with self._locked() as db:
            return await _strategy_where(
                db, "s.guild_id = ? AND s.message_id = ?", (guild_id, message_id)
            )

    async def update_strategy(
        self,
        guild_id: int,
        message_id: int,
        text: str,
        analysis: Analysis,
        edited_at: datetime,
        quotes: Sequence[tuple[str, str]] = (),
    ) -> bool:
        """Replace a strategy's text, analysis and (masked) quotes; ``False`` if there is no
        such strategy."""
        async with self._transaction() as db:
            cursor = await db.execute(
                "UPDATE strategies SET text = ?, language = ?, themes = ?, edited_at = ? "
                "WHERE guild_id = ? AND message_id = ?",
                (
                    text,
                    analysis.language,
                    _themes_text(analysis.themes),
                    to_text(edited_at),
                    guild_id,
                    message_id,
                ),
            )
            if cursor.rowcount == 0:
                return False
            async with db.execute(
                "SELECT id FROM strategies WHERE guild_id = ? AND message_id = ?",
                (guild_id, message_id),
            ) as found:
                row = await found.fetchone()
            assert row is not None
            await db.execute("DELETE FROM quote_candidates WHERE strategy_id = ?", (row[0],))
            await _insert_quotes(db, [(theme, sentence, row[0]) for theme, sentence in quotes])
            return True

    async def delete_strategies(self, guild_id: int, message_ids: Collection[int]) -> int:
        """Delete the guild's strategies stored for these messages; returns how many."""
        ids = list(message_ids)
        deleted = 0
        async with self._transaction() as db:
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                query = (
                    f"DELETE FROM strategies WHERE guild_id = ? AND message_id IN ({_marks(chunk)})"  # noqa: S608
                )
                cursor = await db.execute(query, (guild_id, *chunk))
                deleted += cursor.rowcount
        return deleted

    async def post_strategies(self, guild_id: int, post_id: int) -> list[Strategy]:
        """Every strategy of one post, oldest message first."""
        async with self._locked() as db:
            return await _strategies_where(
                db, "s.guild_id = ? AND s.post_id = ? ORDER BY s.message_id", (guild_id, post_id)
            )

    async def delete_thread_strategies(self, guild_id: int, thread_id: int) -> int:
        """Delete every strategy of the posts discussed in ``thread_id``; returns how many."""
        async with self._locked() as db:
            cursor = await db.execute(
                "DELETE FROM strategies WHERE guild_id = ? AND post_id IN "
                "(SELECT id FROM posts WHERE guild_id = ? AND thread_id = ?)",
                (guild_id, guild_id, thread_id),
            )
            return cursor.rowcount

    async def add_endorsement(
        self, guild_id: int, message_id: int, member_key: str, created_at: datetime
    ) -> bool:
        """Record that a member endorses the strategy of ``message_id``; ``False`` if there is
        no such strategy or the member already endorses it."""
        async with self._locked() as db:
            cursor = await db.execute(
                "INSERT INTO endorsements (strategy_id, member_key, created_at) "
                "SELECT id, ?, ? FROM strategies WHERE guild_id = ? AND message_id = ? "
                "ON CONFLICT (strategy_id, member_key) DO NOTHING",
                (member_key, to_text(created_at), guild_id, message_id),
            )
            return cursor.rowcount > 0

    async def remove_endorsement(self, guild_id: int, message_id: int, member_key: str) -> bool:
        """Withdraw a member's endorsement; ``False`` if there was none."""
        async with self._locked() as db:
            cursor = await db.execute(
                "DELETE FROM endorsements WHERE member_key = ? AND strategy_id = "
                "(SELECT id FROM strategies WHERE guild_id = ? AND message_id = ?)",
                (member_key, guild_id, message_id),
            )
            return cursor.rowcount > 0

    async def clear_endorsements(self, guild_id: int, message_id: int) -> int:
        """Withdraw every endorsement of one strategy; returns how many."""
        async with self._locked() as db:
            cursor = await db.execute(
                "DELETE FROM endorsements WHERE strategy_id = "
                "(SELECT id FROM strategies WHERE guild_id = ? AND message_id = ?)",
                (guild_id, message_id),
            )
            return cursor.rowcount

    async def topic_stats(self, guild_id: int, topic: str) -> TopicStats:
        """Counts over the guild's strategies on ``topic`` (all its posts)."""
        scope = (
            "FROM strategies s JOIN posts p ON p.id = s.post_id "
            "JOIN dilemmas d ON d.id = p.dilemma_id "
            "WHERE s.guild_id = ? AND p.guild_id = ? AND d.topic = ?"
        )
        params = (guild_id, guild_id, topic)
        async with self._locked() as db:
            async with db.execute(f"SELECT COUNT(*) {scope}", params) as cursor:
                row = await cursor.fetchone()
            async with db.execute(f"SELECT DISTINCT s.author_key {scope}", params) as cursor:
                author_keys = {key for (key,) in await cursor.fetchall()}
            async with db.execute(
                "SELECT secret FROM guild_secrets WHERE guild_id = ?", (guild_id,)
            ) as cursor:
                secret = await cursor.fetchone()
            async with db.execute(
                f"SELECT COUNT(*) FROM endorsements e WHERE e.strategy_id IN (SELECT s.id {scope})",  # noqa: S608
                params,
            ) as cursor:
                endorsed = await cursor.fetchone()
            async with db.execute(f"SELECT s.themes {scope}", params) as cursor:
                themes = Counter(
                    theme for (text,) in await cursor.fetchall() for theme in json.loads(text)
                )
        assert row is not None
        assert endorsed is not None
        key_secret = bytes(secret[0]) if secret else None
        return TopicStats(
            strategies=int(row[0]),
            members=len({counting_key(key_secret, guild_id, key) for key in author_keys}),
            endorsements=int(endorsed[0]),
            themes=tuple(sorted(themes.items(), key=lambda item: (-item[1], item[0]))),
        )


def strategy_from_row(row: Sequence[Any]) -> Strategy:
    """A :class:`Strategy` from the columns of :data:`STRATEGY_COLUMNS`."""
    created_at = from_text(row[10])
    assert created_at is not None
    return Strategy(
        id=row[0],
        guild_id=row[1],
        post_id=row[2],
        message_id=row[3],
        author_key=row[4],
        author_id=row[5],
        anonymous=bool(row[6]),
        text=row[7],
        language=row[8],
        themes=tuple(json.loads(row[9])),
        created_at=created_at,
        edited_at=from_text(row[11]),
        shared=bool(row[12]),
    )


async def _strategies_where(
    db: aiosqlite.Connection, where: str, params: Sequence[Any]
) -> list[Strategy]:
    async with db.execute(
        f"SELECT {STRATEGY_COLUMNS} FROM strategies s WHERE {where}",  # noqa: S608
        params,
    ) as cursor:
        rows = await cursor.fetchall()
    return [strategy_from_row(row) for row in rows]


async def _strategy_where(
    db: aiosqlite.Connection, where: str, params: Sequence[Any]
) -> Strategy | None:
    found = await _strategies_where(db, where + " LIMIT 1", params)
    return found[0] if found else None


async def _insert_quotes(db: aiosqlite.Connection, quotes: Sequence[tuple[str, str, int]]) -> None:
    """Quote candidates ``(theme, sentence, strategy id)``; the topic (set by a trigger),
    language and current endorsement count come from the stored rows."""
    if not quotes:
        return
    await db.executemany(
        "INSERT INTO quote_candidates "
        "(strategy_id, guild_id, topic, theme, sentence, language, endorsements) "
        "SELECT s.id, s.guild_id, s.topic, ?, ?, s.language, "
        "(SELECT COUNT(*) FROM endorsements e WHERE e.strategy_id = s.id) "
        "FROM strategies s WHERE s.id = ? AND s.topic IS NOT NULL "
        "ON CONFLICT (strategy_id, theme) DO NOTHING",
        quotes,
    )


def _strategy_row(new: NewStrategy) -> tuple[object, ...]:
    """The values of a new row, in the column order of the insert in ``add_strategies``."""
    return (
        new.guild_id,
        new.post_id,
        new.message_id,
        new.author_key,
        new.author_id,
        int(new.anonymous),
        new.text,
        new.analysis.language,
        _themes_text(new.analysis.themes),
        to_text(new.created_at),
        int(new.shared),
        new.member_key,
    )


def _themes_text(themes: Sequence[str]) -> str:
    return json.dumps(sorted(themes))


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))
