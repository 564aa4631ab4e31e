"""A guild with an ethics channel, two members and a moderator, and an open dilemma."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import discord
import pytest_asyncio

from bot.storage.sqlite import SqliteRepository
from tests.collection.helpers import OpenDilemma, open_dilemma


@dataclass(frozen=True)
class World:
    guild: Any
    channel: Any
    ana: Any
    ben: Any
    mod: Any
    dilemma: OpenDilemma

    @property
    def thread(self) -> Any:
        return self.dilemma.thread


@pytest_asyncio.fixture
async def world(simcord_env: Any, repository: SqliteRepository) -> World:
    guild = simcord_env.create_guild("Coaches")
    channel = guild.create_text_channel("ethics")
    moderators = guild.create_role(
        "Moderators", permissions=discord.Permissions(manage_messages=True, manage_guild=True)
    )
    ana = guild.add_member(simcord_env.create_user("ana"))
    ben = guild.add_member(simcord_env.create_user("ben"))
    mod = guild.add_member(simcord_env.create_user("mod"), roles=[moderators])
    dilemma = await open_dilemma(simcord_env, repository, guild, channel)
    return World(guild, channel, ana, ben, mod, dilemma)
