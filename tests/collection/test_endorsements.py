"""Reactions with the guild's endorsement emoji endorse a strategy, one per member."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.storage.sqlite import SqliteRepository
from tests.collection.conftest import World

THUMBS_UP = "\N{THUMBS UP SIGN}"
TOPIC = "confidentiality"


async def _endorsements(repository: SqliteRepository, world: World) -> int:
    return (await repository.topic_stats(world.guild.id, TOPIC)).endorsements


async def test_a_thumbs_up_endorses_and_removing_it_withdraws(
    world: World, repository: SqliteRepository
) -> None:
    message = await world.ana.send(world.thread, "I would review the agreement together.")
    await world.ben.react(message, THUMBS_UP)
    assert await _endorsements(repository, world) == 1
    await world.mod.react(message, THUMBS_UP)
    assert await _endorsements(repository, world) == 2

    await world.ben.unreact(message, THUMBS_UP)
    assert await _endorsements(repository, world) == 1


async def test_one_endorsement_per_member_whatever_the_skin_tone(
    world: World, repository: SqliteRepository
) -> None:
    message = await world.ana.send(world.thread, "I would review the agreement together.")
    await world.ben.react(message, THUMBS_UP)
    await world.ben.react(message, THUMBS_UP + "\N{EMOJI MODIFIER FITZPATRICK TYPE-4}")
    assert await _endorsements(repository, world) == 1


async def test_other_emoji_and_own_strategies_do_not_count(
    world: World, repository: SqliteRepository
) -> None:
    message = await world.ana.send(world.thread, "I would review the agreement together.")
    await world.ben.react(message, "\N{HEAVY BLACK HEART}")
    await world.ana.react(message, THUMBS_UP)  # her own strategy
    assert await _endorsements(repository, world) == 0


async def test_reactions_on_messages_that_are_not_strategies_do_not_count(
    world: World, repository: SqliteRepository, simcord_env: Any
) -> None:
    chatter = await world.ana.send(world.channel, "Hello!")
    await world.ben.react(chatter, THUMBS_UP)
    assert await _endorsements(repository, world) == 0


async def test_the_endorsement_emoji_is_configurable_per_guild(
    world: World, repository: SqliteRepository
) -> None:
    settings = await repository.guild_settings(world.guild.id)
    await repository.save_guild_settings(
        replace(settings, endorsement_emoji="\N{WHITE HEAVY CHECK MARK}")
    )
    message = await world.ana.send(world.thread, "I would review the agreement together.")
    await world.ben.react(message, THUMBS_UP)
    assert await _endorsements(repository, world) == 0
    await world.ben.react(message, "\N{WHITE HEAVY CHECK MARK}")
    assert await _endorsements(repository, world) == 1


async def test_deleting_the_strategy_deletes_its_endorsements(
    world: World, repository: SqliteRepository
) -> None:
    message = await world.ana.send(world.thread, "I would review the agreement together.")
    await world.ben.react(message, THUMBS_UP)
    await world.ana.delete(message)
    assert await _endorsements(repository, world) == 0


async def test_opted_out_members_do_not_endorse(world: World, repository: SqliteRepository) -> None:
    message = await world.ana.send(world.thread, "I would review the agreement together.")
    await world.ben.slash(world.channel, "privacy opt-out")
    await world.ben.react(message, THUMBS_UP)
    assert await _endorsements(repository, world) == 0


async def test_clearing_reactions_withdraws_the_endorsements(
    world: World, repository: SqliteRepository, simcord_env: Any
) -> None:
    first = await world.ana.send(world.thread, "I would review the agreement together.")
    second = await world.ana.send(world.thread, "And I would document it.")
    await world.ben.react(first, THUMBS_UP)
    await world.ben.react(second, THUMBS_UP)
    where = {
        "channel_id": str(world.thread.id),
        "guild_id": str(world.guild.id),
    }
    simcord_env.backend.emit("MESSAGE_REACTION_REMOVE_ALL", {**where, "message_id": str(first.id)})
    simcord_env.backend.emit(
        "MESSAGE_REACTION_REMOVE_EMOJI",
        {**where, "message_id": str(second.id), "emoji": {"id": None, "name": THUMBS_UP}},
    )
    await simcord_env.settle()
    assert await _endorsements(repository, world) == 0
