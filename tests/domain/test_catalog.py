"""The dilemma catalog format and the shipped starter catalog."""

from __future__ import annotations

import pytest

from bot.domain.catalog import CatalogError, parse_catalog
from bot.domain.dilemmas import Dilemma
from bot.i18n.locales import SUPPORTED_LOCALES

VALID = """
schema = 1
[[dilemma]]
topic = "gifts"
[dilemma.locales.en-US]
title = "A gift"
prompt = "A coachee offers a gift. What do you do?"
key_points = ["one", "two", "three"]
"""


def test_a_minimal_catalog_parses() -> None:
    (dilemma,) = parse_catalog(VALID, ["en-US"])
    assert dilemma.topic == "gifts"
    assert dilemma.text("de", "en-US").key_points == ("one", "two", "three")


def test_syntax_errors_name_the_line() -> None:
    with pytest.raises(CatalogError) as raised:
        parse_catalog('schema = 1\n[[dilemma]]\ntopic = "x\n', ["en-US"])
    assert raised.value.issues[0].where == "line 3"
    assert dict(raised.value.issues[0].values)["line"] == 3


def test_content_errors_name_every_field() -> None:
    source = VALID.replace('topic = "gifts"', 'topic = "Bad Topic"').replace(
        'key_points = ["one", "two", "three"]', 'key_points = ["one"]'
    )
    with pytest.raises(CatalogError) as raised:
        parse_catalog(source, ["en-US", "de"])
    where = {issue.where for issue in raised.value.issues}
    assert where == {
        "dilemma[1].topic",
        "dilemma[1].locales.de",
        "dilemma[1].locales.en-US.key_points",
    }


def test_duplicate_topics_are_rejected() -> None:
    doubled = VALID + VALID.replace("schema = 1", "")
    with pytest.raises(CatalogError, match="duplicate_topic"):
        parse_catalog(doubled, ["en-US"])


def test_overlong_texts_are_rejected() -> None:
    with pytest.raises(CatalogError, match="limit=100"):
        parse_catalog(VALID.replace('"A gift"', '"' + "x" * 101 + '"'), ["en-US"])


def test_starter_catalog_is_complete(starter_catalog: tuple[Dilemma, ...]) -> None:
    assert len(starter_catalog) >= 8
    assert starter_catalog[0].topic == "confidentiality"
    for dilemma in starter_catalog:
        assert set(dilemma.texts) == set(SUPPORTED_LOCALES), dilemma.topic
    confidentiality = starter_catalog[0].texts
    assert confidentiality["en-US"].prompt == (
        "A coachee wants to breach confidentiality. How do you handle this delicate situation?"
    )
    assert (
        confidentiality["de"]
        .key_points[0]
        .startswith("Bekräftigen Sie die Bedeutung der Vertraulichkeit")
    )
