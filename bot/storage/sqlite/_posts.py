"""Posts: claiming a slot (the no-double-post guarantee), then opening and closing the thread."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from bot.domain.dilemmas import DilemmaStatus
from bot.domain.posts import Post, PostState
from bot.services.ports import Claim, ClaimOutcome
from bot.storage.sqlite._base import SqliteBase, from_text, to_text

_POST_COLUMNS = (
    "p.id, p.guild_id, p.dilemma_id, d.topic, p.slot, p.nonce, p.state, p.channel_id, "
    "p.message_id, p.thread_id, p.last_message_id, p.posted_at, p.closed_at"
)
_POST_FROM = "posts p JOIN dilemmas d ON d.id = p.dilemma_id"


class PostsMixin(SqliteBase):
    """Post rows. :meth:`claim_post` is the only way a post comes into being."""

    async def claim_post(
        self,
        guild_id: int,
        *,
        slot: datetime,
        nonce: str,
        channel_id: int,
        expected_next: datetime | None,
        next_post_at: datetime | None,
        topic: str | None = None,
    ) -> Claim:
        """Atomically claim ``slot`` for the guild and record the intent to post.

        Scheduled posts pass ``expected_next`` (the slot as last read) and ``next_post_at``:
        the guild's schedule advances only if it still points at ``expected_next``, so of two
        processes racing for one slot exactly one wins (``TAKEN`` for the other). Manual posts
        pass ``expected_next=None``. The dilemma is ``topic`` or else the head of the queue;
        ``EMPTY`` when there is none (the scheduled slot is consumed all the same).
        """
        async with self._transaction() as db:
            if expected_next is not None:
                cursor = await db.execute(
                    "UPDATE guild_settings SET next_post_at = ? "
                    "WHERE guild_id = ? AND next_post_at = ? AND paused = 0",
                    (to_text(next_post_at), guild_id, to_text(expected_next)),
                )
                if cursor.rowcount == 0:
                    return Claim(ClaimOutcome.TAKEN)
            dilemma_id = await _pick_dilemma(db, guild_id, topic)
            if dilemma_id is None:
                return Claim(ClaimOutcome.EMPTY if topic is None else ClaimOutcome.UNKNOWN_TOPIC)
            try:
                cursor = await db.execute(
                    "INSERT INTO posts (guild_id, dilemma_id, slot, nonce, state, channel_id) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (guild_id, dilemma_id, to_text(slot), nonce, PostState.INTENT, channel_id),
                )
            except aiosqlite.IntegrityError:
                return Claim(ClaimOutcome.TAKEN)
            post_id = cursor.lastrowid
            await db.execute(
                "UPDATE dilemmas SET status = ? WHERE id = ?",
                (DilemmaStatus.POSTED.value, dilemma_id),
            )
            await db.execute(
                "UPDATE guild_settings SET empty_queue_notified = 0 WHERE guild_id = ?",
                (guild_id,),
            )
            post = await _post_by(db, "p.id = ?", (post_id,))
        assert post is not None  # inserted in this very transaction
        return Claim(ClaimOutcome.CLAIMED, post)

    async def mark_post_open(
        self, post_id: int, *, message_id: int, thread_id: int | None, posted_at: datetime
    ) -> None:
        """Record the sent message and its thread; the post now collects strategies."""
        async with self._locked() as db:
            await db.execute(
                "UPDATE posts SET state = ?, message_id = ?, thread_id = ?, posted_at = ? "
                "WHERE id = ?",
                (PostState.OPEN, message_id, thread_id, to_text(posted_at), post_id),
            )

    async def mark_post_closed(self, post_id: int, closed_at: datetime) -> None:
        """The post's thread was recapped and archived."""
        async with self._transaction() as db:
            await db.execute(
                "UPDATE posts SET state = ?, closed_at = ? WHERE id = ?",
                (PostState.CLOSED, to_text(closed_at), post_id),
            )
            await db.execute(
                "UPDATE dilemmas SET status = ? WHERE id = (SELECT dilemma_id FROM posts "
                "WHERE id = ?) AND status = ?",
                (DilemmaStatus.CLOSED.value, post_id, DilemmaStatus.POSTED.value),
            )

    async def abandon_post(self, post_id: int) -> None:
        """Forget an intent that never became a message (e.g. the channel is gone); the dilemma
        returns to the head of the queue."""
        async with self._transaction() as db:
            await db.execute(
                "UPDATE dilemmas SET status = ? WHERE id = (SELECT dilemma_id FROM posts "
                "WHERE id = ? AND state = ?)",
                (DilemmaStatus.QUEUED.value, post_id, PostState.INTENT),
            )
            await db.execute(
                "DELETE FROM posts WHERE id = ? AND state = ?", (post_id, PostState.INTENT)
            )

    async def posts_in_state(
        self, state: PostState, guild_ids: Collection[int] | None = None
    ) -> list[Post]:
        """Posts in ``state`` (for the given guilds, or all), oldest first."""
        where, params = "p.state = ?", [state.value]
        if guild_ids is not None:
            ids = list(guild_ids)
            if not ids:
                return []
            where += f" AND p.guild_id IN ({', '.join('?' * len(ids))})"
            params.extend(ids)  # type: ignore[arg-type]
        async with self._locked() as db:
            return await _posts_by(db, where + " ORDER BY p.id", params)

    async def open_posts(self, guild_ids: Collection[int] | None = None) -> list[Post]:
        """Posts whose thread is collecting strategies."""
        return await self.posts_in_state(PostState.OPEN, guild_ids)

    async def open_post_by_thread(self, guild_id: int, thread_id: int) -> Post | None:
        """The open post whose thread (or forum post) is ``thread_id`` in this guild."""
        async with self._locked() as db:
            return await _post_by(
                db,
                "p.guild_id = ? AND p.thread_id = ? AND p.state = ?",
                (guild_id, thread_id, PostState.OPEN.value),
            )

    async def latest_post(self, guild_id: int, topic: str) -> Post | None:
        """The most recent post of ``topic`` in the guild (any state)."""
        async with self._locked() as db:
            return await _post_by(
                db, "p.guild_id = ? AND d.topic = ? ORDER BY p.id DESC", (guild_id, topic)
            )

    async def set_backfill_mark(self, post_id: int, message_id: int) -> None:
        """Remember the newest message seen in the post's thread (only ever moves forward)."""
        async with self._locked() as db:
            await db.execute(
                "UPDATE posts SET last_message_id = ? WHERE id = ? "
                "AND (last_message_id IS NULL OR last_message_id < ?)",
                (message_id, post_id, message_id),
            )

    async def mark_empty_queue_notified(self, guild_id: int) -> None:
        """Moderators were told that the queue is empty (told again only after the next post)."""
        async with self._locked() as db:
            await db.execute(
                "UPDATE guild_settings SET empty_queue_notified = 1 WHERE guild_id = ?",
                (guild_id,),
            )


