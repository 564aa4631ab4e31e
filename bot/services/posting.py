"""Posting dilemmas on schedule, exactly once.

The guarantee rests on three steps:

1. **claim** (one database transaction): the guild's ``next_post_at`` advances only if it still
   holds the slot we read, and a post row in state ``intent`` is written with a fresh nonce. Of
   two processes, or of a restarted bot, exactly one wins a slot.
2. **deliver**: the message is sent with that nonce and ``enforce_nonce`` (Discord returns the
   first message for a repeated nonce instead of creating a second), carrying the share button
   whose custom_id names the post, then the thread is opened and the row becomes ``open``.
3. **recover** (at start-up): an ``intent`` row is either found in the channel by its marker and
   adopted, or delivered again with the same nonce.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Protocol

from bot.domain.dilemmas import Dilemma
from bot.domain.guilds import GuildSettings
from bot.domain.posts import Post, PostState
from bot.domain.schedule import Due, due, next_slot
from bot.domain.summary import Summary, from_snapshot
from bot.metrics import Metrics
from bot.services.ports import ClaimOutcome, Clock, Repository

log = logging.getLogger(__name__)

#: Upper bound of one scheduler sleep, so that a clock jump or a missed wake-up heals itself.
MAX_SLEEP = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Published:
    """Where a dilemma landed: its message and the thread (or forum post) members answer in."""

    message_id: int
    thread_id: int | None


class PublishFailure(Enum):
    """Why a publisher could not deliver."""

    CHANNEL_GONE = "channel_gone"
    FORBIDDEN = "forbidden"
    UNAVAILABLE = "unavailable"  # Discord errors or rate limits: try again later


class PublishError(Exception):
    """Raised by a :class:`Publisher`; ``reason`` tells the service what to do."""

    def __init__(self, reason: PublishFailure, detail: str = "") -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason


class Publisher(Protocol):
    """The Discord side of posting (implemented in :mod:`bot.exts.dilemmas`)."""

    async def publish(self, post: Post, dilemma: Dilemma, settings: GuildSettings) -> Published:
        """Send the dilemma (with ``post.nonce``) and open its thread or forum post."""
        ...

    async def find_published(self, post: Post) -> Published | None:
        """The message of ``post`` if it was sent before a crash, else ``None``."""
        ...

    async def close(
        self, post: Post, settings: GuildSettings, dilemma: Dilemma, summary: Summary
    ) -> None:
        """Post the recap (``summary`` of the topic) in the thread and archive it."""
        ...

    async def notify_empty_queue(self, settings: GuildSettings, thread_id: int | None) -> None:
        """Tell the moderators that nothing is queued (``thread_id``: the latest open thread)."""
        ...


class PostResult(Enum):
    """Outcome of a manual or scheduled post, for the moderator's reply."""

    POSTED = "posted"
    EMPTY = "empty"
    UNKNOWN_TOPIC = "unknown_topic"
    NOT_SET_UP = "not_set_up"
    TAKEN = "taken"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class PostReport:
    """What happened, with the post when one was made."""

    result: PostResult
    post: Post | None = None
    failure: PublishFailure | None = None


