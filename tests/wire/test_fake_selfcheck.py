"""The fake proves itself against a plain discord.py client (no bot code), in process."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
import pytest
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from .fake_discord import FakeDiscord, Intent, Op, message_text
from .spec import assert_requests_valid

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from .spec import SpecValidator

pytestmark = pytest.mark.asyncio


@contextlib.contextmanager
def pointed_at(fake: FakeDiscord) -> Any:
    """Point discord.py's REST base and gateway at the fake, restoring them afterwards."""
    old_base, old_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = fake.api_base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gateway


class EchoClient(discord.Client):
    """Answers ``!echo x`` with ``echo: x`` and serves one localized slash command."""

    def __init__(self, fake: FakeDiscord, *, intents: discord.Intents) -> None:
        super().__init__(intents=intents, guild_ready_timeout=0.05)
        self.fake = fake
        self.tree = app_commands.CommandTree(self)
        self.ready = asyncio.Event()
        self.seen: list[discord.Message] = []

        @app_commands.command(name="guidance", description="Show guidance on a dilemma")
        @app_commands.describe(topic="The dilemma topic")
        @app_commands.choices(
            topic=[
                app_commands.Choice(name="Confidentiality", value="confidentiality"),
                app_commands.Choice(name="Gifts", value="gifts"),
            ]
        )
        async def guidance(
            interaction: discord.Interaction, topic: str, defer: bool = False
        ) -> None:
            text = f"{topic} in {interaction.locale.value} by {interaction.user.name}"
            if defer:
                await interaction.response.defer(thinking=True)
                await interaction.followup.send(text)
                await interaction.followup.send("and more", ephemeral=True)
            else:
                await interaction.response.send_message(text)

        @app_commands.command(name="misbehave", description="Acknowledge late or twice")
        async def misbehave(interaction: discord.Interaction, late: bool = False) -> None:
            if late:
                await asyncio.sleep(fake.interaction_deadline + 0.05)
            await interaction.response.send_message("first")
            await interaction.response.send_message("second")  # raises InteractionResponded

        self.errors: list[app_commands.AppCommandError] = []

        @self.tree.error
        async def collect(_: discord.Interaction, error: app_commands.AppCommandError) -> None:
            self.errors.append(error)

        for command in (guidance, misbehave):
            self.tree.add_command(command, guild=discord.Object(fake.guild_id))

    async def setup_hook(self) -> None:
        await self.tree.sync(guild=discord.Object(self.fake.guild_id))

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Skip discord.py's 5 s courtesy pause before a re-IDENTIFY (keeps the suite fast)."""

    async def on_ready(self) -> None:
        self.ready.set()

    async def on_message(self, message: discord.Message) -> None:
        self.seen.append(message)
        if message.content.startswith("!echo "):
            await message.reply("echo: " + message.content.removeprefix("!echo "))


@contextlib.asynccontextmanager
async def running(
    fake: FakeDiscord, intents: discord.Intents | None = None
) -> AsyncIterator[EchoClient]:
    """Start an :class:`EchoClient` against ``fake`` and wait until it is ready."""
    if intents is None:
        intents = discord.Intents.default()
        intents.message_content = True
    with pointed_at(fake):
        client = EchoClient(fake, intents=intents)
        task = asyncio.create_task(client.start(fake.token))
        try:
            await asyncio.wait_for(client.ready.wait(), timeout=10)
            yield client
        finally:
            await client.close()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, timeout=5)


async def test_login_ready_message_and_reply(
    fake_discord: FakeDiscord, spec_validator: SpecValidator | None
) -> None:
    fake = fake_discord
    async with running(fake) as client:
        assert client.user is not None
        assert client.user.bot
        assert client.user.id == fake.bot_id
        assert client.application_id == fake.application_id
        guild = client.get_guild(fake.guild_id)
        assert guild is not None
        assert guild.get_channel(fake.general_id) is not None
        assert isinstance(guild.get_channel(fake.forum_id), discord.ForumChannel)
        assert guild.get_thread(fake.thread_id) is not None

        connection = fake.connections[0]
        assert connection.query == {"v": "10", "encoding": "json", "compress": "zlib-stream"}
        assert connection.heartbeats >= 1  # discord.py beats right after HELLO
        assert any(f.op == Op.HEARTBEAT_ACK for f in fake.gateway_log if f.direction == "send")

        since = fake.mark()
        sent = await fake.user_message(fake.thread_id, fake.member_ids["anna"], "!echo hallo")
        reply = await fake.wait_for_request(
            "POST", rf"/channels/{fake.thread_id}/messages", since=since
        )
        assert reply.json["content"] == "echo: hallo"
        assert str(reply.json["message_reference"]["message_id"]) == sent["id"]
        received = client.seen[0]
        assert received.guild is not None
        assert received.guild.id == fake.guild_id
        assert received.author.id == fake.member_ids["anna"]
        assert isinstance(received.channel, discord.Thread)
        stored = fake.channel_messages(fake.thread_id)
        assert [m["content"] for m in stored] == ["!echo hallo", "echo: hallo"]
        assert stored[1]["type"] == 19  # a reply

    assert not fake.unhandled
    assert_requests_valid(spec_validator, fake.requests)


