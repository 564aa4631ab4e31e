"""The catalogs are complete, current and valid for Discord in every supported locale."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from bot.i18n import tools
from bot.i18n.catalogs import Catalogs, po_path
from bot.i18n.locales import SUPPORTED_LOCALES


def test_catalogs_have_no_problems() -> None:
    assert tools.problems() == []


def test_every_locale_translates_every_message() -> None:
    template = tools.extract_template()
    assert len(tools.message_keys(template)) >= 10
    for locale in SUPPORTED_LOCALES:
        catalog = tools.read_catalog(po_path(tools.LOCALES_DIR, locale))
        translated = {(m.context, m.id) for m in catalog if m.id and m.string}
        assert tools.message_keys(template) <= translated, locale


def _write_catalog(
    directory: Path, locale: str, entries: list[tuple[str | None, str, str]]
) -> None:
    catalog = Catalog(locale=locale.replace("-", "_"))
    for context, msgid, msgstr in entries:
        catalog.add(msgid, msgstr, context=context)
    path = po_path(directory, locale)
    path.parent.mkdir(parents=True)
    with path.open("wb") as handle:
        write_po(handle, catalog)


@pytest.fixture
def broken_locales(tmp_path: Path) -> Path:
    """Copies of the real catalogs, one of them damaged in every way the check must catch."""
    template = tools.extract_template()
    with (tmp_path / "messages.pot").open("wb") as handle:
        write_po(handle, template)
    for locale in SUPPORTED_LOCALES:
        source = po_path(tools.LOCALES_DIR, locale)
        target = po_path(tmp_path, locale)
        target.parent.mkdir(parents=True)
        target.write_bytes(source.read_bytes())
    german = tools.read_catalog(po_path(tmp_path, "de"), "de")
    german.get("Topic: {topic}").string = "Thema: {thema}"  # placeholder renamed
    german.get("Key points").flags.add("fuzzy")
    german.get("Ethics codes").string = ""
    german.get("guidance", context="command name").string = "Orientierung Hilfe"
    german.delete("private", context="option name")
    with po_path(tmp_path, "de").open("wb") as handle:
        write_po(handle, german)
    return tmp_path


def test_check_reports_each_kind_of_defect(broken_locales: Path) -> None:
    found = "\n".join(tools.problems(broken_locales))
    assert "placeholders" in found
    assert "fuzzy" in found
    assert "empty translation" in found
    assert "not a valid Discord name" in found
    assert "missing option name | 'private'" in found
    assert all(line.startswith("de:") for line in tools.problems(broken_locales))


def test_stale_template_is_reported(broken_locales: Path) -> None:
    stale = Catalog()
    stale.add("A message the code no longer has")
    with (broken_locales / "messages.pot").open("wb") as handle:
        write_po(handle, stale)
    assert any("stale" in line for line in tools.problems(broken_locales))


def test_missing_catalog_falls_back_to_source_text(tmp_path: Path) -> None:
    _write_catalog(tmp_path, "de", [(None, "Key points", "Kernpunkte")])
    catalogs = Catalogs.load(tmp_path)
    assert catalogs.translations("de").gettext("Key points") == "Kernpunkte"
    assert catalogs.translations("fr").gettext("Key points") == "Key points"