class PostingService:
    """Runs due slots, manual posts, closing, and start-up recovery for the guilds it owns."""

    def __init__(
        self,
        repository: Repository,
        publisher: Publisher,
        clock: Clock,
        *,
        metrics: Metrics | None = None,
    ) -> None:
        """``metrics`` counts posts (a private one when not given)."""
        self._repository = repository
        self._publisher = publisher
        self._clock = clock
        self._metrics = metrics or Metrics()

    async def run_due(self, owns: set[int] | None = None) -> datetime | None:
        """Handle every slot that is due now; return when the next one is (``None``: none).

        ``owns`` restricts the work to these guild ids (the guilds of this process's shards).
        """
        now = self._clock()
        upcoming: datetime | None = None
        for scheduled in await self._repository.scheduled_guilds():
            if owns is not None and scheduled.guild_id not in owns:
                continue
            current = scheduled
            assert current.next_post_at is not None
            if current.next_post_at <= now:
                await self._run_slot(current, now)
                current = await self._repository.guild_settings(current.guild_id)
            if current.next_post_at is not None and not current.paused:
                upcoming = min(upcoming or current.next_post_at, current.next_post_at)
        return upcoming

    async def _run_slot(self, settings: GuildSettings, now: datetime) -> None:
        slot_at, weekly = settings.next_post_at, settings.slot
        assert slot_at is not None
        if weekly is None or settings.channel_id is None:
            return
        following = next_slot(weekly, max(slot_at, now))
        if due(slot_at, now) is Due.SKIP:
            # Too late to be this week's dilemma: keep the queue for the next slot.
            if await self._repository.advance_schedule(settings.guild_id, slot_at, following):
                log.warning(
                    "Guild %s: the slot of %s was missed by %s; skipped to %s",
                    settings.guild_id,
                    slot_at.isoformat(),
                    now - slot_at,
                    following.isoformat(),
                )
            return
        report = await self._post(settings, slot=slot_at, following=following, topic=None)
        if report.result is PostResult.EMPTY and not settings.empty_queue_notified:
            await self._notify_empty(settings)

    async def post_now(self, guild_id: int, topic: str | None) -> PostReport:
        """Post ``topic`` (or the head of the queue) immediately, outside the schedule."""
        settings = await self._repository.guild_settings(guild_id)
        if settings.channel_id is None:
            return PostReport(PostResult.NOT_SET_UP)
        return await self._post(settings, slot=self._clock(), following=None, topic=topic)

    async def _post(
        self,
        settings: GuildSettings,
        *,
        slot: datetime,
        following: datetime | None,
        topic: str | None,
    ) -> PostReport:
        assert settings.channel_id is not None
        claim = await self._repository.claim_post(
            settings.guild_id,
            slot=slot,
            nonce=secrets.token_hex(10),
            channel_id=settings.channel_id,
            expected_next=slot if following is not None else None,
            next_post_at=following,
            topic=topic,
        )
        if claim.outcome is ClaimOutcome.TAKEN:
            return PostReport(PostResult.TAKEN)
        if claim.outcome is ClaimOutcome.EMPTY:
            return PostReport(PostResult.EMPTY)
        if claim.outcome is ClaimOutcome.UNKNOWN_TOPIC:
            return PostReport(PostResult.UNKNOWN_TOPIC)
        assert claim.post is not None
        return await self._deliver(claim.post, settings)

    async def _deliver(self, post: Post, settings: GuildSettings) -> PostReport:
        dilemma = await self._dilemma(post)
        try:
            published = await self._publisher.publish(post, dilemma, settings)
        except PublishError as error:
            if error.reason is PublishFailure.UNAVAILABLE:
                # The intent stays; recovery delivers it with the same nonce.
                log.warning(
                    "Guild %s: posting %s failed for now: %s", post.guild_id, post.topic, error
                )
            else:
                log.warning("Guild %s: cannot post %s: %s", post.guild_id, post.topic, error)
                await self._repository.abandon_post(post.id)
            return PostReport(PostResult.FAILED, post, error.reason)
        await self._opened(post, published)
        self._metrics.post_published()
        await self._close_previous(post, settings)
        log.info("Guild %s: posted %s (post %s)", post.guild_id, post.topic, post.id)
        return PostReport(PostResult.POSTED, post)

    async def _opened(self, post: Post, published: Published) -> None:
        await self._repository.mark_post_open(
            post.id,
            message_id=published.message_id,
            thread_id=published.thread_id,
            posted_at=self._clock(),
        )

    async def _close_previous(self, post: Post, settings: GuildSettings) -> None:
        for previous in await self._repository.open_posts([post.guild_id]):
            if previous.id != post.id:
                await self.close(previous, settings)

    async def close(self, post: Post, settings: GuildSettings | None = None) -> None:
        """Recap and archive ``post``'s thread, then mark it closed."""
        settings = settings or await self._repository.guild_settings(post.guild_id)
        dilemma = await self._dilemma(post)
        order = dilemma.theme_order()
        snapshot = await self._repository.topic_snapshot(
            post.guild_id, post.topic, "und", order, quoted_themes=0
        )
        summary = from_snapshot(snapshot, order, "und", quoted_themes=0)
        try:
            await self._publisher.close(post, settings, dilemma, summary)
        except PublishError as error:
            if error.reason is PublishFailure.UNAVAILABLE:
                log.warning(
                    "Guild %s: closing post %s failed for now: %s", post.guild_id, post.id, error
                )
                return
            log.warning("Guild %s: thread of post %s is gone: %s", post.guild_id, post.id, error)
        await self._repository.mark_post_closed(post.id, self._clock())

    async def close_topic(self, guild_id: int, topic: str | None) -> Post | None:
        """Close the open post of ``topic`` (or the most recent open one); ``None`` if none."""
        open_posts = await self._repository.open_posts([guild_id])
        chosen = [p for p in open_posts if topic is None or p.topic == topic]
        if not chosen:
            return None
        await self.close(chosen[-1])
        return chosen[-1]

    async def recover(self, owns: set[int] | None = None) -> None:
        """Finish posts interrupted between claim and record (see the module docstring)."""
        for post in await self._repository.posts_in_state(PostState.INTENT, owns):
            settings = await self._repository.guild_settings(post.guild_id)
            try:
                found = await self._publisher.find_published(post)
            except PublishError as error:
                log.warning("Guild %s: cannot check post %s yet: %s", post.guild_id, post.id, error)
                continue
            if found is not None:
                log.info("Guild %s: adopting post %s sent before a restart", post.guild_id, post.id)
                await self._opened(post, found)
                self._metrics.post_published()
                await self._close_previous(post, settings)
            else:
                await self._deliver(post, settings)

    async def _notify_empty(self, settings: GuildSettings) -> None:
        open_posts = await self._repository.open_posts([settings.guild_id])
        latest = open_posts[-1].thread_id if open_posts else None
        try:
            await self._publisher.notify_empty_queue(settings, latest)
        except PublishError as error:
            log.warning(
                "Guild %s: cannot tell moderators the queue is empty: %s", settings.guild_id, error
            )
            return
        await self._repository.mark_empty_queue_notified(settings.guild_id)

    async def _dilemma(self, post: Post) -> Dilemma:
        for entry in await self._repository.queue(post.guild_id, statuses=None):
            if entry.id == post.dilemma_id:
                return entry.dilemma
        raise LookupError(f"post {post.id} refers to a missing dilemma")
