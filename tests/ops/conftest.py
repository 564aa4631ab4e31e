"""Services wired to one :class:`Metrics`, as ``python -m bot`` wires them."""

from __future__ import annotations

import discord
import pytest

from bot.client import Services
from bot.domain.dilemmas import Dilemma
from bot.metrics import Metrics
from bot.services.collection import CollectionService
from bot.services.guidance import GuidanceService
from bot.services.moderation import ModerationService
from bot.services.ports import TextAnalyzer
from bot.services.privacy import PrivacyService
from bot.storage.sqlite import SqliteRepository


@pytest.fixture
def services(
    repository: SqliteRepository,
    starter_catalog: tuple[Dilemma, ...],
    text_analyzer: TextAnalyzer,
) -> Services:
    clock = discord.utils.utcnow
    metrics = Metrics()
    privacy = PrivacyService(repository, clock=clock)
    return Services(
        guidance=GuidanceService(repository, starter_catalog, "en-US"),
        moderation=ModerationService(repository, starter_catalog, clock),
        repository=repository,
        clock=clock,
        collection=CollectionService(
            repository, privacy, text_analyzer, clock=clock, metrics=metrics
        ),
        privacy=privacy,
        metrics=metrics,
    )
