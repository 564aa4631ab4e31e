"""Replies in an open dilemma's thread become strategies; edits, deletions and what is ignored."""

from __future__ import annotations

from typing import Any

import discord
import pytest
from simcord.enums import MessageType

from bot.domain.strategies import MAX_STRATEGY_LENGTH, member_key
from bot.storage.sqlite import SqliteRepository
from tests.collection.conftest import World
from tests.collection.helpers import open_dilemma


async def test_a_reply_is_stored_as_a_strategy(world: World, repository: SqliteRepository) -> None:
    message = await world.ana.send(world.thread, "  I would talk it through with my supervisor. ")

    strategy = await repository.strategy_by_message(world.guild.id, message.id)
    assert strategy is not None
    assert strategy.guild_id == world.guild.id
    assert strategy.post_id == world.dilemma.post.id
    assert strategy.author_id == world.ana.id
    assert strategy.author_key == member_key(world.ana.id)
    assert not strategy.anonymous
    assert strategy.text == "I would talk it through with my supervisor."
    assert strategy.language == "en"
    assert strategy.themes == ("supervision",)
    assert strategy.created_at == message.created_at
    assert strategy.edited_at is None
    assert not strategy.shared


async def test_the_detected_language_is_stored(world: World, repository: SqliteRepository) -> None:
    message = await world.ana.send(world.thread, "Ich kläre die Vereinbarung und frage nach.")
    strategy = await repository.strategy_by_message(world.guild.id, message.id)
    assert strategy is not None
    assert strategy.language == "de"
    assert strategy.themes == ()


async def test_a_reply_of_4000_characters_is_stored_whole(
    world: World, repository: SqliteRepository, simcord_env: Any
) -> None:
    text = ("I would review the agreement with my coachee. " * 100)[:MAX_STRATEGY_LENGTH].strip()
    assert len(text) > 3990
    # simcord caps member messages at 2,000 characters; Nitro members may send 4,000.
    backend = simcord_env.backend
    message = backend.create_message(world.thread.id, world.ana.id, "draft", broadcast=False)
    message.content = text
    backend.announce_message_create(message)
    await simcord_env.settle()

    strategy = await repository.strategy_by_message(world.guild.id, message.id)
    assert strategy is not None
    assert strategy.text == text


async def test_an_edit_replaces_the_text(world: World, repository: SqliteRepository) -> None:
    message = await world.ana.send(world.thread, "I would ask why.")
    await world.ana.edit(message, "I would ask for consent before anything else.")

    strategy = await repository.strategy_by_message(world.guild.id, message.id)
    assert strategy is not None
    assert strategy.text == "I would ask for consent before anything else."
    assert strategy.themes == ("consent",)
    assert strategy.edited_at is not None


async def test_an_edit_of_an_uncached_message_still_applies(
    world: World, repository: SqliteRepository, simcord_env: Any
) -> None:
    message = await world.ana.send(world.thread, "First version.")
    simcord_env.bot._connection._messages.clear()  # as after a restart: nothing cached
    await world.ana.edit(message, "Second version, after thinking it over.")
    strategy = await repository.strategy_by_message(world.guild.id, message.id)
    assert strategy is not None
    assert strategy.text == "Second version, after thinking it over."


async def test_an_edit_down_to_emoji_removes_the_strategy(
    world: World, repository: SqliteRepository
) -> None:
    message = await world.ana.send(world.thread, "I would stay calm.")
    await world.ana.edit(message, "\N{THUMBS UP SIGN}\N{SPARKLES}")
    assert await repository.strategy_by_message(world.guild.id, message.id) is None


async def test_an_edit_that_adds_words_records_the_strategy(
    world: World, repository: SqliteRepository
) -> None:
    message = await world.ana.send(world.thread, "\N{THINKING FACE}")
    assert await repository.strategy_by_message(world.guild.id, message.id) is None
    await world.ana.edit(message, "On reflection: I would document the conversation.")
    strategy = await repository.strategy_by_message(world.guild.id, message.id)
    assert strategy is not None
    assert strategy.text == "On reflection: I would document the conversation."


async def test_a_deleted_message_deletes_its_strategy(
    world: World, repository: SqliteRepository
) -> None:
    message = await world.ana.send(world.thread, "I would stay calm and listen.")
    await world.ana.delete(message)
    assert await repository.strategy_by_message(world.guild.id, message.id) is None


async def test_deletion_of_an_uncached_message_deletes_its_strategy(
    world: World, repository: SqliteRepository, simcord_env: Any
) -> None:
    message = await world.ana.send(world.thread, "I would stay calm and listen.")
    simcord_env.bot._connection._messages.clear()
    await world.mod.delete(message)
    assert await repository.strategy_by_message(world.guild.id, message.id) is None


async def test_a_bulk_deletion_deletes_every_strategy(
    world: World, repository: SqliteRepository, simcord_env: Any
) -> None:
    first = await world.ana.send(world.thread, "I would ask about their motives.")
    second = await world.ben.send(world.thread, "I would refer them to HR.")
    kept = await world.ben.send(world.thread, "And I would take notes.")
    simcord_env.bot._connection._messages.clear()  # raw events carry ids only
    simcord_env.backend.bulk_delete_messages(world.thread.id, [first.id, second.id])
    await simcord_env.settle()

    assert await repository.strategy_by_message(world.guild.id, first.id) is None
    assert await repository.strategy_by_message(world.guild.id, second.id) is None
    assert await repository.strategy_by_message(world.guild.id, kept.id) is not None


