"""Nothing lost while offline, over the real HTTP path: the unmodified bot process, stopped and
started again over the same database, reads the thread's history with ``after`` and stores
the replies it missed."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.__main__ import load_starter_catalog
from bot.storage.sqlite import SqliteRepository

from .bot_runner import WAIT
from .fake_discord import FakeDiscord
from .spec import assert_requests_valid
from .test_bot_process import bot_process

if TYPE_CHECKING:
    from .spec import SpecValidator

pytestmark = pytest.mark.asyncio

TOPIC = "confidentiality"


async def _open_post_on_the_fakes_thread(fake: FakeDiscord, database: Path) -> int:
    """The database as the posting code leaves it: the dilemma posted, its thread open."""
    [dilemma] = [d for d in load_starter_catalog() if d.topic == TOPIC]
    async with await SqliteRepository.open(database) as repository:
        await repository.add_dilemmas(fake.guild_id, [dilemma])
        claim = await repository.claim_post(
            fake.guild_id,
            slot=datetime.now(UTC),
            nonce="wire-backfill",
            channel_id=fake.general_id,
            expected_next=None,
            next_post_at=None,
            topic=TOPIC,
        )
        assert claim.post is not None
        await repository.mark_post_open(
            claim.post.id,
            message_id=fake.thread_id,
            thread_id=fake.thread_id,
            posted_at=datetime.now(UTC),
        )
        return claim.post.id


def _stored_texts(database: Path) -> dict[int, str]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        return {
            int(mid): text for mid, text in db.execute("SELECT message_id, text FROM strategies")
        }


async def _wait_for_strategy(database: Path, message_id: int) -> str:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        texts = _stored_texts(database)
        if message_id in texts:
            return texts[message_id]
        await asyncio.sleep(0.05)
    raise TimeoutError(f"strategy for message {message_id} was never stored")


def _no_errors(lines: list[str]) -> None:
    problems = [line for line in lines if re.search(r"\b(ERROR|CRITICAL)\b|Traceback", line)]
    assert not problems, "\n".join(problems)


async def test_replies_sent_while_the_bot_was_stopped_are_read_back(
    tmp_path: Path, spec_validator: SpecValidator | None
) -> None:
    database = tmp_path / "x.db"
    thread_messages = r"/channels/(\d+)/messages"
    async with FakeDiscord() as fake:
        await _open_post_on_the_fakes_thread(fake, database)
        claire, joao = fake.member_ids["claire"], fake.member_ids["joao"]

        async with bot_process(fake, tmp_path) as first:
            try:
                await fake.wait_for_session(timeout=WAIT)
                live = await fake.user_message(
                    fake.thread_id, claire, "I would remind them of our agreement."
                )
                await _wait_for_strategy(database, int(live["id"]))
            except (AssertionError, TimeoutError) as exc:
                raise AssertionError(f"{exc}\n--- bot output ---\n{first.tail()}") from exc
            assert await first.terminate() == 0, first.tail()
        _no_errors(first.lines)

        # The bot is stopped: these never reach it through the gateway.
        missed = await fake.user_message(
            fake.thread_id, joao, "Eu conversaria com meu supervisor antes de agir."
        )
        await fake.user_message(fake.thread_id, joao, "\N{THUMBS UP SIGN}")
        since = fake.mark()

        async with bot_process(fake, tmp_path) as second:
            try:
                await fake.wait_for_session(timeout=WAIT)
                text = await _wait_for_strategy(database, int(missed["id"]))
            except (AssertionError, TimeoutError) as exc:
                raise AssertionError(f"{exc}\n--- bot output ---\n{second.tail()}") from exc
            assert await second.terminate() == 0, second.tail()
        _no_errors(second.lines)

    assert text == "Eu conversaria com meu supervisor antes de agir."
    assert set(_stored_texts(database)) == {int(live["id"]), int(missed["id"])}
    reads = [
        r
        for r in fake.find_requests("GET", thread_messages, since=since)
        if r.path == f"/channels/{fake.thread_id}/messages"
    ]
    assert reads, "the restarted bot never read the thread's history"
    assert "after" in reads[0].query
    # It re-reads from its oldest stored strategy, so deletions while offline are noticed too.
    assert int(reads[0].query["after"]) < int(live["id"])
    assert not fake.unhandled, [str(r) for r in fake.unhandled]
    assert_requests_valid(spec_validator, fake.requests)
