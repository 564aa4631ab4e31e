"""Strategies and endorsements. Every statement is scoped by ``guild_id``."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from bot.domain.privacy import counting_key
from bot.domain.strategies import Analysis, NewStrategy, Strategy, TopicStats
from bot.storage.postgres._base import PostgresBase, affected

log = logging.getLogger(__name__)

#: Attempts of a batch insert that PostgreSQL aborted to break a deadlock.
_DEADLOCK_ATTEMPTS = 3

STRATEGY_COLUMNS = (
    "s.id, s.guild_id, s.post_id, s.message_id, s.author_key, s.author_id, s.anonymous, s.text, "
    "s.language, s.themes, s.created_at, s.edited_at, s.shared"
)


class StrategiesMixin(PostgresBase):
    """Rows of ``strategies`` and ``endorsements``.

    Quote candidates carry their strategy's endorsement count. To keep that count exact under
    concurrency, a strategy's quotes are rewritten under a ``FOR UPDATE`` lock of its row and
    endorsements change under a ``FOR KEY SHARE`` lock of it, which the former excludes.
    """

    async def add_strategies(self, new: Sequence[NewStrategy]) -> list[Strategy | None]:
        """Store strategies and their quotes in one transaction; per item the stored strategy,
        or ``None`` (and no change for it) if its message is already stored (also by an earlier
        item) or its post is not the guild's.

        Rows are inserted in (guild, topic, message) order, so that concurrent batches take the
        summary rows' locks in one order; a deadlock all the same (with a multi-topic delete)
        runs the transaction again.
        """
        items = list(new)
        if not items:
            return []
        for attempt in range(_DEADLOCK_ATTEMPTS):
            try:
                return await self._add_strategies(items)
            except asyncpg.exceptions.DeadlockDetectedError:
                if attempt == _DEADLOCK_ATTEMPTS - 1:
                    raise
                log.warning("Deadlock storing %d strategies; trying again", len(items))
        raise AssertionError("unreachable")

    async def _add_strategies(self, items: list[NewStrategy]) -> list[Strategy | None]:
        owners: list[int | None] = [None] * len(items)  # per item, the id of the row it inserted
        async with self._transaction() as db:
            posts = {
                row["id"]: (row["guild_id"], row["topic"] or "")
                for row in await db.fetch(
                    "SELECT p.id, p.guild_id, d.topic FROM posts p "
                    "LEFT JOIN dilemmas d ON d.id = p.dilemma_id WHERE p.id = ANY($1::bigint[])",
                    list({item.post_id for item in items}),
                )
            }
            first: dict[int, int] = {}  # message id -> index of the first item that may store it
            for index, item in enumerate(items):
                post = posts.get(item.post_id)
                if post is not None and post[0] == item.guild_id:
                    first.setdefault(item.message_id, index)
            order = sorted(
                first.values(),
                key=lambda i: (items[i].guild_id, posts[items[i].post_id][1], items[i].message_id),
            )
            for index in order:
                item = items[index]
                owners[index] = await db.fetchval(
                    "INSERT INTO strategies (guild_id, post_id, message_id, author_key, "
                    "author_id, anonymous, text, language, themes, created_at, shared, "
                    "member_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
                    "ON CONFLICT (message_id) DO NOTHING RETURNING id",
                    item.guild_id,
                    item.post_id,
                    item.message_id,
                    item.author_key,
                    item.author_id,
                    item.anonymous,
                    item.text,
                    item.analysis.language,
                    sorted(item.analysis.themes),
                    item.created_at,
                    item.shared,
                    item.member_key,
                )
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
            stored = {
                s.id: s for s in await _strategies_where(db, "s.id = ANY($1::bigint[])", (ids,))
            }
        return [None if strategy_id is None else stored[strategy_id] for strategy_id in owners]

    async def strategy_by_message(self, guild_id: int, message_id: int) -> Strategy | None:
        """The guild's strategy stored for ``message_id``, if any."""
        async with self._connection() as db:
            return await _strategy_where(
                db, "s.guild_id = $1 AND s.message_id = $2", (guild_id, message_id)
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
            strategy_id = await db.fetchval(
                "SELECT id FROM strategies WHERE guild_id = $1 AND message_id = $2 FOR UPDATE",
                guild_id,
                message_id,
            )
            if strategy_id is None:
                return False
            await db.execute(
                "UPDATE strategies SET text = $1, language = $2, themes = $3, edited_at = $4 "
                "WHERE id = $5",
                text,
                analysis.language,
                sorted(analysis.themes),
                edited_at,
                strategy_id,
            )
            await db.execute("DELETE FROM quote_candidates WHERE strategy_id = $1", strategy_id)
            await _insert_quotes(db, [(theme, sentence, strategy_id) for theme, sentence in quotes])
            return True

    async def delete_strategies(self, guild_id: int, message_ids: Collection[int]) -> int:
        """Delete the guild's strategies stored for these messages; returns how many."""
        ids = list(message_ids)
        if not ids:
            return 0
        async with self._connection() as db:
            status = await db.execute(
                "DELETE FROM strategies WHERE guild_id = $1 AND message_id = ANY($2::bigint[])",
                guild_id,
                ids,
            )
        return affected(status)

    async def post_strategies(self, guild_id: int, post_id: int) -> list[Strategy]:
        """Every strategy of one post, oldest message first."""
        async with self._connection() as db:
            return await _strategies_where(
                db, "s.guild_id = $1 AND s.post_id = $2 ORDER BY s.message_id", (guild_id, post_id)
            )

    async def delete_thread_strategies(self, guild_id: int, thread_id: int) -> int:
        """Delete every strategy of the posts discussed in ``thread_id``; returns how many."""
        async with self._connection() as db:
            status = await db.execute(
                "DELETE FROM strategies WHERE guild_id = $1 AND post_id IN "
                "(SELECT id FROM posts WHERE guild_id = $1 AND thread_id = $2)",
                guild_id,
                thread_id,
            )
        return affected(status)

    async def add_endorsement(
        self, guild_id: int, message_id: int, member_key: str, created_at: datetime
    ) -> bool:
        """Record that a member endorses the strategy of ``message_id``; ``False`` if there is
        no such strategy or the member already endorses it."""
        async with self._transaction() as db:
            strategy_id = await _endorsable(db, guild_id, message_id)
            if strategy_id is None:
                return False
            status = await db.execute(
                "INSERT INTO endorsements (strategy_id, member_key, created_at) "
                "VALUES ($1, $2, $3) ON CONFLICT (strategy_id, member_key) DO NOTHING",
                strategy_id,
                member_key,
                created_at,
            )
        return affected(status) > 0

    async def remove_endorsement(self, guild_id: int, message_id: int, member_key: str) -> bool:
        """Withdraw a member's endorsement; ``False`` if there was none."""
        async with self._transaction() as db:
            strategy_id = await _endorsable(db, guild_id, message_id)
            if strategy_id is None:
                return False
            status = await db.execute(
                "DELETE FROM endorsements WHERE strategy_id = $1 AND member_key = $2",
                strategy_id,
                member_key,
            )
        return affected(status) > 0

    async def clear_endorsements(self, guild_id: int, message_id: int) -> int:
        """Withdraw every endorsement of one strategy; returns how many."""
        async with self._transaction() as db:
            strategy_id = await _endorsable(db, guild_id, message_id)
            if strategy_id is None:
                return 0
            status = await db.execute(
                "DELETE FROM endorsements WHERE strategy_id = $1", strategy_id
            )
        return affected(status)

    async def topic_stats(self, guild_id: int, topic: str) -> TopicStats:
        """Counts over the guild's strategies on ``topic`` (all its posts), from one snapshot."""
        scope = (
            "FROM strategies s JOIN posts p ON p.id = s.post_id "
            "JOIN dilemmas d ON d.id = p.dilemma_id "
            "WHERE s.guild_id = $1 AND p.guild_id = $1 AND d.topic = $2"
        )
        async with self._transaction("repeatable_read", readonly=True) as db:
            count = await db.fetchval(f"SELECT COUNT(*) {scope}", guild_id, topic)
            author_keys = {
                row[0]
                for row in await db.fetch(f"SELECT DISTINCT s.author_key {scope}", guild_id, topic)
            }
            secret = await db.fetchval(
                "SELECT secret FROM guild_secrets WHERE guild_id = $1", guild_id
            )
            endorsed = await db.fetchval(
                f"SELECT COUNT(*) FROM endorsements e WHERE e.strategy_id IN (SELECT s.id {scope})",  # noqa: S608
                guild_id,
                topic,
            )
            themes = Counter(
                theme
                for row in await db.fetch(f"SELECT s.themes {scope}", guild_id, topic)
                for theme in row[0]
            )
        key_secret = bytes(secret) if secret is not None else None
        return TopicStats(
            strategies=int(count),
            members=len({counting_key(key_secret, guild_id, key) for key in author_keys}),
            endorsements=int(endorsed),
            themes=tuple(sorted(themes.items(), key=lambda item: (-item[1], item[0]))),
        )


def strategy_from_row(row: asyncpg.Record) -> Strategy:
    """A :class:`Strategy` from the columns of :data:`STRATEGY_COLUMNS`."""
    return Strategy(
        id=row["id"],
        guild_id=row["guild_id"],
        post_id=row["post_id"],
        message_id=row["message_id"],
        author_key=row["author_key"],
        author_id=row["author_id"],
        anonymous=row["anonymous"],
        text=row["text"],
        language=row["language"],
        themes=tuple(row["themes"]),
        created_at=row["created_at"],
        edited_at=row["edited_at"],
        shared=row["shared"],
    )


async def _endorsable(db: asyncpg.Connection, guild_id: int, message_id: int) -> int | None:
    """The id of the guild's strategy of ``message_id``, key-share locked until commit."""
    value = await db.fetchval(
        "SELECT id FROM strategies WHERE guild_id = $1 AND message_id = $2 FOR KEY SHARE",
        guild_id,
        message_id,
    )
    return None if value is None else int(value)


async def _strategies_where(db: asyncpg.Connection, where: str, params: Any) -> list[Strategy]:
    rows = await db.fetch(f"SELECT {STRATEGY_COLUMNS} FROM strategies s WHERE {where}", *params)  # noqa: S608
    return [strategy_from_row(row) for row in rows]


async def _strategy_where(db: asyncpg.Connection, where: str, params: Any) -> Strategy | None:
    found = await _strategies_where(db, where + " LIMIT 1", params)
    return found[0] if found else None


async def _insert_quotes(db: asyncpg.Connection, quotes: Sequence[tuple[str, str, int]]) -> None:
    """Quote candidates ``(theme, sentence, strategy id)``; the topic (set by a trigger),
    language and current endorsement count come from the stored rows."""
    if not quotes:
        return
    await db.executemany(
        "INSERT INTO quote_candidates "
        "(strategy_id, guild_id, topic, theme, sentence, language, endorsements) "
        "SELECT s.id, s.guild_id, s.topic, $1, $2, s.language, "
        "(SELECT COUNT(*) FROM endorsements e WHERE e.strategy_id = s.id) "
        "FROM strategies s WHERE s.id = $3 AND s.topic IS NOT NULL "
        "ON CONFLICT (strategy_id, theme) DO NOTHING",
        quotes,
    )
