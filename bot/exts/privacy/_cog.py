"""``/privacy``: a member's export, erasure and collection choice; guild departure and purge."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.exts.privacy import _render
from bot.i18n.localizer import Localizer
from bot.i18n.translator import cmd
from bot.mentions import CommandMentions
from bot.services.privacy import MAX_RETENTION_DAYS, PrivacyService

if TYPE_CHECKING:
    from bot.client import IntervisionBot

log = logging.getLogger(__name__)

CONFIRM_TIMEOUT = 120.0  # seconds to confirm forget-me
RETRY_AFTER_FAILURE = timedelta(hours=1)
MAX_PURGE_SLEEP = timedelta(days=7)
_NO_MENTIONS = discord.AllowedMentions.none()


class ForgetConfirmation(discord.ui.View):
    """The "Erase my data" / "Cancel" buttons under the (ephemeral) forget-me question."""

    def __init__(
        self,
        service: PrivacyService,
        localizer: Localizer,
        interaction: discord.Interaction[Any],
    ) -> None:
        super().__init__(timeout=CONFIRM_TIMEOUT)
        self._service = service
        self._localizer = localizer
        self._origin = interaction
        confirm: discord.ui.Button[ForgetConfirmation] = discord.ui.Button(
            label=_render.forget_confirm_label(localizer), style=discord.ButtonStyle.danger
        )
        cancel: discord.ui.Button[ForgetConfirmation] = discord.ui.Button(
            label=_render.forget_cancel_label(localizer), style=discord.ButtonStyle.secondary
        )
        confirm.callback = self._confirm  # type: ignore[method-assign]
        cancel.callback = self._cancel  # type: ignore[method-assign]
        self.add_item(confirm)
        self.add_item(cancel)

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        """Only the member who asked can answer."""
        return interaction.user.id == self._origin.user.id

    async def _confirm(self, interaction: discord.Interaction[Any]) -> None:
        self.stop()
        assert interaction.guild_id is not None
        erased = await self._service.forget(interaction.guild_id, interaction.user.id)
        opted_out = await self._service.opted_out(interaction.guild_id, interaction.user.id)
        await interaction.response.edit_message(
            content=_render.forget_done(self._localizer, erased, opted_out=opted_out),
            view=None,
            allowed_mentions=_NO_MENTIONS,
        )
        for posted in erased.posted:
            thread = interaction.client.get_partial_messageable(
                posted.thread_id, guild_id=interaction.guild_id
            )
            try:
                await thread.get_partial_message(posted.message_id).delete()
            except discord.NotFound:
                pass  # already gone
            except discord.HTTPException as error:
                log.warning(
                    "Could not delete a strategy posted for a member who erased their data "
                    "(message %s in thread %s): %s",
                    posted.message_id,
                    posted.thread_id,
                    error,
                )

    async def _cancel(self, interaction: discord.Interaction[Any]) -> None:
        self.stop()
        await interaction.response.edit_message(
            content=_render.forget_cancelled(self._localizer),
            view=None,
            allowed_mentions=_NO_MENTIONS,
        )

    async def on_timeout(self) -> None:
        """Say that nothing happened, and remove the buttons."""
        try:
            await self._origin.edit_original_response(
                content=_render.forget_expired(self._localizer),
                view=None,
                allowed_mentions=_NO_MENTIONS,
            )
        except discord.HTTPException:
            log.debug("Could not mark an expired forget-me confirmation")


class PrivacyCog(commands.Cog):
    """``/privacy export|forget-me|opt-out|opt-in|retention``, plus the guild data lifecycle."""

    privacy = app_commands.Group(
        name=cmd("command name", "privacy"),
        description=cmd(
            "command description", "Your data in this server: export, erase, opt out or in"
        ),
        guild_only=True,
    )

    def __init__(
        self, bot: IntervisionBot, service: PrivacyService, mentions: CommandMentions
    ) -> None:
        """``mentions`` are the clickable commands the replies point members to."""
        self._bot = bot
        self._service = service
        self._mentions = mentions
        self._purge_task: asyncio.Task[None] | None = None
        self._purge_sleeping = False
        self._purge_again = False

    async def cog_load(self) -> None:
        """Start the purge task."""
        self._start_purge()

    async def cog_unload(self) -> None:
        """Stop the purge task."""
        if self._purge_task is not None:
            self._purge_task.cancel()

    # -- commands --------------------------------------------------------------------------------

    @privacy.command(
        name=cmd("command name", "export"),
        description=cmd("command description", "Get a file of everything stored about you here"),
    )
    async def export(self, interaction: discord.Interaction[IntervisionBot]) -> None:
        """Send the member, privately, a JSON file of their data in this guild."""
        assert interaction.guild_id is not None
        localizer = await self._bot.localizer_for(interaction)
        export = await self._service.export(interaction.guild_id, interaction.user.id)
        payload = json.dumps(export.document, ensure_ascii=False, indent=2).encode("utf-8")
        filename = f"intervision-{interaction.guild_id}.json"
        await interaction.response.send_message(
            _render.export_intro(localizer, empty=export.empty),
            file=discord.File(io.BytesIO(payload), filename=filename),
            ephemeral=True,
            allowed_mentions=_NO_MENTIONS,
        )

    @privacy.command(
        name=cmd("command name", "forget-me"),
        description=cmd(
            "command description", "Erase your strategies and endorsements in this server"
        ),
    )
    async def forget_me(self, interaction: discord.Interaction[IntervisionBot]) -> None:
        """Ask for confirmation, then erase (see :class:`ForgetConfirmation`)."""
        localizer = await self._bot.localizer_for(interaction)
        await interaction.response.send_message(
            _render.forget_question(localizer),
            view=ForgetConfirmation(self._service, localizer, interaction),
            ephemeral=True,
            allowed_mentions=_NO_MENTIONS,
        )

    @privacy.command(
        name=cmd("command name", "opt-out"),
        description=cmd("command description", "Stop collecting your replies in this server"),
    )
    async def opt_out(self, interaction: discord.Interaction[IntervisionBot]) -> None:
        """Stop collecting the member's replies."""
        assert interaction.guild_id is not None
        localizer = await self._bot.localizer_for(interaction)
        await self._service.opt_out(interaction.guild_id, interaction.user.id)
        await interaction.response.send_message(
            _render.opted_out(localizer, self._mentions),
            ephemeral=True,
            allowed_mentions=_NO_MENTIONS,
        )

    @privacy.command(
        name=cmd("command name", "opt-in"),
        description=cmd("command description", "Collect your replies again in this server"),
    )
    async def opt_in(self, interaction: discord.Interaction[IntervisionBot]) -> None:
        """Resume collecting the member's replies."""
        assert interaction.guild_id is not None
        localizer = await self._bot.localizer_for(interaction)
        await self._service.opt_in(interaction.guild_id, interaction.user.id)
        await interaction.response.send_message(
            _render.opted_in(localizer), ephemeral=True, allowed_mentions=_NO_MENTIONS
        )

    @privacy.command(
        name=cmd("command name", "retention"),
        description=cmd(
            "command description", "Show or set how long strategies are kept (moderators)"
        ),
    )
    @app_commands.rename(days=cmd("option name", "days"))
    @app_commands.describe(
        days=cmd("option description", "Days to keep strategies; 0 keeps them until erased")
    )
    async def retention(
        self,
        interaction: discord.Interaction[IntervisionBot],
        days: app_commands.Range[int, 0, MAX_RETENTION_DAYS] | None = None,
    ) -> None:
        """Show the guild's retention; members who can manage the server may change it."""
        assert interaction.guild_id is not None
        localizer = await self._bot.localizer_for(interaction)
        if days is not None:
            if not interaction.permissions.manage_guild:
                await interaction.response.send_message(
                    _render.retention_needs_permission(localizer),
                    ephemeral=True,
                    allowed_mentions=_NO_MENTIONS,
                )
                return
            await self._service.set_retention(interaction.guild_id, days or None)
            self.reschedule_purge()
        current = await self._service.retention(interaction.guild_id)
        await interaction.response.send_message(
            _render.retention_status(localizer, current),
            ephemeral=True,
            allowed_mentions=_NO_MENTIONS,
        )

    # -- guild lifecycle -------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """The bot left or was removed: the guild's data is purged after the grace period."""
        await self._service.guild_left(guild.id)
        self.reschedule_purge()

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        """The bot was (re-)added: cancel any pending purge."""
        await self._service.guild_joined(guild.id)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Reconcile departures that happened while the bot was offline."""
        await self._service.sync_guilds({guild.id for guild in self._bot.guilds})
        self.reschedule_purge()

    # -- purge -----------------------------------------------------------------------------------

    async def _purge_loop(self) -> None:
        """Purge what is due, then sleep until the next thing is due (at most a week).

        The schedule is data (``left_at``, strategy dates, retention), so nothing is lost when
        the bot restarts: the first run after start-up catches up.
        """
        await self._bot.wait_until_ready()
        while True:
            self._purge_again = False
            try:
                await self._service.purge()
                due = await self._service.next_purge_at()
            except Exception:
                log.exception("The data purge failed; trying again in an hour")
                due = discord.utils.utcnow() + RETRY_AFTER_FAILURE
            if self._purge_again:
                continue
            delay = MAX_PURGE_SLEEP
            if due is not None:
                delay = min(max(due - discord.utils.utcnow(), timedelta(0)), MAX_PURGE_SLEEP)
            self._purge_sleeping = True
            try:
                await asyncio.sleep(delay.total_seconds() + 1.0)
            finally:
                self._purge_sleeping = False

    def _start_purge(self) -> None:
        self._purge_task = asyncio.create_task(self._purge_loop(), name="intervision-purge")

    def reschedule_purge(self) -> None:
        """Something changed what is due (a guild left, a retention set): re-plan now."""
        if self._purge_task is not None and self._purge_sleeping:
            self._purge_task.cancel()
            self._purge_sleeping = False
            self._start_purge()
        else:
            self._purge_again = True
