"""``/privacy``: members' export, erasure and collection choice; the guild data lifecycle."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.exts.privacy._cog import PrivacyCog

if TYPE_CHECKING:
    from bot.client import IntervisionBot


async def setup(bot: IntervisionBot) -> None:
    """Register the cog with the bot's services."""
    await bot.add_cog(PrivacyCog(bot, bot.services.privacy, bot.command_mentions))
