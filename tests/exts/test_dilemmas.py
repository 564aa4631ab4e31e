"""``/dilemma`` and the weekly posting loop, through the real bot under simcord's clock.

simcord's clock starts on Thursday 2026-01-01 00:00 UTC.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest

from bot.client import IntervisionBot, Services
from bot.domain.posts import PostState
from bot.i18n.catalogs import Catalogs
from bot.storage.sqlite import SqliteRepository
from tests.mentions import command_mention

MONDAY, SUNDAY = 0, 6
WEEK = 7 * 24 * 3600
pytestmark = pytest.mark.simcord(settle_timeout=120)


class World:
    """A guild with a dilemma channel, a moderator and a member."""

    def __init__(self, env: Any, name: str = "Coaches") -> None:
        self.env = env
        self.guild = env.create_guild(name)
        self.channel = self.guild.create_text_channel("dilemmas")
        mods = self.guild.create_role("Mods", permissions=discord.Permissions(manage_guild=True))
        self.mod = self.guild.add_member(env.create_user(f"mod-{name}"), roles=[mods])
        self.member = self.guild.add_member(env.create_user(f"member-{name}"))

    async def setup(self, **options: Any) -> Any:
        defaults: dict[str, Any] = {
            "channel": self.channel,
            "weekday": MONDAY,
            "time": "09:00",
            "timezone": "Europe/Berlin",
        }
        return await self.mod.slash(self.channel, "dilemma setup", **{**defaults, **options})

    def bot_posts(self, channel: Any = None) -> list[discord.Message]:
        target = channel or self.channel
        return [m for m in target.history() if m.author.bot and m.embeds]


@pytest.fixture
def world(simcord_env: Any) -> World:
    return World(simcord_env)


def _text(result: Any) -> str:
    """What the member reads: a deferred reply is replaced by its first follow-up."""
    if result.followups:
        return result.followups[-1].content
    return result.response.content


async def _advance_to(env: Any, moment: datetime) -> None:
    await env.advance_time((moment - env.now()).total_seconds())


async def test_setup_replies_with_the_next_post_in_the_guild_zone(world: World) -> None:
    result = await world.setup()
    assert result.ephemeral
    text = result.response.content
    assert "Monday" in text
    assert "Europe/Berlin" in text
    assert "January 5, 2026" in text  # the first Monday after Thursday, Jan 1
    assert "8 dilemmas from the starter catalog are queued" in text


async def test_posts_on_time_with_thread_and_share_button(
    world: World, repository: SqliteRepository
) -> None:
    await world.setup()
    slot = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)  # 09:00 in Berlin (CET)
    await _advance_to(world.env, slot - timedelta(minutes=1))
    assert world.bot_posts() == []
    await world.env.advance_time(120)
    (message,) = world.bot_posts()
    assert message.embeds[0].title == "A coachee wants to breach confidentiality"
    how = message.embeds[0].fields[0].value
    assert how.endswith(f"guidance: {command_mention(world.env, 'guidance')} confidentiality")
    assert message.created_at.replace(microsecond=0) == slot
    button = message.components[0].children[0]
    assert button.label == "Share a strategy"
    assert button.custom_id.startswith("intervision:share:")
    (thread,) = world.channel.threads
    (post,) = await repository.open_posts([world.guild.id])
    assert post.thread_id == thread.id
    assert post.message_id == message.id
    assert post.slot == slot


async def _run_from(world: World, start: datetime, weeks: int) -> list[datetime]:
    """Pause the schedule until ``start``, resume, run ``weeks`` weeks; the posts' UTC times."""
    await world.mod.slash(world.channel, "dilemma pause")
    await _advance_to(world.env, start)
    await world.mod.slash(world.channel, "dilemma resume")
    await world.env.advance_time(weeks * WEEK)
    return [m.created_at.replace(microsecond=0) for m in world.bot_posts()]