@pytest.mark.parametrize(
    "text",
    ["", "   ", "\N{THUMBS UP SIGN}", "\N{HEAVY BLACK HEART}\ufe0f \N{CLAPPING HANDS SIGN}", "!!!"],
)
async def test_empty_and_emoji_only_messages_are_ignored(
    world: World, repository: SqliteRepository, simcord_env: Any, text: str
) -> None:
    attachments = [("notes.txt", b"a file")] if not text.strip() else []
    message = await world.ana.send(world.thread, text, attachments=attachments)
    assert await repository.strategy_by_message(world.guild.id, message.id) is None


async def test_messages_of_other_bots_and_webhooks_are_ignored(
    world: World, repository: SqliteRepository, simcord_env: Any
) -> None:
    helper = world.guild.add_member(simcord_env.create_user("helper", bot=True))
    from_bot = await helper.send(world.thread, "Automated: remember the code of ethics.")
    webhook = world.guild.create_webhook(world.channel, "Feed")
    from_webhook = simcord_env.backend.create_message(
        world.thread.id,
        webhook._webhook.webhook_user_id,
        "A relayed strategy from elsewhere.",
        webhook_id=webhook.id,
    )
    await simcord_env.settle()
    assert await repository.strategy_by_message(world.guild.id, from_bot.id) is None
    assert await repository.strategy_by_message(world.guild.id, from_webhook.id) is None
    assert await repository.post_strategies(world.guild.id, world.dilemma.post.id) == []


async def test_the_bots_own_messages_are_ignored(
    world: World, repository: SqliteRepository, simcord_env: Any
) -> None:
    own = await simcord_env.bot.get_channel(world.thread.id).send(
        "Reminder: share your strategy.", allowed_mentions=discord.AllowedMentions.none()
    )
    await simcord_env.settle()
    assert await repository.strategy_by_message(world.guild.id, own.id) is None


async def test_system_messages_are_ignored(world: World, repository: SqliteRepository) -> None:
    pinned = await world.ana.send(world.thread, "I would document the decision.")
    notice = world.guild.create_system_message(
        world.thread, MessageType.PINS_ADD, author=world.mod, referenced_message=pinned
    )
    assert notice.is_system()
    assert await repository.strategy_by_message(world.guild.id, notice.id) is None
    strategies = await repository.post_strategies(world.guild.id, world.dilemma.post.id)
    assert [s.message_id for s in strategies] == [pinned.id]


async def test_messages_outside_open_dilemma_threads_are_ignored(
    world: World, repository: SqliteRepository, simcord_env: Any
) -> None:
    in_channel = await world.ana.send(world.channel, "Hello everyone, how do you handle this?")
    other = simcord_env.backend.create_thread(world.channel.id, "Off topic", world.ana.id)
    await simcord_env.settle()
    off_topic = await world.ana.send(
        next(t for t in world.channel.threads if t.id == other.id), "Coffee later?"
    )
    await repository.mark_post_closed(world.dilemma.post.id, simcord_env.now())
    after_close = await world.ana.send(world.thread, "A late thought on the dilemma.")

    for message in (in_channel, off_topic, after_close):
        assert await repository.strategy_by_message(world.guild.id, message.id) is None


async def test_a_second_open_dilemma_collects_into_its_own_post(
    world: World, repository: SqliteRepository, simcord_env: Any
) -> None:
    gifts = await open_dilemma(simcord_env, repository, world.guild, world.channel, "gifts")
    on_gifts = await world.ana.send(gifts.thread, "I would decline the gift politely.")
    strategy = await repository.strategy_by_message(world.guild.id, on_gifts.id)
    assert strategy is not None
    assert strategy.post_id == gifts.post.id


async def test_opted_out_replies_are_not_stored_at_all(
    world: World, repository: SqliteRepository
) -> None:
    result = await world.ana.slash(world.channel, "privacy opt-out")
    assert result.ephemeral
    message = await world.ana.send(world.thread, "I would ask my supervisor.")
    assert await repository.strategy_by_message(world.guild.id, message.id) is None

    await world.ana.slash(world.channel, "privacy opt-in")
    again = await world.ana.send(world.thread, "I would ask my supervisor again.")
    assert await repository.strategy_by_message(world.guild.id, again.id) is not None


async def test_deleting_the_thread_deletes_its_strategies(
    world: World, repository: SqliteRepository, simcord_env: Any
) -> None:
    await world.ana.send(world.thread, "I would stay calm and listen.")
    await world.ben.send(world.thread, "I would ask for consent.")
    simcord_env.backend.emit(
        "THREAD_DELETE",
        {
            "id": str(world.thread.id),
            "guild_id": str(world.guild.id),
            "parent_id": str(world.channel.id),
            "type": 11,
        },
    )
    await simcord_env.settle()
    assert await repository.post_strategies(world.guild.id, world.dilemma.post.id) == []
