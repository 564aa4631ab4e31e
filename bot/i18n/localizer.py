"""A :class:`Localizer` speaks one locale: translated messages plus Babel formatting.

It is created per reply (``catalogs`` + the negotiated locale) and passed explicitly to renderers;
there is no ambient "current locale". Babel's extractor finds its ``gettext``, ``ngettext`` and
``pgettext`` calls (see :mod:`bot.i18n.tools`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta, tzinfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time, format_timedelta
from babel.lists import format_list
from babel.numbers import format_decimal, format_percent

from bot.i18n.catalogs import Catalogs
from bot.i18n.locales import babel_locale


class Localizer:
    """Translations and number/date/list formatting for one supported Discord locale."""

    def __init__(self, catalogs: Catalogs, locale: str) -> None:
        self.locale = locale
        self.babel_locale = Locale.parse(babel_locale(locale))
        self._babel = self.babel_locale
        self._translations = catalogs.translations(locale)

    def gettext(self, message: str, /, **values: object) -> str:
        """Translate ``message`` and fill its ``{placeholders}`` from ``values``."""
        text = self._translations.gettext(message)
        return text.format(**values) if values else text

    def ngettext(self, singular: str, plural: str, n: int, /, **values: object) -> str:
        """Translate with the locale's plural rules; ``{n}`` is the locale-formatted count."""
        text = self._translations.ngettext(singular, plural, n)
        return text.format(n=self.number(n), **values)

    def pgettext(self, context: str, message: str, /) -> str:
        """Translate a short ``message`` disambiguated by ``context`` (pgettext)."""
        return self._translations.pgettext(context, message)

    def number(self, value: float) -> str:
        """A number in the locale's notation (``1,234.5`` / ``1.234,5``)."""
        return format_decimal(value, locale=self._babel)

    def percent(self, value: float) -> str:
        """A fraction as a percentage (``0.25`` -> ``25 %`` in German)."""
        return format_percent(value, locale=self._babel)

    def join(self, items: Sequence[str], style: str = "standard") -> str:
        """A list joined the locale's way (``a, b and c`` / ``a, b e c``)."""
        return format_list(list(items), style=style, locale=self._babel)

    def datetime(self, moment: datetime, zone: tzinfo, fmt: str = "medium") -> str:
        """An aware ``moment`` shown in ``zone`` (the guild's time zone)."""
        return format_datetime(moment, format=fmt, tzinfo=zone, locale=self._babel)

    def time(self, at: time | None, fmt: str = "short") -> str:
        """A wall-clock time the locale's way (``9:00 AM`` / ``09:00``)."""
        return "" if at is None else format_time(at, format=fmt, locale=self._babel)

    def date(self, moment: datetime, zone: tzinfo, fmt: str = "medium") -> str:
        """The calendar date of an aware ``moment`` in ``zone``."""
        return format_date(moment.astimezone(zone).date(), format=fmt, locale=self._babel)

    def relative(self, delta: timedelta) -> str:
        """A signed duration as a relative phrase (``3 days ago`` / ``vor 3 Tagen``); under a
        minute either way reads "just now"."""
        if abs(delta) < timedelta(minutes=1):
            return self.gettext("just now")
        return format_timedelta(delta, add_direction=True, locale=self._babel)
