"""Contract: claiming slots (one winner), then opening, closing and abandoning posts."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.dilemmas import DilemmaStatus
from bot.domain.guilds import GuildSettings
from bot.domain.posts import PostState
from bot.services.ports import ClaimOutcome, Repository
from tests.storage.contract.conftest import Backend
from tests.storage.contract.helpers import GUILD, OTHER_GUILD, SLOT, T0, dilemma, open_post

NEXT = SLOT + timedelta(days=7)


async def _scheduled(store: Repository, *topics: str) -> None:
    await store.save_guild_settings(
        GuildSettings(GUILD, channel_id=10, next_post_at=SLOT, empty_queue_notified=True)
    )
    if topics:
        await store.add_dilemmas(GUILD, [dilemma(t) for t in topics])


async def test_a_scheduled_claim_records_the_intent_and_advances(backend: Backend) -> None:
    store = backend.store
    await _scheduled(store, "one", "two")
    claim = await store.claim_post(
        GUILD, slot=SLOT, nonce="n1", channel_id=10, expected_next=SLOT, next_post_at=NEXT
    )
    assert claim.outcome is ClaimOutcome.CLAIMED
    post = claim.post
    assert post is not None
    assert (post.guild_id, post.topic, post.slot, post.nonce, post.state, post.channel_id) == (
        GUILD,
        "one",
        SLOT,
        "n1",
        PostState.INTENT,
        10,
    )
    assert post.slot.utcoffset() == timedelta(0)
    assert (post.message_id, post.thread_id, post.posted_at, post.closed_at) == (None,) * 4
    settings = await store.guild_settings(GUILD)
    assert settings.next_post_at == NEXT
    assert not settings.empty_queue_notified
    assert [q.dilemma.topic for q in await store.queue(GUILD)] == ["two"]
    assert await store.posts_in_state(PostState.INTENT) == [post]
    again = await store.claim_post(
        GUILD, slot=SLOT, nonce="n2", channel_id=10, expected_next=SLOT, next_post_at=NEXT
    )
    assert again == type(again)(ClaimOutcome.TAKEN)


async def test_an_empty_queue_consumes_the_slot(backend: Backend) -> None:
    store = backend.store
    await _scheduled(store)
    claim = await store.claim_post(
        GUILD, slot=SLOT, nonce="n", channel_id=10, expected_next=SLOT, next_post_at=NEXT
    )
    assert claim.outcome is ClaimOutcome.EMPTY
    assert claim.post is None
    assert (await store.guild_settings(GUILD)).next_post_at == NEXT


async def test_a_paused_schedule_is_not_claimed(backend: Backend) -> None:
    store = backend.store
    await store.save_guild_settings(GuildSettings(GUILD, next_post_at=SLOT, paused=True))
    await store.add_dilemmas(GUILD, [dilemma("one")])
    claim = await store.claim_post(
        GUILD, slot=SLOT, nonce="n", channel_id=10, expected_next=SLOT, next_post_at=NEXT
    )
    assert claim.outcome is ClaimOutcome.TAKEN
    assert (await store.guild_settings(GUILD)).next_post_at == SLOT


async def test_manual_claims_by_topic_and_per_slot(backend: Backend) -> None:
    store = backend.store
    await store.add_dilemmas(GUILD, [dilemma("one"), dilemma("two")])

    async def manual(nonce: str, topic: str | None, slot: datetime = SLOT) -> ClaimOutcome:
        claim = await store.claim_post(
            GUILD,
            slot=slot,
            nonce=nonce,
            channel_id=10,
            expected_next=None,
            next_post_at=None,
            topic=topic,
        )
        return claim.outcome

    assert await manual("a", "nope") is ClaimOutcome.UNKNOWN_TOPIC
    assert await manual("b", "two") is ClaimOutcome.CLAIMED
    assert await manual("c", "one") is ClaimOutcome.TAKEN  # same slot
    assert await manual("b", "one", SLOT + timedelta(hours=1)) is ClaimOutcome.TAKEN  # nonce
    assert await manual("d", None, SLOT + timedelta(hours=2)) is ClaimOutcome.CLAIMED
    assert await manual("e", None, SLOT + timedelta(hours=3)) is ClaimOutcome.EMPTY
    latest = await store.latest_post(GUILD, "one")
    assert latest is not None
    assert latest.nonce == "d"
    # A topic can be posted again by name (e.g. a re-run), whatever its status.
    assert await manual("f", "two", SLOT + timedelta(hours=4)) is ClaimOutcome.CLAIMED
    latest_two = await store.latest_post(GUILD, "two")
    assert latest_two is not None
    assert latest_two.nonce == "f"
    assert await store.latest_post(OTHER_GUILD, "two") is None


async def test_open_close_and_lookups(backend: Backend) -> None:
    store = backend.store
    first = await open_post(store, "one", thread_id=501)
    assert (first.state, first.message_id, first.thread_id, first.posted_at) == (
        PostState.OPEN,
        501,
        501,
        T0,
    )
    other = await open_post(store, "one", thread_id=601, guild_id=OTHER_GUILD)
    assert await store.open_posts() == [first, other]
    assert await store.open_posts([GUILD]) == [first]
    assert await store.open_posts([]) == []
    assert await store.posts_in_state(PostState.OPEN, [OTHER_GUILD, 999]) == [other]
    assert await store.open_post_by_thread(OTHER_GUILD, 501) is None

    await store.mark_post_closed(first.id, T0 + timedelta(days=7))
    assert await store.open_post_by_thread(GUILD, 501) is None
    closed = await store.posts_in_state(PostState.CLOSED)
    assert len(closed) == 1
    assert closed[0].closed_at == T0 + timedelta(days=7)
    assert (await store.queue(GUILD, [DilemmaStatus.CLOSED]))[0].dilemma.topic == "one"
    assert await store.latest_post(GUILD, "one") == closed[0]


async def test_abandoning_an_intent_requeues_its_dilemma(backend: Backend) -> None:
    store = backend.store
    await _scheduled(store, "one", "two")
    claim = await store.claim_post(
        GUILD, slot=SLOT, nonce="n", channel_id=10, expected_next=SLOT, next_post_at=NEXT
    )
    assert claim.post is not None
    await store.abandon_post(claim.post.id)
    assert await store.posts_in_state(PostState.INTENT) == []
    assert [q.dilemma.topic for q in await store.queue(GUILD)] == ["one", "two"]
    # An open post is not abandoned.
    post = await open_post(store, "two", thread_id=700)
    await store.abandon_post(post.id)
    assert await store.open_posts() == [post]


async def test_backfill_mark_only_moves_forward(backend: Backend) -> None:
    store = backend.store
    post = await open_post(store, "one", thread_id=501)
    await store.set_backfill_mark(post.id, 1_180_000_000_000_000_900)
    await store.set_backfill_mark(post.id, 1_180_000_000_000_000_800)
    reread = await store.open_post_by_thread(GUILD, 501)
    assert reread is not None
    assert reread.last_message_id == 1_180_000_000_000_000_900


async def test_empty_queue_notice_flag(backend: Backend) -> None:
    store = backend.store
    await store.save_guild_settings(GuildSettings(GUILD))
    await store.mark_empty_queue_notified(GUILD)
    assert (await store.guild_settings(GUILD)).empty_queue_notified
