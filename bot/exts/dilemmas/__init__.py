"""``/dilemma``: the weekly schedule, the queue, and posting that never misses or doubles."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.exts.dilemmas._cog import DilemmaCog
from bot.exts.dilemmas._publisher import DiscordPublisher
from bot.exts.dilemmas._scheduler import Scheduler
from bot.services.posting import PostingService

if TYPE_CHECKING:
    from bot.client import IntervisionBot


async def setup(bot: IntervisionBot) -> None:
    """Wire the posting service to its Discord publisher and register the cog."""
    services = bot.services
    publisher = DiscordPublisher(bot, bot.catalogs, bot.default_locale, bot.command_mentions)
    posting = PostingService(
        services.repository, publisher, services.clock, metrics=services.metrics
    )
    scheduler = Scheduler(bot, posting, services.clock)
    await bot.add_cog(
        DilemmaCog(bot, services.moderation, posting, scheduler, bot.command_mentions)
    )
