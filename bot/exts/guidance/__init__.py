"""``/guidance``: the community's guidance on a dilemma, in the member's language."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.exts.guidance._cog import GuidanceCog

if TYPE_CHECKING:
    from bot.client import IntervisionBot


async def setup(bot: IntervisionBot) -> None:
    """Register the cog with the bot's services."""
    await bot.add_cog(GuidanceCog(bot, bot.services.guidance))
