"""PostgreSQL storage (asyncpg): a connection pool, numbered atomic migrations serialized by an
advisory lock, and triggers keeping the guidance summaries current. Safe for many processes."""

from bot.storage.postgres.repository import PostgresRepository

__all__ = ["PostgresRepository"]
