"""Rendering of guidance replies: domain objects in, localized embeds out."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.domain.dilemmas import Dilemma
from bot.i18n.localizer import Localizer

EMBED_COLOUR = discord.Colour(0x3B7A57)
_FIELD_LIMIT = 1024


def guidance_embed(localizer: Localizer, dilemma: Dilemma, fallback_locale: str) -> discord.Embed:
    """The dilemma's title, prompt and curated key points."""
    text = dilemma.text(localizer.locale, fallback_locale)
    embed = discord.Embed(title=text.title, description=text.prompt, colour=EMBED_COLOUR)
    points = "\n".join(f"\N{BULLET} {point}" for point in text.key_points)
    embed.add_field(
        name=localizer.gettext("Key points"), value=_clip(points, _FIELD_LIMIT), inline=False
    )
    if dilemma.references:
        embed.add_field(
            name=localizer.gettext("Ethics codes"),
            value=_clip("\n".join(dilemma.references), _FIELD_LIMIT),
            inline=False,
        )
    embed.set_footer(text=localizer.gettext("Topic: {topic}", topic=dilemma.topic))
    return embed


def unknown_topic(
    localizer: Localizer, query: str, suggestions: Sequence[Dilemma], fallback_locale: str
) -> str:
    """A message saying the topic is unknown, with suggestions when there are any."""
    shown = discord.utils.escape_markdown(query.strip())[:100]
    if not suggestions:
        return localizer.gettext(
            "I don't know a dilemma called \u201c{topic}\u201d. "
            "Start typing in the topic option to see the available ones.",
            topic=shown,
        )
    names = [
        f"`{d.topic}` ({d.text(localizer.locale, fallback_locale).title})" for d in suggestions
    ]
    return localizer.gettext(
        "I don't know a dilemma called \u201c{topic}\u201d. Did you mean {suggestions}?",
        topic=shown,
        suggestions=localizer.join(names, style="or"),
    )


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\N{HORIZONTAL ELLIPSIS}"
