"""Contract: collection choices, export, erasure, guild secrets, departures, retention, purge."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.guilds import GuildSettings
from bot.domain.privacy import (
    AuthoredStrategy,
    Erasure,
    GivenEndorsement,
    MemberData,
    PostedForMember,
    PurgeSchedule,
    anonymous_key,
)
from bot.domain.strategies import TopicStats, member_key
from tests.storage.contract.conftest import Backend
from tests.storage.contract.helpers import GUILD, OTHER_GUILD, T0, open_post, strategy

SECRET = b"k" * 32


async def test_the_first_guild_secret_wins(backend: Backend) -> None:
    store = backend.store
    assert await store.guild_secret(GUILD, b"first") == b"first"
    assert await store.guild_secret(GUILD, b"second") == b"first"
    assert await store.guild_secret(OTHER_GUILD, b"other") == b"other"


async def test_opt_out_round_trip(backend: Backend) -> None:
    store = backend.store
    assert not await store.opted_out(GUILD, 7)
    await store.set_opted_out(GUILD, 7, True, T0)
    assert await store.opted_out(GUILD, 7)
    assert not await store.opted_out(OTHER_GUILD, 7)
    await store.set_opted_out(GUILD, 7, False, T0 + timedelta(minutes=1))
    assert not await store.opted_out(GUILD, 7)


async def test_member_data_and_posted_messages(backend: Backend) -> None:
    store = backend.store
    post = await open_post(store, "one", thread_id=501)
    anonymous = anonymous_key(SECRET, GUILD, 7)
    keys = [member_key(7), anonymous]
    [named] = await store.add_strategies([strategy(post, 1002, 7, shared=True)])
    [hidden] = await store.add_strategies(
        [strategy(post, 1001, 7, author_key=anonymous, anonymous=True, shared=True)]
    )
    await store.add_strategies([strategy(post, 1003, 8)])
    await store.add_endorsement(GUILD, 1001, member_key(8), T0)
    await store.add_endorsement(GUILD, 1003, member_key(7), T0 + timedelta(seconds=2))
    await store.set_opted_out(GUILD, 7, False, T0)
    assert named is not None
    assert hidden is not None
    data = await store.member_data(GUILD, 7, keys)
    assert data == MemberData(
        strategies=(AuthoredStrategy(hidden, "one", 1), AuthoredStrategy(named, "one", 0)),
        endorsements=(GivenEndorsement(1003, "one", T0 + timedelta(seconds=2)),),
        opted_out=False,
        preference_updated_at=T0,
    )
    assert await store.member_data(GUILD, 9, [member_key(9)]) == MemberData()
    assert await store.member_data(GUILD, 9, []) == MemberData()
    assert await store.posted_for_member(GUILD, keys) == [
        PostedForMember(501, 1001),
        PostedForMember(501, 1002),
    ]
    assert await store.posted_for_member(OTHER_GUILD, keys) == []


async def test_forget_member_erases_all_but_an_opt_out(backend: Backend) -> None:
    store = backend.store
    post = await open_post(store, "one", thread_id=501)
    await store.add_strategies([strategy(post, 1001, 7, themes=("consent",))])
    await store.add_strategies([strategy(post, 1002, 8)])
    await store.add_endorsement(GUILD, 1002, member_key(7), T0)
    await store.add_endorsement(GUILD, 1001, member_key(8), T0)
    await store.set_opted_out(GUILD, 7, True, T0)
    erasure = await store.forget_member(GUILD, 7, [member_key(7)])
    assert erasure == Erasure(strategies=1, endorsements=1)
    assert await store.opted_out(GUILD, 7)
    assert await store.member_data(GUILD, 7, [member_key(7)]) == MemberData(
        opted_out=True, preference_updated_at=T0
    )
    assert await store.topic_stats(GUILD, "one") == TopicStats(strategies=1, members=1)
    await store.set_opted_out(GUILD, 8, False, T0)
    assert await store.forget_member(GUILD, 8, [member_key(8)]) == Erasure(1, 0)
    assert await store.member_data(GUILD, 8, [member_key(8)]) == MemberData()
    assert await store.forget_member(GUILD, 8, []) == Erasure(0, 0)


async def test_departures_and_returns(backend: Backend) -> None:
    store = backend.store
    await store.save_guild_settings(GuildSettings(GUILD, locale="de"))
    await store.mark_guild_left(GUILD, T0)
    await store.mark_guild_left(OTHER_GUILD, T0 + timedelta(days=1))  # no settings before
    assert await store.known_guilds() == {GUILD: True, OTHER_GUILD: True}
    assert (await store.guild_settings(GUILD)).locale == "de"
    assert await store.departed_guilds(T0 + timedelta(days=2)) == [GUILD, OTHER_GUILD]
    assert await store.departed_guilds(T0 + timedelta(hours=1)) == [GUILD]
    assert await store.departed_guilds(T0) == []
    await store.mark_guild_returned(GUILD)
    assert await store.known_guilds() == {GUILD: False, OTHER_GUILD: True}
    assert (await store.purge_schedule()).earliest_left_at == T0 + timedelta(days=1)


async def test_purge_guild_removes_everything_of_that_guild_only(backend: Backend) -> None:
    store = backend.store
    for guild in (GUILD, OTHER_GUILD):
        await store.save_guild_settings(GuildSettings(guild, locale="fr"))
        await store.guild_secret(guild, SECRET)
        await store.set_opted_out(guild, 9, True, T0)
        post = await open_post(store, "one", thread_id=guild % 1000, guild_id=guild)
        await store.add_strategies(
            [strategy(post, guild % 1000 + 1, 7, themes=("consent",), quotes=[("consent", "Ask.")])]
        )
        await store.add_endorsement(guild, guild % 1000 + 1, member_key(8), T0)
    await store.purge_guild(GUILD)
    assert await store.guild_settings(GUILD) == GuildSettings(GUILD)
    assert await store.guild_dilemmas(GUILD) == []
    assert await store.open_posts([GUILD]) == []
    assert not await store.opted_out(GUILD, 9)
    assert await store.guild_secret(GUILD, b"new") == b"new"
    assert await store.topic_stats(GUILD, "one") == TopicStats()
    snapshot = await store.topic_snapshot(GUILD, "one", "en", ["consent"], 3)
    assert (snapshot.members, snapshot.strategies, dict(snapshot.theme_members)) == (0, 0, {})
    assert await store.known_guilds() == {OTHER_GUILD: False}
    kept = await store.topic_snapshot(OTHER_GUILD, "one", "en", ["consent"], 3)
    assert (kept.members, kept.strategies, dict(kept.theme_members)) == (1, 1, {"consent": 1})
    assert [c.endorsements for c in kept.candidates] == [1]


async def test_retention(backend: Backend) -> None:
    store = backend.store
    assert await store.purge_schedule() == PurgeSchedule()
    assert await store.retention_days(GUILD) is None
    await store.set_retention_days(GUILD, 30)
    await store.set_retention_days(OTHER_GUILD, 90)
    assert await store.retention_days(GUILD) == 30
    assert await store.purge_schedule() == PurgeSchedule(shortest_retention_days=30)
    post = await open_post(store, "one", thread_id=501)
    other = await open_post(store, "one", thread_id=502, guild_id=OTHER_GUILD)
    await store.add_strategies([strategy(post, 1, 7, created_at=T0)])
    await store.add_strategies([strategy(post, 2, 7, created_at=T0 + timedelta(days=10))])
    await store.add_strategies([strategy(other, 3, 7, created_at=T0)])
    assert await store.purge_schedule() == PurgeSchedule(
        earliest_expiry=T0 + timedelta(days=30), shortest_retention_days=30
    )
    # Exactly 30 days old is not yet expired; a microsecond later it is.
    assert await store.delete_expired_strategies(T0 + timedelta(days=30)) == 0
    assert await store.delete_expired_strategies(T0 + timedelta(days=30, microseconds=1)) == 1
    assert await store.delete_expired_strategies(T0 + timedelta(days=91)) == 2
    await store.set_retention_days(GUILD, None)
    assert await store.retention_days(GUILD) is None
    assert (await store.guild_settings(GUILD)) == GuildSettings(GUILD)
