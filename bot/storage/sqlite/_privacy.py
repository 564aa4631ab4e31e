"""Members' privacy: collection choices, export, erasure; guild secrets, retention and purge."""

from __future__ import annotations

from collections.abc import Collection, Sequence
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
from bot.storage.sqlite._base import SqliteBase, from_text, to_text
from bot.storage.sqlite._strategies import STRATEGY_COLUMNS, strategy_from_row

#: Every table holding a guild's rows, children before parents, with the statement deleting them.
#: ``tests/storage`` checks that each table with a ``guild_id`` column is listed here.
PURGE_STATEMENTS: tuple[tuple[str, str], ...] = (
    (
        "endorsements",
        "DELETE FROM endorsements WHERE strategy_id IN "
        "(SELECT id FROM strategies WHERE guild_id = ?)",
    ),
    ("strategies", "DELETE FROM strategies WHERE guild_id = ?"),
    ("quote_candidates", "DELETE FROM quote_candidates WHERE guild_id = ?"),
    ("topic_theme_members", "DELETE FROM topic_theme_members WHERE guild_id = ?"),
    ("topic_theme_totals", "DELETE FROM topic_theme_totals WHERE guild_id = ?"),
    ("topic_members", "DELETE FROM topic_members WHERE guild_id = ?"),
    ("topic_totals", "DELETE FROM topic_totals WHERE guild_id = ?"),
    ("posts", "DELETE FROM posts WHERE guild_id = ?"),
    ("dilemmas", "DELETE FROM dilemmas WHERE guild_id = ?"),
    ("member_privacy", "DELETE FROM member_privacy WHERE guild_id = ?"),
    ("guild_secrets", "DELETE FROM guild_secrets WHERE guild_id = ?"),
    ("guild_settings", "DELETE FROM guild_settings WHERE guild_id = ?"),
)


