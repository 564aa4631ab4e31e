"""Which locales the bot speaks and how a Discord locale maps onto one of them.

Pure code: no Discord, no Babel catalogs. Locale codes here are Discord's (``en-US``, ``pt-BR``);
:func:`babel_locale` gives the matching Babel/gettext identifier (``en_US``, ``pt_BR``).
"""

from __future__ import annotations

from collections.abc import Iterable

#: The locales with a complete catalog, in Discord's spelling. The first is the source language.
SUPPORTED_LOCALES: tuple[str, ...] = ("en-US", "de", "pt-BR", "es-ES", "fr")

# Discord locale families that share a catalog: any ``es-*`` speaks ``es-ES``, and so on.
_LANGUAGE_FALLBACK: dict[str, str] = {
    "en": "en-US",
    "de": "de",
    "pt": "pt-BR",
    "es": "es-ES",
    "fr": "fr",
}


def supported(locale: str | None) -> str | None:
    """Map a Discord (or BCP 47) locale onto a supported locale, or ``None`` if none fits.

    ``es-419`` -> ``es-ES``, ``pt-PT`` -> ``pt-BR``, ``en-GB`` -> ``en-US``, ``de-AT`` -> ``de``;
    case and ``_``/``-`` are forgiven (``pt_br`` -> ``pt-BR``).
    """
    if not locale:
        return None
    normalized = locale.strip().replace("_", "-")
    for candidate in SUPPORTED_LOCALES:
        if candidate.lower() == normalized.lower():
            return candidate
    language = normalized.split("-", 1)[0].lower()
    return _LANGUAGE_FALLBACK.get(language)


def negotiate(preferences: Iterable[str | None], default: str) -> str:
    """Return the first preference that maps onto a supported locale, else ``default``.

    Callers pass, in order: the member's Discord locale, the guild's configured language.
    ``default`` must itself be supported (settings validate ``DEFAULT_LOCALE``).
    """
    for preference in preferences:
        match = supported(preference)
        if match is not None:
            return match
    return default


def babel_locale(locale: str) -> str:
    """Babel/gettext identifier of a supported Discord locale (``pt-BR`` -> ``pt_BR``)."""
    return locale.replace("-", "_")
