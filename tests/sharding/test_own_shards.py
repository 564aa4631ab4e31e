"""A process schedules, recovers and backfills only the guilds of its own shards (simcord).

The bot runs shard 0 of 2; the other guild lives on shard 1, served by another process. Its
schedule, its interrupted post and its open thread are in the shared database (see
``conftest.py``), and this process must leave them alone.
"""

from __future__ import annotations

from typing import Any

import discord
import pytest

from bot.client import IntervisionBot, ShardedIntervisionBot, create_bot
from bot.domain.posts import PostState
from bot.storage.sqlite import SqliteRepository

from .conftest import MY_SHARDS, OTHER_CHANNEL, OTHER_THREAD, SHARD_COUNT, SLOT, OtherShard

pytestmark = pytest.mark.simcord(settle_timeout=120)


async def test_only_guilds_of_own_shards_are_scheduled_recovered_and_backfilled(
    simcord_env: Any,
    simcord_bot: IntervisionBot,
    repository: SqliteRepository,
    other_shard: OtherShard,
) -> None:
    assert isinstance(simcord_bot, ShardedIntervisionBot)
    assert simcord_bot.shard_ids == [0]
    mine = simcord_env.create_guild("Mine", shard_id=0)
    other = simcord_env.create_guild("Other", id=other_shard.guild_id, shard_id=1)
    other.create_text_channel("dilemmas")
    channel = mine.create_text_channel("dilemmas")
    mods = mine.create_role("Mods", permissions=discord.Permissions(manage_guild=True))
    mod = mine.add_member(simcord_env.create_user("mod"), roles=[mods])
    await mod.slash(
        channel, "dilemma setup", channel=channel, weekday=0, time="09:00", timezone="Europe/Berlin"
    )
    # Start again with both guilds in place: recovery and backfill run at start-up.
    fresh = create_bot(
        shard_count=SHARD_COUNT,
        shard_ids=MY_SHARDS,
        services=simcord_bot.services,
        catalogs=simcord_bot.catalogs,
    )
    await simcord_env.restart_bot(fresh)
    assert {g.id for g in fresh.guilds} == {mine.id}
    await simcord_env.advance_time((SLOT - simcord_env.now()).total_seconds() + 120)

    assert [m for m in channel.history() if m.author.bot and m.embeds]
    (post,) = await repository.open_posts([mine.id])
    assert post.slot == SLOT
    # Nothing of the other shard's guild was read, sent or claimed by this process.
    ids = (str(other.id), str(OTHER_CHANNEL), str(OTHER_THREAD))
    assert [r.path for r in simcord_env.http_requests if any(i in r.path for i in ids)] == []
    settings = await repository.guild_settings(other_shard.guild_id)
    assert settings.next_post_at == other_shard.next_post_at
    (intent,) = await repository.posts_in_state(PostState.INTENT, [other_shard.guild_id])
    assert intent.id == other_shard.intent.id
    (still_open,) = await repository.open_posts([other_shard.guild_id])
    assert still_open.id == other_shard.open_post.id