async def test_weekly_posts_keep_local_time_across_dst_in_two_zones(simcord_env: Any) -> None:
    berlin, new_york = World(simcord_env, "Berlin"), World(simcord_env, "NewYork")
    await berlin.setup()
    await new_york.setup(timezone="America/New_York")
    await berlin.mod.slash(berlin.channel, "dilemma pause")
    # New York switches to summer time on March 8, Berlin on March 29, 2026.
    start = datetime(2026, 3, 1, tzinfo=UTC)
    new_york_posts = await _run_from(new_york, start, weeks=5)
    await berlin.mod.slash(berlin.channel, "dilemma resume")
    await simcord_env.advance_time(0)
    berlin_posts = [m.created_at.replace(microsecond=0) for m in berlin.bot_posts()]
    assert [(p.day, p.hour) for p in new_york_posts] == [
        (2, 14),
        (9, 13),
        (16, 13),
        (23, 13),
        (30, 13),
    ]  # 09:00 EST = 14:00 UTC, then 09:00 EDT = 13:00 UTC
    # Berlin resumed on April 5 (after New York's five weeks): 09:00 CEST = 07:00 UTC.
    await simcord_env.advance_time(2 * WEEK)
    berlin_posts = [m.created_at.replace(microsecond=0) for m in berlin.bot_posts()]
    assert [(p.month, p.day, p.hour) for p in berlin_posts] == [(4, 6, 7), (4, 13, 7)]
    for stamp in new_york_posts + berlin_posts:
        assert stamp.minute == 0


async def test_dst_change_moves_the_utc_time_not_the_local_time(world: World) -> None:
    await world.setup(weekday=SUNDAY, time="10:30")
    posts = await _run_from(world, datetime(2026, 3, 20, tzinfo=UTC), weeks=2)
    # 10:30 CET on March 22 is 09:30 UTC; 10:30 CEST on March 29 is 08:30 UTC.
    assert [(p.day, p.hour, p.minute) for p in posts] == [(22, 9, 30), (29, 8, 30)]


async def test_nonexistent_local_time_posts_after_the_gap(world: World) -> None:
    # 02:30 does not exist in Berlin on Sunday, March 29, 2026 (02:00 -> 03:00).
    await world.setup(weekday=SUNDAY, time="02:30")
    posts = await _run_from(world, datetime(2026, 3, 27, tzinfo=UTC), weeks=1)
    assert [(p.day, p.hour, p.minute) for p in posts] == [(29, 1, 30)]  # 03:30 CEST


async def test_previous_week_is_recapped_and_archived(world: World) -> None:
    await world.setup()
    await world.env.advance_time(5 * 24 * 3600)  # Monday Jan 5
    (first,) = world.channel.threads
    await world.member.send(first, "I would revisit the agreement we signed at the start.")
    await world.mod.send(first, "Same here: the agreement first, then consent to share.")
    await world.env.advance_time(WEEK)  # Monday Jan 12
    first, second = world.channel.threads
    assert len(world.bot_posts()) == 2
    recap = first.last_message.content
    assert "This discussion is now closed" in recap
    assert "Participation: 2 members, 2 strategies." in recap
    assert "Most used strategies: Revisit the agreement (2) and Ask for consent (1)." in recap
    assert f"{command_mention(world.env, 'guidance')} confidentiality" in recap
    thread = await world.env.bot.fetch_channel(first.id)
    assert isinstance(thread, discord.Thread)
    assert thread.archived
    assert second.last_message is None


async def test_role_ping_mentions_only_that_role(world: World) -> None:
    coaches = world.guild.create_role("Coaches", mentionable=True)
    await world.setup(ping_role=coaches)
    await world.env.advance_time(5 * 24 * 3600)
    (message,) = world.bot_posts()
    assert message.content == f"<@&{coaches.id}>"
    send = next(
        r
        for r in world.env.http_requests
        if r.method == "POST" and r.path == f"/channels/{world.channel.id}/messages"
    )
    assert send.json["allowed_mentions"] == {
        "parse": [],
        "roles": [str(coaches.id)],
        "replied_user": False,
    } or send.json["allowed_mentions"]["roles"] == [coaches.id]
    assert "everyone" not in send.json["allowed_mentions"]["parse"]


async def test_forum_channel_gets_a_forum_post(world: World) -> None:
    forum = world.guild.create_forum_channel("dilemma-forum")
    result = await world.setup(channel=forum)
    assert "Next post" in result.response.content
    await world.env.advance_time(5 * 24 * 3600)
    (thread,) = forum.threads
    assert thread.name == "A coachee wants to breach confidentiality"
    starter = thread.history()[0]
    assert starter.embeds[0].title == "A coachee wants to breach confidentiality"


