"""Finding dilemmas by what a member typed."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from bot.domain.dilemmas import Dilemma


def closest_topics(query: str, dilemmas: Sequence[Dilemma], limit: int = 3) -> list[Dilemma]:
    """Dilemmas whose topic or a title resembles ``query``, best first (for "did you mean")."""
    needle = query.strip().casefold()
    scored: list[tuple[float, int, Dilemma]] = []
    for index, dilemma in enumerate(dilemmas):
        names = [dilemma.topic.replace("_", " "), *(t.title for t in dilemma.texts.values())]
        score = max(
            difflib.SequenceMatcher(None, needle, name.casefold()).ratio() for name in names
        )
        if dilemma.matches(query):
            score += 1.0
        scored.append((score, -index, dilemma))
    scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [d for score, _, d in scored[:limit] if score >= 0.4]
