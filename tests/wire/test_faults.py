"""Faults survived with nothing lost and nothing doubled: the real bot process against the
wire-level fake (rate limits, server errors, gateway drops and invalid sessions, a database
that drops its connections, SIGTERM in the middle of a post).

Every test ends with the same audit: each message the members sent is stored exactly once,
each post made exactly one message and one thread, and the bot logged no error.
"""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg
import discord
import pytest

from tests.storage.contract.conftest import POSTGRES_URL, fresh_schema

from .bot_runner import WAIT, open_post_on_thread, problems, run_bot, wait_for_strategies
from .fake_discord import FakeDiscord, Op

if TYPE_CHECKING:
    from .bot_runner import BotProcess
    from .fake_discord import JSON, InteractionHandle

pytestmark = pytest.mark.asyncio

MODERATOR = discord.Permissions(
    manage_guild=True, view_channel=True, send_messages=True, use_application_commands=True
).value
RETRY_AFTER = 0.2
COMMANDS = r"/applications/\d+/guilds/\d+/commands"
CALLBACK = r"/interactions/\d+/[^/]+/callback"


#: What a command interrupted by SIGTERM logs (see the SIGTERM test).
def _sqlite(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'x.db'}"


def _fail(exc: BaseException, bot: BotProcess) -> AssertionError:
    return AssertionError(f"{exc}\n--- bot output ---\n{bot.tail()}")


async def _ready(fake: FakeDiscord) -> None:
    await fake.wait_for_request("PUT", COMMANDS, timeout=WAIT)
    await fake.wait_for_session(timeout=WAIT)


async def _moderator(fake: FakeDiscord, name: str, options: JSON) -> InteractionHandle:
    return await fake.slash(
        fake.guild_id,
        fake.general_id,
        fake.member_ids["mod"],
        name,
        options,
        locale="en-US",
        permissions=MODERATOR,
    )


async def _set_up(fake: FakeDiscord) -> None:
    setup = await _moderator(
        fake,
        "dilemma setup",
        {"channel": fake.general_id, "weekday": 0, "time": "09:00", "timezone": "Europe/Berlin"},
    )
    await setup.wait_response(timeout=WAIT)
    assert "I'll post the next dilemma" in setup.text(), setup.text()


def _dilemma_messages(fake: FakeDiscord) -> list[JSON]:
    """The bot's dilemma posts in ``general`` (the ones carrying the share button)."""
    return [
        m
        for m in fake.channel_messages(fake.general_id)
        if int(m["author"]["id"]) == fake.bot_id and m.get("nonce") and m.get("components")
    ]


def _assert_posted_once(fake: FakeDiscord) -> None:
    posts = _dilemma_messages(fake)
    assert len(posts) == 1, [m["id"] for m in posts]
    threads = [
        c["id"]
        for c in fake.channels.values()
        if c.get("parent_id") == str(fake.general_id) and int(c["id"]) != fake.thread_id
    ]
    assert threads == [posts[0]["id"]], threads


async def _send_replies(fake: FakeDiscord, count: int, tag: str) -> set[int]:
    """``count`` member replies in the fake's thread; their message ids."""
    authors = [fake.member_ids[n] for n in ("anna", "joao", "maria", "claire", "sam")]
    ids = set()
    for n in range(count):
        sent = await fake.user_message(
            fake.thread_id,
            authors[n % len(authors)],
            f"{tag} {n}: I would remind them of our confidentiality agreement and ask why.",
        )
        ids.add(int(sent["id"]))
    return ids


def _assert_once(stored: list[int], sent: set[int]) -> None:
    assert sorted(stored) == sorted(sent), (
        f"missing {sent - set(stored)}, doubled {[m for m in stored if stored.count(m) > 1]}, "
        f"extra {set(stored) - sent}"
    )


