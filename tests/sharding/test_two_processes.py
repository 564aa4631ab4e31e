"""Two bot processes over one PostgreSQL database: nothing posted twice, nothing counted twice,
and a post interrupted by a dying process is finished by the other one.

Each "process" is its own connection pool with its own services. Both also own the same guild,
as after a shard misconfiguration, to show the database alone keeps the guarantees. Skipped when
no PostgreSQL server answers on 127.0.0.1:5432 (see ``tests/storage/contract/conftest.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

import pytest
import pytest_asyncio

from bot.domain.dilemmas import Dilemma, DilemmaText
from bot.domain.guilds import GuildSettings
from bot.domain.posts import Post, PostState
from bot.domain.strategies import ObservedMessage
from bot.domain.summary import Summary
from bot.services.collection import CollectionService
from bot.services.posting import PostingService, Published
from bot.services.privacy import PrivacyService
from bot.storage.postgres import PostgresRepository
from tests.conftest import FakeAnalyzer
from tests.storage.contract.conftest import fresh_schema

SHARED, ONLY_FIRST, ONLY_SECOND = 1 << 22, 2 << 22, 3 << 22  # guild ids
SLOT = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
AFTER_SLOT = SLOT + timedelta(seconds=5)


class Crash(Exception):
    """Raised where a process dies: nothing after it runs."""


@dataclass
class FakeChannel:
    """Discord's side, shared by both processes: one message per nonce (``enforce_nonce``)."""

    messages: dict[str, Published] = field(default_factory=dict)
    sends: int = 0

    def send(self, post: Post) -> Published:
        self.sends += 1
        if post.nonce not in self.messages:
            self.messages[post.nonce] = Published(10_000 + len(self.messages), 20_000 + post.id)
        return self.messages[post.nonce]


class SharedPublisher:
    """A process's publisher over the shared channel; can die before or after sending."""

    def __init__(self, channel: FakeChannel) -> None:
        self.channel = channel
        self.die: str | None = None  # "before_send" or "after_send"

    async def publish(self, post: Post, dilemma: Dilemma, settings: GuildSettings) -> Published:
        await asyncio.sleep(0)  # let the other process interleave
        if self.die == "before_send":
            raise Crash
        published = self.channel.send(post)
        if self.die == "after_send":
            raise Crash
        return published

    async def find_published(self, post: Post) -> Published | None:
        return self.channel.messages.get(post.nonce)

    async def close(
        self, post: Post, settings: GuildSettings, dilemma: Dilemma, summary: Summary
    ) -> None:
        return None

    async def notify_empty_queue(self, settings: GuildSettings, thread_id: int | None) -> None:
        return None


@dataclass
class Process:
    """One bot process: its own pool and services."""

    repository: PostgresRepository
    publisher: SharedPublisher
    posting: PostingService
    collection: CollectionService
    owns: set[int]


@pytest_asyncio.fixture
async def processes() -> AsyncIterator[tuple[Process, Process]]:
    async with fresh_schema() as url:
        channel = FakeChannel()
        opened = [await PostgresRepository.open(url) for _ in range(2)]
        try:
            made = []
            for repository, owns in zip(
                opened, ({SHARED, ONLY_FIRST}, {SHARED, ONLY_SECOND}), strict=True
            ):
                publisher = SharedPublisher(channel)
                privacy = PrivacyService(repository, clock=lambda: AFTER_SLOT)
                made.append(
                    Process(
                        repository,
                        publisher,
                        PostingService(repository, publisher, lambda: AFTER_SLOT),
                        CollectionService(
                            repository, privacy, FakeAnalyzer(), clock=lambda: AFTER_SLOT
                        ),
                        owns,
                    )
                )
            yield made[0], made[1]
        finally:
            for repository in opened:
                await repository.close()


async def _schedule(repository: PostgresRepository, guild_id: int) -> None:
    await repository.save_guild_settings(
        GuildSettings(
            guild_id,
            channel_id=guild_id + 1,
            weekday=0,
            post_time=time(9),
            timezone="Europe/Berlin",
            next_post_at=SLOT,
        )
    )
    dilemmas = [Dilemma(t, {"en-US": DilemmaText("T", "P?", ("a", "b", "c"))}) for t in "xyz"]
    await repository.add_dilemmas(guild_id, dilemmas)


