"""Nothing lost while offline: on start-up and after a reconnect the bot reads what it missed."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.client import IntervisionBot
from bot.services.ports import TextAnalyzer
from bot.storage.sqlite import SqliteRepository
from tests.collection.analyzers import CountingAnalyzer, while_analysed
from tests.collection.conftest import World


@pytest.fixture
def text_analyzer() -> TextAnalyzer:
    return CountingAnalyzer()


def _offline_message(simcord_env: Any, world: World, author: Any, text: str) -> Any:
    """A message sent while the bot was not connected: it never sees the gateway event."""
    return simcord_env.backend.create_message(world.thread.id, author.id, text, broadcast=False)


def _history_reads(simcord_env: Any, world: World) -> list[Any]:
    path = f"/channels/{world.thread.id}/messages"
    return [r for r in simcord_env.http_requests if r.method == "GET" and r.path == path]


async def _restart(simcord_env: Any, simcord_bot: IntervisionBot) -> None:
    """A new process over the same database: a fresh bot with empty caches."""
    fresh = IntervisionBot(services=simcord_bot.services, catalogs=simcord_bot.catalogs)
    await simcord_env.restart_bot(fresh)


async def test_messages_sent_while_stopped_are_stored_after_a_restart(
    world: World, repository: SqliteRepository, simcord_env: Any, simcord_bot: IntervisionBot
) -> None:
    live = await world.ana.send(world.thread, "I would stay calm and listen first.")
    missed = _offline_message(simcord_env, world, world.ben, "I would consult my supervisor.")
    emoji = _offline_message(simcord_env, world, world.ben, "\N{THUMBS UP SIGN}")

    await _restart(simcord_env, simcord_bot)

    strategies = await repository.post_strategies(world.guild.id, world.dilemma.post.id)
    assert [s.message_id for s in strategies] == [live.id, missed.id]
    assert strategies[1].author_id == world.ben.id
    assert strategies[1].themes == ("supervision",)
    assert await repository.strategy_by_message(world.guild.id, emoji.id) is None
    [read] = _history_reads(simcord_env, world)
    assert int(read.params["after"]) < live.id  # re-reads what it stored, to spot deletions
    post = await repository.open_post_by_thread(world.guild.id, world.thread.id)
    assert post is not None
    assert post.last_message_id == emoji.id


async def test_edits_and_deletions_while_stopped_are_applied(
    world: World, repository: SqliteRepository, simcord_env: Any, simcord_bot: IntervisionBot
) -> None:
    deleted = await world.ana.send(world.thread, "I would ask why they want to share it.")
    edited = await world.ben.send(world.thread, "I would refer them.")
    kept = await world.ana.send(world.thread, "I would document the decision.")
    backend = simcord_env.backend
    del backend.messages[world.thread.id][deleted.id]  # no gateway event: the bot is away
    backend.messages[world.thread.id][edited.id].content = "I would refer them to HR."

    await _restart(simcord_env, simcord_bot)

    assert await repository.strategy_by_message(world.guild.id, deleted.id) is None
    after_edit = await repository.strategy_by_message(world.guild.id, edited.id)
    assert after_edit is not None
    assert after_edit.text == "I would refer them to HR."
    assert after_edit.edited_at is not None
    assert await repository.strategy_by_message(world.guild.id, kept.id) is not None


async def test_the_newest_strategy_deleted_while_stopped_is_noticed(
    world: World, repository: SqliteRepository, simcord_env: Any, simcord_bot: IntervisionBot
) -> None:
    older = await world.ana.send(world.thread, "I would ask why.")
    newest = await world.ben.send(world.thread, "I would review the agreement.")
    del simcord_env.backend.messages[world.thread.id][newest.id]

    await _restart(simcord_env, simcord_bot)

    assert await repository.strategy_by_message(world.guild.id, newest.id) is None
    assert await repository.strategy_by_message(world.guild.id, older.id) is not None


async def test_a_reconnect_catches_up_too(
    world: World, repository: SqliteRepository, simcord_env: Any
) -> None:
    missed = _offline_message(simcord_env, world, world.ana, "I would ask for permission.")
    simcord_env.backend.emit("RESUMED", {})  # the gateway resumed the session
    await simcord_env.settle()
    strategy = await repository.strategy_by_message(world.guild.id, missed.id)
    assert strategy is not None
    assert strategy.themes == ("consent",)


async def test_catching_up_twice_stores_each_message_once(
    world: World, repository: SqliteRepository, simcord_env: Any, simcord_bot: IntervisionBot
) -> None:
    await world.ana.send(world.thread, "I would ask for permission.")
    _offline_message(simcord_env, world, world.ben, "I would talk to my supervisor.")
    await _restart(simcord_env, simcord_bot)
    simcord_env.backend.emit("RESUMED", {})  # the gateway resumed the session
    await simcord_env.settle()
    strategies = await repository.post_strategies(world.guild.id, world.dilemma.post.id)
    assert len(strategies) == 2


async def test_opted_out_members_are_not_caught_up(
    world: World, repository: SqliteRepository, simcord_env: Any, simcord_bot: IntervisionBot
) -> None:
    await world.ben.slash(world.channel, "privacy opt-out")
    missed = _offline_message(simcord_env, world, world.ben, "I would consult my supervisor.")
    await _restart(simcord_env, simcord_bot)
    assert await repository.strategy_by_message(world.guild.id, missed.id) is None


async def test_an_unreadable_thread_is_skipped_with_a_warning(
    world: World,
    repository: SqliteRepository,
    simcord_env: Any,
    simcord_bot: IntervisionBot,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _offline_message(simcord_env, world, world.ana, "I would ask for permission.")
    simcord_env.inject_error("GET", f"/channels/{world.thread.id}/messages", status=403, code=50001)
    await _restart(simcord_env, simcord_bot)
    assert "Could not read thread" in caplog.text
    assert await repository.post_strategies(world.guild.id, world.dilemma.post.id) == []


async def test_a_message_deleted_while_the_catch_up_analyses_it_is_not_stored(
    world: World,
    repository: SqliteRepository,
    simcord_env: Any,
    simcord_bot: IntervisionBot,
    text_analyzer: CountingAnalyzer,
) -> None:
    missed = _offline_message(simcord_env, world, world.ben, "I would consult my supervisor.")
    restart = asyncio.ensure_future(_restart(simcord_env, simcord_bot))
    await while_analysed(
        simcord_env,
        text_analyzer,
        missed,
        lambda: simcord_env.backend.delete_message(world.thread.id, missed.id),
        settle=False,
    )
    await restart

    assert await repository.strategy_by_message(world.guild.id, missed.id) is None
