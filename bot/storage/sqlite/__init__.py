"""SQLite storage (aiosqlite): WAL, foreign keys, numbered atomic migrations."""

from bot.storage.sqlite.repository import SqliteRepository

__all__ = ["SqliteRepository"]
