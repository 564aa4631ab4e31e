"""Dilemmas: the ethics cases a community discusses, with per-locale texts."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.taxonomy import THEMES

TOPIC_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_]{1,31}$")
MAX_TITLE = 100
MAX_PROMPT = 500
MAX_KEY_POINT = 200
KEY_POINTS_RANGE = (3, 6)


@dataclass(frozen=True, slots=True)
class DilemmaText:
    """What a dilemma says in one locale."""

    title: str
    prompt: str
    key_points: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CustomTheme:
    """A theme a dilemma adds to the fixed taxonomy: labels per locale and example phrases
    ("cues", any language) that replies expressing it resemble."""

    id: str
    labels: Mapping[str, str]
    cues: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Dilemma:
    """A dilemma with texts keyed by supported Discord locale (``en-US``, ``de``, ...)."""

    topic: str
    texts: Mapping[str, DilemmaText]
    tags: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    themes: tuple[CustomTheme, ...] = ()

    def theme_cues(self) -> dict[str, tuple[str, ...]]:
        """The dilemma's own themes as ``id -> cue phrases`` (what the analyzer takes)."""
        return {theme.id: theme.cues for theme in self.themes}

    def theme_order(self) -> list[str]:
        """Every theme a reply to this dilemma can carry: the taxonomy's, then its own (the
        order that breaks ties between equally used themes)."""
        return [*THEMES, *(theme.id for theme in self.themes if theme.id not in THEMES)]

    def theme_labels(self) -> dict[str, Mapping[str, str]]:
        """The dilemma's own themes as ``id -> locale -> label``."""
        return {theme.id: theme.labels for theme in self.themes}

    def text(self, locale: str, fallback: str) -> DilemmaText:
        """The text in ``locale``, else in ``fallback``, else in any locale it has."""
        for candidate in (locale, fallback):
            if candidate in self.texts:
                return self.texts[candidate]
        return next(iter(self.texts.values()))

    def matches(self, query: str) -> bool:
        """Whether a user's search ``query`` names this dilemma (topic, tag or any title)."""
        needle = query.strip().casefold()
        if not needle:
            return True
        haystack = [self.topic, *self.tags, *(text.title for text in self.texts.values())]
        return any(needle in item.casefold().replace("_", " ") for item in haystack)


class DilemmaStatus(StrEnum):
    """Where a guild's dilemma stands in its queue."""

    QUEUED = "queued"
    POSTED = "posted"
    CLOSED = "closed"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class QueuedDilemma:
    """A guild's stored dilemma with its queue state."""

    id: int
    dilemma: Dilemma
    status: DilemmaStatus
    position: int
