"""Members' privacy: collection choices, export, erasure; guild secrets, retention and purge."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta

from bot.domain.guilds import DEFAULT_ENDORSEMENT_EMOJI
from bot.domain.privacy import (
    AuthoredStrategy,
    Erasure,
    GivenEndorsement,
    MemberData,
    PostedForMember,
    PurgeSchedule,
)
from bot.domain.strategies import member_key
from bot.storage.postgres._base import PostgresBase, affected
from bot.storage.postgres._strategies import STRATEGY_COLUMNS, strategy_from_row

#: Every table holding a guild's rows, children before parents, with the statement deleting them.
#: ``tests/storage/contract`` checks that each table with a ``guild_id`` column is listed here.
PURGE_STATEMENTS: tuple[tuple[str, str], ...] = (
    (
        "endorsements",
        "DELETE FROM endorsements WHERE strategy_id IN "
        "(SELECT id FROM strategies WHERE guild_id = $1)",
    ),
    ("strategies", "DELETE FROM strategies WHERE guild_id = $1"),
    ("quote_candidates", "DELETE FROM quote_candidates WHERE guild_id = $1"),
    ("topic_theme_members", "DELETE FROM topic_theme_members WHERE guild_id = $1"),
    ("topic_theme_totals", "DELETE FROM topic_theme_totals WHERE guild_id = $1"),
    ("topic_members", "DELETE FROM topic_members WHERE guild_id = $1"),
    ("topic_totals", "DELETE FROM topic_totals WHERE guild_id = $1"),
    ("posts", "DELETE FROM posts WHERE guild_id = $1"),
    ("dilemmas", "DELETE FROM dilemmas WHERE guild_id = $1"),
    ("member_privacy", "DELETE FROM member_privacy WHERE guild_id = $1"),
    ("guild_secrets", "DELETE FROM guild_secrets WHERE guild_id = $1"),
    ("guild_settings", "DELETE FROM guild_settings WHERE guild_id = $1"),
)


class PrivacyMixin(PostgresBase):
    """Rows of ``member_privacy`` and ``guild_secrets``, and guild-wide deletions."""

    async def guild_secret(self, guild_id: int, candidate: bytes) -> bytes:
        """The guild's secret for anonymous keys, storing ``candidate`` if it has none yet (of
        concurrent callers, the first to commit wins and all get its secret)."""
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO guild_secrets (guild_id, secret, created_at) VALUES ($1, $2, $3) "
                "ON CONFLICT (guild_id) DO NOTHING",
                guild_id,
                candidate,
                datetime.now(UTC),
            )
            secret = await db.fetchval(
                "SELECT secret FROM guild_secrets WHERE guild_id = $1", guild_id
            )
        assert secret is not None
        return bytes(secret)

    async def opted_out(self, guild_id: int, user_id: int) -> bool:
        """Whether the member asked not to have their replies collected."""
        async with self._connection() as db:
            value = await db.fetchval(
                "SELECT opted_out FROM member_privacy WHERE guild_id = $1 AND user_id = $2",
                guild_id,
                user_id,
            )
        return bool(value)

    async def set_opted_out(
        self, guild_id: int, user_id: int, opted_out: bool, at: datetime
    ) -> None:
        """Record the member's collection choice."""
        async with self._connection() as db:
            await db.execute(
                "INSERT INTO member_privacy (guild_id, user_id, opted_out, updated_at) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT (guild_id, user_id) DO UPDATE SET "
                "opted_out = excluded.opted_out, updated_at = excluded.updated_at",
                guild_id,
                user_id,
                opted_out,
                at,
            )

    async def member_data(
        self, guild_id: int, user_id: int, author_keys: Collection[str]
    ) -> MemberData:
        """Everything stored about the member: strategies under any of ``author_keys``, the
        endorsements they gave, their collection choice (one consistent snapshot)."""
        keys = list(author_keys)
        async with self._transaction("repeatable_read", readonly=True) as db:
            strategy_rows = await db.fetch(
                f"SELECT {STRATEGY_COLUMNS}, d.topic AS topic_name, "  # noqa: S608
                "(SELECT COUNT(*) FROM endorsements e WHERE e.strategy_id = s.id) AS endorsed "
                "FROM strategies s JOIN posts p ON p.id = s.post_id "
                "JOIN dilemmas d ON d.id = p.dilemma_id "
                "WHERE s.guild_id = $1 AND s.author_key = ANY($2::text[]) "
                "ORDER BY s.message_id",
                guild_id,
                keys,
            )
            endorsement_rows = await db.fetch(
                "SELECT s.message_id, d.topic, e.created_at FROM endorsements e "
                "JOIN strategies s ON s.id = e.strategy_id JOIN posts p ON p.id = s.post_id "
                "JOIN dilemmas d ON d.id = p.dilemma_id "
                "WHERE s.guild_id = $1 AND e.member_key = $2 ORDER BY e.created_at, s.message_id",
                guild_id,
                member_key(user_id),
            )
            preference = await db.fetchrow(
                "SELECT opted_out, updated_at FROM member_privacy "
                "WHERE guild_id = $1 AND user_id = $2",
                guild_id,
                user_id,
            )
        return MemberData(
            strategies=tuple(
                AuthoredStrategy(strategy_from_row(row), row["topic_name"], int(row["endorsed"]))
                for row in strategy_rows
            ),
            endorsements=tuple(
                GivenEndorsement(int(row["message_id"]), row["topic"], row["created_at"])
                for row in endorsement_rows
            ),
            opted_out=bool(preference and preference["opted_out"]),
            preference_updated_at=preference["updated_at"] if preference else None,
        )

    async def posted_for_member(
        self, guild_id: int, author_keys: Collection[str]
    ) -> list[PostedForMember]:
        """The bot's messages carrying the member's shared strategies (under ``author_keys``)."""
        async with self._connection() as db:
            rows = await db.fetch(
                "SELECT p.thread_id, s.message_id FROM strategies s "
                "JOIN posts p ON p.id = s.post_id "
                "WHERE s.guild_id = $1 AND s.shared AND s.author_key = ANY($2::text[]) "
                "AND p.thread_id IS NOT NULL ORDER BY s.message_id",
                guild_id,
                list(author_keys),
            )
        return [PostedForMember(int(row[0]), int(row[1])) for row in rows]

    async def forget_member(
        self, guild_id: int, user_id: int, author_keys: Collection[str]
    ) -> Erasure:
        """Erase the member's strategies (under any of ``author_keys``) and endorsements, all or
        nothing. An opt-out is kept (it is what stops collection); any other choice is erased."""
        async with self._transaction() as db:
            endorsements = await db.execute(
                "DELETE FROM endorsements WHERE member_key = $1 AND strategy_id IN "
                "(SELECT id FROM strategies WHERE guild_id = $2)",
                member_key(user_id),
                guild_id,
            )
            strategies = await db.execute(
                "DELETE FROM strategies WHERE guild_id = $1 AND author_key = ANY($2::text[])",
                guild_id,
                list(author_keys),
            )
            await db.execute(
                "DELETE FROM member_privacy WHERE guild_id = $1 AND user_id = $2 AND NOT opted_out",
                guild_id,
                user_id,
            )
        return Erasure(strategies=affected(strategies), endorsements=affected(endorsements))

    async def mark_guild_left(self, guild_id: int, at: datetime) -> None:
        """The bot left the guild at ``at``: its data is purged after the grace period."""
        async with self._connection() as db:
            await db.execute(
                "INSERT INTO guild_settings (guild_id, endorsement_emoji, left_at, updated_at) "
                "VALUES ($1, $2, $3, $3) ON CONFLICT (guild_id) DO UPDATE SET "
                "left_at = excluded.left_at, updated_at = excluded.updated_at",
                guild_id,
                DEFAULT_ENDORSEMENT_EMOJI,
                at,
            )

    async def mark_guild_returned(self, guild_id: int) -> None:
        """The bot is back in the guild: cancel the pending purge."""
        async with self._connection() as db:
            await db.execute(
                "UPDATE guild_settings SET left_at = NULL "
                "WHERE guild_id = $1 AND left_at IS NOT NULL",
                guild_id,
            )

    async def known_guilds(self) -> dict[int, bool]:
        """Every guild with settings, mapped to whether the bot has left it."""
        async with self._connection() as db:
            rows = await db.fetch("SELECT guild_id, left_at IS NOT NULL FROM guild_settings")
        return {int(row[0]): bool(row[1]) for row in rows}

    async def departed_guilds(self, left_before: datetime) -> list[int]:
        """Guilds the bot left before ``left_before``."""
        async with self._connection() as db:
            rows = await db.fetch(
                "SELECT guild_id FROM guild_settings WHERE left_at IS NOT NULL AND left_at < $1 "
                "ORDER BY left_at, guild_id",
                left_before,
            )
        return [int(row[0]) for row in rows]

    async def purge_guild(self, guild_id: int) -> None:
        """Delete every row of the guild in every table, all or nothing."""
        async with self._transaction() as db:
            for _table, statement in PURGE_STATEMENTS:
                await db.execute(statement, guild_id)

    async def set_retention_days(self, guild_id: int, days: int | None) -> None:
        """Keep the guild's strategies ``days`` days (``None``: keep them)."""
        async with self._connection() as db:
            await db.execute(
                "INSERT INTO guild_settings (guild_id, endorsement_emoji, retention_days, "
                "updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (guild_id) DO UPDATE SET "
                "retention_days = excluded.retention_days, updated_at = excluded.updated_at",
                guild_id,
                DEFAULT_ENDORSEMENT_EMOJI,
                days,
                datetime.now(UTC),
            )

    async def retention_days(self, guild_id: int) -> int | None:
        """The guild's retention in days; ``None`` means strategies are kept."""
        async with self._connection() as db:
            value = await db.fetchval(
                "SELECT retention_days FROM guild_settings WHERE guild_id = $1", guild_id
            )
        return None if value is None else int(value)

    async def delete_expired_strategies(self, now: datetime) -> int:
        """Delete strategies older than their guild's retention; returns how many."""
        async with self._connection() as db:
            status = await db.execute(
                "DELETE FROM strategies s USING guild_settings g "
                "WHERE g.guild_id = s.guild_id AND g.retention_days IS NOT NULL "
                "AND s.created_at < $1::timestamptz - g.retention_days * interval '24 hours'",
                now,
            )
        return affected(status)

    async def purge_schedule(self) -> PurgeSchedule:
        """What is next due for deletion (from one snapshot)."""
        async with self._transaction("repeatable_read", readonly=True) as db:
            left = await db.fetchval(
                "SELECT MIN(left_at) FROM guild_settings WHERE left_at IS NOT NULL"
            )
            rules = await db.fetch(
                "SELECT g.retention_days, (SELECT MIN(s.created_at) FROM strategies s "
                "WHERE s.guild_id = g.guild_id) FROM guild_settings g "
                "WHERE g.retention_days IS NOT NULL"
            )
        expiries = [
            oldest + timedelta(days=int(days)) for days, oldest in rules if oldest is not None
        ]
        return PurgeSchedule(
            earliest_left_at=left,
            earliest_expiry=min(expiries, default=None),
            shortest_retention_days=min((int(days) for days, _ in rules), default=None),
        )
