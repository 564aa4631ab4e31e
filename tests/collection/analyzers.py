"""A fake analyzer that records its calls and can be held up, to stage events that arrive
while a reply is being analysed."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bot.domain.strategies import Analysis
from tests.conftest import FakeAnalyzer


class CountingAnalyzer(FakeAnalyzer):
    """The fake analyzer, remembering every call's texts and own themes (and failing on
    request)."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], dict[str, list[str]] | None]] = []
        self.fail = False
        self.gate: threading.Event | None = None  # while set to an unset event, calls wait

    def analyze(
        self, texts: Sequence[str], extra_themes: Mapping[str, Sequence[str]] | None = None
    ) -> list[Analysis]:
        extra = {k: list(v) for k, v in extra_themes.items()} if extra_themes else None
        self.calls.append((list(texts), extra))
        if self.gate is not None:
            self.gate.wait(timeout=10)
        if self.fail:
            raise RuntimeError("the model is gone")
        return super().analyze(texts, extra_themes)


async def while_analysed(
    simcord_env: Any,
    text_analyzer: CountingAnalyzer,
    message: Any,
    event: Callable[[], object],
    settle: bool = True,
) -> None:
    """Wait until ``message``'s text is being analysed (the analyzer held up), then run
    ``event()`` and let its handlers run before the analysis finishes; then settle (unless the
    caller awaits a simcord operation of its own)."""
    text_analyzer.gate = threading.Event()
    for _ in range(100):
        await asyncio.sleep(0.01)
        if any(message.content in texts for texts, _ in text_analyzer.calls):
            break
    else:
        raise AssertionError("the reply never reached the analyzer")
    event()
    await asyncio.sleep(0.05)  # the event's handler runs while the analysis waits
    text_analyzer.gate.set()
    if settle:
        await simcord_env.settle()
