"""Rendering of guidance replies: domain objects in, localized embeds out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import discord

from bot.domain.dilemmas import Dilemma
from bot.domain.summary import Quote, Summary
from bot.i18n.localizer import Localizer
from bot.i18n.themes import theme_label

EMBED_COLOUR = discord.Colour(0x3B7A57)
_FIELD_LIMIT = 1024
_BAR_WIDTH = 10
_THEMES_SHOWN = 12


def guidance_embed(
    localizer: Localizer,
    dilemma: Dilemma,
    summary: Summary | None,
    fallback_locale: str,
    now: datetime,
) -> discord.Embed:
    """Title, prompt, curated key points, then what the community said (or an invitation)."""
    text = dilemma.text(localizer.locale, fallback_locale)
    embed = discord.Embed(title=text.title, description=text.prompt, colour=EMBED_COLOUR)
    points = "\n".join(f"\N{BULLET} {point}" for point in text.key_points)
    embed.add_field(
        name=localizer.gettext("Key points"), value=_clip(points, _FIELD_LIMIT), inline=False
    )
    custom = dilemma.theme_labels()
    if summary is None or not summary.strategies:
        embed.add_field(
            name=localizer.gettext("The community's strategies"),
            value=localizer.gettext(
                "No strategies have been shared on this dilemma yet. When it is posted, reply in "
                "its thread: your experience helps everyone."
            ),
            inline=False,
        )
    else:
        _add_community(embed, localizer, summary, custom, now)
    if dilemma.references:
        embed.add_field(
            name=localizer.gettext("Ethics codes"),
            value=_clip("\n".join(dilemma.references), _FIELD_LIMIT),
            inline=False,
        )
    embed.set_footer(text=localizer.gettext("Topic: {topic}", topic=dilemma.topic))
    return embed


def _add_community(
    embed: discord.Embed,
    localizer: Localizer,
    summary: Summary,
    custom: Mapping[str, Mapping[str, str]],
    now: datetime,
) -> None:
    top = max((t.members for t in summary.themes), default=0)
    rows = [
        f"`{_bar(t.members, top)}` **{localizer.number(t.members)}** "
        f"\N{MIDDLE DOT} {theme_label(localizer, t.theme, custom)}"
        for t in summary.themes[:_THEMES_SHOWN]
    ]
    if not rows:
        rows = [localizer.gettext("The replies so far do not fit any strategy theme yet.")]
    embed.add_field(
        name=localizer.gettext("The community's strategies (members)"),
        value=_clip("\n".join(rows), _FIELD_LIMIT),
        inline=False,
    )
    for count in summary.themes:
        if not count.quotes:
            continue
        quotes = [_quote(localizer, quote) for quote in count.quotes]
        embed.add_field(
            name=theme_label(localizer, count.theme, custom),
            value=_clip("\n".join(quotes), _FIELD_LIMIT),
            inline=False,
        )
    participation = [
        localizer.ngettext("{n} member", "{n} members", summary.members),
        localizer.ngettext("{n} strategy", "{n} strategies", summary.strategies),
    ]
    if summary.last_update is not None:
        participation.append(
            localizer.gettext("updated {when}", when=localizer.relative(summary.last_update - now))
        )
    value = " \N{MIDDLE DOT} ".join(participation)
    if summary.thread_link:
        value += "\n" + localizer.gettext("[Join the discussion]({link})", link=summary.thread_link)
    embed.add_field(name=localizer.gettext("Participation"), value=value, inline=False)


def _quote(localizer: Localizer, quote: Quote) -> str:
    text = discord.utils.escape_markdown(discord.utils.escape_mentions(quote.text))
    line = f"> {text}"
    if quote.language not in {localizer.locale[:2], "und"}:
        line += f" *({quote.language.upper()})*"
    if quote.link:
        line += f" [\N{RIGHTWARDS ARROW}]({quote.link})"
    return line


def _bar(value: int, top: int) -> str:
    filled = round(_BAR_WIDTH * value / top) if top else 0
    return "\N{FULL BLOCK}" * filled + "\N{LIGHT SHADE}" * (_BAR_WIDTH - filled)


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
