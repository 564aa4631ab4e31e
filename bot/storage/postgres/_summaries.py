"""Reading the incremental topic summaries that migration 0002's triggers keep current."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from bot.domain.summary import QuoteCandidate, TopicSnapshot, rank_themes
from bot.storage.postgres._base import PostgresBase

#: Candidates read per quoted theme, in the asker's language and overall; the domain picks.
_CANDIDATES = 8
_LINK = "https://discord.com/channels/{guild}/{channel}/{message}"


class SummariesMixin(PostgresBase):
    """``/guidance`` reads: a handful of indexed rows, whatever the number of strategies."""

    async def topic_snapshot(
        self,
        guild_id: int,
        topic: str,
        language: str,
        order: Sequence[str],
        quoted_themes: int,
    ) -> TopicSnapshot:
        """Counts of ``topic`` in the guild, and quote candidates of its top themes (all read
        from one snapshot)."""
        async with self._transaction("repeatable_read", readonly=True) as db:
            totals = await db.fetchrow(
                "SELECT members, strategies, last_update FROM topic_totals "
                "WHERE guild_id = $1 AND topic = $2",
                guild_id,
                topic,
            )
            theme_members = {
                row["theme"]: int(row["members"])
                for row in await db.fetch(
                    "SELECT theme, members FROM topic_theme_totals "
                    "WHERE guild_id = $1 AND topic = $2",
                    guild_id,
                    topic,
                )
            }
            candidates: list[QuoteCandidate] = []
            for theme, _ in rank_themes(theme_members, order)[:quoted_themes]:
                candidates += await _candidates(db, guild_id, topic, theme, language)
            thread = await db.fetchval(
                "SELECT p.thread_id FROM posts p JOIN dilemmas d ON d.id = p.dilemma_id "
                "WHERE p.guild_id = $1 AND d.topic = $2 AND p.thread_id IS NOT NULL "
                "ORDER BY p.id DESC LIMIT 1",
                guild_id,
                topic,
            )
        members, strategies, last_update = totals or (0, 0, None)
        return TopicSnapshot(
            members=int(members),
            strategies=int(strategies),
            last_update=last_update,
            theme_members=theme_members,
            candidates=tuple(candidates),
            thread_link=(
                f"https://discord.com/channels/{guild_id}/{thread}" if thread is not None else None
            ),
        )


async def _candidates(
    db: asyncpg.Connection, guild_id: int, topic: str, theme: str, language: str
) -> list[QuoteCandidate]:
    """The best candidates in ``language`` and the best overall (two index range scans); ties
    in endorsements go to the older strategy."""
    base = (
        "SELECT q.strategy_id, q.sentence, q.language, q.endorsements, s.message_id, p.thread_id "
        "FROM quote_candidates q JOIN strategies s ON s.id = q.strategy_id "
        "JOIN posts p ON p.id = s.post_id "
        "WHERE q.guild_id = $1 AND q.topic = $2 AND q.theme = $3 {extra} "
        "ORDER BY q.endorsements DESC, q.strategy_id LIMIT {limit}"
    )
    rows: dict[int, QuoteCandidate] = {}
    for extra, params in (
        ("AND q.language = $4", (guild_id, topic, theme, language)),
        ("", (guild_id, topic, theme)),
    ):
        query = base.format(extra=extra, limit=_CANDIDATES)
        for row in await db.fetch(query, *params):
            strategy_id = int(row["strategy_id"])
            link = _LINK.format(guild=guild_id, channel=row["thread_id"], message=row["message_id"])
            rows[strategy_id] = QuoteCandidate(
                str(strategy_id),
                theme,
                row["sentence"],
                row["language"],
                int(row["endorsements"]),
                link,
            )
    return list(rows.values())