async def test_slash_command_sync_and_callbacks(
    fake_discord: FakeDiscord, spec_validator: SpecValidator | None
) -> None:
    fake = fake_discord
    async with running(fake):
        sync = fake.find_requests("PUT", rf"/applications/\d+/guilds/{fake.guild_id}/commands")
        assert [c["name"] for c in sync[0].response] == ["guidance", "misbehave"]

        handle = await fake.slash(
            fake.guild_id,
            fake.general_id,
            fake.member_ids["anna"],
            "guidance",
            {"topic": "confidentiality"},
            locale="de",
        )
        response = await handle.wait_response()
        assert response["content"] == "confidentiality in de by anna"
        assert handle.callback_type == 4
        assert response["interaction_metadata"]["id"] == str(handle.id)

        deferred = await fake.slash(
            fake.guild_id,
            fake.general_id,
            fake.member_ids["joao"],
            "guidance",
            {"topic": "gifts", "defer": True},
            locale="pt-BR",
        )
        followups = await deferred.wait_followups(1)
        assert deferred.callback_type == 5
        assert not deferred.loading  # the first followup replaced "is thinking..."
        assert message_text(deferred.original or {}) == "gifts in pt-BR by joao"
        assert followups[0]["flags"] & 64  # ephemeral
        assert deferred.errors == []

        with pytest.raises(ValueError, match="not a choice"):
            await fake.slash(
                fake.guild_id, fake.general_id, fake.owner_id, "guidance", {"topic": "weather"}
            )
    assert_requests_valid(spec_validator, fake.requests)


async def test_resume_replays_missed_events_and_invalid_session_reidentifies(
    fake_discord: FakeDiscord,
) -> None:
    fake = fake_discord
    async with running(fake) as client:
        first = fake.session
        assert first is not None
        await fake.close_gateway(4000, "test")
        missed = await fake.user_message(fake.general_id, fake.owner_id, "while you were away")
        await fake.wait_until(lambda: first.resumes == 1, what="RESUME")
        await fake.wait_until(
            lambda: any(m.id == int(missed["id"]) for m in client.seen),
            what="replayed MESSAGE_CREATE",
        )
        assert fake.session is first

        identify_before = len([f for f in fake.gateway_log if f.op == Op.IDENTIFY])
        await fake.invalidate_session(resumable=False)
        second = await fake.wait_until(
            lambda: fake.session if fake.session is not first and fake.session else None,
            what="a new session after INVALID_SESSION",
        )
        assert len([f for f in fake.gateway_log if f.op == Op.IDENTIFY]) == identify_before + 1
        await fake.wait_for_session()
        assert second.session_id != first.session_id


