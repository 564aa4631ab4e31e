"""Contract: guild settings, the schedule's compare-and-set, and the dilemma queue."""

from __future__ import annotations

from datetime import UTC, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.dilemmas import DilemmaStatus
from bot.domain.guilds import GuildSettings
from tests.storage.contract.conftest import Backend
from tests.storage.contract.helpers import GUILD, OTHER_GUILD, SLOT, dilemma


async def test_settings_default_then_round_trip_every_field(backend: Backend) -> None:
    store = backend.store
    assert await store.guild_settings(GUILD) == GuildSettings(guild_id=GUILD)
    full = GuildSettings(
        GUILD,
        locale="pt-BR",
        timezone="America/Sao_Paulo",
        endorsement_emoji="\N{SPARKLES}",
        channel_id=1_180_000_000_000_000_099,
        weekday=4,
        post_time=time(18, 30),
        ping_role_id=1_180_000_000_000_000_098,
        paused=True,
        next_post_at=SLOT,
        empty_queue_notified=True,
    )
    await store.save_guild_settings(full)
    loaded = await store.guild_settings(GUILD)
    assert loaded == full
    assert loaded.next_post_at is not None
    assert loaded.next_post_at.utcoffset() == timedelta(0)
    await store.save_guild_settings(GuildSettings(GUILD, "fr", "Europe/Paris"))
    assert await store.guild_settings(GUILD) == GuildSettings(GUILD, "fr", "Europe/Paris")
    assert await store.guild_settings(OTHER_GUILD) == GuildSettings(OTHER_GUILD)


async def test_scheduled_guilds_are_running_ones_soonest_first(backend: Backend) -> None:
    store = backend.store
    later = GuildSettings(1, next_post_at=SLOT + timedelta(hours=1))
    sooner = GuildSettings(2, next_post_at=SLOT)
    await store.save_guild_settings(later)
    await store.save_guild_settings(sooner)
    await store.save_guild_settings(GuildSettings(3, next_post_at=SLOT, paused=True))
    await store.save_guild_settings(GuildSettings(4))
    await store.save_guild_settings(GuildSettings(5, next_post_at=SLOT))
    await store.mark_guild_left(5, SLOT)
    assert await store.scheduled_guilds() == [sooner, later]


async def test_advance_schedule_is_compare_and_set(backend: Backend) -> None:
    store = backend.store
    following = SLOT + timedelta(days=7)
    await store.save_guild_settings(GuildSettings(GUILD, next_post_at=SLOT))
    assert await store.advance_schedule(GUILD, SLOT, following)
    assert not await store.advance_schedule(GUILD, SLOT, following + timedelta(days=7))
    assert (await store.guild_settings(GUILD)).next_post_at == following
    # The same instant in another zone is the same instant.
    berlin = following.astimezone(ZoneInfo("Europe/Berlin"))
    assert await store.advance_schedule(GUILD, berlin, SLOT)
    assert (await store.guild_settings(GUILD)).next_post_at == SLOT.astimezone(UTC)


async def test_dilemmas_round_trip_in_queue_order_per_guild(backend: Backend) -> None:
    store = backend.store
    await store.add_dilemmas(GUILD, [dilemma("alpha", custom_themes=True), dilemma("beta")])
    await store.add_dilemmas(GUILD, [dilemma("gamma")])
    await store.add_dilemmas(OTHER_GUILD, [dilemma("alpha")])
    loaded = await store.guild_dilemmas(GUILD)
    assert [d.topic for d in loaded] == ["alpha", "beta", "gamma"]
    assert loaded[0] == dilemma("alpha", custom_themes=True)
    assert list(loaded[0].texts) == ["pt-BR", "en-US"]  # locale order is kept
    assert [d.topic for d in await store.guild_dilemmas(OTHER_GUILD)] == ["alpha"]
    assert await store.guild_dilemmas(3) == []
    assert await store.topics(GUILD) == {"alpha", "beta", "gamma"}
    queue = await store.queue(GUILD)
    assert [(q.dilemma.topic, q.status, q.position) for q in queue] == [
        ("alpha", DilemmaStatus.QUEUED, 1),
        ("beta", DilemmaStatus.QUEUED, 2),
        ("gamma", DilemmaStatus.QUEUED, 3),
    ]


async def test_a_duplicate_topic_adds_nothing(backend: Backend) -> None:
    store = backend.store
    await store.add_dilemmas(GUILD, [dilemma("alpha")])
    with pytest.raises(backend.integrity_error):
        await store.add_dilemmas(GUILD, [dilemma("beta"), dilemma("alpha")])
    assert [d.topic for d in await store.guild_dilemmas(GUILD)] == ["alpha"]


async def test_remove_and_move_queued_dilemmas(backend: Backend) -> None:
    store = backend.store
    await store.add_dilemmas(GUILD, [dilemma(t) for t in ("a", "b", "c")])
    assert await store.move_to_back(GUILD, "a")
    assert [d.topic for d in await store.guild_dilemmas(GUILD)] == ["b", "c", "a"]
    assert not await store.move_to_back(GUILD, "missing")
    assert not await store.move_to_back(OTHER_GUILD, "a")
    assert await store.remove_queued(GUILD, "c")
    assert not await store.remove_queued(GUILD, "c")
    assert await store.topics(GUILD) == {"a", "b"}


async def test_queue_filters_by_status(backend: Backend) -> None:
    store = backend.store
    await store.save_guild_settings(GuildSettings(GUILD, next_post_at=SLOT))
    await store.add_dilemmas(GUILD, [dilemma(t) for t in ("a", "b")])
    claim = await store.claim_post(
        GUILD, slot=SLOT, nonce="n", channel_id=10, expected_next=SLOT, next_post_at=None
    )
    assert claim.post is not None
    assert [q.dilemma.topic for q in await store.queue(GUILD)] == ["b"]
    posted = await store.queue(GUILD, [DilemmaStatus.POSTED])
    assert [(q.dilemma.topic, q.id) for q in posted] == [("a", claim.post.dilemma_id)]
    assert len(await store.queue(GUILD, None)) == 2
    # A posted dilemma is neither removable nor movable.
    assert not await store.remove_queued(GUILD, "a")
    assert not await store.move_to_back(GUILD, "a")
