"""The Discord side of posting: :class:`bot.services.posting.Publisher` over discord.py."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import TYPE_CHECKING

import aiohttp
import discord

from bot.domain.dilemmas import Dilemma
from bot.domain.guilds import GuildSettings
from bot.domain.posts import SHARE_CUSTOM_ID_TEMPLATE, Post
from bot.domain.summary import Summary
from bot.exts.dilemmas import _render
from bot.i18n.catalogs import Catalogs
from bot.i18n.locales import negotiate
from bot.i18n.localizer import Localizer
from bot.mentions import CommandMentions
from bot.services.posting import Published, PublishError, PublishFailure

if TYPE_CHECKING:
    from bot.client import IntervisionBot

log = logging.getLogger(__name__)

_MARKER = re.compile(SHARE_CUSTOM_ID_TEMPLATE)
#: How far back (and how many messages) recovery looks for a post sent before a crash.
_RECOVERY_MARGIN = timedelta(minutes=5)
_RECOVERY_LIMIT = 100
_ARCHIVE_AFTER_MINUTES = 10080  # one week: the thread stays open until the next post closes it

Postable = discord.TextChannel | discord.ForumChannel
#: What a request to Discord can raise: an answer (4xx/5xx after discord.py's retries) or a
#: connection that broke before any answer (network loss, or the bot's session closing at
#: shutdown). Only a 404/403 answer abandons a post; the rest keep its intent for recovery.
_TRANSPORT_ERRORS = (discord.HTTPException, aiohttp.ClientError, OSError)


class DiscordPublisher:
    """Sends dilemmas, opens threads or forum posts, recaps and archives them."""

    def __init__(
        self,
        bot: IntervisionBot,
        catalogs: Catalogs,
        default_locale: str,
        mentions: CommandMentions,
    ) -> None:
        """``mentions`` are the clickable commands the posts and recaps point members to."""
        self._bot = bot
        self._catalogs = catalogs
        self._default = default_locale
        self._mentions = mentions

    def _localizer(self, settings: GuildSettings) -> Localizer:
        return Localizer(self._catalogs, negotiate([settings.locale], self._default))

    async def publish(self, post: Post, dilemma: Dilemma, settings: GuildSettings) -> Published:
        """Send the dilemma with ``post.nonce`` and open its thread (or create the forum post)."""
        channel = await self._postable(post.channel_id)
        localizer = self._localizer(settings)
        embed = _render.post_embed(localizer, self._mentions, dilemma, self._default)
        view = _render.share_view(localizer, post.id)
        name = _render.thread_name(localizer, dilemma, self._default)
        content, mentions = _ping(settings)
        try:
            if isinstance(channel, discord.ForumChannel):
                created = await channel.create_thread(
                    name=name,
                    content=content,
                    embed=embed,
                    view=view,
                    applied_tags=_matching_tags(channel, dilemma),
                    allowed_mentions=mentions,
                    auto_archive_duration=_ARCHIVE_AFTER_MINUTES,
                )
                return Published(created.message.id, created.thread.id)
            message = await channel.send(
                content=content,
                embed=embed,
                view=view,
                nonce=post.nonce,
                allowed_mentions=mentions,
            )
            thread = await self._thread_of(message, name)
        except _TRANSPORT_ERRORS as error:
            raise _failure(error) from error
        return Published(message.id, thread.id)

    async def _thread_of(self, message: discord.Message, name: str) -> discord.Thread:
        if message.thread is not None:
            return message.thread
        return await message.create_thread(name=name, auto_archive_duration=_ARCHIVE_AFTER_MINUTES)

    async def find_published(self, post: Post) -> Published | None:
        """Look for the post's marker among the bot's recent messages or forum posts."""
        channel = await self._postable(post.channel_id)
        me = self._bot.user
        try:
            if isinstance(channel, discord.ForumChannel):
                for thread in channel.threads:
                    if thread.owner_id != (me and me.id):
                        continue
                    starter = await thread.fetch_message(thread.id)
                    if _marks(starter, post.id):
                        return Published(starter.id, thread.id)
                return None
            after = post.slot - _RECOVERY_MARGIN
            async for message in channel.history(limit=_RECOVERY_LIMIT, after=after):
                if message.author == me and _marks(message, post.id):
                    dilemma_name = message.embeds[0].title if message.embeds else str(post.topic)
                    thread = await self._thread_of(message, (dilemma_name or post.topic)[:100])
                    return Published(message.id, thread.id)
        except _TRANSPORT_ERRORS as error:
            raise _failure(error) from error
        return None

    async def close(
        self, post: Post, settings: GuildSettings, dilemma: Dilemma, summary: Summary
    ) -> None:
        """Send the recap in the thread, then archive it."""
        if post.thread_id is None:
            return
        thread = await self._thread(post.thread_id)
        localizer = self._localizer(settings)
        try:
            if thread.archived:
                await thread.edit(archived=False)
            await thread.send(
                _render.recap(localizer, self._mentions, dilemma, summary),
                nonce=f"close{post.id}",
                allowed_mentions=discord.AllowedMentions.none(),
            )
            await thread.edit(archived=True)
        except _TRANSPORT_ERRORS as error:
            raise _failure(error) from error

    async def notify_empty_queue(self, settings: GuildSettings, thread_id: int | None) -> None:
        """Tell the moderators in the configured channel (forums: in the latest post's thread)."""
        if settings.channel_id is None:
            return
        channel = await self._postable(settings.channel_id)
        target: discord.TextChannel | discord.Thread | None = None
        if isinstance(channel, discord.TextChannel):
            target = channel
        elif thread_id is not None:
            target = await self._thread(thread_id)
        if target is None:
            log.info("Guild %s: queue empty and no place to say so", settings.guild_id)
            return
        try:
            await target.send(
                _render.empty_queue(self._localizer(settings), self._mentions),
                allowed_mentions=discord.AllowedMentions.none(),
            )
        except _TRANSPORT_ERRORS as error:
            raise _failure(error) from error

    async def _postable(self, channel_id: int) -> Postable:
        channel = self._bot.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self._bot.fetch_channel(channel_id)
            except _TRANSPORT_ERRORS as error:
                raise _failure(error) from error
        if not isinstance(channel, Postable):
            raise PublishError(PublishFailure.CHANNEL_GONE, f"cannot post in channel {channel_id}")
        return channel

    async def _thread(self, thread_id: int) -> discord.Thread:
        thread = self._bot.get_channel(thread_id)
        if not isinstance(thread, discord.Thread):
            try:
                thread = await self._bot.fetch_channel(thread_id)
            except _TRANSPORT_ERRORS as error:
                raise _failure(error) from error
        if not isinstance(thread, discord.Thread):
            raise PublishError(PublishFailure.CHANNEL_GONE, f"{thread_id} is not a thread")
        return thread


def _ping(settings: GuildSettings) -> tuple[str | None, discord.AllowedMentions]:
    """The role mention, allowed to ping exactly that role and nothing else."""
    if settings.ping_role_id is None:
        return None, discord.AllowedMentions.none()
    role = discord.Object(settings.ping_role_id)
    mentions = discord.AllowedMentions(
        everyone=False, users=False, roles=[role], replied_user=False
    )
    return f"<@&{settings.ping_role_id}>", mentions


def _matching_tags(forum: discord.ForumChannel, dilemma: Dilemma) -> list[discord.ForumTag]:
    """Forum tags named like the topic or one of its tags (Discord allows five)."""
    wanted = {dilemma.topic.casefold(), dilemma.topic.replace("_", " ").casefold()}
    wanted |= {tag.casefold() for tag in dilemma.tags}
    return [tag for tag in forum.available_tags if tag.name.casefold() in wanted][:5]


def _marks(message: discord.Message, post_id: int) -> bool:
    for row in message.components:
        for child in getattr(row, "children", [row]):
            match = _MARKER.fullmatch(getattr(child, "custom_id", None) or "")
            if match and int(match["post_id"]) == post_id:
                return True
    return False


def _failure(error: discord.HTTPException | aiohttp.ClientError | OSError) -> PublishError:
    """Gone, forbidden, or (5xx, 429, a dropped connection) unavailable: retry at recovery."""
    if isinstance(error, discord.NotFound):
        return PublishError(PublishFailure.CHANNEL_GONE, str(error))
    if isinstance(error, discord.Forbidden):
        return PublishError(PublishFailure.FORBIDDEN, str(error))
    return PublishError(PublishFailure.UNAVAILABLE, str(error))
