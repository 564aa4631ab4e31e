"""Rendering for the dilemma feature: the weekly post, the recap, moderator replies."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import discord

from bot.domain.catalog import CatalogIssue, Problem
from bot.domain.dilemmas import Dilemma, QueuedDilemma
from bot.domain.guilds import GuildSettings
from bot.domain.posts import share_custom_id
from bot.domain.summary import Summary
from bot.i18n.localizer import Localizer
from bot.i18n.themes import theme_label
from bot.mentions import CommandMentions

POST_COLOUR = discord.Colour(0x3B7A57)
THREAD_NAME_LIMIT = 100
QUEUE_SHOWN = 10
RECAP_THEMES = 3


def weekday_name(localizer: Localizer, weekday: int) -> str:
    """The locale's name of a weekday (Monday = 0)."""
    from babel.dates import get_day_names  # noqa: PLC0415 (keeps Babel out of import time)

    return get_day_names("wide", locale=localizer.babel_locale)[weekday]


def post_embed(
    localizer: Localizer, mentions: CommandMentions, dilemma: Dilemma, fallback: str
) -> discord.Embed:
    """The weekly dilemma as members see it in the channel."""
    text = dilemma.text(localizer.locale, fallback)
    embed = discord.Embed(title=text.title, description=text.prompt, colour=POST_COLOUR)
    embed.add_field(
        name=localizer.gettext("How to take part"),
        # TRANSLATORS: {command} is the clickable /guidance command, {topic} its topic option.
        value=localizer.gettext(
            "Reply in the thread with how you would handle this, or use the button below. "
            "Your strategy feeds the community's guidance: {command} {topic}",
            command=mentions.mention("guidance", localizer),
            topic=dilemma.topic,
        ),
        inline=False,
    )
    return embed


def share_view(localizer: Localizer, post_id: int) -> discord.ui.View:
    """The persistent "Share a strategy" button; its custom_id identifies the post."""
    view = discord.ui.View(timeout=None)
    view.add_item(
        discord.ui.Button(
            label=localizer.gettext("Share a strategy"),
            style=discord.ButtonStyle.primary,
            custom_id=share_custom_id(post_id),
        )
    )
    return view


def thread_name(localizer: Localizer, dilemma: Dilemma, fallback: str) -> str:
    """Name of the discussion thread (Discord allows 100 characters)."""
    return dilemma.text(localizer.locale, fallback).title[:THREAD_NAME_LIMIT]


def recap(
    localizer: Localizer, mentions: CommandMentions, dilemma: Dilemma, summary: Summary
) -> str:
    """The closing message of a week's thread: who took part, the most used themes."""
    lines = [localizer.gettext("This discussion is now closed. Thank you for sharing!")]
    if summary.strategies:
        lines.append(
            localizer.gettext(
                "Participation: {members}, {strategies}.",
                members=localizer.ngettext("{n} member", "{n} members", summary.members),
                strategies=localizer.ngettext("{n} strategy", "{n} strategies", summary.strategies),
            )
        )
        labels = dilemma.theme_labels()
        top = [
            f"{theme_label(localizer, t.theme, labels)} ({localizer.number(t.members)})"
            for t in summary.themes[:RECAP_THEMES]
        ]
        if top:
            lines.append(
                localizer.gettext("Most used strategies: {themes}.", themes=localizer.join(top))
            )
    lines.append(
        # TRANSLATORS: {command} is the clickable /guidance command, {topic} its topic option.
        localizer.gettext(
            "The community's guidance stays available with {command} {topic}",
            command=mentions.mention("guidance", localizer),
            topic=dilemma.topic,
        )
    )
    return "\n".join(lines)


def empty_queue(localizer: Localizer, mentions: CommandMentions) -> str:
    """Told to moderators once when a slot finds nothing queued."""
    # TRANSLATORS: {add_command} and {import_command} are clickable commands.
    return localizer.gettext(
        "No dilemma is queued, so nothing was posted this week. Moderators can add one with "
        "{add_command} or {import_command}.",
        add_command=mentions.mention("dilemma add", localizer),
        import_command=mentions.mention("dilemma import", localizer),
    )


def queue_empty(localizer: Localizer, mentions: CommandMentions) -> str:
    """The answer of a command that needs a queued dilemma when there is none."""
    # TRANSLATORS: {add_command} and {import_command} are clickable commands.
    return localizer.gettext(
        "The queue is empty. Add dilemmas with {add_command} or {import_command}.",
        add_command=mentions.mention("dilemma add", localizer),
        import_command=mentions.mention("dilemma import", localizer),
    )


def paused(localizer: Localizer, mentions: CommandMentions) -> str:
    """Posting is paused (after ``/dilemma pause``, and under the queue)."""
    # TRANSLATORS: {command} is the clickable /dilemma resume command.
    return localizer.gettext(
        "Posting is paused. Resume it with {command}.",
        command=mentions.mention("dilemma resume", localizer),
    )