async def test_two_processes_post_each_slot_once(processes: tuple[Process, Process]) -> None:
    first, second = processes
    for guild_id in (SHARED, ONLY_FIRST, ONLY_SECOND):
        await _schedule(first.repository, guild_id)
    await asyncio.gather(
        *(p.posting.run_due(p.owns) for p in (first, second) for _ in range(3)),
        *(p.posting.recover(p.owns) for p in (first, second)),
    )
    # A starting process may recover the other's in-flight intent and send it again: the nonce
    # makes Discord return the first message, so each slot still has exactly one.
    channel = first.publisher.channel
    assert len(channel.messages) == 3
    open_posts = await second.repository.open_posts()
    assert sorted(p.guild_id for p in open_posts) == [SHARED, ONLY_FIRST, ONLY_SECOND]
    assert {p.message_id for p in open_posts} == {m.message_id for m in channel.messages.values()}
    assert await first.repository.posts_in_state(PostState.INTENT) == []


async def _open_post(process: Process) -> Post:
    await _schedule(process.repository, SHARED)
    await process.posting.run_due(process.owns)
    (post,) = await process.repository.open_posts([SHARED])
    return post


async def test_a_reply_seen_by_both_processes_counts_once(
    processes: tuple[Process, Process],
) -> None:
    first, second = processes
    post = await _open_post(first)
    assert post.thread_id is not None
    replies = [
        ObservedMessage(
            guild_id=SHARED,
            channel_id=post.thread_id,
            message_id=900 + n,
            author_id=77 + n,
            from_bot=False,
            is_system=False,
            text=f"Ask the supervisor first, then review the agreement ({n}).",
            created_at=AFTER_SLOT,
        )
        for n in range(3)
    ]
    results = await asyncio.gather(
        *(p.collection.record(reply) for reply in replies for p in (first, second) for _ in "ab")
    )
    assert sum(result is not None for result in results) == len(replies)
    stats = await second.repository.topic_stats(SHARED, post.topic)
    assert (stats.strategies, stats.members) == (3, 3)
    assert dict(stats.themes) == {"agreement": 3, "supervision": 3}


async def test_a_process_dying_after_the_send_leaves_a_post_the_other_adopts(
    processes: tuple[Process, Process],
) -> None:
    first, second = processes
    await _schedule(first.repository, SHARED)
    first.publisher.die = "after_send"
    with pytest.raises(Crash):
        await first.posting.run_due(first.owns)
    (intent,) = await second.repository.posts_in_state(PostState.INTENT)
    await second.posting.recover(second.owns)
    channel = second.publisher.channel
    assert (len(channel.messages), channel.sends) == (1, 1)  # adopted, not sent again
    (post,) = await second.repository.open_posts([SHARED])
    assert (post.id, post.message_id) == (intent.id, channel.messages[intent.nonce].message_id)


async def test_a_process_dying_before_the_send_leaves_a_post_both_may_finish(
    processes: tuple[Process, Process],
) -> None:
    first, second = processes
    await _schedule(first.repository, SHARED)
    first.publisher.die = "before_send"
    with pytest.raises(Crash):
        await first.posting.run_due(first.owns)
    assert first.publisher.channel.sends == 0
    first.publisher.die = None
    # The restarted first process and the second one both recover the intent at once.
    await asyncio.gather(first.posting.recover(first.owns), second.posting.recover(second.owns))
    channel = first.publisher.channel
    assert len(channel.messages) == 1  # the nonce makes a repeated send return the same message
    (post,) = await first.repository.open_posts([SHARED])
    assert post.message_id == next(iter(channel.messages.values())).message_id
    assert await second.repository.posts_in_state(PostState.INTENT) == []
    # The schedule moved on exactly once: the next slot belongs to nobody yet.
    assert (await second.repository.guild_settings(SHARED)).next_post_at == SLOT + timedelta(7)
