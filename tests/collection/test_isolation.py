"""A guild's strategies are only ever read for that guild."""

from __future__ import annotations

import json
from typing import Any

from bot.storage.sqlite import SqliteRepository
from tests.collection.conftest import World
from tests.collection.helpers import open_dilemma

TOPIC = "confidentiality"
SECRET_STRATEGY = "Guild A only: I would phone my supervisor Zephyrine before anything else."


async def _guild_b(simcord_env: Any, repository: SqliteRepository) -> tuple[Any, Any, Any, Any]:
    guild = simcord_env.create_guild("Other coaches")
    channel = guild.create_text_channel("ethics")
    member = guild.add_member(simcord_env.create_user("bruno"))
    dilemma = await open_dilemma(simcord_env, repository, guild, channel, TOPIC)
    return guild, channel, member, dilemma


async def test_guild_b_never_counts_or_quotes_guild_a(
    world: World, repository: SqliteRepository, simcord_env: Any
) -> None:
    guild_b, channel_b, bruno, _ = await _guild_b(simcord_env, repository)
    strategy = await world.ana.send(world.thread, SECRET_STRATEGY)
    await world.ben.react(strategy, "\N{THUMBS UP SIGN}")

    stats_a = await repository.topic_stats(world.guild.id, TOPIC)
    stats_b = await repository.topic_stats(guild_b.id, TOPIC)
    assert (stats_a.strategies, stats_a.endorsements) == (1, 1)
    assert (stats_b.strategies, stats_b.members, stats_b.endorsements) == (0, 0, 0)
    assert stats_b.themes == ()

    result = await bruno.slash(channel_b, "guidance", topic=TOPIC)
    shown = json.dumps([e.to_dict() for e in result.response.embeds]) + result.response.content
    assert "Zephyrine" not in shown
    assert "Guild A only" not in shown


async def test_the_same_member_is_unlinkable_across_guilds(
    world: World, repository: SqliteRepository, simcord_env: Any
) -> None:
    guild_b, _, _, dilemma_b = await _guild_b(simcord_env, repository)
    ana_in_b = guild_b.add_member(world.ana.user)
    await world.ana.send(world.thread, "In A: I would ask for consent.")
    await ana_in_b.send(dilemma_b.thread, "In B: I would ask for consent too.")
    key_a = await simcord_env.bot.services.privacy.anonymous_key(world.guild.id, world.ana.id)
    key_b = await simcord_env.bot.services.privacy.anonymous_key(guild_b.id, world.ana.id)
    assert key_a != key_b

    _, document = await _export(ana_in_b, dilemma_b)
    assert [s["text"] for s in document["strategies"]] == ["In B: I would ask for consent too."]


async def test_events_naming_another_guild_never_touch_its_strategies(
    world: World, repository: SqliteRepository, simcord_env: Any
) -> None:
    guild_b, channel_b, _, _ = await _guild_b(simcord_env, repository)
    strategy = await world.ana.send(world.thread, SECRET_STRATEGY)
    # A forged or misrouted deletion for guild B that carries guild A's message id.
    simcord_env.backend.emit(
        "MESSAGE_DELETE",
        {"id": str(strategy.id), "channel_id": str(channel_b.id), "guild_id": str(guild_b.id)},
    )
    await simcord_env.settle()
    assert await repository.strategy_by_message(world.guild.id, strategy.id) is not None
    assert await repository.strategy_by_message(guild_b.id, strategy.id) is None


async def test_forget_me_in_one_guild_leaves_the_other_alone(
    world: World, repository: SqliteRepository, simcord_env: Any
) -> None:
    guild_b, channel_b, _, dilemma_b = await _guild_b(simcord_env, repository)
    ana_in_b = guild_b.add_member(world.ana.user)
    in_a = await world.ana.send(world.thread, "In A: I would ask for consent.")
    in_b = await ana_in_b.send(dilemma_b.thread, "In B: I would ask for consent too.")

    asked = await ana_in_b.slash(channel_b, "privacy forget-me")
    await ana_in_b.click(asked.response, label="Erase my data")

    assert await repository.strategy_by_message(guild_b.id, in_b.id) is None
    assert await repository.strategy_by_message(world.guild.id, in_a.id) is not None


async def _export(member: Any, dilemma: Any) -> tuple[Any, dict[str, Any]]:
    channel = dilemma.thread
    result = await member.slash(channel, "privacy export")
    [attachment] = result.response.attachments
    return result, json.loads(await attachment.read())


async def test_guidance_counts_its_own_guild_and_never_quotes_personal_data(
    world: World, repository: SqliteRepository, simcord_env: Any
) -> None:
    _, channel_b, bruno, _ = await _guild_b(simcord_env, repository)
    await world.ana.send(
        world.thread,
        "I would call my supervisor Zephyrine at zephyrine@example.com or 0170 1234567 first.",
    )

    in_a = await world.ben.slash(world.channel, "guidance", topic=TOPIC)
    shown_a = json.dumps([e.to_dict() for e in in_a.response.embeds])
    assert "No strategies have been shared" not in shown_a
    assert "zephyrine@example.com" not in shown_a
    assert "0170 1234567" not in shown_a
    assert "[email]" in shown_a  # quoted, masked

    in_b = await bruno.slash(channel_b, "guidance", topic=TOPIC)
    shown_b = json.dumps([e.to_dict() for e in in_b.response.embeds])
    assert "No strategies have been shared" in shown_b
    assert "Zephyrine" not in shown_b
