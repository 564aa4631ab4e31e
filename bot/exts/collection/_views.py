"""The "Share a strategy" button (persistent across restarts) and its modal.

The posting code attaches :class:`ShareStrategyButton` to every dilemma post; the button's
custom_id ``intervision:share:<post id>`` names the post, so a restarted bot still answers clicks
on old posts. The modal collects the strategy and whether to post it anonymously; the bot posts
it in the thread on the member's behalf and stores it.
"""

from __future__ import annotations

import contextlib
import logging
import re
from typing import TYPE_CHECKING, Any

import discord

from bot.domain.posts import SHARE_CUSTOM_ID_TEMPLATE, Post, share_custom_id
from bot.domain.strategies import MAX_STRATEGY_LENGTH, has_words
from bot.exts.collection import _render
from bot.i18n.localizer import Localizer
from bot.services.collection import ShareRefusal

if TYPE_CHECKING:
    from bot.client import IntervisionBot

log = logging.getLogger(__name__)

MODAL_TIMEOUT = 30 * 60  # seconds a member may spend writing
_NO_MENTIONS = discord.AllowedMentions.none()


class ShareStrategyButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=SHARE_CUSTOM_ID_TEMPLATE
):
    """The button under a dilemma post that opens :class:`ShareStrategyModal`."""

    def __init__(self, post_id: int, label: str = "Share a strategy") -> None:
        super().__init__(
            discord.ui.Button(
                label=label, style=discord.ButtonStyle.primary, custom_id=share_custom_id(post_id)
            )
        )
        self.post_id = post_id

    @classmethod
    def for_post(cls, post_id: int, localizer: Localizer) -> ShareStrategyButton:
        """The button of post ``post_id`` labelled in ``localizer``'s language."""
        return cls(post_id, label=localizer.gettext("Share a strategy"))

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ShareStrategyButton:
        """Rebuild the button from a click on any post, including posts older than this run."""
        label = getattr(item, "label", None) or "Share a strategy"
        return cls(int(match["post_id"]), label=label)

    async def callback(self, interaction: discord.Interaction[IntervisionBot]) -> None:  # type: ignore[override]
        """Open the modal, or say privately why the member cannot share now."""
        bot = interaction.client
        localizer = await bot.localizer_for(interaction)
        if interaction.guild_id is None:
            return
        target = await bot.services.collection.share_target(
            interaction.guild_id, self.post_id, interaction.user.id
        )
        if isinstance(target, ShareRefusal):
            await _refuse(interaction, localizer, target)
            return
        await interaction.response.send_modal(ShareStrategyModal(localizer, target))


class ShareStrategyModal(discord.ui.Modal):
    """Strategy text (up to 4,000 characters) and "post anonymously"."""

    def __init__(self, localizer: Localizer, post: Post) -> None:
        super().__init__(title=localizer.gettext("Share a strategy")[:45], timeout=MODAL_TIMEOUT)
        self._post = post
        self.text: discord.ui.TextInput[ShareStrategyModal] = discord.ui.TextInput(
            custom_id="strategy",
            style=discord.TextStyle.paragraph,
            max_length=MAX_STRATEGY_LENGTH,
            placeholder=localizer.gettext("How would you handle this dilemma?")[:100],
        )
        self.anonymous: discord.ui.Checkbox[ShareStrategyModal] = discord.ui.Checkbox(
            custom_id="anonymous"
        )
        self.add_item(
            discord.ui.Label(text=localizer.gettext("Your strategy")[:45], component=self.text)
        )
        self.add_item(
            discord.ui.Label(
                text=localizer.gettext("Post anonymously")[:45],
                description=localizer.gettext(
                    "Your name is not shown and your user id is not stored with it."
                )[:100],
                component=self.anonymous,
            )
        )

    async def on_submit(self, interaction: discord.Interaction[IntervisionBot]) -> None:  # type: ignore[override]
        """Post the strategy in the thread, store it, and confirm privately."""
        bot = interaction.client
        service = bot.services.collection
        localizer = await bot.localizer_for(interaction)
        text, anonymous = self.text.value, bool(self.anonymous.value)
        if not has_words(text):
            await interaction.response.send_message(
                _render.share_needs_words(localizer), ephemeral=True, allowed_mentions=_NO_MENTIONS
            )
            return
        assert interaction.guild_id is not None  # the button only exists in guilds
        target = await service.share_target(
            interaction.guild_id, self._post.id, interaction.user.id
        )
        if isinstance(target, ShareRefusal):
            await _refuse(interaction, localizer, target)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        thread_locale = await bot.services.guidance.reply_locale(interaction.guild_id, None)
        embed = _render.shared_strategy_embed(
            Localizer(bot.catalogs, thread_locale),
            text,
            author_name=None if anonymous else interaction.user.display_name,
        )
        assert target.thread_id is not None
        try:
            thread = bot.get_partial_messageable(
                target.thread_id, guild_id=target.guild_id, type=discord.ChannelType.public_thread
            )
            message = await thread.send(embed=embed, allowed_mentions=_NO_MENTIONS)
        except discord.HTTPException as error:
            log.warning(
                "Could not post a shared strategy in thread %s: %s", target.thread_id, error
            )
            await interaction.followup.send(
                _render.share_failed(localizer), ephemeral=True, allowed_mentions=_NO_MENTIONS
            )
            return
        try:
            await service.record_shared(
                target,
                message_id=message.id,
                user_id=interaction.user.id,
                text=text,
                anonymous=anonymous,
                created_at=message.created_at,
            )
        except Exception:
            # Never leave a strategy on display that is not stored (it could not be erased).
            with contextlib.suppress(discord.HTTPException):
                await message.delete()
            raise
        await interaction.followup.send(
            _render.share_thanks(localizer, anonymous=anonymous, link=message.jump_url),
            ephemeral=True,
            allowed_mentions=_NO_MENTIONS,
        )


async def _refuse(
    interaction: discord.Interaction[IntervisionBot], localizer: Localizer, refusal: ShareRefusal
) -> None:
    text = (
        _render.share_refused_opted_out(localizer, interaction.client.command_mentions)
        if refusal is ShareRefusal.OPTED_OUT
        else _render.share_refused_closed(localizer)
    )
    await interaction.response.send_message(text, ephemeral=True, allowed_mentions=_NO_MENTIONS)