async def test_manual_post_and_close(world: World) -> None:
    await world.setup()
    result = await world.mod.slash(world.channel, "dilemma post", topic="gifts")
    assert "Posted `gifts`" in _text(result)
    (message,) = world.bot_posts()
    assert message.embeds[0].title == "A coachee offers an expensive gift"
    closed = await world.mod.slash(world.channel, "dilemma close")
    assert "gifts" in _text(closed)
    again = await world.mod.slash(world.channel, "dilemma close")
    assert "no open discussion" in _text(again)


async def test_pause_and_resume(world: World) -> None:
    await world.setup()
    paused = await world.mod.slash(world.channel, "dilemma pause")
    assert paused.response.content == (
        f"Posting is paused. Resume it with {command_mention(world.env, 'dilemma resume')}."
    )
    await world.env.advance_time(2 * WEEK)
    assert world.bot_posts() == []
    resumed = await world.mod.slash(world.channel, "dilemma resume")
    assert "January 19, 2026" in resumed.response.content  # slots missed while paused are gone
    await world.env.advance_time(WEEK)
    assert len(world.bot_posts()) == 1


async def test_queue_lists_upcoming_dates(world: World) -> None:
    await world.setup()
    result = await world.mod.slash(world.channel, "dilemma queue")
    lines = result.response.content.splitlines()
    assert lines[0] == "8 dilemmas in the queue:"
    assert "`confidentiality`" in lines[1]
    assert "Jan 5, 2026" in lines[1]
    assert "Jan 12, 2026" in lines[2]


async def test_skip_and_remove(world: World) -> None:
    await world.setup()
    skipped = await world.mod.slash(world.channel, "dilemma skip")
    assert "`confidentiality`" in skipped.response.content
    queue = (await world.mod.slash(world.channel, "dilemma queue")).response.content
    assert "`sponsor_request`" in queue.splitlines()[1]
    removed = await world.mod.slash(world.channel, "dilemma remove", topic="gifts")
    assert "Removed" in removed.response.content
    missing = await world.mod.slash(world.channel, "dilemma remove", topic="gifts")
    assert "not in the queue" in missing.response.content


async def test_empty_queue_is_announced_once(world: World) -> None:
    await world.setup(queue="empty")
    await world.env.advance_time(3 * WEEK)
    notices = [m for m in world.channel.history() if "No dilemma is queued" in m.content]
    assert len(notices) == 1
    add, import_ = (command_mention(world.env, f"dilemma {c}") for c in ("add", "import"))
    assert f"Moderators can add one with {add} or {import_}." in notices[0].content
    assert world.bot_posts() == []


async def test_a_member_without_manage_server_cannot_see_the_commands(world: World) -> None:
    assert "dilemma setup" in world.mod.available_commands(world.channel)
    assert "dilemma setup" not in world.member.available_commands(world.channel)
    assert "guidance" in world.member.available_commands(world.channel)


async def test_runtime_check_refuses_a_member_the_server_let_through(
    world: World, member_locales: dict[int, str]
) -> None:
    # A server admin can grant the command to anyone; the bot still insists on Manage Server.
    command = next(c for c in await world.env.bot.tree.fetch_commands() if c.name == "dilemma")
    world.guild.set_command_permissions(command, {world.member: True})
    member_locales[world.member.id] = "de"
    result = await world.member.slash(world.channel, "dilemma pause")
    assert result.ephemeral
    assert "Server verwalten" in result.response.content
    settings = await world.env.bot.services.repository.guild_settings(world.guild.id)
    assert settings.paused is False
    # discord.py reports a refused check to the tree's error handler, which stays quiet.
    assert [type(e) for e in world.env.errors] == [discord.app_commands.CheckFailure]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"time": "25:99"}, "is not a time I understand"),
        ({"time": "nine"}, "is not a time I understand"),
        ({"timezone": "Europe/Berln"}, "Did you mean `Europe/Berlin`"),
        ({"timezone": "Mars/Olympus"}, "Use an IANA name"),
    ],
)
async def test_bad_setup_input_is_explained(
    world: World, options: dict[str, Any], expected: str
) -> None:
    result = await world.setup(**options)
    assert result.ephemeral
    assert expected in result.response.content


