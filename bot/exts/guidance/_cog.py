"""The ``/guidance`` command: parse the interaction, call the service, render the answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.exts.guidance import _render
from bot.i18n.translator import cmd
from bot.services.guidance import GuidanceService

if TYPE_CHECKING:
    from bot.client import IntervisionBot

_CHOICE_NAME_LIMIT = 100


class GuidanceCog(commands.Cog):
    """Answers ``/guidance`` with a dilemma's curated guidance."""

    def __init__(self, bot: IntervisionBot, service: GuidanceService) -> None:
        self._bot = bot
        self._service = service

    @app_commands.command(
        name=cmd("command name", "guidance"),
        description=cmd("command description", "Guidance on a coaching-ethics dilemma"),
    )
    @app_commands.rename(topic=cmd("option name", "topic"), private=cmd("option name", "private"))
    @app_commands.describe(
        topic=cmd("option description", "The dilemma, e.g. confidentiality"),
        private=cmd("option description", "Show the answer only to you"),
    )
    @app_commands.guild_only()
    async def guidance(
        self,
        interaction: discord.Interaction[IntervisionBot],
        topic: app_commands.Range[str, 1, 100],
        private: bool = False,
    ) -> None:
        """Reply with the dilemma's guidance, or suggestions when the topic is unknown."""
        localizer = await self._bot.localizer_for(interaction)
        fallback = self._service.default_locale
        dilemma = await self._service.find(interaction.guild_id, topic)
        if dilemma is None:
            suggestions = await self._service.suggest(interaction.guild_id, topic)
            await interaction.response.send_message(
                _render.unknown_topic(localizer, topic, suggestions, fallback),
                ephemeral=True,
                allowed_mentions=discord.AllowedMentions.none(),
            )
            return
        await interaction.response.send_message(
            embed=_render.guidance_embed(
                localizer,
                dilemma,
                await self._service.summary(interaction.guild_id, dilemma, localizer.locale),
                fallback,
                discord.utils.utcnow(),
            ),
            ephemeral=private,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @guidance.autocomplete("topic")
    async def _topic_autocomplete(
        self, interaction: discord.Interaction[IntervisionBot], current: str
    ) -> list[app_commands.Choice[str]]:
        locale = await self._service.reply_locale(interaction.guild_id, interaction.locale.value)
        choices = await self._service.choices(interaction.guild_id, current, locale)
        return [
            app_commands.Choice(name=c.title[:_CHOICE_NAME_LIMIT], value=c.topic) for c in choices
        ]
