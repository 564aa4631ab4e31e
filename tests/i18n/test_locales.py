"""Locale negotiation and Babel formatting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.i18n.catalogs import Catalogs
from bot.i18n.locales import negotiate, supported
from bot.i18n.localizer import Localizer


@pytest.mark.parametrize(
    ("discord_locale", "expected"),
    [
        ("en-US", "en-US"),
        ("en-GB", "en-US"),
        ("de", "de"),
        ("pt-BR", "pt-BR"),
        ("pt-PT", "pt-BR"),
        ("es-ES", "es-ES"),
        ("es-419", "es-ES"),
        ("fr", "fr"),
        ("pt_br", "pt-BR"),
        ("ja", None),
        ("", None),
        (None, None),
    ],
)
def test_supported(discord_locale: str | None, expected: str | None) -> None:
    assert supported(discord_locale) == expected


def test_negotiation_order() -> None:
    assert negotiate(["de", "fr"], "en-US") == "de"
    assert negotiate(["ja", "fr"], "en-US") == "fr"
    assert negotiate(["ja", None], "pt-BR") == "pt-BR"
    assert negotiate([], "es-ES") == "es-ES"


def test_formatting_follows_the_locale(catalogs: Catalogs) -> None:
    german = Localizer(catalogs, "de")
    english = Localizer(catalogs, "en-US")
    assert german.number(1234.5) == "1.234,5"
    assert english.number(1234.5) == "1,234.5"
    assert german.join(["a", "b", "c"]) == "a, b und c"
    assert Localizer(catalogs, "pt-BR").join(["a", "b"], style="or") == "a ou b"
    moment = datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    assert "09:00" in german.datetime(moment, ZoneInfo("Europe/Berlin"))
    assert german.relative(timedelta(days=-3)) == "vor 3 Tagen"
    assert Localizer(catalogs, "fr").relative(timedelta(hours=-2)) == "il y a 2 heures"
    assert english.relative(timedelta(seconds=-5)) == "just now"