class PrivacyMixin(SqliteBase):
    """Rows of ``member_privacy`` and ``guild_secrets``, and guild-wide deletions."""

    async def guild_secret(self, guild_id: int, candidate: bytes) -> bytes:
        """The guild's secret for anonymous keys, storing ``candidate`` if it has none yet."""
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO guild_secrets (guild_id, secret, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (guild_id) DO NOTHING",
                (guild_id, candidate, to_text(datetime.now(UTC))),
            )
            async with db.execute(
                "SELECT secret FROM guild_secrets WHERE guild_id = ?", (guild_id,)
            ) as cursor:
                row = await cursor.fetchone()
        assert row is not None
        return bytes(row[0])

    async def opted_out(self, guild_id: int, user_id: int) -> bool:
        """Whether the member asked not to have their replies collected."""
        async with (
            self._locked() as db,
            db.execute(
                "SELECT opted_out FROM member_privacy WHERE guild_id = ? AND user_id = ?",
                (guild_id, user_id),
            ) as cursor,
        ):
            row = await cursor.fetchone()
        return bool(row and row[0])

    async def set_opted_out(
        self, guild_id: int, user_id: int, opted_out: bool, at: datetime
    ) -> None:
        """Record the member's collection choice."""
        async with self._locked() as db:
            await db.execute(
                "INSERT INTO member_privacy (guild_id, user_id, opted_out, updated_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (guild_id, user_id) DO UPDATE SET "
                "opted_out = excluded.opted_out, updated_at = excluded.updated_at",
                (guild_id, user_id, int(opted_out), to_text(at)),
            )

    async def member_data(
        self, guild_id: int, user_id: int, author_keys: Collection[str]
    ) -> MemberData:
        """Everything stored about the member: strategies under any of ``author_keys``, the
        endorsements they gave, their collection choice."""
        keys = list(author_keys)
        async with self._locked() as db:
            async with db.execute(
                f"SELECT {STRATEGY_COLUMNS}, d.topic, "  # noqa: S608
                "(SELECT COUNT(*) FROM endorsements e WHERE e.strategy_id = s.id) "
                "FROM strategies s JOIN posts p ON p.id = s.post_id "
                "JOIN dilemmas d ON d.id = p.dilemma_id "
                f"WHERE s.guild_id = ? AND s.author_key IN ({_marks(keys)}) "
                "ORDER BY s.message_id",
                (guild_id, *keys),
            ) as cursor:
                strategy_rows = await cursor.fetchall()
            async with db.execute(
                "SELECT s.message_id, d.topic, e.created_at FROM endorsements e "
                "JOIN strategies s ON s.id = e.strategy_id JOIN posts p ON p.id = s.post_id "
                "JOIN dilemmas d ON d.id = p.dilemma_id "
                "WHERE s.guild_id = ? AND e.member_key = ? ORDER BY e.created_at",
                (guild_id, member_key(user_id)),
            ) as cursor:
                endorsement_rows = await cursor.fetchall()
            async with db.execute(
                "SELECT opted_out, updated_at FROM member_privacy "
                "WHERE guild_id = ? AND user_id = ?",
                (guild_id, user_id),
            ) as cursor:
                preference = await cursor.fetchone()
        width = len(STRATEGY_COLUMNS.split(","))
        return MemberData(
            strategies=tuple(
                AuthoredStrategy(strategy_from_row(row[:width]), row[width], int(row[width + 1]))
                for row in strategy_rows
            ),
            endorsements=tuple(
                GivenEndorsement(int(row[0]), row[1], _required(from_text(row[2])))
                for row in endorsement_rows
            ),
            opted_out=bool(preference and preference[0]),
            preference_updated_at=from_text(preference[1]) if preference else None,
        )

    async def posted_for_member(
        self, guild_id: int, author_keys: Collection[str]
    ) -> list[PostedForMember]:
        """The bot's messages carrying the member's shared strategies (under ``author_keys``)."""
        keys = list(author_keys)
        async with (
            self._locked() as db,
            db.execute(
                "SELECT p.thread_id, s.message_id FROM strategies s "  # noqa: S608
                "JOIN posts p ON p.id = s.post_id "
                f"WHERE s.guild_id = ? AND s.shared = 1 AND s.author_key IN ({_marks(keys)}) "
                "AND p.thread_id IS NOT NULL ORDER BY s.message_id",
                (guild_id, *keys),
            ) as cursor,
        ):
            return [PostedForMember(int(t), int(m)) for t, m in await cursor.fetchall()]

    async def forget_member(
        self, guild_id: int, user_id: int, author_keys: Collection[str]
    ) -> Erasure:
        """Erase the member's strategies (under any of ``author_keys``) and endorsements, all or
        nothing. An opt-out is kept (it is what stops collection); any other choice is erased."""
        keys = list(author_keys)
        async with self._transaction() as db:
            endorsements = await db.execute(
                "DELETE FROM endorsements WHERE member_key = ? AND strategy_id IN "
                "(SELECT id FROM strategies WHERE guild_id = ?)",
                (member_key(user_id), guild_id),
            )
            strategies = await db.execute(
                f"DELETE FROM strategies WHERE guild_id = ? AND author_key IN ({_marks(keys)})",  # noqa: S608
                (guild_id, *keys),
            )
            await db.execute(
                "DELETE FROM member_privacy WHERE guild_id = ? AND user_id = ? AND opted_out = 0",
                (guild_id, user_id),
            )
        return Erasure(strategies=strategies.rowcount, endorsements=endorsements.rowcount)

    async def mark_guild_left(self, guild_id: int, at: datetime) -> None:
        """The bot left the guild at ``at``: its data is purged after the grace period."""
        async with self._locked() as db:
            await db.execute(
                "INSERT INTO guild_settings (guild_id, endorsement_emoji, left_at, updated_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET "
                "left_at = excluded.left_at, updated_at = excluded.updated_at",
                (guild_id, DEFAULT_ENDORSEMENT_EMOJI, to_text(at), to_text(at)),
            )

    async def mark_guild_returned(self, guild_id: int) -> None:
        """The bot is back in the guild: cancel the pending purge."""
        async with self._locked() as db:
            await db.execute(
                "UPDATE guild_settings SET left_at = NULL WHERE guild_id = ? "
                "AND left_at IS NOT NULL",
                (guild_id,),
            )

    async def known_guilds(self) -> dict[int, bool]:
        """Every guild with settings, mapped to whether the bot has left it."""
        async with (
            self._locked() as db,
            db.execute("SELECT guild_id, left_at IS NOT NULL FROM guild_settings") as cursor,
        ):
            return {int(row[0]): bool(row[1]) for row in await cursor.fetchall()}

    async def departed_guilds(self, left_before: datetime) -> list[int]:
        """Guilds the bot left before ``left_before``."""
        async with (
            self._locked() as db,
            db.execute(
                "SELECT guild_id FROM guild_settings WHERE left_at IS NOT NULL AND left_at < ? "
                "ORDER BY left_at",
                (to_text(left_before),),
            ) as cursor,
        ):
            return [int(row[0]) for row in await cursor.fetchall()]

    async def purge_guild(self, guild_id: int) -> None:
        """Delete every row of the guild in every table, all or nothing."""
        async with self._transaction() as db:
            for _table, statement in PURGE_STATEMENTS:
                await db.execute(statement, (guild_id,))

    async def set_retention_days(self, guild_id: int, days: int | None) -> None:
        """Keep the guild's strategies ``days`` days (``None``: keep them)."""
        async with self._locked() as db:
            await db.execute(
                "INSERT INTO guild_settings (guild_id, endorsement_emoji, retention_days, "
                "updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET "
                "retention_days = excluded.retention_days, updated_at = excluded.updated_at",
                (guild_id, DEFAULT_ENDORSEMENT_EMOJI, days, to_text(datetime.now(UTC))),
            )

    async def retention_days(self, guild_id: int) -> int | None:
        """The guild's retention in days; ``None`` means strategies are kept."""
        async with (
            self._locked() as db,
            db.execute(
                "SELECT retention_days FROM guild_settings WHERE guild_id = ?", (guild_id,)
            ) as cursor,
        ):
            row = await cursor.fetchone()
        return None if row is None or row[0] is None else int(row[0])

    async def delete_expired_strategies(self, now: datetime) -> int:
        """Delete strategies older than their guild's retention; returns how many."""
        deleted = 0
        async with self._transaction() as db:
            async with db.execute(
                "SELECT guild_id, retention_days FROM guild_settings "
                "WHERE retention_days IS NOT NULL"
            ) as cursor:
                rules = await cursor.fetchall()
            for guild_id, days in rules:
                cursor = await db.execute(
                    "DELETE FROM strategies WHERE guild_id = ? AND created_at < ?",
                    (guild_id, to_text(now - timedelta(days=int(days)))),
                )
                deleted += cursor.rowcount
        return deleted

    async def purge_schedule(self) -> PurgeSchedule:
        """What is next due for deletion."""
        async with self._locked() as db:
            async with db.execute(
                "SELECT MIN(left_at) FROM guild_settings WHERE left_at IS NOT NULL"
            ) as cursor:
                left = await cursor.fetchone()
            async with db.execute(
                "SELECT g.retention_days, (SELECT MIN(s.created_at) FROM strategies s "
                "WHERE s.guild_id = g.guild_id) FROM guild_settings g "
                "WHERE g.retention_days IS NOT NULL"
            ) as cursor:
                rules = await cursor.fetchall()
        expiries = [
            _required(from_text(oldest)) + timedelta(days=int(days))
            for days, oldest in rules
            if oldest is not None
        ]
        return PurgeSchedule(
            earliest_left_at=from_text(left[0]) if left else None,
            earliest_expiry=min(expiries, default=None),
            shortest_retention_days=min((int(days) for days, _ in rules), default=None),
        )


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values)) or "NULL"


def _required(moment: datetime | None) -> datetime:
    assert moment is not None
    return moment
