"""The discord.py ``Bot`` subclass: owns the command tree, the translator and the extensions.

Everything it needs arrives through the constructor (see :mod:`bot.__main__`); nothing is read
from the environment here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.i18n.catalogs import Catalogs
from bot.i18n.localizer import Localizer
from bot.i18n.translator import CatalogTranslator
from bot.mentions import CommandMentions
from bot.metrics import Metrics
from bot.observability import current_guild, guild_of, rate_limit_trace
from bot.services.collection import CollectionService
from bot.services.guidance import GuidanceService
from bot.services.moderation import ModerationService
from bot.services.ports import Clock, Repository
from bot.services.privacy import PrivacyService

log = logging.getLogger(__name__)

EXTENSIONS: tuple[str, ...] = (
    "bot.exts.guidance",
    "bot.exts.dilemmas",
    "bot.exts.collection",
    "bot.exts.privacy",
)


@dataclass(frozen=True, slots=True)
class Services:
    """The use cases the extensions call, and the ports extensions combine with Discord
    adapters of their own (the posting service needs the bot to publish). ``metrics`` counts
    what happens (see :mod:`bot.metrics`)."""

    guidance: GuidanceService
    moderation: ModerationService
    repository: Repository
    clock: Clock
    collection: CollectionService
    privacy: PrivacyService
    metrics: Metrics = field(default_factory=Metrics)


def intents(message_content: bool = True) -> discord.Intents:
    """Gateway intents: guilds, guild messages and reactions, and (normally) message content.

    Message Content is privileged: enable it for the application in the Developer Portal.
    Without it the bot still runs, but collects only strategies shared with the button.
    """
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.guild_reactions = True
    wanted.message_content = message_content
    return wanted


_STARTED = "intervision_started"  # interaction.extras key: when the command began (perf_counter)


def _observe(interaction: discord.Interaction[IntervisionBot], outcome: str) -> None:
    started = interaction.extras.pop(_STARTED, None)
    if started is None or interaction.command is None:
        return
    interaction.client.services.metrics.interaction(
        interaction.command.qualified_name, time.perf_counter() - started, outcome=outcome
    )


class IntervisionTree(app_commands.CommandTree["IntervisionBot"]):
    """A command tree whose unexpected errors are logged and answered in the member's language;
    it times and counts every slash command and tags its log lines with the guild."""

    async def interaction_check(self, interaction: discord.Interaction[IntervisionBot]) -> bool:
        """Start the command's clock and put its guild in the log context (never refuses)."""
        current_guild.set(interaction.guild_id)  # the command's own task: its logs only
        interaction.extras[_STARTED] = time.perf_counter()
        return True

    async def on_error(
        self, interaction: discord.Interaction[IntervisionBot], error: app_commands.AppCommandError
    ) -> None:
        """Log the failure and tell the member, privately, that it failed.

        A failed check has already answered the member (see the cogs' ``interaction_check``)."""
        command = interaction.command.qualified_name if interaction.command else "?"
        refused = isinstance(error, app_commands.CheckFailure)
        _observe(interaction, "refused" if refused else "error")
        if refused and interaction.response.is_done():
            log.debug("Check refused %s for user %s", command, interaction.user.id)
            return
        log.error("Command %s failed in guild %s", command, interaction.guild_id, exc_info=error)
        localizer = await interaction.client.localizer_for(interaction)
        text = localizer.gettext("Sorry, something went wrong. Please try again in a moment.")
        try:
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True)
            else:
                await interaction.response.send_message(text, ephemeral=True)
        except discord.HTTPException:
            log.warning("Could not tell the member about the failure of %s", command)


#: How long a shutdown waits for interactions being answered. Discord gives 3 s to acknowledge;
#: a post in progress (message, then thread) needs a little more when Discord is slow.
SHUTDOWN_GRACE = 10.0
# discord.py names the tasks that run slash commands, components and modals like this.
_INTERACTION_TASKS = ("CommandTree-invoker", "discord-ui-")


async def finish_interactions(grace: float) -> None:
    """Wait up to ``grace`` seconds for running interaction handlers, so that a SIGTERM in the
    middle of ``/dilemma post`` completes the post instead of leaving it to the next start."""
    current = asyncio.current_task()
    running = [
        task
        for task in asyncio.all_tasks()
        if task is not current and task.get_name().startswith(_INTERACTION_TASKS)
    ]
    if not running:
        return
    log.info("Waiting for %d interaction(s) to finish before shutting down", len(running))
    _, unfinished = await asyncio.wait(running, timeout=grace)
    if unfinished:
        log.warning("Shutting down with %d interaction(s) unfinished", len(unfinished))


def _in_guild_context(parse: Callable[[Any], None]) -> Callable[[Any], None]:
    """``parse`` (discord.py's INTERACTION_CREATE parser) run with the interaction's guild in the
    log context: the tasks it starts for buttons, select menus and modals copy the context, so
    their log lines name the guild as those of slash commands do."""

    def parse_in_guild(data: Any) -> None:
        guild_id = data.get("guild_id")  # absent in DMs
        token = current_guild.set(int(guild_id) if guild_id is not None else None)
        try:
            parse(data)
        finally:
            current_guild.reset(token)

    return parse_in_guild


