"""Claiming posting slots: exactly one winner, even across processes on one database."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from bot.domain.dilemmas import Dilemma, DilemmaText
from bot.domain.guilds import GuildSettings
from bot.domain.posts import Post, PostState
from bot.domain.summary import Summary
from bot.services.ports import ClaimOutcome
from bot.services.posting import PostingService, Published, PublishError, PublishFailure
from bot.storage.sqlite import SqliteRepository

GUILD = 1
SLOT = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
NEXT = SLOT + timedelta(days=7)


def _dilemma(topic: str) -> Dilemma:
    return Dilemma(topic, {"en-US": DilemmaText("T", "P?", ("a", "b", "c"))})


async def _scheduled_guild(
    repo: SqliteRepository, topics: tuple[str, ...] = ("one", "two")
) -> None:
    await repo.save_guild_settings(
        GuildSettings(
            GUILD,
            channel_id=10,
            weekday=0,
            post_time=time(9),
            timezone="Europe/Berlin",
            next_post_at=SLOT,
        )
    )
    await repo.add_dilemmas(GUILD, [_dilemma(t) for t in topics])


async def _claim(repo: SqliteRepository, nonce: str) -> ClaimOutcome:
    claim = await repo.claim_post(
        GUILD, slot=SLOT, nonce=nonce, channel_id=10, expected_next=SLOT, next_post_at=NEXT
    )
    return claim.outcome


async def test_two_processes_racing_for_a_slot_yield_one_post(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    async with (
        await SqliteRepository.open(path) as first,
        await SqliteRepository.open(path) as second,
    ):
        await _scheduled_guild(first)
        outcomes = await asyncio.gather(
            *(_claim(repo, f"n{i}") for i, repo in enumerate([first, second] * 5))
        )
        assert sorted(o.value for o in outcomes) == ["claimed"] + ["taken"] * 9
        posts = await second.posts_in_state(PostState.INTENT)
        assert [p.topic for p in posts] == ["one"]
        assert (await first.guild_settings(GUILD)).next_post_at == NEXT


async def test_an_empty_queue_consumes_the_slot(repository: SqliteRepository) -> None:
    await _scheduled_guild(repository, topics=())
    assert await _claim(repository, "n") is ClaimOutcome.EMPTY
    assert (await repository.guild_settings(GUILD)).next_post_at == NEXT
    assert await _claim(repository, "n2") is ClaimOutcome.TAKEN


class FakePublisher:
    """Records deliveries; can fail or pretend a message exists from before a crash."""

    def __init__(self) -> None:
        self.published: list[int] = []
        self.failure: PublishFailure | None = None
        self.already_sent: dict[int, Published] = {}

    async def publish(self, post: Post, dilemma: Dilemma, settings: GuildSettings) -> Published:
        if self.failure is not None:
            raise PublishError(self.failure)
        self.published.append(post.id)
        return Published(1000 + post.id, 2000 + post.id)

    async def find_published(self, post: Post) -> Published | None:
        return self.already_sent.get(post.id)

    async def close(
        self, post: Post, settings: GuildSettings, dilemma: Dilemma, summary: Summary
    ) -> None:
        return None

    async def notify_empty_queue(self, settings: GuildSettings, thread_id: int | None) -> None:
        return None


async def test_two_services_on_one_database_post_once(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    async with (
        await SqliteRepository.open(path) as first,
        await SqliteRepository.open(path) as second,
    ):
        await _scheduled_guild(first)
        publishers = [FakePublisher(), FakePublisher()]
        services = [
            PostingService(repo, pub, lambda: SLOT + timedelta(seconds=5))
            for repo, pub in zip((first, second), publishers, strict=True)
        ]
        await asyncio.gather(*(service.run_due() for service in services))
        assert sum(len(p.published) for p in publishers) == 1
        (post,) = await first.open_posts([GUILD])
        assert post.message_id is not None


async def test_an_unavailable_discord_keeps_the_intent_for_recovery(
    repository: SqliteRepository,
) -> None:
    await _scheduled_guild(repository)
    publisher = FakePublisher()
    publisher.failure = PublishFailure.UNAVAILABLE
    service = PostingService(repository, publisher, lambda: SLOT)
    await service.run_due()
    (intent,) = await repository.posts_in_state(PostState.INTENT)
    publisher.failure = None
    await service.recover()
    assert publisher.published == [intent.id]
    assert [p.id for p in await repository.open_posts()] == [intent.id]


async def test_recovery_adopts_a_message_sent_before_the_crash(
    repository: SqliteRepository,
) -> None:
    await _scheduled_guild(repository)
    publisher = FakePublisher()
    publisher.failure = PublishFailure.UNAVAILABLE
    await PostingService(repository, publisher, lambda: SLOT).run_due()
    (intent,) = await repository.posts_in_state(PostState.INTENT)
    publisher.failure = None
    publisher.already_sent[intent.id] = Published(77, 78)
    await PostingService(repository, publisher, lambda: SLOT).recover()
    assert publisher.published == []
    (post,) = await repository.open_posts()
    assert (post.message_id, post.thread_id) == (77, 78)


async def test_a_deleted_channel_returns_the_dilemma_to_the_queue(
    repository: SqliteRepository,
) -> None:
    await _scheduled_guild(repository)
    publisher = FakePublisher()
    publisher.failure = PublishFailure.CHANNEL_GONE
    await PostingService(repository, publisher, lambda: SLOT).run_due()
    assert await repository.posts_in_state(PostState.INTENT) == []
    assert [q.dilemma.topic for q in await repository.queue(GUILD)] == ["one", "two"]
    settings = await repository.guild_settings(GUILD)
    assert settings.next_post_at == NEXT
    assert dataclasses.replace(settings, next_post_at=None).channel_id == 10
