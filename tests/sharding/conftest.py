"""The bot under simcord as one process of a two-shard deployment: it runs shard 0 only.

Before it starts, the shared database already holds the work of the process running shard 1:
a scheduled guild, an interrupted post (an ``intent`` row) and an open thread.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import pytest_asyncio

from bot.client import IntervisionBot, Services, create_bot
from bot.domain.posts import Post
from bot.i18n.catalogs import Catalogs
from bot.storage.sqlite import SqliteRepository

SHARD_COUNT = 2
MY_SHARDS = (0,)
# Snowflakes of the other shard's guild: (id >> 22) % 2 == 1.
OTHER_GUILD = (1_000_001 << 22) | 5
OTHER_CHANNEL = (1_000_001 << 22) | 6
OTHER_THREAD = (1_000_001 << 22) | 7
SLOT = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)  # Monday 09:00 in Berlin


@dataclass(frozen=True)
class OtherShard:
    """What the process of shard 1 left in the shared database."""

    guild_id: int
    intent: Post
    open_post: Post
    next_post_at: datetime | None


@pytest_asyncio.fixture
async def other_shard(services: Services, repository: SqliteRepository) -> OtherShard:
    outcome = await services.moderation.setup(
        OTHER_GUILD,
        channel_id=OTHER_CHANNEL,
        weekday=0,
        time_text="09:00",
        zone_text="Europe/Berlin",
        ping_role_id=None,
        locale=None,
        seed_starter=True,
    )
    assert outcome.problem is None
    # Due at the same slot as this process's guild (simcord's clock is not running yet).
    settings = await repository.guild_settings(OTHER_GUILD)
    await repository.save_guild_settings(dataclasses.replace(settings, next_post_at=SLOT))
    posts = []
    for day in (1, 2):
        claim = await repository.claim_post(
            OTHER_GUILD,
            slot=datetime(2025, 12, day, 8, tzinfo=UTC),
            nonce=f"other-{day}",
            channel_id=OTHER_CHANNEL,
            expected_next=None,
            next_post_at=None,
        )
        assert claim.post is not None
        posts.append(claim.post)
    await repository.mark_post_open(
        posts[0].id,
        message_id=OTHER_THREAD,
        thread_id=OTHER_THREAD,
        posted_at=datetime(2025, 12, 1, 8, tzinfo=UTC),
    )
    next_post_at = (await repository.guild_settings(OTHER_GUILD)).next_post_at
    return OtherShard(OTHER_GUILD, posts[1], posts[0], next_post_at)


@pytest.fixture
def simcord_bot(services: Services, catalogs: Catalogs, other_shard: OtherShard) -> IntervisionBot:
    """What ``python -m bot`` builds with ``SHARD_COUNT=2`` and ``SHARD_IDS=0``."""
    return create_bot(
        shard_count=SHARD_COUNT, shard_ids=MY_SHARDS, services=services, catalogs=catalogs
    )