async def test_message_content_intent_is_enforced(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    intents = discord.Intents.default()  # no message_content
    async with running(fake, intents) as client:
        await fake.user_message(fake.general_id, fake.member_ids["sam"], "!echo secret")
        await fake.user_message(fake.general_id, fake.member_ids["sam"], f"<@{fake.bot_id}> hi")
        await fake.wait_until(lambda: len(client.seen) == 2, what="two messages")
        assert client.seen[0].content == ""
        assert client.seen[1].content == f"<@{fake.bot_id}> hi"


async def test_privileged_intent_not_enabled_closes_4014() -> None:
    async with FakeDiscord(privileged_intents=0) as fake:
        with pointed_at(fake):
            client = discord.Client(intents=discord.Intents.all())
            with pytest.raises(discord.PrivilegedIntentsRequired):
                await asyncio.wait_for(client.start(fake.token), timeout=10)
            await client.close()


async def test_rate_limit_and_discord_errors(
    fake_discord: FakeDiscord, spec_validator: SpecValidator | None
) -> None:
    fake = fake_discord
    async with running(fake) as client:
        channel = client.get_channel(fake.general_id)
        assert isinstance(channel, discord.TextChannel)

        since = fake.mark()
        injection = fake.inject("POST", r"/channels/\d+/messages", 429, retry_after=0.05)
        message = await channel.send("after a 429")
        posts = fake.find_requests("POST", rf"/channels/{fake.general_id}/messages", since=since)
        assert [p.status for p in posts] == [429, 200]
        assert injection.hits == 1
        assert message.content == "after a 429"

        with pytest.raises(discord.HTTPException) as too_long:
            await channel.send("x" * 2001)
        assert too_long.value.code == 50035
        with pytest.raises(discord.HTTPException) as empty:
            await channel.send(embeds=[])
        assert empty.value.code == 50006
        forum = client.get_channel(fake.forum_id)
        assert isinstance(forum, discord.ForumChannel)
        with pytest.raises(discord.HTTPException) as not_text:
            await fake_send_raw(client, fake.forum_id)
        assert not_text.value.code == 50008

        with pytest.raises(discord.NotFound):
            await client.http.request(
                Route("GET", "/applications/{a}/entitlements", a=fake.application_id)
            )
        assert fake.unhandled[-1].path.endswith("/entitlements")
    assert_requests_valid(spec_validator, fake.requests)


async def fake_send_raw(client: discord.Client, channel_id: int) -> Any:
    """Send a message through discord.py's HTTP client to any channel id."""
    return await client.http.send_message(
        channel_id, params=discord.http.handle_message_parameters(content="hello")
    )


async def test_forum_thread_reactions_edits_and_history(
    fake_discord: FakeDiscord, spec_validator: SpecValidator | None
) -> None:
    fake = fake_discord
    async with running(fake) as client:
        forum = client.get_channel(fake.forum_id)
        assert isinstance(forum, discord.ForumChannel)
        created = await forum.create_thread(
            name="A coachee wants to breach confidentiality",
            content="How do you handle it?",
            embed=discord.Embed(title="Dilemma", description="Share your strategies."),
        )
        assert created.thread.parent_id == fake.forum_id
        assert created.message.id == created.thread.id
        await created.message.add_reaction("✅")
        await created.message.remove_reaction("✅", client.user)  # type: ignore[arg-type]
        edited = await created.message.edit(content="How do you handle it? (edited)")
        assert edited.edited_at is not None
        await created.thread.edit(archived=True, locked=True)
        assert fake.channels[created.thread.id]["thread_metadata"]["locked"]

        general = client.get_channel(fake.general_id)
        assert isinstance(general, discord.TextChannel)
        first = await general.send("one")
        thread = await first.create_thread(name="Discussion")
        assert thread.id == first.id
        await thread.send("inside")
        await general.send("two")
        history = [m.content async for m in general.history(limit=10)]
        assert history == ["two", "one"]
        member = await client.get_guild(fake.guild_id).fetch_member(  # type: ignore[union-attr]
            fake.member_ids["maria"]
        )
        assert member.name == "maria"

        await fake.user_reaction(fake.general_id, first.id, fake.member_ids["maria"], "👍")
        reactions = fake.stored_message(first.id)["reactions"]
        assert reactions[0]["count"] == 1
    assert fake.session is not None
    assert fake.session.intents & Intent.MESSAGE_CONTENT
    assert not fake.unhandled
    assert_requests_valid(spec_validator, fake.requests)


async def test_interaction_deadline_and_double_acknowledgement(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    fake.interaction_deadline = 0.2
    async with running(fake) as client:
        late = await fake.slash(
            fake.guild_id, fake.general_id, fake.owner_id, "misbehave", {"late": True}
        )
        await fake.wait_until(lambda: late.errors, what="the late callback to be refused")
        assert late.errors[0]["code"] == 10062  # Unknown interaction
        assert late.original is None

        twice = await fake.slash(fake.guild_id, fake.general_id, fake.owner_id, "misbehave")
        await twice.wait_response()
        await fake.wait_until(lambda: len(client.errors) == 2, what="two command errors")
        # discord.py refuses the second response itself, so Discord never sees it.
        assert isinstance(client.errors[1].__cause__, discord.InteractionResponded)
        assert twice.errors == []
        raw = await fake.wait_for_request("POST", rf"/interactions/{twice.id}/.+/callback")
        assert raw.status == 200


async def test_raw_http_auth_injection_and_unknown_routes(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    auth = {"Authorization": f"Bot {fake.token}"}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{fake.api_base}/users/@me") as response:
            assert response.status == 401
            assert response.headers["Content-Type"] == "application/json"
        fake.inject("GET", "/users/@me", 502)
        fake.inject("*", "/users/@me", 429, retry_after=2.5, is_global=True)
        async with http.get(f"{fake.api_base}/users/@me", headers=auth) as response:
            assert response.status == 502
            assert (await response.json())["code"] == 0
        async with http.get(f"{fake.api_base}/users/@me", headers=auth) as response:
            assert response.status == 429
            assert response.headers["X-RateLimit-Global"] == "true"
            assert response.headers["Retry-After"] == "2"
            assert response.headers["Via"]
            body = await response.json()
            assert body["retry_after"] == 2.5
            assert body["global"] is True
        async with http.get(f"{fake.api_base}/users/@me", headers=auth) as response:
            assert response.status == 200
            assert (await response.json())["bot"] is True
        async with http.get(f"{fake.api_base}/no/such/route", headers=auth) as response:
            assert response.status == 404
            assert await response.json() == {"message": "404: Not Found", "code": 0}
    assert [r.path for r in fake.unhandled] == ["/no/such/route"]
    assert all("Authorization" not in r.headers for r in fake.requests)
    assert [r.authorized for r in fake.requests] == [False, True, True, True, True]
