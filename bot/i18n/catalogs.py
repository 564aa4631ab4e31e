"""Gettext catalogs loaded from ``locales/<ll>/LC_MESSAGES/messages.po``.

The ``.po`` files are the single source of truth: they are compiled in memory at start-up, so a
translator's edit never goes stale behind an old ``.mo`` file.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from bot.i18n.locales import SUPPORTED_LOCALES, babel_locale

log = logging.getLogger(__name__)

DOMAIN = "messages"


def default_locales_dir() -> Path:
    """Where the catalogs live: in the installed wheel, else the checkout's ``locales/``."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_locales", package.parent / "locales"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("no locales/ directory next to the bot package")


def po_path(locales_dir: Path, locale: str) -> Path:
    """Path of the ``.po`` file of a supported Discord locale."""
    return locales_dir / babel_locale(locale) / "LC_MESSAGES" / f"{DOMAIN}.po"


class Catalogs:
    """One compiled :class:`~babel.support.Translations` per supported locale."""

    def __init__(self, translations: dict[str, NullTranslations]) -> None:
        self._translations = translations

    @classmethod
    def load(cls, locales_dir: Path | None = None) -> Catalogs:
        """Read and compile every supported catalog; a missing one falls back to the msgids."""
        directory = locales_dir or default_locales_dir()
        loaded: dict[str, NullTranslations] = {}
        for locale in SUPPORTED_LOCALES:
            path = po_path(directory, locale)
            if not path.is_file():
                log.warning(
                    "No catalog for %s at %s; falling back to the source text", locale, path
                )
                loaded[locale] = NullTranslations()
                continue
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=babel_locale(locale), domain=DOMAIN)
            buffer = io.BytesIO()
            write_mo(buffer, catalog, use_fuzzy=False)
            buffer.seek(0)
            loaded[locale] = Translations(fp=buffer, domain=DOMAIN)
        return cls(loaded)

    def translations(self, locale: str) -> NullTranslations:
        """The translations of a supported locale (source text for an unknown one)."""
        return self._translations.get(locale) or NullTranslations()

    def lookup(self, locale: str, msgid: str, context: str | None = None) -> str | None:
        """The translation of ``msgid`` in ``locale``, or ``None`` when it equals the source text.

        ``None`` is what :class:`discord.app_commands.Translator` expects for "no localization".
        """
        translations = self._translations.get(locale)
        if translations is None:
            return None
        if context is None:
            found = translations.gettext(msgid)
        else:
            found = translations.pgettext(context, msgid)
        return None if found == msgid else found
