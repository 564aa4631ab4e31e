"""Turning a topic's strategies into guidance: themes by distinct members, and short quotes.

Pure code. The same rules serve the batch summarizer (``intervision summarize``) and the
incremental store behind ``/guidance``: both feed :func:`rank_themes` and :func:`pick_quotes`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

QUOTE_LIMIT = 200
QUOTES_PER_THEME = 2
QUOTED_THEMES = 3
#: Below this many characters a sentence rarely stands on its own as a quote.
MIN_QUOTE = 25
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class QuoteCandidate:
    """A sentence of a strategy that expresses ``theme`` (already masked for personal data)."""

    reply_id: str
    theme: str
    text: str
    language: str
    endorsements: int = 0
    link: str | None = None


@dataclass(frozen=True, slots=True)
class Quote:
    """A quote as shown: at most :data:`QUOTE_LIMIT` characters, with its language and link."""

    reply_id: str
    text: str
    language: str
    link: str | None = None


@dataclass(frozen=True, slots=True)
class ThemeCount:
    """A theme, how many distinct members used it, and its quotes."""

    theme: str
    members: int
    quotes: tuple[Quote, ...] = ()


@dataclass(frozen=True, slots=True)
class Summary:
    """The community's guidance on one topic."""

    members: int
    strategies: int
    themes: tuple[ThemeCount, ...]
    last_update: datetime | None = None
    thread_link: str | None = None


@dataclass(frozen=True, slots=True)
class TopicSnapshot:
    """What storage keeps current for a topic: counts, and the quote candidates of the themes
    that will be quoted (the best few per theme, not all of them)."""

    members: int
    strategies: int
    last_update: datetime | None
    theme_members: Mapping[str, int]
    candidates: tuple[QuoteCandidate, ...] = ()
    thread_link: str | None = None


def from_snapshot(
    snapshot: TopicSnapshot, order: Sequence[str], language: str, quoted_themes: int = QUOTED_THEMES
) -> Summary:
    """The summary of a topic from its stored snapshot (the ``/guidance`` path)."""
    ranked = rank_themes(snapshot.theme_members, order)
    by_theme: dict[str, list[QuoteCandidate]] = {}
    for candidate in snapshot.candidates:
        by_theme.setdefault(candidate.theme, []).append(candidate)
    used: set[str] = set()
    themes = tuple(
        ThemeCount(
            theme,
            members,
            tuple(pick_quotes(by_theme.get(theme, ()), language, used))
            if index < quoted_themes
            else (),
        )
        for index, (theme, members) in enumerate(ranked)
    )
    return Summary(
        members=snapshot.members,
        strategies=snapshot.strategies,
        themes=themes,
        last_update=snapshot.last_update,
        thread_link=snapshot.thread_link,
    )


def rank_themes(counts: Mapping[str, int], order: Sequence[str]) -> list[tuple[str, int]]:
    """Themes with at least one member, most members first; ties keep the taxonomy ``order``."""
    position = {theme: index for index, theme in enumerate(order)}
    present = [(theme, n) for theme, n in counts.items() if n > 0]
    return sorted(present, key=lambda item: (-item[1], position.get(item[0], len(order)), item[0]))


def count_members(contributions: Iterable[tuple[str, Iterable[str]]]) -> dict[str, int]:
    """Distinct authors per theme, from ``(author_key, themes)`` pairs."""
    tallies: dict[str, set[str]] = {}
    for author, themes in contributions:
        for theme in themes:
            tallies.setdefault(theme, set()).add(author)
    return {theme: len(authors) for theme, authors in tallies.items()}


def shorten(text: str, limit: int = QUOTE_LIMIT) -> str:
    """Collapse whitespace and cut at a word boundary with an ellipsis to fit ``limit``."""
    clean = _SPACE.sub(" ", text).strip()
    if len(clean) <= limit:
        return clean
    cut = clean[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:-") + "\N{HORIZONTAL ELLIPSIS}"


def sentence_key(text: str) -> str:
    """Identity of a sentence for "never the same sentence twice" (case, accents, spacing)."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in folded if c.isalnum() or c.isspace())
    return _SPACE.sub(" ", stripped).strip()


def pick_quotes(
    candidates: Iterable[QuoteCandidate],
    language: str,
    used: set[str],
    limit: int = QUOTES_PER_THEME,
) -> list[Quote]:
    """The best ``limit`` quotes among ``candidates``; ``used`` (sentence keys) is updated.

    Order of preference: the asker's ``language``; more endorsements; a length that reads well
    (long enough to stand alone, short enough not to be cut). One quote per reply per theme.
    """

    def rank(candidate: QuoteCandidate) -> tuple[int, int, int]:
        size = len(candidate.text)
        fits = MIN_QUOTE <= size <= QUOTE_LIMIT
        return (
            0 if candidate.language == language else 1,
            -candidate.endorsements,
            0 if fits else 1,
        )

    chosen: list[Quote] = []
    replies: set[str] = set()
    for candidate in sorted(candidates, key=rank):
        key = sentence_key(candidate.text)
        if not key or key in used or candidate.reply_id in replies:
            continue
        used.add(key)
        replies.add(candidate.reply_id)
        chosen.append(
            Quote(candidate.reply_id, shorten(candidate.text), candidate.language, candidate.link)
        )
        if len(chosen) == limit:
            break
    return chosen


def summarize(
    contributions: Sequence[tuple[str, str, Sequence[str]]],
    candidates: Sequence[QuoteCandidate],
    order: Sequence[str],
    language: str,
    quoted_themes: int = QUOTED_THEMES,
    last_update: datetime | None = None,
) -> Summary:
    """A full summary from ``(reply_id, author_key, themes)`` triples and quote candidates
    (the batch path: the same rules as :func:`from_snapshot`, counted here in memory)."""
    snapshot = TopicSnapshot(
        members=len({author for _, author, _ in contributions}),
        strategies=len(contributions),
        last_update=last_update,
        theme_members=count_members((author, themes) for _, author, themes in contributions),
        candidates=tuple(candidates),
    )
    return from_snapshot(snapshot, order, language, quoted_themes)
