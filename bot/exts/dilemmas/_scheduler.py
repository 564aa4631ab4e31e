"""The posting loop: one task that sleeps until the next due slot (RoboDanny's timer pattern)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.services.ports import Clock
from bot.services.posting import MAX_SLEEP, PostingService

if TYPE_CHECKING:
    from bot.client import IntervisionBot

log = logging.getLogger(__name__)

_RETRY_AFTER_FAILURE = timedelta(minutes=1)
#: Schedules change only through this process's own commands (each guild belongs to one
#: shard), which wake the loop; the periodic re-read is a safety net, not the mechanism.
_REREAD_EVERY = timedelta(hours=24)


class Scheduler:
    """Runs due slots for the guilds this process serves; :meth:`wake` after schedule changes.

    The loop sleeps with plain ``asyncio.sleep`` in steps of at most :data:`MAX_SLEEP` (so a
    suspended machine or a clock jump heals), and reads the database only when a slot is due,
    when woken, or once a day. :meth:`wake` cancels a sleeping loop and starts a fresh one (never
    a busy one: that one re-reads when it is done).
    """

    def __init__(self, bot: IntervisionBot, posting: PostingService, clock: Clock) -> None:
        self._bot = bot
        self._posting = posting
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self._sleeping = False
        self._again = False
        self._recovered = False

    def start(self) -> None:
        """Start the loop (idempotent)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="intervision-scheduler")

    async def stop(self) -> None:
        """Cancel the loop and wait for it."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def wake(self) -> None:
        """Re-read the schedules now (after setup, resume or a manual post)."""
        if self._task is not None and self._sleeping:
            self._task.cancel()
            self._task = None
            self.start()
        else:
            self._again = True

    def _owned(self) -> set[int]:
        return {guild.id for guild in self._bot.guilds}

    async def _run(self) -> None:
        await self._bot.wait_until_ready()
        if not self._recovered:
            self._recovered = True
            await self._posting.recover(self._owned())
        upcoming, read_at = None, None
        while True:
            now = self._clock()
            stale = read_at is None or now - read_at >= _REREAD_EVERY
            if self._again or stale or (upcoming is not None and upcoming <= now):
                self._again = False
                try:
                    upcoming, read_at = await self._posting.run_due(self._owned()), now
                except Exception:
                    log.exception("The posting loop failed; retrying in a minute")
                    upcoming, read_at = now + _RETRY_AFTER_FAILURE, None
                if self._again:
                    continue
            delay = MAX_SLEEP if upcoming is None else upcoming - self._clock()
            seconds = min(max(delay, timedelta(seconds=1)), MAX_SLEEP).total_seconds()
            self._sleeping = True
            try:
                await asyncio.sleep(seconds)
            finally:
                self._sleeping = False
