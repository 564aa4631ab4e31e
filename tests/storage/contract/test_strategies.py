"""Contract: strategies (idempotent by message), edits, deletions, endorsements, topic stats."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import aiosqlite
import asyncpg
import pytest

from bot.domain.privacy import anonymous_key, counting_key
from bot.domain.strategies import Analysis, Strategy, TopicStats, member_key
from tests.storage.contract.conftest import Backend
from tests.storage.contract.helpers import GUILD, OTHER_GUILD, T0, open_post, strategy

SECRET = b"s" * 32


async def test_add_returns_the_stored_strategy_once(backend: Backend) -> None:
    store = backend.store
    post = await open_post(store, "one", thread_id=501)
    new = strategy(post, 1_180_000_000_000_001_001, 7, themes=("supervision", "agreement"))
    [stored] = await store.add_strategies([new])
    assert stored == Strategy(
        id=stored.id if stored else 0,
        guild_id=GUILD,
        post_id=post.id,
        message_id=new.message_id,
        author_key=member_key(7),
        author_id=7,
        anonymous=False,
        text=new.text,
        language="en",
        themes=("agreement", "supervision"),
        created_at=T0,
    )
    assert stored is not None
    assert stored.created_at.utcoffset() == timedelta(0)
    assert await store.add_strategies([new]) == [None]
    assert await store.strategy_by_message(GUILD, new.message_id) == stored
    assert await store.strategy_by_message(OTHER_GUILD, new.message_id) is None


async def test_a_strategy_on_another_guilds_post_is_refused(backend: Backend) -> None:
    store = backend.store
    post = await open_post(store, "one", thread_id=501, guild_id=OTHER_GUILD)
    new = strategy(post, 1001, 7)
    assert await store.add_strategies([dataclasses.replace(new, guild_id=GUILD)]) == [None]
    assert await store.post_strategies(OTHER_GUILD, post.id) == []


async def test_a_batch_gets_one_result_per_item_as_if_added_one_by_one(
    backend: Backend,
) -> None:
    store = backend.store
    post = await open_post(store, "one", thread_id=501)
    elsewhere = await open_post(store, "one", thread_id=502, guild_id=OTHER_GUILD)
    [earlier] = await store.add_strategies([strategy(post, 1001, 7)])
    batch = [
        strategy(post, 1002, 7, themes=("consent",), quotes=[("consent", "Ask first.")]),
        strategy(post, 1001, 8),  # already stored
        strategy(post, 1003, 8, themes=("agreement", "consent")),
        strategy(post, 1002, 9, text="A second take."),  # stored by an earlier item
        dataclasses.replace(strategy(elsewhere, 1004, 7), guild_id=GUILD),  # not the guild's
        strategy(elsewhere, 1005, 9, themes=("consent",)),
    ]
    results = await store.add_strategies(batch)
    assert [r.message_id if r else None for r in results] == [1002, None, 1003, None, None, 1005]
    for result in results:
        if result is not None:
            assert await store.strategy_by_message(result.guild_id, result.message_id) == result
    assert results[0] is not None
    assert (results[0].author_id, results[0].text, results[0].themes) == (
        7,
        batch[0].text,
        ("consent",),
    )
    assert await store.strategy_by_message(GUILD, 1001) == earlier
    assert await store.add_strategies([]) == []
    stats = await store.topic_stats(GUILD, "one")
    assert (stats.strategies, stats.members) == (3, 2)
    assert dict(stats.themes) == {"consent": 2, "agreement": 1}
    assert (await store.topic_stats(OTHER_GUILD, "one")).strategies == 1
    snapshot = await store.topic_snapshot(GUILD, "one", "en", ["consent", "agreement"], 2)
    assert (snapshot.strategies, snapshot.members, dict(snapshot.theme_members)) == (
        3,
        2,
        {"consent": 2, "agreement": 1},
    )
    assert [(c.reply_id, c.text) for c in snapshot.candidates] == [
        (str(results[0].id), "Ask first.")
    ]


async def test_a_large_batch_with_repeats_across_its_statements(backend: Backend) -> None:
    store = backend.store
    post = await open_post(store, "one", thread_id=501)
    messages = [*range(1, 301), 7, 150, 299]
    results = await store.add_strategies([strategy(post, m, m % 11) for m in messages])
    assert [r.message_id if r else None for r in results] == [*range(1, 301), None, None, None]
    assert len(await store.post_strategies(GUILD, post.id)) == 300
    assert (await store.topic_stats(GUILD, "one")).members == 11


async def test_a_failing_batch_stores_nothing(backend: Backend) -> None:
    store = backend.store
    post = await open_post(store, "one", thread_id=501)
    broken = dataclasses.replace(strategy(post, 1002, 7), text=None)  # type: ignore[arg-type]
    with pytest.raises((aiosqlite.IntegrityError, asyncpg.IntegrityConstraintViolationError)):
        await store.add_strategies([strategy(post, 1001, 7), broken, strategy(post, 1003, 8)])
    assert await store.post_strategies(GUILD, post.id) == []
    assert (await store.topic_stats(GUILD, "one")).strategies == 0
    snapshot = await store.topic_snapshot(GUILD, "one", "en", ["consent"], 1)
    assert snapshot.strategies == 0


async def test_anonymous_and_shared_flags_round_trip(backend: Backend) -> None:
    store = backend.store
    post = await open_post(store, "one", thread_id=501)
    key = anonymous_key(SECRET, GUILD, 7)
    [stored] = await store.add_strategies(
        [strategy(post, 1001, 7, author_key=key, anonymous=True, shared=True)]
    )
    assert stored is not None
    assert (stored.author_key, stored.author_id, stored.anonymous, stored.shared) == (
        key,
        None,
        True,
        True,
    )


async def test_update_replaces_text_and_analysis(backend: Backend) -> None:
    store = backend.store
    post = await open_post(store, "one", thread_id=501)
    await store.add_strategies([strategy(post, 1001, 7, themes=("agreement",))])
    edited_at = T0 + timedelta(hours=1)
    analysis = Analysis("de", ("consent", "supervision"))
    assert await store.update_strategy(GUILD, 1001, "Neu", analysis, edited_at)
    updated = await store.strategy_by_message(GUILD, 1001)
    assert updated is not None
    assert (updated.text, updated.language, updated.themes, updated.edited_at) == (
        "Neu",
        "de",
        ("consent", "supervision"),
        edited_at,
    )
    assert not await store.update_strategy(GUILD, 9999, "x", analysis, edited_at)
    assert not await store.update_strategy(OTHER_GUILD, 1001, "x", analysis, edited_at)


async def test_post_strategies_and_deletions(backend: Backend) -> None:
    store = backend.store
    post = await open_post(store, "one", thread_id=501)
    later = await open_post(store, "two", thread_id=502)
    await store.add_strategies(
        [*(strategy(post, message_id, message_id) for message_id in (1003, 1001, 1002))]
    )
    await store.add_strategies([strategy(later, 1004, 4)])
    assert [s.message_id for s in await store.post_strategies(GUILD, post.id)] == [
        1001,
        1002,
        1003,
    ]
    assert await store.post_strategies(OTHER_GUILD, post.id) == []
    assert await store.delete_strategies(OTHER_GUILD, [1001]) == 0
    assert await store.delete_strategies(GUILD, [1001, 1002, 4242]) == 2
    assert await store.delete_strategies(GUILD, []) == 0
    assert await store.delete_thread_strategies(OTHER_GUILD, 501) == 0
    assert await store.delete_thread_strategies(GUILD, 501) == 1
    assert await store.post_strategies(GUILD, post.id) == []
    assert len(await store.post_strategies(GUILD, later.id)) == 1


async def test_many_deletions_at_once(backend: Backend) -> None:
    store = backend.store
    post = await open_post(store, "one", thread_id=501)
    await store.add_strategies([strategy(post, m, m % 7) for m in range(1, 601)])
    assert await store.delete_strategies(GUILD, range(1, 1201)) == 600


async def test_endorsements(backend: Backend) -> None:
    store = backend.store
    post = await open_post(store, "one", thread_id=501)
    await store.add_strategies([strategy(post, 1001, 7)])
    assert await store.add_endorsement(GUILD, 1001, member_key(8), T0)
    assert not await store.add_endorsement(GUILD, 1001, member_key(8), T0)
    assert not await store.add_endorsement(GUILD, 9999, member_key(8), T0)
    assert not await store.add_endorsement(OTHER_GUILD, 1001, member_key(9), T0)
    assert await store.add_endorsement(GUILD, 1001, member_key(9), T0)
    assert await store.remove_endorsement(GUILD, 1001, member_key(8))
    assert not await store.remove_endorsement(GUILD, 1001, member_key(8))
    assert not await store.remove_endorsement(OTHER_GUILD, 1001, member_key(9))
    assert await store.add_endorsement(GUILD, 1001, member_key(8), T0)
    assert await store.clear_endorsements(OTHER_GUILD, 1001) == 0
    assert await store.clear_endorsements(GUILD, 1001) == 2
    assert await store.clear_endorsements(GUILD, 1001) == 0


async def test_topic_stats_count_members_once_across_anonymity(backend: Backend) -> None:
    store = backend.store
    assert await store.topic_stats(GUILD, "one") == TopicStats()
    first = await open_post(store, "one", thread_id=501)
    second = await open_post(store, "one", thread_id=502)
    other = await open_post(store, "two", thread_id=503)
    await store.guild_secret(GUILD, SECRET)
    anonymous = anonymous_key(SECRET, GUILD, 7)
    await store.add_strategies([strategy(first, 1, 7, themes=("agreement", "consent"))])
    await store.add_strategies([strategy(second, 2, 7, author_key=anonymous, themes=("consent",))])
    await store.add_strategies([strategy(second, 3, 8, themes=("supervision",))])
    await store.add_strategies([strategy(other, 4, 9, themes=("consent",))])
    await store.add_endorsement(GUILD, 1, member_key(8), T0)
    await store.add_endorsement(GUILD, 2, member_key(9), T0)
    await store.add_endorsement(GUILD, 4, member_key(7), T0)
    stats = await store.topic_stats(GUILD, "one")
    assert stats == TopicStats(
        strategies=3,
        members=2,
        endorsements=2,
        themes=(("consent", 2), ("agreement", 1), ("supervision", 1)),
    )
    assert counting_key(SECRET, GUILD, member_key(7)) == anonymous
    assert await store.topic_stats(OTHER_GUILD, "one") == TopicStats()