async def test_bad_setup_input_is_explained_in_german(
    world: World, member_locales: dict[int, str]
) -> None:
    member_locales[world.mod.id] = "de"
    result = await world.setup(time="25:00")
    assert "keine Uhrzeit" in result.response.content


async def test_missing_permissions_are_named(world: World) -> None:
    bot_member = world.guild.me
    assert bot_member is not None
    locked = world.guild.create_text_channel(
        "locked",
        overwrites={
            bot_member: discord.PermissionOverwrite(
                create_public_threads=False, manage_threads=False
            )
        },
    )
    result = await world.setup(channel=locked)
    text = result.response.content
    assert "**Create Public Threads**" in text
    assert "**Manage Threads**" in text
    assert "Send Messages**" not in text


async def test_timezone_autocomplete(world: World) -> None:
    choices = await world.mod.autocomplete(
        world.channel, "dilemma setup", "timezone", "sao", channel=world.channel
    )
    assert "America/Sao_Paulo" in [c["value"] for c in choices]


async def test_restart_mid_post_does_not_double_post(
    world: World, services: Services, catalogs: Catalogs, repository: SqliteRepository
) -> None:
    await world.setup()
    # The message goes out, then Discord fails the thread creation: the bot "crashes" there.
    world.env.inject_error("POST", "/channels/*/messages/*/threads", status=500)
    await world.env.advance_time(5 * 24 * 3600)
    assert len(world.bot_posts()) == 1
    assert world.channel.threads == []
    (intent,) = await repository.posts_in_state(PostState.INTENT)
    world.env.clear_errors() if hasattr(world.env, "clear_errors") else None
    await world.env.restart_bot(IntervisionBot(services=services, catalogs=catalogs))
    await world.env.advance_time(60)
    assert len(world.bot_posts()) == 1
    (post,) = await repository.open_posts([world.guild.id])
    assert post.id == intent.id
    assert post.thread_id == world.channel.threads[0].id


async def test_catch_up_after_short_downtime_posts_once(
    world: World,
    services: Services,
    catalogs: Catalogs,
    repository: SqliteRepository,
) -> None:
    await world.setup()
    settings = await repository.guild_settings(world.guild.id)
    late = world.env.now() - timedelta(hours=3)
    await repository.save_guild_settings(
        __import__("dataclasses").replace(settings, next_post_at=late)
    )
    await world.env.restart_bot(IntervisionBot(services=services, catalogs=catalogs))
    await world.env.advance_time(60)
    await world.env.restart_bot(IntervisionBot(services=services, catalogs=catalogs))
    await world.env.advance_time(60)
    assert len(world.bot_posts()) == 1
    settings = await repository.guild_settings(world.guild.id)
    assert settings.next_post_at == datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


