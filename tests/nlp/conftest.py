"""Shared fixtures: the Analyzer is loaded once per test session (loading takes ~1-2 s)."""

from __future__ import annotations

import pytest

from bot.nlp.analyzer import Analyzer


@pytest.fixture(scope="session")
def analyzer() -> Analyzer:
    """The shipped analyzer (real models, offline)."""
    return Analyzer.load()
