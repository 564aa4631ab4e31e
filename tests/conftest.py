"""Shared fixtures: a fresh SQLite file per test, the real bot under simcord, and an ERROR guard.

simcord drives the unmodified bot in-process. Two harness extensions live here, both at simcord's
own seams: per-member Discord locales (simcord 3.2 always sends ``en-US``) and the guild's
``preferred_locale`` as ``guild_locale``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import discord
import pytest
import pytest_asyncio
import simcord.interactions

from bot.__main__ import load_starter_catalog
from bot.client import IntervisionBot, Services
from bot.domain.dilemmas import Dilemma
from bot.domain.strategies import Analysis
from bot.i18n.catalogs import Catalogs
from bot.nlp.analyzer import Analyzer
from bot.services.collection import CollectionService
from bot.services.guidance import GuidanceService
from bot.services.moderation import ModerationService
from bot.services.ports import TextAnalyzer
from bot.services.privacy import PrivacyService
from bot.storage.sqlite import SqliteRepository


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "expect_errors: the test expects ERROR log records (the guard lets them pass)"
    )


class _ErrorRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def error_log_guard(request: pytest.FixtureRequest) -> Iterator[_ErrorRecords]:
    """Fail any test during which something logged at ERROR or above, unless it expects it."""
    handler = _ErrorRecords()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
    if handler.records and request.node.get_closest_marker("expect_errors") is None:
        lines = "\n".join(f"{r.name}: {r.getMessage()}" for r in handler.records)
        pytest.fail(f"unexpected ERROR log records:\n{lines}")


@pytest.fixture(scope="session")
def catalogs() -> Catalogs:
    return Catalogs.load()


@pytest.fixture(scope="session")
def starter_catalog() -> tuple[Dilemma, ...]:
    return load_starter_catalog()


@pytest_asyncio.fixture
async def repository(tmp_path: Path) -> AsyncIterator[SqliteRepository]:
    """A freshly migrated SQLite database in the test's own directory."""
    async with await SqliteRepository.open(tmp_path / "intervision.db") as repo:
        yield repo


class FakeAnalyzer:
    """A tiny stand-in for the NLP analyzer: English unless German words appear; a theme per cue,
    with the first sentence holding the cue as its evidence."""

    CUES: ClassVar[dict[str, str]] = {
        "supervis": "supervision",
        "agreement": "agreement",
        "contract": "agreement",
        "consent": "consent",
        "permission": "consent",
    }

    def analyze(
        self, texts: Sequence[str], extra_themes: Mapping[str, Sequence[str]] | None = None
    ) -> list[Analysis]:
        results = []
        for text in texts:
            lowered = text.casefold()
            language = "de" if {"die", "und", "sie"} & set(lowered.split()) else "en"
            themes = sorted({theme for cue, theme in self.CUES.items() if cue in lowered})
            evidence = tuple((theme, self._sentence_for(theme, text)) for theme in themes)
            results.append(Analysis(language, tuple(themes), evidence))
        return results

    def _sentence_for(self, theme: str, text: str) -> str:
        cues = [cue for cue, t in self.CUES.items() if t == theme]
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            if any(cue in sentence.casefold() for cue in cues):
                return sentence.strip()
        return ""


@pytest.fixture
def text_analyzer() -> TextAnalyzer:
    """The analyzer the bot under test uses; modules override it with ``analyzer``."""
    return FakeAnalyzer()


@pytest.fixture(scope="session")
def analyzer() -> Analyzer:
    """The shipped language and theme models, loaded once per test session."""
    return Analyzer.load()


@pytest.fixture
def services(
    repository: SqliteRepository,
    starter_catalog: tuple[Dilemma, ...],
    text_analyzer: TextAnalyzer,
) -> Services:
    clock = discord.utils.utcnow  # simcord drives it
    privacy = PrivacyService(repository, clock=clock)
    return Services(
        guidance=GuidanceService(repository, starter_catalog, "en-US"),
        moderation=ModerationService(repository, starter_catalog, clock),
        repository=repository,
        clock=clock,
        collection=CollectionService(repository, privacy, text_analyzer, clock=clock),
        privacy=privacy,
    )


@pytest.fixture
def simcord_bot(services: Services, catalogs: Catalogs) -> IntervisionBot:
    """The real bot, as ``python -m bot`` builds it, over the test's database."""
    return IntervisionBot(services=services, catalogs=catalogs)


@pytest.fixture(autouse=True)
def member_locales(monkeypatch: pytest.MonkeyPatch) -> dict[int, str]:
    """Map a member id to the Discord locale their client sends (default ``en-US``)."""
    locales: dict[int, str] = {}
    original = simcord.interactions.base_payload

    def with_locales(backend: Any, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        record, payload = original(backend, **kwargs)
        payload["locale"] = locales.get(kwargs["user_id"], "en-US")
        if kwargs.get("guild_id") is not None:
            guild = backend.get_guild(kwargs["guild_id"])
            payload["guild_locale"] = getattr(guild, "preferred_locale", None) or "en-US"
        return record, payload

    monkeypatch.setattr(simcord.interactions, "base_payload", with_locales)
    return locales
