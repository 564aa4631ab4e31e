"""Collection: member replies in open dilemma threads become strategies; the share button."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.exts.collection._cog import CollectionCog
from bot.exts.collection._views import ShareStrategyButton

if TYPE_CHECKING:
    from bot.client import IntervisionBot

__all__ = ["ShareStrategyButton"]


async def setup(bot: IntervisionBot) -> None:
    """Register the listeners and the persistent share button."""
    bot.add_dynamic_items(ShareStrategyButton)
    await bot.add_cog(CollectionCog(bot, bot.services.collection))


async def teardown(bot: IntervisionBot) -> None:
    """Forget the persistent share button."""
    bot.remove_dynamic_items(ShareStrategyButton)