def _assert_clean(bot: BotProcess, code: int, fake: FakeDiscord) -> None:
    assert code == 0, bot.tail()
    assert not problems(bot.lines), "\n".join(problems(bot.lines))
    assert not fake.unhandled, [str(r) for r in fake.unhandled]
    assert not fake.fake_errors, fake.fake_errors


# -- REST faults ---------------------------------------------------------------------------------


async def test_rate_limits_per_route_and_global_post_once_and_answer(tmp_path: Path) -> None:
    async with FakeDiscord() as fake, run_bot(fake, tmp_path, _sqlite(tmp_path)) as bot:
        try:
            await _ready(fake)
            await _set_up(fake)
            # Per-route on the message, global on the thread, per-route on the callback.
            send = fake.inject(
                "POST", rf"/channels/{fake.general_id}/messages", 429, retry_after=RETRY_AFTER
            )
            thread = fake.inject(
                "POST",
                rf"/channels/{fake.general_id}/messages/\d+/threads",
                429,
                retry_after=RETRY_AFTER,
                is_global=True,
            )
            callback = fake.inject("POST", CALLBACK, 429, retry_after=RETRY_AFTER)
            post = await _moderator(fake, "dilemma post", {})
            await post.wait_text("Posted `confidentiality`", timeout=WAIT)
            guidance_limit = fake.inject(
                "POST", CALLBACK, 429, retry_after=RETRY_AFTER, is_global=True
            )
            guidance = await fake.slash(
                fake.guild_id,
                fake.general_id,
                fake.member_ids["anna"],
                "guidance",
                {"topic": "confidentiality"},
                locale="en-US",
            )
            await guidance.wait_response(timeout=WAIT)
            assert guidance.text(), "the /guidance interaction was not answered"
            assert [send.hits, thread.hits, callback.hits, guidance_limit.hits] == [1, 1, 1, 1]
            assert post.errors == [], post.errors
            assert guidance.errors == [], guidance.errors
            _assert_posted_once(fake)
        except (AssertionError, TimeoutError, LookupError) as exc:
            raise _fail(exc, bot) from exc
        code = await bot.terminate()
    _assert_clean(bot, code, fake)


async def test_server_error_burst_on_send_posts_once(tmp_path: Path) -> None:
    async with FakeDiscord() as fake, run_bot(fake, tmp_path, _sqlite(tmp_path)) as bot:
        try:
            await _ready(fake)
            await _set_up(fake)
            sends = rf"/channels/{fake.general_id}/messages"
            # The 502 arrives after Discord created the message; the 500 before. The retries
            # carry the same nonce, so Discord hands back the first message.
            lost = fake.inject("POST", sends, 502, route_first=True)
            failed = fake.inject("POST", sends, 500)
            post = await _moderator(fake, "dilemma post", {})
            await post.wait_text("Posted `confidentiality`", timeout=WAIT)
            assert (lost.hits, failed.hits) == (1, 1)
            assert len(fake.find_requests("POST", sends)) == 3
            _assert_posted_once(fake)
        except (AssertionError, TimeoutError, LookupError) as exc:
            raise _fail(exc, bot) from exc
        code = await bot.terminate()
    _assert_clean(bot, code, fake)


