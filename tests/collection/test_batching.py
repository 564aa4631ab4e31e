"""Micro-batching: concurrent replies are analysed together and stored in one transaction, each
caller still getting its own result."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

from bot.domain.strategies import NewStrategy, Strategy
from bot.services.batching import Batcher
from bot.services.ports import TextAnalyzer
from bot.storage.sqlite import SqliteRepository
from tests.collection.analyzers import CountingAnalyzer, while_analysed
from tests.collection.conftest import World
from tests.collection.helpers import open_dilemma

# -- the batcher on its own ------------------------------------------------------------------------


class _Recorder:
    """A batch function that records its calls; results are ``item * 10``."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[int]]] = []
        self.gate: asyncio.Event | None = None  # while set to an unset event, batches wait

    async def __call__(self, key: str, items: list[int]) -> list[int]:
        self.calls.append((key, items))
        if self.gate is not None:
            await self.gate.wait()
        return [item * 10 for item in items]


async def test_concurrent_items_are_coalesced_and_each_caller_gets_its_own_result() -> None:
    run = _Recorder()
    batcher: Batcher[str, int, int] = Batcher(run, max_batch=32)
    results = await asyncio.gather(*(batcher.submit("k", i) for i in range(5)))
    assert results == [0, 10, 20, 30, 40]
    assert run.calls == [("k", [0, 1, 2, 3, 4])]


async def test_batches_hold_at_most_max_batch_items_in_order() -> None:
    run = _Recorder()
    batcher: Batcher[str, int, int] = Batcher(run, max_batch=3)
    results = await asyncio.gather(*(batcher.submit("k", i) for i in range(7)))
    assert results == [i * 10 for i in range(7)]
    assert run.calls == [("k", [0, 1, 2]), ("k", [3, 4, 5]), ("k", [6])]


async def test_distinct_keys_are_never_mixed() -> None:
    run = _Recorder()
    batcher: Batcher[str, int, int] = Batcher(run, max_batch=32)
    keys = ["a", "b", "a", "b", "a"]
    results = await asyncio.gather(*(batcher.submit(k, i) for i, k in enumerate(keys)))
    assert results == [0, 10, 20, 30, 40]
    assert run.calls == [("a", [0, 2, 4]), ("b", [1, 3])]


async def test_items_arriving_while_a_batch_runs_form_the_next_batch() -> None:
    run = _Recorder()
    run.gate = asyncio.Event()
    batcher: Batcher[str, int, int] = Batcher(run, max_batch=32)
    first = asyncio.ensure_future(batcher.submit("k", 1))
    await asyncio.sleep(0.01)
    assert run.calls == [("k", [1])]  # an idle batcher does not wait for company
    later = [asyncio.ensure_future(batcher.submit("k", i)) for i in (2, 3, 4)]
    await asyncio.sleep(0.01)
    assert batcher.waiting == 3
    run.gate.set()
    assert await asyncio.gather(first, *later) == [10, 20, 30, 40]
    assert run.calls == [("k", [1]), ("k", [2, 3, 4])]


async def test_up_to_max_in_flight_batches_run_at_once() -> None:
    run = _Recorder()
    run.gate = asyncio.Event()
    batcher: Batcher[str, int, int] = Batcher(run, max_batch=2, max_in_flight=2)
    callers = [asyncio.ensure_future(batcher.submit("k", i)) for i in range(5)]
    await asyncio.sleep(0.01)
    assert run.calls == [("k", [0, 1]), ("k", [2, 3])]
    run.gate.set()
    assert await asyncio.gather(*callers) == [0, 10, 20, 30, 40]
    assert run.calls[2:] == [("k", [4])]


async def test_a_batch_waits_for_announced_callers() -> None:
    run = _Recorder()
    batcher: Batcher[str, int, int] = Batcher(run, max_batch=32, max_delay=60)

    async def later(i: int) -> int:
        with batcher.announce() as ticket:
            await asyncio.sleep(0.001 * i)  # e.g. reading the database first
            if i == 4:
                return -1  # drops out: the batch does not wait for it
            return await ticket.submit("k", i)

    results = await asyncio.wait_for(asyncio.gather(*(later(i) for i in range(1, 5))), 5)
    assert results == [10, 20, 30, -1]
    assert run.calls == [("k", [1, 2, 3])]


async def test_announced_callers_are_waited_for_at_most_max_delay() -> None:
    run = _Recorder()
    batcher: Batcher[str, int, int] = Batcher(run, max_batch=32, max_delay=0.01)
    with batcher.announce():
        assert await batcher.submit("k", 1) == 10  # the announced caller never came
    assert run.calls == [("k", [1])]


async def test_a_ticket_submits_once() -> None:
    batcher: Batcher[str, int, int] = Batcher(_Recorder(), max_batch=32)
    with batcher.announce() as ticket:
        assert await ticket.submit("k", 1) == 10
        with pytest.raises(RuntimeError, match="already used"):
            await ticket.submit("k", 2)


