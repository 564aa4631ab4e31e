"""Anonymous keys, guild secrets, and the storage of privacy data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.__main__ import load_starter_catalog
from bot.domain.privacy import ANONYMOUS_PREFIX, anonymous_key, counting_key, new_guild_secret
from bot.domain.strategies import Analysis, NewStrategy, member_key
from bot.storage.sqlite import SqliteRepository
from bot.storage.sqlite._privacy import PURGE_STATEMENTS

GUILD = 111
OTHER_GUILD = 222
USER = 333
NOW = datetime(2026, 3, 1, tzinfo=UTC)


def test_anonymous_keys_are_stable_per_guild_and_reveal_no_id() -> None:
    # a real-length snowflake: a 3-digit id turns up in a random hex digest ~1 run in 70
    user = 1_100_000_000_000_000_333
    secret = new_guild_secret()
    key = anonymous_key(secret, GUILD, user)
    assert key == anonymous_key(secret, GUILD, user)
    assert key.startswith(ANONYMOUS_PREFIX)
    assert str(user) not in key
    assert key != anonymous_key(secret, OTHER_GUILD, user)
    assert key != anonymous_key(secret, GUILD, user + 1)
    assert key != anonymous_key(new_guild_secret(), GUILD, user)


async def test_a_guild_keeps_its_first_secret(repository: SqliteRepository) -> None:
    first = await repository.guild_secret(GUILD, b"a" * 32)
    assert first == b"a" * 32
    assert await repository.guild_secret(GUILD, b"b" * 32) == first
    assert await repository.guild_secret(OTHER_GUILD, b"c" * 32) == b"c" * 32


async def test_the_purge_covers_every_table_holding_guild_rows(
    repository: SqliteRepository,
) -> None:
    db = repository._db
    async with db.execute("SELECT name FROM sqlite_master WHERE type = 'table'") as cursor:
        tables = [row[0] for row in await cursor.fetchall()]
    holding = set()
    for table in tables:
        async with db.execute(f"SELECT name FROM pragma_table_info('{table}')") as cursor:
            if "guild_id" in {row[0] for row in await cursor.fetchall()}:
                holding.add(table)
    purged = {table for table, _ in PURGE_STATEMENTS}
    assert holding <= purged, f"add {holding - purged} to PURGE_STATEMENTS"


async def _post(repository: SqliteRepository, guild_id: int) -> int:
    [dilemma] = [d for d in load_starter_catalog() if d.topic == "gifts"]
    await repository.add_dilemmas(guild_id, [dilemma])
    claim = await repository.claim_post(
        guild_id,
        slot=NOW,
        nonce=f"n-{guild_id}",
        channel_id=1,
        expected_next=None,
        next_post_at=None,
        topic="gifts",
    )
    assert claim.post is not None
    await repository.mark_post_open(
        claim.post.id, message_id=9, thread_id=guild_id + 9, posted_at=NOW
    )
    return claim.post.id


def _strategy(guild_id: int, post_id: int, message_id: int, created: datetime) -> NewStrategy:
    return NewStrategy(
        guild_id=guild_id,
        post_id=post_id,
        message_id=message_id,
        author_key=member_key(USER),
        author_id=USER,
        anonymous=False,
        text=f"strategy {message_id}",
        analysis=Analysis("en", ("consent",)),
        created_at=created,
    )


async def test_a_strategy_is_stored_once_and_only_under_its_own_guilds_post(
    repository: SqliteRepository,
) -> None:
    post_id = await _post(repository, GUILD)
    assert None not in await repository.add_strategies([_strategy(GUILD, post_id, 1000, NOW)])
    assert await repository.add_strategies([_strategy(GUILD, post_id, 1000, NOW)]) == [None]
    # A post id of another guild is refused: nothing is stored.
    assert await repository.add_strategies([_strategy(OTHER_GUILD, post_id, 1001, NOW)]) == [None]


async def test_many_strategies_are_deleted_in_one_call(repository: SqliteRepository) -> None:
    post_id = await _post(repository, GUILD)
    ids = list(range(10_000, 11_200))
    await repository.add_strategies([_strategy(GUILD, post_id, m, NOW) for m in ids])
    assert await repository.delete_strategies(OTHER_GUILD, ids) == 0
    assert await repository.delete_strategies(GUILD, ids) == len(ids)


async def test_retention_deletes_only_old_strategies_of_guilds_that_set_it(
    repository: SqliteRepository,
) -> None:
    post_a = await _post(repository, GUILD)
    post_b = await _post(repository, OTHER_GUILD)
    await repository.set_retention_days(GUILD, 30)
    await repository.add_strategies([_strategy(GUILD, post_a, 1, NOW - timedelta(days=31))])
    await repository.add_strategies([_strategy(GUILD, post_a, 2, NOW - timedelta(days=29))])
    await repository.add_strategies([_strategy(OTHER_GUILD, post_b, 3, NOW - timedelta(days=400))])

    schedule = await repository.purge_schedule()
    assert schedule.earliest_expiry == NOW - timedelta(days=1)
    assert schedule.shortest_retention_days == 30
    assert await repository.delete_expired_strategies(NOW) == 1
    assert await repository.strategy_by_message(GUILD, 1) is None
    assert await repository.strategy_by_message(GUILD, 2) is not None
    assert await repository.strategy_by_message(OTHER_GUILD, 3) is not None


def test_a_member_counts_once_whether_named_or_anonymous() -> None:
    secret = new_guild_secret()
    named = counting_key(secret, GUILD, member_key(USER))
    assert named == counting_key(secret, GUILD, anonymous_key(secret, GUILD, USER))
    assert named != counting_key(secret, GUILD, member_key(USER + 1))
    assert counting_key(None, GUILD, member_key(USER)) == member_key(USER)
