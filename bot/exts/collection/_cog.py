"""Listeners that feed the collection service: replies, edits, deletions, reactions, catch-up."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.domain.posts import Post
from bot.domain.strategies import ObservedMessage
from bot.services.collection import CollectionService

if TYPE_CHECKING:
    from bot.client import IntervisionBot

log = logging.getLogger(__name__)

#: Replies recorded concurrently. A burst of thousands of replies otherwise queues thousands of
#: database statements ahead of every interaction, which then misses Discord's 3 s deadline;
#: the rest wait here, in arrival order, without touching the database. The service batches
#: the replies in flight (analysis, storage), so this also bounds its batches: with 256, one
#: batch of ~128 (``ANALYSIS_BATCH``) is analysed while the next are read and stored. Measured
#: with scripts/benchmark.py (live, 2 cores, half of them taken by other work): 8 -> ~235/s,
#: 64 (batches of 32) -> ~380/s, 256 (batches of 128) -> ~405/s (~600/s on an idle machine);
#: a /guidance summary during the burst took p99 < 50 ms with half the machine busy, ~150 ms
#: idle (the analysis thread then holds the GIL longer): far from the 3 s deadline.
RECORDING_AT_ONCE = 256


def observed(message: discord.Message, guild_id: int) -> ObservedMessage:
    """The parts of a Discord message the collection service decides on."""
    return ObservedMessage(
        guild_id=guild_id,
        channel_id=message.channel.id,
        message_id=message.id,
        author_id=message.author.id,
        from_bot=message.author.bot or message.webhook_id is not None,
        is_system=message.is_system(),
        text=message.content,
        created_at=message.created_at,
    )


class CollectionCog(commands.Cog):
    """Stores every member reply in an open dilemma thread, and keeps it in sync."""

    def __init__(self, bot: IntervisionBot, service: CollectionService) -> None:
        self._bot = bot
        self._service = service
        self._backfill: asyncio.Task[None] | None = None
        self._backfill_again = False
        self._recording = asyncio.Semaphore(RECORDING_AT_ONCE)

    async def cog_unload(self) -> None:
        """Stop a running catch-up."""
        if self._backfill is not None:
            self._backfill.cancel()

    # -- live events -----------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """A reply in an open dilemma thread becomes a strategy."""
        if message.guild is None:
            return
        async with self._recording:
            await self._service.record(observed(message, message.guild.id))

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        """An edit replaces the strategy's text (cached or not)."""
        if payload.guild_id is None or "content" not in payload.data:
            return
        if "author" not in payload.data:
            return  # a partial update (e.g. an embed unfurled): the text did not change
        await self._service.record_edit(observed(payload.message, payload.guild_id))

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        """A deleted message takes its strategy with it."""
        if payload.guild_id is not None:
            await self._service.remove(payload.guild_id, [payload.message_id])

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        """Bulk deletions (moderation tools) take their strategies with them."""
        if payload.guild_id is not None:
            await self._service.remove(payload.guild_id, payload.message_ids)

    @commands.Cog.listener()
    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        """Deleting a thread deletes its messages (Discord sends no event for each)."""
        await self._service.thread_deleted(payload.guild_id, payload.thread_id)

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        """The endorsement emoji on a strategy counts as an endorsement."""
        if payload.guild_id is None or self._is_bot(payload):
            return
        await self._service.endorse(
            payload.guild_id, payload.message_id, payload.user_id, str(payload.emoji)
        )

    @commands.Cog.listener()
    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        """Removing the reaction withdraws the endorsement."""
        if payload.guild_id is None:
            return
        await self._service.withdraw_endorsement(
            payload.guild_id, payload.message_id, payload.user_id, str(payload.emoji)
        )

    @commands.Cog.listener()
    async def on_raw_reaction_clear(self, payload: discord.RawReactionClearEvent) -> None:
        """A moderator removed every reaction from a message."""
        if payload.guild_id is not None:
            await self._service.clear_endorsements(payload.guild_id, payload.message_id, None)

    @commands.Cog.listener()
    async def on_raw_reaction_clear_emoji(
        self, payload: discord.RawReactionClearEmojiEvent
    ) -> None:
        """A moderator removed every reaction of one emoji from a message."""
        if payload.guild_id is not None:
            await self._service.clear_endorsements(
                payload.guild_id, payload.message_id, str(payload.emoji)
            )

    def _is_bot(self, payload: discord.RawReactionActionEvent) -> bool:
        if self._bot.user is not None and payload.user_id == self._bot.user.id:
            return True
        return payload.member is not None and payload.member.bot

    # -- catching up -----------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Connected (at startup, or after a new session): catch up on every open thread."""
        self._start_backfill()

    @commands.Cog.listener()
    async def on_resumed(self) -> None:
        """Reconnected: catch up (events replayed by the resume are stored only once)."""
        self._start_backfill()

    def _start_backfill(self) -> None:
        if self._backfill is not None and not self._backfill.done():
            self._backfill_again = True
            return
        self._backfill = asyncio.create_task(self._backfill_loop(), name="intervision-backfill")

    async def _backfill_loop(self) -> None:
        self._backfill_again = True
        while self._backfill_again:
            self._backfill_again = False
            try:
                await self.backfill()
            except Exception:
                log.exception("Catching up on open dilemma threads failed")

    async def backfill(self) -> None:
        """Read each open thread after what was recorded, store what was missed, and remove
        strategies whose messages are gone."""
        posts = await self._service.open_posts([guild.id for guild in self._bot.guilds])
        for post in posts:
            if post.thread_id is None:
                continue
            try:
                await self._catch_up(post)
            except discord.HTTPException as error:
                log.warning(
                    "Could not read thread %s of post %s in guild %s: %s",
                    post.thread_id,
                    post.id,
                    post.guild_id,
                    error,
                )

    async def _catch_up(self, post: Post) -> None:
        assert post.thread_id is not None
        thread = self._bot.get_partial_messageable(
            post.thread_id, guild_id=post.guild_id, type=discord.ChannelType.public_thread
        )
        after = await self._service.backfill_start(post)
        history = [
            observed(message, post.guild_id)
            async for message in thread.history(
                limit=None, after=discord.Object(after), oldest_first=True
            )
        ]
        result = await self._service.reconcile(post, after, history)
        gone = []
        for message_id in result.unverified:
            try:
                await thread.fetch_message(message_id)
            except discord.NotFound:
                gone.append(message_id)
        if gone:
            await self._service.confirm_gone(post.guild_id, gone)