async def test_a_full_batch_does_not_wait_for_the_delay() -> None:
    run = _Recorder()
    batcher: Batcher[str, int, int] = Batcher(run, max_batch=2, max_delay=60)
    tickets = [batcher.announce() for _ in range(3)]
    first = [asyncio.ensure_future(t.submit("k", i)) for i, t in enumerate(tickets[:2])]
    assert await asyncio.wait_for(asyncio.gather(*first), 5) == [0, 10]
    tickets[2].withdraw()


async def test_a_failing_batch_fails_each_of_its_callers_only() -> None:
    calls: list[list[int]] = []

    async def run(_: str, items: list[int]) -> list[int]:
        calls.append(items)
        if 2 in items:
            raise ValueError("boom")
        return items

    batcher: Batcher[str, int, int] = Batcher(run, max_batch=2)
    results = await asyncio.gather(
        *(batcher.submit("k", i) for i in (1, 2, 3)), return_exceptions=True
    )
    assert [type(r) for r in results[:2]] == [ValueError, ValueError]
    assert results[2] == 3
    assert calls == [[1, 2], [3]]


async def test_many_items_of_one_caller_are_split_and_share_batches_with_others() -> None:
    run = _Recorder()
    batcher: Batcher[str, int, int] = Batcher(run, max_batch=4)
    many, one = await asyncio.gather(batcher.submit_many("k", range(6)), batcher.submit("k", 6))
    assert (many, one) == ([0, 10, 20, 30, 40, 50], 60)
    assert run.calls == [("k", [0, 1, 2, 3]), ("k", [4, 5, 6])]
    assert await batcher.submit_many("k", []) == []


async def test_many_items_fail_together_once_all_their_batches_ran() -> None:
    calls: list[list[int]] = []

    async def run(_: str, items: list[int]) -> list[int]:
        calls.append(items)
        raise ValueError(f"boom {items[0]}")

    batcher: Batcher[str, int, int] = Batcher(run, max_batch=2)
    with pytest.raises(ValueError, match="boom 0"):
        await batcher.submit_many("k", [0, 1, 2, 3])
    assert calls == [[0, 1], [2, 3]]


async def test_a_wrong_number_of_results_is_an_error() -> None:
    async def run(_: str, items: list[int]) -> list[int]:
        return items[:1]

    batcher: Batcher[str, int, int] = Batcher(run, max_batch=8)
    with pytest.raises(RuntimeError, match="1 results for 2 items"):
        await asyncio.gather(batcher.submit("k", 1), batcher.submit("k", 2))


async def test_a_cancelled_caller_does_not_disturb_the_others() -> None:
    run = _Recorder()
    run.gate = asyncio.Event()
    batcher: Batcher[str, int, int] = Batcher(run, max_batch=32)
    callers = [asyncio.ensure_future(batcher.submit("k", i)) for i in range(3)]
    await asyncio.sleep(0.01)
    callers[1].cancel()
    run.gate.set()
    assert await callers[0] == 0
    assert await callers[2] == 20
    assert callers[1].cancelled()


async def test_no_task_is_left_behind_when_idle() -> None:
    batcher: Batcher[str, int, int] = Batcher(_Recorder(), max_batch=4)
    await asyncio.gather(*(batcher.submit("k", i) for i in range(10)))
    await asyncio.sleep(0)
    assert asyncio.all_tasks() == {asyncio.current_task()}
    assert batcher.waiting == 0


# -- the collection service's use of it ------------------------------------------------------------


@pytest.fixture
def text_analyzer() -> TextAnalyzer:
    return CountingAnalyzer()