class IntervisionBot(commands.Bot):
    """The Intervision bot. Slash commands only; no prefix commands."""

    def __init__(
        self,
        *,
        services: Services,
        catalogs: Catalogs,
        default_locale: str = "en-US",
        dev_guild_id: int | None = None,
        extensions: Sequence[str] = EXTENSIONS,
        message_content: bool = True,
        **client_options: Any,
    ) -> None:
        """``client_options`` go to discord.py's client as they are (e.g. ``shard_count`` and
        ``shard_ids`` of :class:`ShardedIntervisionBot`). HTTP 429 answers are counted in
        ``services.metrics`` unless an ``http_trace`` is given."""
        client_options.setdefault("http_trace", rate_limit_trace(services.metrics))
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents(message_content),
            help_command=None,
            tree_cls=IntervisionTree,
            allowed_mentions=discord.AllowedMentions.none(),
            **client_options,
        )
        self.services = services
        self.catalogs = catalogs
        self.default_locale = default_locale
        self.dev_guild_id = dev_guild_id
        self._extensions = tuple(extensions)
        #: Mentions of the bot's slash commands, known once :meth:`setup_hook` has synced them.
        self.command_mentions = CommandMentions()
        # Component and modal interactions do not pass through dispatch() or the command tree
        # before discord.py starts their tasks; set their guild where the gateway event arrives.
        parsers = self._connection.parsers
        parsers["INTERACTION_CREATE"] = _in_guild_context(parsers["INTERACTION_CREATE"])

    @property
    def reads_message_content(self) -> bool:
        """Whether replies can be collected (the Message Content intent); without it only the
        "Share a strategy" button collects strategies."""
        return self.intents.message_content

    async def setup_hook(self) -> None:
        """Install the translator, load the extensions and sync the slash commands; the ids
        Discord returns make :attr:`command_mentions` clickable."""
        if not self.reads_message_content:
            log.warning(
                "Running without the Message Content intent: replies in dilemma threads cannot "
                "be read, so only strategies shared with the button are collected. Enable it in "
                "the Discord Developer Portal (Bot > Privileged Gateway Intents)."
            )
        await self.tree.set_translator(CatalogTranslator(self.catalogs))
        for extension in self._extensions:
            await self.load_extension(extension)
        if self.dev_guild_id is not None:
            guild = discord.Object(self.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("Synced %d commands to development guild %s", len(synced), self.dev_guild_id)
        else:
            synced = await self.tree.sync()
            log.info("Synced %d global commands", len(synced))
        self.command_mentions.learn(synced)

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        """Dispatch with the event's guild in the log context (:data:`current_guild`): the
        listener tasks created here copy it, so their log lines name the guild."""
        token = current_guild.set(guild_of(args))
        try:
            super().dispatch(event_name, *args, **kwargs)
        finally:
            current_guild.reset(token)

    async def on_app_command_completion(
        self,
        interaction: discord.Interaction[IntervisionBot],
        command: app_commands.Command[Any, ..., Any] | app_commands.ContextMenu,
    ) -> None:
        """Count the finished command and its latency."""
        _observe(interaction, "ok")

    async def close(self) -> None:
        """Let interactions being answered finish (up to :data:`SHUTDOWN_GRACE`), then close."""
        await finish_interactions(SHUTDOWN_GRACE)
        await super().close()

    async def on_ready(self) -> None:
        """Log the identity once connected (long work belongs in ``setup_hook``)."""
        log.info(
            "Connected as %s (id %s) to %d guilds",
            self.user,
            self.user and self.user.id,
            len(self.guilds),
        )

    async def localizer_for(self, interaction: discord.Interaction[IntervisionBot]) -> Localizer:
        """A localizer in the negotiated locale: member's, then guild's, then the default."""
        locale = await self.services.guidance.reply_locale(
            interaction.guild_id, interaction.locale.value
        )
        return Localizer(self.catalogs, locale)


class ShardedIntervisionBot(IntervisionBot, commands.AutoShardedBot):
    """The bot running several gateway shards (``SHARD_COUNT``) in one process, or only some of
    them (``SHARD_IDS``): it then sees, schedules and backfills only the guilds of those shards
    (Discord sends each guild to shard ``(guild_id >> 22) % shard_count``)."""


def create_bot(
    *, shard_count: int | None = None, shard_ids: Sequence[int] | None = None, **options: Any
) -> IntervisionBot:
    """A single-connection :class:`IntervisionBot` when ``shard_count`` is ``None``; otherwise a
    :class:`ShardedIntervisionBot` running ``shard_ids`` (default: every shard) of
    ``shard_count``. ``options`` are :class:`IntervisionBot`'s keyword arguments."""
    if shard_count is None:
        return IntervisionBot(**options)
    return ShardedIntervisionBot(
        shard_count=shard_count,
        shard_ids=None if shard_ids is None else list(shard_ids),
        **options,
    )
