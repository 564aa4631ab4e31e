"""Posts: claiming a slot (the no-double-post guarantee), then opening and closing the thread."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

import asyncpg

from bot.domain.dilemmas import DilemmaStatus
from bot.domain.posts import Post, PostState
from bot.services.ports import Claim, ClaimOutcome
from bot.storage.postgres._base import PostgresBase, lock_guild_queue

_POST_COLUMNS = (
    "p.id, p.guild_id, p.dilemma_id, d.topic, p.slot, p.nonce, p.state, p.channel_id, "
    "p.message_id, p.thread_id, p.last_message_id, p.posted_at, p.closed_at"
)
_POST_FROM = "posts p JOIN dilemmas d ON d.id = p.dilemma_id"


class PostsMixin(PostgresBase):
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
        the guild's schedule advances only if it still points at ``expected_next`` (a
        compare-and-set ``UPDATE``), so of any number of processes racing for one slot exactly
        one wins (``TAKEN`` for the others). Manual posts pass ``expected_next=None``; the
        ``UNIQUE (guild_id, slot)`` constraint still admits one post per slot. The dilemma is
        ``topic`` or else the head of the queue; ``EMPTY`` when there is none (the scheduled
        slot is consumed all the same). Claims of one guild are serialized by an advisory lock,
        so two manual claims never pick the same queued dilemma.
        """
        async with self._transaction() as db:
            await lock_guild_queue(db, guild_id)
            if expected_next is not None:
                status = await db.execute(
                    "UPDATE guild_settings SET next_post_at = $1 "
                    "WHERE guild_id = $2 AND next_post_at = $3 AND NOT paused",
                    next_post_at,
                    guild_id,
                    expected_next,
                )
                if status != "UPDATE 1":
                    return Claim(ClaimOutcome.TAKEN)
            dilemma_id = await _pick_dilemma(db, guild_id, topic)
            if dilemma_id is None:
                return Claim(ClaimOutcome.EMPTY if topic is None else ClaimOutcome.UNKNOWN_TOPIC)
            post_id = await db.fetchval(
                "INSERT INTO posts (guild_id, dilemma_id, slot, nonce, state, channel_id) "
                "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING id",
                guild_id,
                dilemma_id,
                slot,
                nonce,
                PostState.INTENT.value,
                channel_id,
            )
            if post_id is None:  # the slot (or the nonce) is already taken
                return Claim(ClaimOutcome.TAKEN)
            await db.execute(
                "UPDATE dilemmas SET status = $1 WHERE id = $2",
                DilemmaStatus.POSTED.value,
                dilemma_id,
            )
            await db.execute(
                "UPDATE guild_settings SET empty_queue_notified = false WHERE guild_id = $1",
                guild_id,
            )
            post = await _post_by(db, "p.id = $1", (post_id,))
        assert post is not None  # inserted in this very transaction
        return Claim(ClaimOutcome.CLAIMED, post)

    async def mark_post_open(
        self, post_id: int, *, message_id: int, thread_id: int | None, posted_at: datetime
    ) -> None:
        """Record the sent message and its thread; the post now collects strategies."""
        async with self._connection() as db:
            await db.execute(
                "UPDATE posts SET state = $1, message_id = $2, thread_id = $3, posted_at = $4 "
                "WHERE id = $5",
                PostState.OPEN.value,
                message_id,
                thread_id,
                posted_at,
                post_id,
            )

    async def mark_post_closed(self, post_id: int, closed_at: datetime) -> None:
        """The post's thread was recapped and archived."""
        async with self._transaction() as db:
            await db.execute(
                "UPDATE posts SET state = $1, closed_at = $2 WHERE id = $3",
                PostState.CLOSED.value,
                closed_at,
                post_id,
            )
            await db.execute(
                "UPDATE dilemmas SET status = $1 WHERE id = (SELECT dilemma_id FROM posts "
                "WHERE id = $2) AND status = $3",
                DilemmaStatus.CLOSED.value,
                post_id,
                DilemmaStatus.POSTED.value,
            )

    async def abandon_post(self, post_id: int) -> None:
        """Forget an intent that never became a message (e.g. the channel is gone); the dilemma
        returns to the head of the queue. Posts past ``intent`` are left alone."""
        async with self._transaction() as db:
            dilemma_id = await db.fetchval(
                "DELETE FROM posts WHERE id = $1 AND state = $2 RETURNING dilemma_id",
                post_id,
                PostState.INTENT.value,
            )
            if dilemma_id is not None:
                await db.execute(
                    "UPDATE dilemmas SET status = $1 WHERE id = $2",
                    DilemmaStatus.QUEUED.value,
                    dilemma_id,
                )

    async def posts_in_state(
        self, state: PostState, guild_ids: Collection[int] | None = None
    ) -> list[Post]:
        """Posts in ``state`` (for the given guilds, or all), oldest first."""
        if guild_ids is None:
            where, params = "p.state = $1", [state.value]
        else:
            ids = list(guild_ids)
            if not ids:
                return []
            where = "p.state = $1 AND p.guild_id = ANY($2::bigint[])"
            params = [state.value, ids]
        async with self._connection() as db:
            return await _posts_by(db, where + " ORDER BY p.id", params)

    async def open_posts(self, guild_ids: Collection[int] | None = None) -> list[Post]:
        """Posts whose thread is collecting strategies."""
        return await self.posts_in_state(PostState.OPEN, guild_ids)

    async def open_post_by_thread(self, guild_id: int, thread_id: int) -> Post | None:
        """The open post whose thread (or forum post) is ``thread_id`` in this guild."""
        async with self._connection() as db:
            return await _post_by(
                db,
                "p.guild_id = $1 AND p.thread_id = $2 AND p.state = $3",
                (guild_id, thread_id, PostState.OPEN.value),
            )

    async def latest_post(self, guild_id: int, topic: str) -> Post | None:
        """The most recent post of ``topic`` in the guild (any state)."""
        async with self._connection() as db:
            return await _post_by(
                db, "p.guild_id = $1 AND d.topic = $2 ORDER BY p.id DESC", (guild_id, topic)
            )

    async def set_backfill_mark(self, post_id: int, message_id: int) -> None:
        """Remember the newest message seen in the post's thread (only ever moves forward)."""
        async with self._connection() as db:
            await db.execute(
                "UPDATE posts SET last_message_id = $2 WHERE id = $1 "
                "AND (last_message_id IS NULL OR last_message_id < $2)",
                post_id,
                message_id,
            )

    async def mark_empty_queue_notified(self, guild_id: int) -> None:
        """Moderators were told that the queue is empty (told again only after the next post)."""
        async with self._connection() as db:
            await db.execute(
                "UPDATE guild_settings SET empty_queue_notified = true WHERE guild_id = $1",
                guild_id,
            )


