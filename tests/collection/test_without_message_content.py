"""Without the Message Content intent the bot still runs: the share button collects strategies."""

from __future__ import annotations

import logging
from typing import Any

import discord
import pytest

from bot.client import IntervisionBot, Services
from bot.domain.posts import share_custom_id
from bot.i18n.catalogs import Catalogs
from bot.storage.sqlite import SqliteRepository
from tests.collection.conftest import World

NO_MESSAGE_CONTENT = discord.Intents.all()
NO_MESSAGE_CONTENT.message_content = False

pytestmark = pytest.mark.simcord(approved_intents=NO_MESSAGE_CONTENT)


@pytest.fixture
def simcord_bot(services: Services, catalogs: Catalogs) -> IntervisionBot:
    return IntervisionBot(services=services, catalogs=catalogs, message_content=False)


async def test_startup_warns_that_replies_cannot_be_read(
    simcord_env: Any, caplog: pytest.LogCaptureFixture
) -> None:
    warnings = [
        r
        for r in caplog.get_records("setup")
        if r.levelno == logging.WARNING and "Message Content intent" in r.getMessage()
    ]
    assert warnings
    assert not simcord_env.bot.reads_message_content


async def test_replies_cannot_be_read_but_the_button_works(
    world: World, repository: SqliteRepository
) -> None:
    reply = await world.ana.send(world.thread, "I would consult my supervisor.")
    assert await repository.strategy_by_message(world.guild.id, reply.id) is None

    shown = await world.ben.click(
        world.dilemma.message, custom_id=share_custom_id(world.dilemma.post.id)
    )
    await world.ben.submit_modal(shown, {"strategy": "I would ask for consent.", "anonymous": True})
    strategies = await repository.post_strategies(world.guild.id, world.dilemma.post.id)
    assert [s.text for s in strategies] == ["I would ask for consent."]