async def test_long_downtime_skips_the_slot(
    world: World,
    services: Services,
    catalogs: Catalogs,
    repository: SqliteRepository,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await world.setup()
    settings = await repository.guild_settings(world.guild.id)
    stale = world.env.now() - timedelta(days=2)
    await repository.save_guild_settings(
        __import__("dataclasses").replace(settings, next_post_at=stale)
    )
    with caplog.at_level(logging.WARNING):
        await world.env.restart_bot(IntervisionBot(services=services, catalogs=catalogs))
        await world.env.advance_time(60)
    assert world.bot_posts() == []
    assert "was missed by" in caplog.text
    settings = await repository.guild_settings(world.guild.id)
    assert settings.next_post_at == datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


class TestWithoutMessageContent:
    """The application has not been granted the privileged Message Content intent."""

    @pytest.fixture
    def simcord_bot(self, services: Services, catalogs: Catalogs) -> IntervisionBot:
        return IntervisionBot(services=services, catalogs=catalogs, message_content=False)

    async def test_setup_says_that_only_the_button_collects(self, world: World) -> None:
        result = await world.setup()
        assert "Message Content intent is off" in result.response.content
        assert "Next post" in result.response.content


async def test_setup_with_message_content_does_not_warn(world: World) -> None:
    result = await world.setup()
    assert "Message Content" not in result.response.content


GOOD_CATALOG = """
schema = 1
[[dilemma]]
topic = "late_payment"
[dilemma.locales.en-US]
title = "A client does not pay"
prompt = "A sponsor has not paid for three months. What do you do with the sessions?"
key_points = ["Check the contract.", "Talk to the sponsor.", "Protect the coachee."]
[dilemma.locales.de]
title = "Ein Kunde zahlt nicht"
prompt = "Ein Auftraggeber zahlt seit drei Monaten nicht. Was tun Sie mit den Sitzungen?"
key_points = ["Vertrag prüfen.", "Mit dem Auftraggeber sprechen.", "Den Coachee schützen."]
"""


async def test_import_queues_every_dilemma_of_a_valid_file(
    world: World, member_locales: dict[int, str]
) -> None:
    await world.setup(queue="empty")
    result = await world.mod.slash(
        world.channel, "dilemma import", file=("catalog.toml", GOOD_CATALOG.encode())
    )
    assert "Imported 1 dilemma: `late_payment`." in _text(result)
    member_locales[world.member.id] = "de"
    guidance = await world.member.slash(world.channel, "guidance", topic="late_payment")
    assert guidance.response.embeds[0].title == "Ein Kunde zahlt nicht"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"schema = 1\n[[dilemma]\n", "not valid TOML at line 2"),
        (
            GOOD_CATALOG.replace('topic = "late_payment"', 'topic = "Late Payment"').encode(),
            "`dilemma[1].topic`",
        ),
        (GOOD_CATALOG.replace('"Protect the coachee."]', "]").encode(), "needs 3 to 6 key points"),
        (
            GOOD_CATALOG.replace("[dilemma.locales.de]", "[dilemma.locales.xx]").encode(),
            "`dilemma[1].locales.xx`: unknown locale",
        ),
        (b"\xff\xfe not text", "not UTF-8 text"),
        (
            GOOD_CATALOG.replace('topic = "late_payment"', 'topic = "gifts"').encode(),
            "already has a dilemma with the topic `gifts`",
        ),
    ],
)
async def test_import_refuses_bad_files_and_imports_nothing(
    world: World, repository: SqliteRepository, content: bytes, expected: str
) -> None:
    await world.setup()
    before = await repository.topics(world.guild.id)
    result = await world.mod.slash(world.channel, "dilemma import", file=("c.toml", content))
    assert expected in _text(result)
    assert await repository.topics(world.guild.id) == before


async def test_import_refuses_a_file_that_is_too_large(world: World) -> None:
    await world.setup()
    result = await world.mod.slash(
        world.channel, "dilemma import", file=("big.toml", b"#" * (300 * 1024))
    )
    assert "too large (300 KB)" in _text(result)


async def test_add_queues_a_dilemma_from_the_form(
    world: World, member_locales: dict[int, str], repository: SqliteRepository
) -> None:
    await world.setup(queue="empty")
    member_locales[world.mod.id] = "fr"
    shown = await world.mod.slash(world.channel, "dilemma add")
    assert shown.modal is not None
    values = {
        "dilemma:topic": "cadeaux",
        "dilemma:title": "Un cadeau coûteux",
        "dilemma:prompt": "Un coaché vous offre un cadeau coûteux. Que faites-vous ?",
        "dilemma:key_points": "- Vérifier le code\n- En parler\n- Remercier",
    }
    result = await world.mod.submit_modal(shown, values)
    assert "cadeaux" in _text(result)
    (entry,) = await repository.queue(world.guild.id)
    assert entry.dilemma.texts["fr"].key_points == ("Vérifier le code", "En parler", "Remercier")


async def test_add_lists_what_to_fix(world: World) -> None:
    await world.setup()
    shown = await world.mod.slash(world.channel, "dilemma add")
    result = await world.mod.submit_modal(
        shown,
        {
            "dilemma:topic": "Gifts!",
            "dilemma:title": "T",
            "dilemma:prompt": "P?",
            "dilemma:key_points": "only one",
        },
    )
    text = _text(result)
    assert "`topic`" in text
    assert "`key_points`: needs 3 to 6 key points" in text