async def _pick_dilemma(db: asyncpg.Connection, guild_id: int, topic: str | None) -> int | None:
    if topic is None:
        value = await db.fetchval(
            "SELECT id FROM dilemmas WHERE guild_id = $1 AND status = $2 "
            "ORDER BY position, id LIMIT 1",
            guild_id,
            DilemmaStatus.QUEUED.value,
        )
    else:
        value = await db.fetchval(
            "SELECT id FROM dilemmas WHERE guild_id = $1 AND topic = $2", guild_id, topic
        )
    return None if value is None else int(value)


async def _posts_by(db: asyncpg.Connection, where: str, params: Any) -> list[Post]:
    rows = await db.fetch(f"SELECT {_POST_COLUMNS} FROM {_POST_FROM} WHERE {where}", *params)  # noqa: S608
    return [_post_from_row(row) for row in rows]


async def _post_by(db: asyncpg.Connection, where: str, params: Any) -> Post | None:
    posts = await _posts_by(db, where + " LIMIT 1", params)
    return posts[0] if posts else None


def _post_from_row(row: asyncpg.Record) -> Post:
    return Post(
        id=row["id"],
        guild_id=row["guild_id"],
        dilemma_id=row["dilemma_id"],
        topic=row["topic"],
        slot=row["slot"],
        nonce=row["nonce"],
        state=PostState(row["state"]),
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        thread_id=row["thread_id"],
        last_message_id=row["last_message_id"],
        posted_at=row["posted_at"],
        closed_at=row["closed_at"],
    )