async def _pick_dilemma(db: aiosqlite.Connection, guild_id: int, topic: str | None) -> int | None:
    if topic is None:
        query = (
            "SELECT id FROM dilemmas WHERE guild_id = ? AND status = ? ORDER BY position LIMIT 1"
        )
        params: tuple[Any, ...] = (guild_id, DilemmaStatus.QUEUED.value)
    else:
        query = "SELECT id FROM dilemmas WHERE guild_id = ? AND topic = ?"
        params = (guild_id, topic)
    async with db.execute(query, params) as cursor:
        row = await cursor.fetchone()
    return None if row is None else int(row[0])


async def _posts_by(db: aiosqlite.Connection, where: str, params: Sequence[Any]) -> list[Post]:
    async with db.execute(f"SELECT {_POST_COLUMNS} FROM {_POST_FROM} WHERE {where}", params) as c:  # noqa: S608
        rows = await c.fetchall()
    return [_post_from_row(row) for row in rows]


async def _post_by(db: aiosqlite.Connection, where: str, params: Sequence[Any]) -> Post | None:
    posts = await _posts_by(db, where + (" LIMIT 1" if "LIMIT" not in where else ""), params)
    return posts[0] if posts else None


def _post_from_row(row: Sequence[Any]) -> Post:
    slot = from_text(row[4])
    assert slot is not None
    return Post(
        id=row[0],
        guild_id=row[1],
        dilemma_id=row[2],
        topic=row[3],
        slot=slot,
        nonce=row[5],
        state=PostState(row[6]),
        channel_id=row[7],
        message_id=row[8],
        thread_id=row[9],
        last_message_id=row[10],
        posted_at=from_text(row[11]),
        closed_at=from_text(row[12]),
    )
