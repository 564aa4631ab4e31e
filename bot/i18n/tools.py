"""Catalog maintenance for translators: ``python -m bot.i18n.tools extract|update|check``.

- ``extract``: write ``locales/messages.pot`` from the source
  (calls of ``gettext``, ``ngettext``, ``pgettext``, ``cmd`` and ``N_``).
- ``update``: ``extract``, then merge the template into every locale's ``messages.po``.
- ``check``: report missing, empty, fuzzy or placeholder-mismatched entries and invalid
  command names; exit status 1 when there is any problem.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot.i18n.catalogs import DOMAIN, po_path
from bot.i18n.locales import SUPPORTED_LOCALES, babel_locale
from bot.i18n.translator import NAME_CONTEXTS

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIR = ROOT / "bot"
LOCALES_DIR = ROOT / "locales"
TEMPLATE = LOCALES_DIR / f"{DOMAIN}.pot"

KEYWORDS: dict[str, object] = {
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "cmd": ((1, "c"), 2),
    "N_": None,
}
_PLACEHOLDER = re.compile(r"(?<!\{)\{([a-zA-Z_][a-zA-Z0-9_]*)(?:[:!][^}]*)?\}")
# Discord's rule for command and option names (lowercase letters of any script, digits, - and _).
_DISCORD_NAME = re.compile(r"^[-_\w]{1,32}$")
_MAX_DESCRIPTION = 100


def extract_template(source_dir: Path = SOURCE_DIR) -> Catalog:
    """Collect every translatable string under ``source_dir`` into a template catalog."""
    catalog = Catalog(project="Intervision", domain=DOMAIN, charset="utf-8")
    method_map = [("**.py", "python")]
    for filename, lineno, message, comments, context in extract_from_dir(
        str(source_dir),
        method_map=method_map,
        keywords=KEYWORDS,  # type: ignore[arg-type]
        comment_tags=("TRANSLATORS:",),
        strip_comment_tags=True,
    ):
        catalog.add(
            message,
            None,
            [(f"bot/{filename}", lineno)],
            auto_comments=comments,
            context=context,
            flags=("python-brace-format",) if _PLACEHOLDER.search(_first(message)) else (),
        )
    return catalog


def _first(message: str | tuple[str, ...]) -> str:
    return message if isinstance(message, str) else message[0]


def message_keys(catalog: Catalog) -> set[tuple[str | None, str | tuple[str, ...]]]:
    """(context, id) of every non-header entry: what decides whether a template is stale."""
    return {(m.context, _as_key(m.id)) for m in catalog if m.id}


def _as_key(msgid: object) -> str | tuple[str, ...]:
    return msgid if isinstance(msgid, str) else tuple(msgid)  # type: ignore[arg-type]


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    """Parse a ``.po``/``.pot`` file."""
    with path.open("rb") as handle:
        return read_po(handle, locale=locale, domain=DOMAIN)


def _write(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, sort_output=False, omit_header=False)


def extract(locales_dir: Path = LOCALES_DIR) -> Catalog:
    """Write the template and return it."""
    template = extract_template()
    _write(locales_dir / f"{DOMAIN}.pot", template)
    return template


def update(locales_dir: Path = LOCALES_DIR) -> None:
    """Re-extract the template and merge it into every supported locale's catalog."""
    template = extract(locales_dir)
    for locale in SUPPORTED_LOCALES:
        path = po_path(locales_dir, locale)
        if path.is_file():
            catalog = read_catalog(path, babel_locale(locale))
            catalog.update(template, no_fuzzy_matching=True)
            catalog.obsolete.clear()
        else:
            catalog = Catalog(locale=babel_locale(locale), domain=DOMAIN, project="Intervision")
            catalog.update(template, no_fuzzy_matching=True)
        _write(path, catalog)


def _placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def _entry_problems(locale: str, message: Message) -> Iterator[str]:
    label = f"{locale}: {message.context + ' | ' if message.context else ''}{_first(message.id)!r}"
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    if message.fuzzy:
        yield f"{label} is fuzzy"
    if not all(strings):
        yield f"{label} has an empty translation"
        return
    ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
    expected = set().union(*(_placeholders(i) for i in ids))
    for text in strings:
        if _placeholders(text) - expected or (expected - {"n"}) - _placeholders(text):
            yield f"{label} placeholders {sorted(_placeholders(text))} != {sorted(expected)}"
    if message.context in NAME_CONTEXTS:
        for text in strings:
            if text != text.lower() or not _DISCORD_NAME.match(text):
                yield f"{label} is not a valid Discord name: {text!r}"
    elif message.context and "description" in message.context:
        for text in strings:
            if len(text) > _MAX_DESCRIPTION:
                yield f"{label} is longer than {_MAX_DESCRIPTION} characters"


def problems(locales_dir: Path = LOCALES_DIR) -> list[str]:
    """Every defect of the catalogs against a fresh extraction of the source."""
    found: list[str] = []
    template = extract_template()
    expected = message_keys(template)
    pot = locales_dir / f"{DOMAIN}.pot"
    if not pot.is_file() or message_keys(read_catalog(pot)) != expected:
        found.append(f"{pot} is stale: run python -m bot.i18n.tools update")
    for locale in SUPPORTED_LOCALES:
        path = po_path(locales_dir, locale)
        if not path.is_file():
            found.append(f"{locale}: {path} is missing")
            continue
        catalog = read_catalog(path, babel_locale(locale))
        present = {(m.context, _as_key(m.id)): m for m in catalog if m.id}
        for key in sorted(expected - present.keys(), key=str):
            found.append(f"{locale}: missing {key[0] + ' | ' if key[0] else ''}{key[1]!r}")
        for key, message in present.items():
            if key in expected:
                found.extend(_entry_problems(locale, message))
    return found


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m bot.i18n.tools", description=__doc__)
    parser.add_argument("action", choices=("extract", "update", "check"))
    args = parser.parse_args(argv)
    if args.action == "extract":
        extract()
    elif args.action == "update":
        update()
    else:
        defects = problems()
        for line in defects:
            sys.stdout.write(line + "\n")
        return 1 if defects else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
