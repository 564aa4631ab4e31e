"""``/dilemma``: the moderators' commands, and the posting loop's lifetime."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.catalog import CatalogError, build_dilemma
from bot.domain.schedule import suggest_zones, zone_names
from bot.exts.dilemmas import _render
from bot.exts.dilemmas._scheduler import Scheduler
from bot.i18n.locales import SUPPORTED_LOCALES
from bot.i18n.localizer import Localizer
from bot.i18n.translator import cmd
from bot.mentions import CommandMentions
from bot.services.moderation import ModerationService, SetupProblem
from bot.services.posting import PostingService, PostResult, PublishFailure

if TYPE_CHECKING:
    from bot.client import IntervisionBot

log = logging.getLogger(__name__)

MAX_IMPORT_BYTES = 256 * 1024
_AUTOCOMPLETE_LIMIT = 25
_NEEDED_TEXT = (
    "view_channel",
    "send_messages",
    "embed_links",
    "read_message_history",
    "create_public_threads",
    "send_messages_in_threads",
    "manage_threads",
)
_NEEDED_FORUM = (
    "view_channel",
    "send_messages",
    "embed_links",
    "read_message_history",
    "send_messages_in_threads",
    "manage_threads",
)

WEEKDAYS = [
    app_commands.Choice(name=cmd("choice", "Monday"), value=0),
    app_commands.Choice(name=cmd("choice", "Tuesday"), value=1),
    app_commands.Choice(name=cmd("choice", "Wednesday"), value=2),
    app_commands.Choice(name=cmd("choice", "Thursday"), value=3),
    app_commands.Choice(name=cmd("choice", "Friday"), value=4),
    app_commands.Choice(name=cmd("choice", "Saturday"), value=5),
    app_commands.Choice(name=cmd("choice", "Sunday"), value=6),
]
LANGUAGES = [
    app_commands.Choice(name="English", value="en-US"),
    app_commands.Choice(name="Deutsch", value="de"),
    app_commands.Choice(name="Português do Brasil", value="pt-BR"),
    app_commands.Choice(name="Español", value="es-ES"),
    app_commands.Choice(name="Français", value="fr"),
]
QUEUE_SEEDS = [
    app_commands.Choice(name=cmd("choice", "Start with the starter catalog"), value="starter"),
    app_commands.Choice(name=cmd("choice", "Start empty"), value="empty"),
]


def missing_permissions(
    channel: discord.TextChannel | discord.ForumChannel, me: discord.Member
) -> list[str]:
    """The permission flags the bot lacks to post and run threads in ``channel``."""
    needed = _NEEDED_FORUM if isinstance(channel, discord.ForumChannel) else _NEEDED_TEXT
    granted = channel.permissions_for(me)
    return [flag for flag in needed if not getattr(granted, flag)]


class AddDilemmaModal(discord.ui.Modal):
    """The four fields of a new dilemma, in the moderator's language."""

    def __init__(self, cog: DilemmaCog, localizer: Localizer) -> None:
        super().__init__(title=localizer.gettext("New dilemma"))
        self._cog = cog
        self._localizer = localizer
        self.topic: discord.ui.TextInput[AddDilemmaModal] = discord.ui.TextInput(
            label=localizer.gettext("Topic (short id, e.g. gifts)"),
            custom_id="dilemma:topic",
            min_length=2,
            max_length=32,
        )
        self.dilemma_title: discord.ui.TextInput[AddDilemmaModal] = discord.ui.TextInput(
            label=localizer.gettext("Title"), custom_id="dilemma:title", max_length=100
        )
        self.prompt: discord.ui.TextInput[AddDilemmaModal] = discord.ui.TextInput(
            label=localizer.gettext("The dilemma (ends with a question)"),
            custom_id="dilemma:prompt",
            style=discord.TextStyle.paragraph,
            max_length=500,
        )
        self.key_points: discord.ui.TextInput[AddDilemmaModal] = discord.ui.TextInput(
            label=localizer.gettext("Key points: 3 to 6, one per line"),
            custom_id="dilemma:key_points",
            style=discord.TextStyle.paragraph,
            max_length=1300,
        )
        for item in (self.topic, self.dilemma_title, self.prompt, self.key_points):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction[IntervisionBot]) -> None:
        """Validate and queue the dilemma, or list what to fix."""
        await self._cog.add_from_form(
            interaction,
            self._localizer,
            self.topic.value,
            self.dilemma_title.value,
            self.prompt.value,
            self.key_points.value.splitlines(),
        )


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class DilemmaCog(
    commands.GroupCog,
    group_name=cmd("command name", "dilemma"),
    group_description=cmd("command description", "Manage the weekly ethics dilemmas"),
):
    """Moderator commands; every reply is private and in the moderator's language."""

    def __init__(
        self,
        bot: IntervisionBot,
        moderation: ModerationService,
        posting: PostingService,
        scheduler: Scheduler,
        mentions: CommandMentions,
    ) -> None:
        """``mentions`` are the clickable commands the replies point moderators to."""
        self._bot = bot
        self._moderation = moderation
        self._posting = posting
        self._scheduler = scheduler
        self._mentions = mentions
        super().__init__()

    async def cog_load(self) -> None:
        """Start the posting loop with the cog."""
        self._scheduler.start()

    async def cog_unload(self) -> None:
        """Stop the posting loop with the cog."""
        await self._scheduler.stop()

    async def interaction_check(self, interaction: discord.Interaction[IntervisionBot]) -> bool:
        """Manage Server is checked again at run time: server owners can override the default
        command permissions, but the bot's contract with moderators does not change."""
        if interaction.guild is None or interaction.permissions.manage_guild:
            return interaction.guild is not None
        localizer = await self._bot.localizer_for(interaction)
        await _reply(
            interaction,
            localizer.gettext("Only members with the Manage Server permission can do this."),
        )
        return False

    # -- schedule -------------------------------------------------------------------------------

    @app_commands.command(
        name=cmd("command name", "setup"),
        description=cmd("command description", "Set the weekly schedule, channel and language"),
    )
    @app_commands.rename(
        channel=cmd("option name", "channel"),
        weekday=cmd("option name", "weekday"),
        time=cmd("option name", "time"),
        timezone=cmd("option name", "timezone"),
        ping_role=cmd("option name", "ping_role"),
        language=cmd("option name", "language"),
        queue=cmd("option name", "queue"),
    )
    @app_commands.describe(
        channel=cmd("option description", "Text or forum channel where dilemmas are posted"),
        weekday=cmd("option description", "Day of the week to post"),
        time=cmd("option description", "Local time to post, e.g. 09:00"),
        timezone=cmd("option description", "IANA time zone, e.g. Europe/Berlin"),
        ping_role=cmd("option description", "Role to ping with each new dilemma"),
        language=cmd("option description", "Language of posts and recaps in this server"),
        queue=cmd("option description", "Start the queue from the starter catalog or empty"),
    )
    @app_commands.choices(weekday=WEEKDAYS, language=LANGUAGES, queue=QUEUE_SEEDS)
    async def setup(
        self,
        interaction: discord.Interaction[IntervisionBot],
        channel: discord.TextChannel | discord.ForumChannel,
        weekday: app_commands.Choice[int],
        time: app_commands.Range[str, 1, 10],
        timezone: app_commands.Range[str, 1, 64],
        ping_role: discord.Role | None = None,
        language: app_commands.Choice[str] | None = None,
        queue: app_commands.Choice[str] | None = None,
    ) -> None:
        """Check the channel and permissions, then save the schedule."""
        localizer = await self._bot.localizer_for(interaction)
        guild = interaction.guild
        assert guild is not None
        missing = missing_permissions(channel, guild.me)
        if (
            ping_role is not None
            and not ping_role.mentionable
            and not channel.permissions_for(guild.me).mention_everyone
        ):
            missing.append("mention_everyone")
        if missing:
            await _reply(
                interaction,
                localizer.gettext(
                    "I can't run dilemmas in {channel} yet. Please give me these permissions "
                    "there: {permissions}.",
                    channel=channel.mention,
                    permissions=_render.permission_names(localizer, missing),
                ),
            )
            return
        outcome = await self._moderation.setup(
            guild.id,
            channel_id=channel.id,
            weekday=weekday.value,
            time_text=time,
            zone_text=timezone,
            ping_role_id=ping_role.id if ping_role else None,
            locale=language.value if language else None,
            seed_starter=queue is None or queue.value == "starter",
        )
        if outcome.problem is SetupProblem.BAD_TIME:
            await _reply(
                interaction,
                localizer.gettext(
                    "\u201c{time}\u201d is not a time I understand. Use 24-hour HH:MM, e.g. 09:00 "
                    "or 18:30.",
                    time=discord.utils.escape_markdown(time),
                ),
            )
            return
        if outcome.problem is SetupProblem.BAD_ZONE:
            await _reply(interaction, _unknown_zone(localizer, timezone, outcome.suggestions))
            return
        settings = outcome.settings
        assert settings is not None
        assert settings.next_post_at is not None
        self._scheduler.wake()
        # Replies speak the language the guild just chose, when it chose one.
        if language is not None:
            localizer = Localizer(self._bot.catalogs, language.value)
        lines = [
            localizer.gettext(
                "Every {weekday} at {time} ({zone}), I'll post the next dilemma in {channel}.",
                weekday=_render.weekday_name(localizer, weekday.value),
                time=localizer.time(settings.post_time),
                zone=settings.timezone,
                channel=channel.mention,
            ),
            localizer.gettext(
                "Next post: {when}.",
                when=localizer.datetime(settings.next_post_at, settings.zone, "full"),
            ),
        ]
        if outcome.seeded:
            lines.append(
                localizer.ngettext(
                    "{n} dilemma from the starter catalog is queued.",
                    "{n} dilemmas from the starter catalog are queued.",
                    outcome.seeded,
                )
            )
        if not self._bot.reads_message_content:
            lines.append(
                localizer.gettext(
                    "Note: the Message Content intent is off, so I can only collect strategies "
                    "shared with the button. To collect replies too, enable it in the Discord "
                    "Developer Portal (Bot > Privileged Gateway Intents)."
                )
            )
        await _reply(interaction, "\n".join(lines))

    @setup.autocomplete("timezone")
    async def _zone_autocomplete(
        self, interaction: discord.Interaction[IntervisionBot], current: str
    ) -> list[app_commands.Choice[str]]:
        names = suggest_zones(current, limit=_AUTOCOMPLETE_LIMIT) if current else zone_names()
        return [app_commands.Choice(name=n, value=n) for n in names[:_AUTOCOMPLETE_LIMIT]]

    @app_commands.command(
        name=cmd("command name", "pause"),
        description=cmd("command description", "Stop posting dilemmas until you resume"),
    )
    async def pause(self, interaction: discord.Interaction[IntervisionBot]) -> None:
        """Pause the schedule."""
        localizer = await self._bot.localizer_for(interaction)
        assert interaction.guild_id is not None
        if await self._moderation.pause(interaction.guild_id) is None:
            await _reply(interaction, _render.not_set_up(localizer, self._mentions))
            return
        self._scheduler.wake()
        await _reply(interaction, _render.paused(localizer, self._mentions))

    @app_commands.command(
        name=cmd("command name", "resume"),
        description=cmd("command description", "Resume posting from the next scheduled slot"),
    )
    async def resume(self, interaction: discord.Interaction[IntervisionBot]) -> None:
        """Resume the schedule at its next slot."""
        localizer = await self._bot.localizer_for(interaction)
        assert interaction.guild_id is not None
        settings = await self._moderation.resume(interaction.guild_id)
        if settings is None or settings.next_post_at is None:
            await _reply(interaction, _render.not_set_up(localizer, self._mentions))
            return
        self._scheduler.wake()
        await _reply(
            interaction,
            localizer.gettext(
                "Posting resumed. Next post: {when}.",
                when=localizer.datetime(settings.next_post_at, settings.zone, "full"),
            ),
        )

    # -- queue ----------------------------------------------------------------------------------

    @app_commands.command(
        name=cmd("command name", "queue"),
        description=cmd("command description", "Show the upcoming dilemmas and their dates"),
    )
    async def show_queue(self, interaction: discord.Interaction[IntervisionBot]) -> None:
        """List the queue with the expected post dates."""
        localizer = await self._bot.localizer_for(interaction)
        assert interaction.guild_id is not None
        entries, upcoming = await self._moderation.queue(interaction.guild_id)
        settings = await self._moderation.settings(interaction.guild_id)
        await _reply(
            interaction,
            _render.queue_listing(
                localizer, self._mentions, entries, settings, upcoming, self._bot.default_locale
            ),
        )

    @app_commands.command(
        name=cmd("command name", "add"),
        description=cmd("command description", "Add a dilemma to the queue"),
    )
    async def add(self, interaction: discord.Interaction[IntervisionBot]) -> None:
        """Open the form for a new dilemma."""
        localizer = await self._bot.localizer_for(interaction)
        await interaction.response.send_modal(AddDilemmaModal(self, localizer))

    async def add_from_form(
        self,
        interaction: discord.Interaction[IntervisionBot],
        localizer: Localizer,
        topic: str,
        title: str,
        prompt: str,
        key_points: list[str],
    ) -> None:
        """Validate the submitted form and queue the dilemma in the moderator's locale."""
        assert interaction.guild_id is not None
        try:
            dilemma = build_dilemma(topic, localizer.locale, title, prompt, key_points)
        except CatalogError as error:
            await _reply(
                interaction,
                localizer.gettext("Please fix the dilemma:")
                + "\n"
                + _render.catalog_issues(localizer, error.issues),
            )
            return
        if not await self._moderation.add(interaction.guild_id, dilemma):
            await _reply(interaction, _duplicate(localizer, [dilemma.topic]))
            return
        await _reply(
            interaction,
            localizer.gettext(
                "Queued \u201c{title}\u201d ({topic}).", title=title.strip(), topic=dilemma.topic
            ),
        )

    @app_commands.command(
        name=cmd("command name", "import"),
        description=cmd("command description", "Import dilemmas from a TOML catalog file"),
    )
    @app_commands.rename(file=cmd("option name", "file"))
    @app_commands.describe(file=cmd("option description", "A .toml file in the catalog format"))
    async def import_file(
        self, interaction: discord.Interaction[IntervisionBot], file: discord.Attachment
    ) -> None:
        """Import every dilemma of the file, or none if anything is wrong."""
        localizer = await self._bot.localizer_for(interaction)
        assert interaction.guild_id is not None
        if file.size > MAX_IMPORT_BYTES:
            await _reply(
                interaction,
                localizer.gettext(
                    "That file is too large ({size} KB). The limit is {limit} KB.",
                    size=localizer.number(round(file.size / 1024)),
                    limit=localizer.number(MAX_IMPORT_BYTES // 1024),
                ),
            )
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            source = (await file.read()).decode("utf-8-sig")
        except UnicodeDecodeError:
            await _followup(
                interaction,
                localizer.gettext("That file is not UTF-8 text. Please send a .toml file."),
            )
            return
        except discord.HTTPException:
            await _followup(
                interaction,
                localizer.gettext("I could not download that file. Please try again."),
            )
            return
        outcome = await self._moderation.import_catalog(interaction.guild_id, source)
        if outcome.issues:
            await _followup(
                interaction,
                localizer.gettext("Nothing was imported. Please fix the file:")
                + "\n"
                + _render.catalog_issues(localizer, outcome.issues),
            )
            return
        if outcome.duplicates:
            await _followup(interaction, _duplicate(localizer, outcome.duplicates))
            return
        await _followup(
            interaction,
            localizer.ngettext(
                "Imported {n} dilemma: {topics}.",
                "Imported {n} dilemmas: {topics}.",
                len(outcome.added),
                topics=localizer.join([f"`{d.topic}`" for d in outcome.added]),
            ),
        )

    @app_commands.command(
        name=cmd("command name", "remove"),
        description=cmd("command description", "Remove a dilemma that was never posted"),
    )
    @app_commands.rename(topic=cmd("option name", "topic"))
    @app_commands.describe(topic=cmd("option description", "The topic to remove"))
    async def remove(
        self,
        interaction: discord.Interaction[IntervisionBot],
        topic: app_commands.Range[str, 1, 32],
    ) -> None:
        """Delete a queued dilemma; posted ones keep their history."""
        localizer = await self._bot.localizer_for(interaction)
        assert interaction.guild_id is not None
        if await self._moderation.remove(interaction.guild_id, topic.strip().lower()):
            await _reply(
                interaction,
                localizer.gettext("Removed `{topic}` from the queue.", topic=topic),
            )
            return
        await _reply(
            interaction,
            localizer.gettext(
                "`{topic}` is not in the queue. Posted dilemmas cannot be removed, so that the "
                "community's strategies are kept.",
                topic=topic.replace("`", "'"),
            ),
        )

    @app_commands.command(
        name=cmd("command name", "skip"),
        description=cmd("command description", "Move the next dilemma to the end of the queue"),
    )
    async def skip(self, interaction: discord.Interaction[IntervisionBot]) -> None:
        """Send the head of the queue to the back."""
        localizer = await self._bot.localizer_for(interaction)
        assert interaction.guild_id is not None
        skipped = await self._moderation.skip(interaction.guild_id)
        if skipped is None:
            await _reply(interaction, _render.queue_empty(localizer, self._mentions))
            return
        await _reply(
            interaction,
            localizer.gettext(
                "Moved `{topic}` to the end of the queue.", topic=skipped.dilemma.topic
            ),
        )

    # -- posting --------------------------------------------------------------------------------

    @app_commands.command(
        name=cmd("command name", "post"),
        description=cmd("command description", "Post a dilemma now"),
    )
    @app_commands.rename(topic=cmd("option name", "topic"))
    @app_commands.describe(
        topic=cmd("option description", "The topic to post (default: next in the queue)")
    )
    async def post(
        self,
        interaction: discord.Interaction[IntervisionBot],
        topic: app_commands.Range[str, 1, 32] | None = None,
    ) -> None:
        """Post now, outside the schedule."""
        localizer = await self._bot.localizer_for(interaction)
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await self._posting.post_now(
            interaction.guild_id, topic.strip().lower() if topic else None
        )
        await _followup(
            interaction,
            _post_report(
                localizer,
                self._mentions,
                report.result,
                report.failure,
                report.post and report.post.topic,
            ),
        )

    @app_commands.command(
        name=cmd("command name", "close"),
        description=cmd("command description", "Close a dilemma's discussion now"),
    )
    @app_commands.rename(topic=cmd("option name", "topic"))
    @app_commands.describe(
        topic=cmd("option description", "The topic to close (default: the latest open one)")
    )
    async def close(
        self,
        interaction: discord.Interaction[IntervisionBot],
        topic: app_commands.Range[str, 1, 32] | None = None,
    ) -> None:
        """Recap and archive an open discussion."""
        localizer = await self._bot.localizer_for(interaction)
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        closed = await self._posting.close_topic(
            interaction.guild_id, topic.strip().lower() if topic else None
        )
        if closed is None:
            await _followup(interaction, localizer.gettext("There is no open discussion to close."))
            return
        await _followup(
            interaction,
            localizer.gettext("Closed the discussion of `{topic}`.", topic=closed.topic),
        )


def _post_report(
    localizer: Localizer,
    mentions: CommandMentions,
    result: PostResult,
    failure: PublishFailure | None,
    topic: str | None,
) -> str:
    match result:
        case PostResult.POSTED:
            return localizer.gettext("Posted `{topic}`.", topic=topic)
        case PostResult.EMPTY:
            return _render.queue_empty(localizer, mentions)
        case PostResult.UNKNOWN_TOPIC:
            # TRANSLATORS: {command} is the clickable /dilemma queue command.
            return localizer.gettext(
                "This server has no dilemma with that topic. See {command}.",
                command=mentions.mention("dilemma queue", localizer),
            )
        case PostResult.NOT_SET_UP:
            return _render.not_set_up(localizer, mentions)
        case PostResult.TAKEN:
            return localizer.gettext("That dilemma was just posted.")
        case PostResult.FAILED if failure is PublishFailure.FORBIDDEN:
            return localizer.gettext(
                "Discord did not let me post there. Please check my permissions in the "
                "dilemma channel, then try again."
            )
        case PostResult.FAILED if failure is PublishFailure.CHANNEL_GONE:
            # TRANSLATORS: {command} is the clickable /dilemma setup command.
            return localizer.gettext(
                "The dilemma channel no longer exists. Choose a new one with {command}.",
                command=mentions.mention("dilemma setup", localizer),
            )
        case _:
            return localizer.gettext(
                "Discord is not answering right now. I'll post it as soon as it does."
            )


def _duplicate(localizer: Localizer, topics: list[str] | tuple[str, ...]) -> str:
    return localizer.gettext(
        "This server already has a dilemma with the topic {topics}. Nothing was added.",
        topics=localizer.join([f"`{t}`" for t in topics]),
    )


def _unknown_zone(localizer: Localizer, text: str, suggestions: tuple[str, ...]) -> str:
    shown = discord.utils.escape_markdown(text)[:64]
    if suggestions:
        return localizer.gettext(
            "I don't know the time zone \u201c{zone}\u201d. Did you mean {suggestions}?",
            zone=shown,
            suggestions=localizer.join([f"`{s}`" for s in suggestions], style="or"),
        )
    return localizer.gettext(
        "I don't know the time zone \u201c{zone}\u201d. Use an IANA name such as "
        "Europe/Berlin or America/Sao_Paulo (start typing to see suggestions).",
        zone=shown,
    )


async def _reply(interaction: discord.Interaction[IntervisionBot], text: str) -> None:
    await interaction.response.send_message(
        text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
    )


async def _followup(interaction: discord.Interaction[IntervisionBot], text: str) -> None:
    await interaction.followup.send(
        text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
    )


__all__ = ["SUPPORTED_LOCALES", "DilemmaCog"]
