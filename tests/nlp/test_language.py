"""Language identification: clear sentences, and "und" rather than a guess on weak input."""

from __future__ import annotations

import pytest

from bot.nlp.analyzer import Analyzer
from bot.nlp.language import LanguageIdentifier


@pytest.fixture(scope="module")
def lid() -> LanguageIdentifier:
    return LanguageIdentifier()


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("I would talk to my supervisor before deciding anything about this.", "en"),
        ("Ich würde zuerst mit meiner Supervisorin darüber sprechen, bevor ich etwas tue.", "de"),
        ("Eu conversaria com a minha supervisora antes de tomar qualquer decisão.", "pt"),
        ("Yo hablaría con mi supervisora antes de tomar cualquier decisión sobre esto.", "es"),
        ("Je parlerais à ma superviseure avant de prendre la moindre décision.", "fr"),
        ("Ne parlerei con la mia supervisora prima di prendere qualsiasi decisione.", "it"),
        ("Ik zou eerst met mijn supervisor praten voordat ik iets beslis.", "nl"),
        ("Najpierw porozmawiałabym z moją superwizorką, zanim cokolwiek zdecyduję.", "pl"),
    ],
)
def test_clear_sentences(lid: LanguageIdentifier, text: str, lang: str) -> None:
    assert lid.identify(text) == lang


@pytest.mark.parametrize(
    "text", ["", "   ", "👍👍🔥", "ok", "+1", "https://example.com/x", "<@123456789> 🙏", "?!"]
)
def test_undetermined(lid: LanguageIdentifier, text: str) -> None:
    assert lid.identify(text) == "und"


def test_restricted_language_set() -> None:
    only = LanguageIdentifier(languages=("en", "de"))
    assert only.identify("Eu conversaria com a minha supervisora antes de decidir.") in {
        "en",
        "de",
        "und",
    }


def test_noise_is_ignored(lid: LanguageIdentifier) -> None:
    text = "<@123> https://example.com/a/b I would ask her first what she needs from this :smile:"
    assert lid.identify(text) == "en"


def test_analyzer_language(analyzer: Analyzer) -> None:
    res = analyzer.analyze(["Ich würde die Vereinbarung mit ihr noch einmal durchgehen.", "👍"])
    assert [r.language for r in res] == ["de", "und"]
