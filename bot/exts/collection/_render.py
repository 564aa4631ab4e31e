"""Rendering for collection: strategies the bot posts for members, and private replies."""

from __future__ import annotations

import discord

from bot.domain.masking import mask
from bot.i18n.localizer import Localizer
from bot.mentions import CommandMentions

STRATEGY_COLOUR = discord.Colour(0x3B7A57)
_TITLE_LIMIT = 256


def shared_strategy_embed(
    localizer: Localizer, text: str, *, author_name: str | None
) -> discord.Embed:
    """A strategy shared through the button, in the guild's language.

    The text is masked: personal data the member typed is never repeated by the bot. An
    anonymous strategy (``author_name`` is ``None``) says so and names nobody.
    """
    if author_name is None:
        title = localizer.gettext("Strategy shared anonymously")
    else:
        title = localizer.gettext(
            "Strategy shared by {member}", member=discord.utils.escape_markdown(author_name)
        )
    embed = discord.Embed(
        title=title[:_TITLE_LIMIT], description=mask(text), colour=STRATEGY_COLOUR
    )
    embed.set_footer(text=localizer.gettext("Shared with the \u201cShare a strategy\u201d button"))
    return embed


def share_refused_closed(localizer: Localizer) -> str:
    """The dilemma no longer collects strategies."""
    return localizer.gettext("This dilemma is closed, so it no longer collects strategies.")


def share_refused_opted_out(localizer: Localizer, mentions: CommandMentions) -> str:
    """The member opted out of collection."""
    # TRANSLATORS: {command} is the clickable /privacy opt-in command.
    return localizer.gettext(
        "You opted out of collection in this server, so your strategies are not stored. "
        "Use {command} to take part again.",
        command=mentions.mention("privacy opt-in", localizer),
    )


def share_needs_words(localizer: Localizer) -> str:
    """The modal was submitted with nothing but spaces or emoji."""
    return localizer.gettext("Your strategy needs a few words. Please try again.")


def share_thanks(localizer: Localizer, *, anonymous: bool, link: str) -> str:
    """Private confirmation after the strategy was posted."""
    if anonymous:
        return localizer.gettext(
            "Thank you! Your strategy is posted anonymously: {link}", link=link
        )
    return localizer.gettext("Thank you! Your strategy is posted: {link}", link=link)


def share_failed(localizer: Localizer) -> str:
    """The bot could not post in the thread."""
    return localizer.gettext(
        "I could not post your strategy in the discussion thread. Please try again later."
    )