async def test_sigterm_during_a_post_lets_the_post_finish(tmp_path: Path) -> None:
    url = _sqlite(tmp_path)
    async with FakeDiscord() as fake:
        threads = rf"/channels/{fake.general_id}/messages/\d+/threads"
        async with run_bot(fake, tmp_path, url) as first:
            try:
                await _ready(fake)
                await _set_up(fake)
                # Discord is slow to open the thread: SIGTERM arrives while the bot waits.
                fake.stall("POST", threads, 1.5)
                post = await _moderator(fake, "dilemma post", {})
                await fake.wait_until(
                    lambda: fake.find_requests("POST", threads, answered=False),
                    timeout=WAIT,
                    what="the thread request",
                )
            except (AssertionError, TimeoutError, LookupError) as exc:
                raise _fail(exc, first) from exc
            code = await first.terminate()
        # Shutdown waits for the interaction: the thread is opened and the moderator answered.
        _assert_clean(first, code, fake)
        assert any("Waiting for 1 interaction" in line for line in first.lines), first.tail()
        assert "Posted `confidentiality`" in post.text()
        _assert_posted_once(fake)
        assert fake.find_requests("POST", threads)

        since = fake.mark()
        async with run_bot(fake, tmp_path, url) as second:
            try:
                await _ready(fake)
                [message] = _dilemma_messages(fake)
                reply = await fake.user_message(
                    int(message["id"]), fake.member_ids["anna"], "I would talk to my supervisor."
                )
                stored = await wait_for_strategies(url, {int(reply["id"])}, within=WAIT)
            except (AssertionError, TimeoutError, LookupError) as exc:
                raise _fail(exc, second) from exc
            code = await second.terminate()
        _assert_clean(second, code, fake)
        assert not fake.find_requests("POST", rf"/channels/{fake.general_id}/messages", since=since)
        assert stored == [int(reply["id"])]


async def test_a_crash_during_a_post_is_completed_once_by_the_next_start(tmp_path: Path) -> None:
    url = _sqlite(tmp_path)
    async with FakeDiscord() as fake:
        threads = rf"/channels/{fake.general_id}/messages/\d+/threads"
        async with run_bot(fake, tmp_path, url) as first:
            try:
                await _ready(fake)
                await _set_up(fake)
                # The process dies (SIGKILL) while Discord is opening the thread.
                fake.stall("POST", threads, 1.5)
                await _moderator(fake, "dilemma post", {})
                await fake.wait_until(
                    lambda: fake.find_requests("POST", threads, answered=False),
                    timeout=WAIT,
                    what="the thread request",
                )
            except (AssertionError, TimeoutError, LookupError) as exc:
                raise _fail(exc, first) from exc
            first.process.kill()
            await first.process.wait()
        # The stalled request still takes effect after the bot has gone (as Discord's would).
        await fake.wait_for_request("POST", threads, timeout=WAIT)
        assert len(_dilemma_messages(fake)) == 1

        since = fake.mark()
        async with run_bot(fake, tmp_path, url) as second:
            try:
                await _ready(fake)
                await second_adopted(fake, second)
            except (AssertionError, TimeoutError, LookupError) as exc:
                raise _fail(exc, second) from exc
            # The adopted post is open: a reply in its thread is collected.
            [message] = _dilemma_messages(fake)
            reply = await fake.user_message(
                int(message["id"]), fake.member_ids["anna"], "I would talk to my supervisor."
            )
            stored = await wait_for_strategies(url, {int(reply["id"])}, within=WAIT)
            code = await second.terminate()
        _assert_clean(second, code, fake)
        _assert_posted_once(fake)
        assert not fake.find_requests("POST", rf"/channels/{fake.general_id}/messages", since=since)
        assert stored == [int(reply["id"])]


async def second_adopted(fake: FakeDiscord, bot: BotProcess) -> None:
    """Wait until the restarted bot logged that it adopted (or delivered) the interrupted post."""
    await fake.wait_until(
        lambda: any(
            "adopting post" in line or "posted confidentiality" in line for line in bot.lines
        ),
        timeout=WAIT,
        what="recovery of the interrupted post",
    )


# -- gateway faults ------------------------------------------------------------------------------


