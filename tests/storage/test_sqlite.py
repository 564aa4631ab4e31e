"""The SQLite repository: migrations, pragmas, guild scoping."""

from __future__ import annotations

from pathlib import Path

import aiosqlite
import pytest

from bot.domain.dilemmas import Dilemma, DilemmaText
from bot.domain.guilds import GuildSettings
from bot.storage.sqlite import SqliteRepository
from bot.storage.sqlite.migrations import load_migrations, migrate, split_statements


def _dilemma(topic: str) -> Dilemma:
    text = DilemmaText("Title", "Prompt?", ("one", "two", "three"))
    return Dilemma(topic=topic, texts={"en-US": text}, tags=("t",), references=("ICF",))


async def test_open_creates_the_file_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "bot.db"
    async with await SqliteRepository.open(path):
        pass
    assert path.is_file()
    async with aiosqlite.connect(path) as db:
        assert (await (await db.execute("PRAGMA journal_mode")).fetchone())[0] == "wal"
        version = (await (await db.execute("PRAGMA user_version")).fetchone())[0]
    assert version == len(load_migrations())


async def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    async with await SqliteRepository.open(path) as repo:
        await repo.save_guild_settings(GuildSettings(guild_id=1, locale="de"))
    async with await SqliteRepository.open(path) as repo:
        assert (await repo.guild_settings(1)).locale == "de"


async def test_a_failing_migration_leaves_the_previous_version(tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    directory.mkdir()
    (directory / "0001_first.sql").write_text("CREATE TABLE a (x INTEGER);\n")
    (directory / "0002_broken.sql").write_text(
        "CREATE TABLE b (y INTEGER);\nINSERT INTO missing VALUES (1);\n"
    )
    async with aiosqlite.connect(tmp_path / "m.db", isolation_level=None) as db:
        with pytest.raises(aiosqlite.OperationalError):
            await migrate(db, load_migrations(directory))
        version = (await (await db.execute("PRAGMA user_version")).fetchone())[0]
        tables = {
            r[0] for r in await (await db.execute("SELECT name FROM sqlite_master")).fetchall()
        }
    assert version == 1
    assert "a" in tables
    assert "b" not in tables


def test_migration_numbers_must_not_have_gaps(tmp_path: Path) -> None:
    (tmp_path / "0002_late.sql").write_text("SELECT 1;\n")
    with pytest.raises(ValueError, match="0001"):
        load_migrations(tmp_path)


def test_statements_are_split_on_complete_sql() -> None:
    script = "-- comment\nCREATE TABLE a (x TEXT DEFAULT ';');\n\nCREATE INDEX i ON a (x);\n"
    assert split_statements(script) == (
        "CREATE TABLE a (x TEXT DEFAULT ';');",
        "CREATE INDEX i ON a (x);",
    )


async def test_settings_default_and_round_trip(repository: SqliteRepository) -> None:
    assert await repository.guild_settings(42) == GuildSettings(guild_id=42)
    await repository.save_guild_settings(GuildSettings(42, "pt-BR", "America/Sao_Paulo"))
    await repository.save_guild_settings(GuildSettings(42, "fr", "Europe/Paris"))
    assert await repository.guild_settings(42) == GuildSettings(42, "fr", "Europe/Paris")


async def test_dilemmas_are_guild_scoped_and_ordered(repository: SqliteRepository) -> None:
    await repository.add_dilemmas(1, [_dilemma("alpha"), _dilemma("beta")])
    await repository.add_dilemmas(1, [_dilemma("gamma")])
    await repository.add_dilemmas(2, [_dilemma("alpha")])
    assert [d.topic for d in await repository.guild_dilemmas(1)] == ["alpha", "beta", "gamma"]
    assert [d.topic for d in await repository.guild_dilemmas(2)] == ["alpha"]
    assert await repository.guild_dilemmas(3) == []
    assert (await repository.guild_dilemmas(1))[0] == _dilemma("alpha")


async def test_adding_a_duplicate_topic_adds_nothing(repository: SqliteRepository) -> None:
    await repository.add_dilemmas(1, [_dilemma("alpha")])
    with pytest.raises(aiosqlite.IntegrityError):
        await repository.add_dilemmas(1, [_dilemma("beta"), _dilemma("alpha")])
    assert [d.topic for d in await repository.guild_dilemmas(1)] == ["alpha"]