def not_set_up(localizer: Localizer, mentions: CommandMentions) -> str:
    """A command that needs the schedule, in a guild without one."""
    # TRANSLATORS: {command} is the clickable /dilemma setup command.
    return localizer.gettext(
        "There is no schedule yet. Start with {command}.",
        command=mentions.mention("dilemma setup", localizer),
    )


def queue_listing(
    localizer: Localizer,
    mentions: CommandMentions,
    entries: Sequence[QueuedDilemma],
    settings: GuildSettings,
    upcoming: Sequence[datetime],
    fallback: str,
) -> str:
    """The next dilemmas with the date each is expected to be posted."""
    if not entries:
        return queue_empty(localizer, mentions)
    zone = ZoneInfo(settings.timezone)
    lines = [
        localizer.ngettext("{n} dilemma in the queue:", "{n} dilemmas in the queue:", len(entries))
    ]
    for index, entry in enumerate(entries[:QUEUE_SHOWN]):
        title = discord.utils.escape_markdown(entry.dilemma.text(localizer.locale, fallback).title)
        if index < len(upcoming) and not settings.paused:
            when = localizer.datetime(upcoming[index], zone, "medium")
            lines.append(f"{index + 1}. **{title}** (`{entry.dilemma.topic}`) \N{EM DASH} {when}")
        else:
            lines.append(f"{index + 1}. **{title}** (`{entry.dilemma.topic}`)")
    if len(entries) > QUEUE_SHOWN:
        lines.append(
            localizer.gettext(
                "\N{HORIZONTAL ELLIPSIS} and {count} more",
                count=localizer.number(len(entries) - QUEUE_SHOWN),
            )
        )
    if settings.paused:
        lines.append(paused(localizer, mentions))
    return "\n".join(lines)


def permission_names(localizer: Localizer, missing: Sequence[str]) -> str:
    """Localized names of discord.py permission flags, as a list."""
    names = {
        "view_channel": localizer.pgettext("permission", "View Channel"),
        "send_messages": localizer.pgettext("permission", "Send Messages"),
        "embed_links": localizer.pgettext("permission", "Embed Links"),
        "read_message_history": localizer.pgettext("permission", "Read Message History"),
        "create_public_threads": localizer.pgettext("permission", "Create Public Threads"),
        "send_messages_in_threads": localizer.pgettext("permission", "Send Messages in Threads"),
        "manage_threads": localizer.pgettext("permission", "Manage Threads"),
        "mention_everyone": localizer.pgettext(
            "permission", "Mention @everyone, @here, and All Roles"
        ),
    }
    return localizer.join([f"**{names.get(flag, flag)}**" for flag in missing])


def catalog_issues(localizer: Localizer, issues: Sequence[CatalogIssue], limit: int = 15) -> str:
    """Every problem of an imported file or a form, one per line, with where it is."""
    lines = [
        f"\N{BULLET} `{issue.where}`: {_problem(localizer, issue)}" for issue in issues[:limit]
    ]
    if len(issues) > limit:
        lines.append(
            localizer.gettext(
                "\N{HORIZONTAL ELLIPSIS} and {count} more",
                count=localizer.number(len(issues) - limit),
            )
        )
    return "\n".join(lines)


def _problem(localizer: Localizer, issue: CatalogIssue) -> str:
    values = {key: value for key, value in issue.values}
    match issue.problem:
        case Problem.SYNTAX:
            return localizer.gettext(
                "not valid TOML at line {line}, column {column}",
                line=values["line"],
                column=values["column"],
            )
        case Problem.SCHEMA:
            return localizer.gettext("unsupported schema version {found}", found=values["found"])
        case Problem.NO_DILEMMAS:
            return localizer.gettext("the file has no [[dilemma]] entries")
        case Problem.NOT_A_TABLE:
            return localizer.gettext("must be a table")
        case Problem.BAD_TOPIC:
            return localizer.gettext(
                "the topic must be 2 to 32 characters: lowercase letters, digits and _"
            )
        case Problem.DUPLICATE_TOPIC:
            return localizer.gettext("the topic {topic} appears twice", topic=values["topic"])
        case Problem.NO_LOCALES:
            return localizer.gettext("needs at least one [dilemma.locales.<locale>] table")
        case Problem.UNKNOWN_LOCALE:
            return localizer.gettext("unknown locale; use one of {known}", known=values["known"])
        case Problem.MISSING_LOCALE:
            return localizer.gettext("this locale is missing")
        case Problem.EMPTY_TEXT:
            return localizer.gettext("must not be empty")
        case Problem.TOO_LONG:
            return localizer.gettext(
                "is {length} characters long; the limit is {limit}",
                length=localizer.number(int(values["length"])),
                limit=localizer.number(int(values["limit"])),
            )
        case Problem.KEY_POINT_COUNT:
            return localizer.gettext(
                "needs {low} to {high} key points", low=values["low"], high=values["high"]
            )
        case Problem.BAD_LIST:
            return localizer.gettext("must be a list of texts")
        case Problem.THEME_CLASH:
            return localizer.gettext(
                "{theme} is already a built-in theme; choose another id", theme=values["theme"]
            )
