"""Which backend ``DATABASE_URL`` selects (no database needed)."""

from __future__ import annotations

import pytest

from bot.settings import database_backend, database_path


@pytest.mark.parametrize(
    ("url", "backend"),
    [
        ("sqlite:///data/intervision.db", "sqlite"),
        ("sqlite:////var/lib/intervision.db", "sqlite"),
        ("postgresql://postgres@127.0.0.1:5432/test", "postgresql"),
        ("postgres://bot:secret@db.internal/intervision", "postgresql"),
        ("postgresql:///intervision?host=/var/run/postgresql", "postgresql"),
    ],
)
def test_the_scheme_selects_the_backend(url: str, backend: str) -> None:
    assert database_backend(url) == backend


@pytest.mark.parametrize("url", ["mysql://nope", "postgresql:///no-host", "data.db", ""])
def test_other_urls_are_refused_with_the_accepted_forms(url: str) -> None:
    with pytest.raises(ValueError, match="postgresql://"):
        database_backend(url)


def test_a_postgresql_url_has_no_file_path() -> None:
    with pytest.raises(ValueError, match="sqlite:///"):
        database_path("postgresql://postgres@127.0.0.1/test")
