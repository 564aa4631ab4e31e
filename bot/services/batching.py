"""Micro-batching: concurrent callers' items coalesced into one call of a batch function.

Used by the collection service so that replies arriving together are analysed in one forward
pass of the encoder and stored in one transaction, while each caller still awaits its own result.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Hashable, Sequence
from types import TracebackType
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
R = TypeVar("R")

#: ``run(key, items)`` returns one result per item, in order.
BatchFunction = Callable[[K, list[T]], Awaitable[Sequence[R]]]


class Batcher(Generic[K, T, R]):
    """Coalesces concurrent :meth:`submit` calls into calls of ``run(key, items)``.

    Contract:

    * Items are grouped by ``key``; one call of ``run`` only ever holds items of one key, at most
      ``max_batch`` of them, in submission order. Keys are served oldest first.
    * At most ``max_in_flight`` batches run at a time (default one). Items submitted while they
      run wait and form the next batch (group commit): the busier the batch function, the larger
      the batches.
    * When a batch starts: on the next turn of the event loop after its oldest item arrived (so
      that callers resumed in the same turn join it), then as soon as ``max_batch`` items of its
      key wait, or no announced caller is still on its way (see :meth:`announce`), or its oldest
      item has waited ``max_delay`` seconds, whichever comes first.
    * Each caller gets its own result. If ``run`` raises, every caller of that batch gets the
      exception (``run`` decides what a failure means; it may return fallbacks instead). A
      cancelled caller's item is still processed; its result is dropped.
    * No task outlives the work: the worker task exists only while items wait or run.
    """

    def __init__(
        self,
        run: BatchFunction[K, T, R],
        *,
        max_batch: int,
        max_delay: float = 0.0,
        max_in_flight: int = 1,
        name: str = "batcher",
    ) -> None:
        if max_batch < 1 or max_in_flight < 1:
            raise ValueError("max_batch and max_in_flight must be at least 1")
        if max_delay < 0:
            raise ValueError("max_delay must not be negative")
        self._run = run
        self.max_batch = max_batch
        self.max_delay = max_delay
        self.max_in_flight = max_in_flight
        self._name = name
        self._pending: dict[K, list[tuple[T, asyncio.Future[R], float]]] = {}
        self._workers: set[asyncio.Task[None]] = set()
        self._announced = 0
        self._changed = asyncio.Event()

    @property
    def waiting(self) -> int:
        """Items submitted and not yet taken into a batch."""
        return sum(len(items) for items in self._pending.values())

    def announce(self) -> Ticket[K, T, R]:
        """Tell the batcher that the caller will submit an item shortly (after some awaits of
        its own): batches wait for it, up to ``max_delay``. Use the ticket as a context manager
        and submit through it; leaving the block without submitting withdraws the announcement.
        """
        self._announced += 1
        return Ticket(self)

    def _withdraw(self) -> None:
        self._announced -= 1
        self._changed.set()

    async def submit(self, key: K, item: T) -> R:
        """``item``'s result, computed in a batch with other items of ``key``."""
        [result] = await self.submit_many(key, [item])
        return result

    async def submit_many(self, key: K, items: Sequence[T]) -> list[R]:
        """Each item's result, in order: the items join the waiting ones of ``key`` (in order)
        and are split into batches like those of as many :meth:`submit` calls. If a batch
        fails, so does this call, once every batch of its items has run."""
        if not items:
            return []
        loop = asyncio.get_running_loop()
        now = loop.time()
        futures: list[asyncio.Future[R]] = [loop.create_future() for _ in items]
        queue = self._pending.setdefault(key, [])
        queue.extend((item, future, now) for item, future in zip(items, futures, strict=True))
        self._changed.set()
        # (a worker of a closed event loop is gone for good)
        self._workers = {w for w in self._workers if not w.done() and w.get_loop() is loop}
        if not self._workers:
            self._changed = asyncio.Event()  # of this event loop
        while len(self._workers) < self.max_in_flight:  # each runs one batch at a time
            self._workers.add(loop.create_task(self._drain(), name=f"intervision-{self._name}"))
        if len(futures) == 1:
            return [await futures[0]]
        await asyncio.gather(*futures, return_exceptions=True)
        return [future.result() for future in futures]

    def _ready(self) -> bool:
        """Whether the next batch should start now (its items are gathered)."""
        if self._announced <= 0 or not self._pending:
            return True
        queue = next(iter(self._pending.values()))
        return len(queue) >= self.max_batch

    async def _gather(self) -> None:
        """Wait until the next batch is ready to start (see the class contract)."""
        await asyncio.sleep(0)
        loop = asyncio.get_running_loop()
        while not self._ready():
            oldest = next(iter(self._pending.values()))[0][2]
            remaining = oldest + self.max_delay - loop.time()
            if remaining <= 0:
                return
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    def _take(self) -> tuple[K, list[tuple[T, asyncio.Future[R], float]]]:
        key = next(iter(self._pending))
        queue = self._pending[key]
        batch, rest = queue[: self.max_batch], queue[self.max_batch :]
        if rest:
            self._pending[key] = rest
        else:
            del self._pending[key]
        return key, batch

    async def _drain(self) -> None:
        """One worker: runs batches one after another until nothing waits."""
        batch: list[tuple[T, asyncio.Future[R], float]] = []
        try:
            while self._pending:
                await self._gather()
                if not self._pending:
                    break  # another worker took them
                key, batch = self._take()
                try:
                    results = await self._run(key, [item for item, _, _ in batch])
                    if len(results) != len(batch):
                        raise RuntimeError(
                            f"{self._name}: {len(results)} results for {len(batch)} items"
                        )
                except asyncio.CancelledError:
                    raise
                except Exception as error:  # every caller of the batch sees it
                    for _, future, _ in batch:
                        if not future.done():
                            future.set_exception(error)
                else:
                    for (_, future, _), result in zip(batch, results, strict=True):
                        if not future.done():
                            future.set_result(result)
                batch = []
        finally:
            task = asyncio.current_task()
            if task is not None:
                self._workers.discard(task)
            # cancelled (shutdown): what it ran, and what waits if no other worker is left
            waiting = () if self._workers else [p for q in self._pending.values() for p in q]
            for _, future, _ in (*batch, *waiting):
                if not future.done():
                    future.cancel()
            if not self._workers:
                self._pending.clear()


class Ticket(Generic[K, T, R]):
    """An announced submission (see :meth:`Batcher.announce`): submit once through it, or leave
    its ``with`` block (or call :meth:`withdraw`) to withdraw it."""

    def __init__(self, batcher: Batcher[K, T, R]) -> None:
        self._batcher: Batcher[K, T, R] | None = batcher

    async def submit(self, key: K, item: T) -> R:
        """:meth:`Batcher.submit`, ending the announcement."""
        batcher = self._batcher
        if batcher is None:
            raise RuntimeError("this ticket was already used or withdrawn")
        self._batcher = None
        batcher._announced -= 1
        return await batcher.submit(key, item)

    def withdraw(self) -> None:
        """The caller will not submit after all (idempotent)."""
        if self._batcher is not None:
            self._batcher._withdraw()
            self._batcher = None

    def __enter__(self) -> Ticket[K, T, R]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.withdraw()