@pytest.fixture
def store_calls(repository: SqliteRepository, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every ``add_strategies`` call."""
    sizes: list[int] = []
    add = repository.add_strategies

    async def counted(new: Sequence[NewStrategy]) -> list[Strategy | None]:
        sizes.append(len(new))
        return await add(new)

    monkeypatch.setattr(repository, "add_strategies", counted)
    return sizes


def _burst(simcord_env: Any, thread_id: int, author_id: int, texts: Sequence[str]) -> list[Any]:
    """Messages that reach the bot together (their events are dispatched before it runs)."""
    return [simcord_env.backend.create_message(thread_id, author_id, text) for text in texts]


async def test_replies_arriving_together_are_analysed_and_stored_together(
    world: World,
    repository: SqliteRepository,
    simcord_env: Any,
    text_analyzer: CountingAnalyzer,
    store_calls: list[int],
) -> None:
    texts = ["I would ask for consent.", "I would call my supervisor.", "I would wait."]
    messages = _burst(simcord_env, world.thread.id, world.ana.id, texts)
    await simcord_env.settle()

    assert [call[0] for call in text_analyzer.calls] == [texts]
    assert store_calls == [3]
    stored = [await repository.strategy_by_message(world.guild.id, m.id) for m in messages]
    assert [(s.text, s.themes) if s else None for s in stored] == [
        ("I would ask for consent.", ("consent",)),
        ("I would call my supervisor.", ("supervision",)),
        ("I would wait.", ()),
    ]


@pytest.mark.expect_errors
async def test_a_failed_analysis_stores_the_whole_batch_unclassified(
    world: World, repository: SqliteRepository, simcord_env: Any, text_analyzer: CountingAnalyzer
) -> None:
    text_analyzer.fail = True
    texts = ["I would ask for consent.", "Ich frage die Supervisorin und kläre es."]
    messages = _burst(simcord_env, world.thread.id, world.ben.id, texts)
    await simcord_env.settle()

    assert len(text_analyzer.calls) == 1
    for message, text in zip(messages, texts, strict=True):
        strategy = await repository.strategy_by_message(world.guild.id, message.id)
        assert strategy is not None
        assert (strategy.text, strategy.language, strategy.themes) == (text, "und", ())


async def test_replies_to_dilemmas_with_different_own_themes_are_analysed_apart(
    world: World,
    repository: SqliteRepository,
    simcord_env: Any,
    text_analyzer: CountingAnalyzer,
    store_calls: list[int],
) -> None:
    recording = await open_dilemma(
        simcord_env, repository, world.guild, world.channel, topic="recording_sessions"
    )
    plain = _burst(simcord_env, world.thread.id, world.ana.id, ["A.", "B."])
    own = _burst(simcord_env, recording.thread.id, world.ben.id, ["C.", "D."])
    await simcord_env.settle()

    calls = sorted(text_analyzer.calls, key=lambda call: call[0])
    assert [texts for texts, _ in calls] == [["A.", "B."], ["C.", "D."]]
    assert calls[0][1] is None
    assert calls[1][1] is not None
    assert list(calls[1][1]) == ["data_protection"]
    assert sum(store_calls) == 4
    assert len(store_calls) <= 2  # each analysis batch's replies stored together
    for message in (*plain, *own):
        assert await repository.strategy_by_message(world.guild.id, message.id) is not None


async def test_an_edit_and_a_reply_arriving_together_share_a_batch(
    world: World, repository: SqliteRepository, simcord_env: Any, text_analyzer: CountingAnalyzer
) -> None:
    edited = await world.ana.send(world.thread, "I would ask why.")
    text_analyzer.calls.clear()
    backend = simcord_env.backend
    backend.edit_message(world.thread.id, edited.id, {"content": "I would ask for consent."})
    [reply] = _burst(simcord_env, world.thread.id, world.ben.id, ["I would call my supervisor."])
    await simcord_env.settle()

    assert [sorted(texts) for texts, _ in text_analyzer.calls] == [
        ["I would ask for consent.", "I would call my supervisor."]
    ]
    strategy = await repository.strategy_by_message(world.guild.id, edited.id)
    assert strategy is not None
    assert strategy.themes == ("consent",)
    assert await repository.strategy_by_message(world.guild.id, reply.id) is not None


async def test_an_edit_arriving_while_its_reply_is_analysed_is_not_lost(
    world: World, repository: SqliteRepository, simcord_env: Any, text_analyzer: CountingAnalyzer
) -> None:
    backend = simcord_env.backend
    [message] = _burst(simcord_env, world.thread.id, world.ana.id, ["I would ask why."])
    edit = {"content": "I would ask for consent."}
    await while_analysed(
        simcord_env,
        text_analyzer,
        message,
        lambda: backend.edit_message(world.thread.id, message.id, edit),
    )

    strategy = await repository.strategy_by_message(world.guild.id, message.id)
    assert strategy is not None
    assert (strategy.text, strategy.themes) == ("I would ask for consent.", ("consent",))


async def test_a_reply_deleted_while_it_is_analysed_is_not_stored(
    world: World, repository: SqliteRepository, simcord_env: Any, text_analyzer: CountingAnalyzer
) -> None:
    backend = simcord_env.backend
    [gone] = _burst(simcord_env, world.thread.id, world.ana.id, ["I would ask why."])
    await while_analysed(
        simcord_env, text_analyzer, gone, lambda: backend.delete_message(world.thread.id, gone.id)
    )
    [kept] = _burst(simcord_env, world.thread.id, world.ana.id, ["I would wait."])
    await simcord_env.settle()

    assert await repository.strategy_by_message(world.guild.id, gone.id) is None
    assert await repository.strategy_by_message(world.guild.id, kept.id) is not None


async def test_a_reply_whose_thread_is_deleted_while_it_is_analysed_is_not_stored(
    world: World, repository: SqliteRepository, simcord_env: Any, text_analyzer: CountingAnalyzer
) -> None:
    [gone] = _burst(simcord_env, world.thread.id, world.ana.id, ["I would ask why."])
    await while_analysed(
        simcord_env,
        text_analyzer,
        gone,
        lambda: simcord_env.backend.delete_channel(world.thread.id),
    )

    assert await repository.strategy_by_message(world.guild.id, gone.id) is None