async def _collect_across(tmp_path: Path, fault: str) -> None:
    """Replies before, during and after a gateway ``fault``; each stored exactly once."""
    url = _sqlite(tmp_path)
    async with FakeDiscord() as fake:
        await open_post_on_thread(url, fake.guild_id, fake.general_id, fake.thread_id)
        async with run_bot(fake, tmp_path, url) as bot:
            try:
                session = await fake.wait_for_session(timeout=WAIT)
                sent = await _send_replies(fake, 3, "before")
                await wait_for_strategies(url, sent, within=WAIT)
                identifies = len(fake.sessions)
                since = len(fake.gateway_log)
                if fault == "drop":
                    await fake.drop_gateway()
                elif fault == "invalid_session":
                    await fake.invalidate_session()
                else:
                    # 4009 "session timed out": Discord refuses to resume it.
                    await fake.close_gateway(int(fault), invalidate=fault == "4009")
                # Sent while the bot is away: replayed on RESUME, or read back with `after=`.
                sent |= await _send_replies(fake, 3, "meanwhile")
                if fault in ("drop", "4000"):
                    await fake.wait_until(
                        lambda: session.resumes >= 1 and session.connection is not None,
                        timeout=WAIT,
                        what="RESUME",
                    )
                    assert len(fake.sessions) == identifies, "the bot identified instead"
                else:
                    await fake.wait_for_gateway(Op.IDENTIFY, since=since, timeout=WAIT)
                    await fake.wait_for_session(timeout=WAIT)
                    assert len(fake.sessions) == identifies + 1
                sent |= await _send_replies(fake, 3, "after")
                stored = await wait_for_strategies(url, sent, within=WAIT)
                await asyncio.sleep(0.3)  # a late catch-up must not store anything twice
                stored = await wait_for_strategies(url, sent, within=WAIT)
                _assert_once(stored, sent)
            except (AssertionError, TimeoutError, LookupError, RuntimeError) as exc:
                raise _fail(exc, bot) from exc
            code = await bot.terminate()
        _assert_clean(bot, code, fake)


@pytest.mark.parametrize("fault", ["drop", "4000"])
async def test_gateway_closed_resumes_and_stores_each_reply_once(
    tmp_path: Path, fault: str
) -> None:
    await _collect_across(tmp_path, fault)


async def test_gateway_closed_4009_reidentifies_and_backfills(tmp_path: Path) -> None:
    await _collect_across(tmp_path, "4009")


async def test_invalid_session_reidentifies_and_backfills(tmp_path: Path) -> None:
    await _collect_across(tmp_path, "invalid_session")


# -- database faults -----------------------------------------------------------------------------


async def _terminate(application_name: str) -> int:
    admin = await asyncpg.connect(POSTGRES_URL)
    try:
        return int(
            await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = $1",
                application_name,
            )
        )
    finally:
        await admin.close()


async def test_postgres_connections_dropped_while_collecting_lose_nothing(tmp_path: Path) -> None:
    application = f"intervision_fault_{secrets.token_hex(4)}"
    async with fresh_schema() as schema_url, FakeDiscord() as fake:
        url = f"{schema_url}&application_name={application}"
        await open_post_on_thread(url, fake.guild_id, fake.general_id, fake.thread_id)
        async with run_bot(fake, tmp_path, url) as bot:
            try:
                await fake.wait_for_session(timeout=WAIT)
                sent = await _send_replies(fake, 3, "before")
                await wait_for_strategies(url, sent, within=WAIT)
                killed = 0
                for burst in range(3):
                    killed += await _terminate(application)
                    sent |= await _send_replies(fake, 5, f"burst {burst}")
                    await asyncio.sleep(0.05)
                    killed += await _terminate(application)
                assert killed >= 1, "no connection of the bot was terminated"
                guidance = await fake.slash(
                    fake.guild_id,
                    fake.general_id,
                    fake.member_ids["anna"],
                    "guidance",
                    {"topic": "confidentiality"},
                    locale="en-US",
                )
                await guidance.wait_response(timeout=WAIT)
                stored = await wait_for_strategies(url, sent, within=WAIT)
                _assert_once(stored, sent)
            except (AssertionError, TimeoutError, LookupError) as exc:
                raise _fail(exc, bot) from exc
            code = await bot.terminate()
        _assert_clean(bot, code, fake)
