"""Reading the incremental topic summaries that migration 0004's triggers keep current."""

from __future__ import annotations

from collections.abc import Sequence

import aiosqlite

from bot.domain.summary import QuoteCandidate, TopicSnapshot, rank_themes
from bot.storage.sqlite._base import SqliteBase, from_text

#: Candidates read per quoted theme, in the asker's language and overall; the domain picks.
_CANDIDATES = 8
_LINK = "https://discord.com/channels/{guild}/{channel}/{message}"


class SummariesMixin(SqliteBase):
    """``/guidance`` reads: a handful of indexed rows, whatever the number of strategies."""

    async def topic_snapshot(
        self,
        guild_id: int,
        topic: str,
        language: str,
        order: Sequence[str],
        quoted_themes: int,
    ) -> TopicSnapshot:
        """Counts of ``topic`` in the guild, and quote candidates of its top themes."""
        async with self._locked() as db:
            async with db.execute(
                "SELECT members, strategies, last_update FROM topic_totals "
                "WHERE guild_id = ? AND topic = ?",
                (guild_id, topic),
            ) as cursor:
                totals = await cursor.fetchone()
            async with db.execute(
                "SELECT theme, members FROM topic_theme_totals WHERE guild_id = ? AND topic = ?",
                (guild_id, topic),
            ) as cursor:
                theme_members = {theme: int(n) for theme, n in await cursor.fetchall()}
            candidates: list[QuoteCandidate] = []
            for theme, _ in rank_themes(theme_members, order)[:quoted_themes]:
                candidates += await _candidates(db, guild_id, topic, theme, language)
            async with db.execute(
                "SELECT p.thread_id FROM posts p JOIN dilemmas d ON d.id = p.dilemma_id "
                "WHERE p.guild_id = ? AND d.topic = ? AND p.thread_id IS NOT NULL "
                "ORDER BY p.id DESC LIMIT 1",
                (guild_id, topic),
            ) as cursor:
                thread = await cursor.fetchone()
        members, strategies, last_update = totals or (0, 0, None)
        return TopicSnapshot(
            members=int(members),
            strategies=int(strategies),
            last_update=from_text(last_update),
            theme_members=theme_members,
            candidates=tuple(candidates),
            thread_link=(
                f"https://discord.com/channels/{guild_id}/{thread[0]}" if thread else None
            ),
        )


async def _candidates(
    db: aiosqlite.Connection, guild_id: int, topic: str, theme: str, language: str
) -> list[QuoteCandidate]:
    """The best candidates in ``language`` and the best overall (two index range scans)."""
    base = (
        "SELECT q.strategy_id, q.sentence, q.language, q.endorsements, s.message_id, p.thread_id "
        "FROM quote_candidates q JOIN strategies s ON s.id = q.strategy_id "
        "JOIN posts p ON p.id = s.post_id "
        "WHERE q.guild_id = ? AND q.topic = ? AND q.theme = ? {extra} "
        "ORDER BY q.endorsements DESC LIMIT ?"
    )
    rows: dict[int, QuoteCandidate] = {}
    for extra, params in (
        ("AND q.language = ?", (guild_id, topic, theme, language, _CANDIDATES)),
        ("", (guild_id, topic, theme, _CANDIDATES)),
    ):
        async with db.execute(base.format(extra=extra), params) as cursor:
            for (
                strategy_id,
                sentence,
                lang,
                endorsements,
                message_id,
                thread_id,
            ) in await cursor.fetchall():
                link = _LINK.format(guild=guild_id, channel=thread_id, message=message_id)
                rows[strategy_id] = QuoteCandidate(
                    str(strategy_id), theme, sentence, lang, int(endorsements), link
                )
    return list(rows.values())
