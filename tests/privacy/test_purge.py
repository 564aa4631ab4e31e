"""A guild's data is purged 30 days after the bot leaves it, unless the bot comes back."""

from __future__ import annotations

from typing import Any

import aiosqlite
from simcord.backend import serializers

from bot.client import IntervisionBot
from bot.storage.sqlite import SqliteRepository
from tests.privacy.conftest import World

DAY = 86400


async def _rows_of_guild(repository: SqliteRepository, guild_id: int) -> dict[str, int]:
    """Rows per table that belong to the guild (endorsements through their strategy)."""
    db: aiosqlite.Connection = repository._db
    counts = {}
    async with db.execute("SELECT name FROM sqlite_master WHERE type = 'table'") as cursor:
        tables = [row[0] for row in await cursor.fetchall()]
    for table in tables:
        async with db.execute(f"SELECT name FROM pragma_table_info('{table}')") as cursor:
            columns = {row[0] for row in await cursor.fetchall()}
        if "guild_id" in columns:
            query = f"SELECT COUNT(*) FROM {table} WHERE guild_id = ?"
        elif table == "endorsements":
            query = (
                "SELECT COUNT(*) FROM endorsements WHERE strategy_id IN "
                "(SELECT id FROM strategies WHERE guild_id = ?)"
            )
        else:
            continue
        async with db.execute(query, (guild_id,)) as cursor:
            row = await cursor.fetchone()
        counts[table] = row[0]
    return counts


async def _fill(world: World, repository: SqliteRepository) -> None:
    message = await world.ana.send(world.thread, "I would consult my supervisor.")
    await world.ben.react(message, "\N{THUMBS UP SIGN}")
    await world.ben.slash(world.channel, "privacy opt-out")
    await repository.guild_secret(world.guild.id, b"x" * 32)


async def test_data_is_purged_30_days_after_the_bot_leaves(
    world: World, repository: SqliteRepository, simcord_env: Any
) -> None:
    await _fill(world, repository)
    other = simcord_env.create_guild("Other coaches")
    other_channel = other.create_text_channel("ethics")
    other_member = other.add_member(simcord_env.create_user("cleo"))
    await other_member.slash(other_channel, "privacy opt-out")

    simcord_env.backend.remove_guild(world.guild.id)  # kicked, or left
    await simcord_env.settle()
    assert (await repository.known_guilds())[world.guild.id] is True

    await simcord_env.advance_time(29 * DAY)
    assert (await _rows_of_guild(repository, world.guild.id))["strategies"] == 1

    await simcord_env.advance_time(2 * DAY)
    remaining = await _rows_of_guild(repository, world.guild.id)
    assert set(remaining) >= {"strategies", "endorsements", "posts", "member_privacy"}
    assert not any(remaining.values()), remaining
    assert await repository.opted_out(other.id, other_member.id)  # other guilds untouched


async def test_coming_back_cancels_the_purge(
    world: World, repository: SqliteRepository, simcord_env: Any
) -> None:
    await _fill(world, repository)
    guild_id = world.guild.id
    backend = simcord_env.backend
    backend.emit("GUILD_DELETE", {"id": str(guild_id)})  # kicked...
    await simcord_env.settle()
    assert (await repository.known_guilds())[guild_id] is True
    await simcord_env.advance_time(10 * DAY)

    guild = backend.get_guild(guild_id)  # ... and invited back
    payload = dict(serializers.guild_create_payload(backend, guild))
    payload.pop("unavailable", None)  # a join, not an outage ending
    backend.emit("GUILD_CREATE", payload)
    await simcord_env.settle()
    assert (await repository.known_guilds())[guild_id] is False
    await simcord_env.advance_time(30 * DAY)
    assert (await _rows_of_guild(repository, guild_id))["strategies"] == 1


async def test_a_departure_while_offline_is_noticed_at_start_up(
    world: World, repository: SqliteRepository, simcord_env: Any, simcord_bot: IntervisionBot
) -> None:
    await _fill(world, repository)
    await repository.save_guild_settings(await repository.guild_settings(world.guild.id))
    del simcord_env.backend.guilds[world.guild.id]  # removed while the bot was down

    fresh = IntervisionBot(services=simcord_bot.services, catalogs=simcord_bot.catalogs)
    await simcord_env.restart_bot(fresh)
    assert (await repository.known_guilds())[world.guild.id] is True
    await simcord_env.advance_time(31 * DAY)
    assert not any((await _rows_of_guild(repository, world.guild.id)).values())
