"""Theme detection: hand-written paraphrase/negation cases, custom themes, batch invariance.

The cases below were written for these tests; they are not copied from training/ or eval/.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bot.nlp.analyzer import Analysis, Analyzer

CASES: list[tuple[str, set[str]]] = [
    # paraphrases without the obvious keywords
    (
        "Before anything else, I'd sit down with her and go over what we both signed up for at "
        "the start.",
        {"agreement"},
    ),
    (
        "I'd want to understand what is pushing him to do this. What does he hope to get out of "
        "it?",
        {"explore_motives"},
    ),
    ("Let her practise the conversation with me first, I'll play her boss.", {"rehearse"}),
    ("Talk it through with the person who reviews your cases before you decide.", {"supervision"}),
    ("Ich würde mit ihr durchspielen, wie sie es ihrem Chef sagen könnte.", {"rehearse"}),
    (
        "Eu pediria que ela conversasse antes com o colega e só contasse se ele dissesse que "
        "tudo bem.",
        {"consent"},
    ),
    ("Keep a short written note of what you decided and why.", {"document"}),
    ("If someone could get hurt, the law may oblige you to speak up.", {"legal_duty"}),
    ("What could happen to her career if this gets out?", {"consequences"}),
    # chatter: no theme
    ("Thanks, great thread!", set()),
    # several strategies in one reply
    ("Stay calm and listen first. Then I'd check with my supervisor.", {"empathy", "supervision"}),
]


#: rejections: the rejected strategy must not be assigned (another theme may be)
REJECTIONS: list[Any] = [
    ("I would not role-play this; it would feel staged.", "rehearse"),
    ("No need to write anything down here.", "document"),
    ("Je n'impliquerais surtout pas les ressources humaines.", "proper_channels"),
    ("Ich würde die Personalabteilung auf keinen Fall einschalten.", "proper_channels"),
    ("Eu não pediria permissão a ninguém, não é preciso.", "consent"),
    ("Yo no llevaría esto a supervisión.", "supervision"),  # missed by the models of sessions 2-3
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_cases(analyzer: Analyzer, text: str, expected: set[str]) -> None:
    assert set(analyzer.analyze([text])[0].themes) == expected


@pytest.mark.parametrize(("text", "rejected"), REJECTIONS)
def test_rejected_strategy_is_not_assigned(analyzer: Analyzer, text: str, rejected: str) -> None:
    assert rejected not in analyzer.analyze([text])[0].themes


def _uncached(analyzer: Analyzer) -> Analyzer:
    return Analyzer(analyzer.language_identifier, analyzer.classifier, cache_size=0)


def test_batch_equals_one_by_one_and_deterministic(analyzer: Analyzer) -> None:
    analyzer = _uncached(analyzer)
    texts = [t for t, _ in CASES] + ["", "👍", "ok"]
    batch = analyzer.analyze(texts)
    single = [analyzer.analyze([t])[0] for t in texts]
    assert batch == single
    assert analyzer.analyze(list(reversed(texts))) == list(reversed(batch))
    assert analyzer.analyze(texts) == batch
    assert all(isinstance(a, Analysis) and list(a.themes) == sorted(a.themes) for a in batch)


def test_empty_inputs(analyzer: Analyzer) -> None:
    assert analyzer.analyze([]) == []
    assert analyzer.analyze(["", "   "]) == [Analysis("und", ()), Analysis("und", ())]


def test_extra_themes(analyzer: Analyzer) -> None:
    extra = {
        "gift_value": [
            "Set a maximum value for gifts you accept from clients.",
            "Politely decline expensive presents.",
        ],
        "unused": ["   "],
    }
    texts = [
        "I'd gently turn down a present that costly.",
        "Ask her what she needs from this.",
        "I would never decline a gift, that's rude.",
    ]
    res = analyzer.analyze(texts, extra_themes=extra)
    assert "gift_value" in res[0].themes
    assert "gift_value" not in res[1].themes
    assert "gift_value" not in res[2].themes  # negated sentence
    assert all("unused" not in r.themes for r in res)
    # built-in themes are unaffected by extra themes
    assert res[1].themes == analyzer.analyze([texts[1]])[0].themes


def test_sentences_exposed(analyzer: Analyzer) -> None:
    assert analyzer.sentences("One. Two!") == ["One.", "Two!"]


def test_evidence_is_a_sentence_of_the_reply(analyzer: Analyzer) -> None:
    text = "Stay calm and listen first. Then I'd check with my supervisor."
    [res] = analyzer.analyze([text])
    assert [t for t, _ in res.evidence] == list(res.themes)
    evidence = dict(res.evidence)
    assert evidence["supervision"] == "Then I'd check with my supervisor."
    assert evidence["empathy"] == "Stay calm and listen first."
    assert all(s in analyzer.sentences(text) for _, s in res.evidence)


def test_thread_safe(analyzer: Analyzer) -> None:
    analyzer = _uncached(analyzer)
    texts = [t for t, _ in CASES] * 3
    expected = analyzer.analyze(texts)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(analyzer.analyze, [texts] * 6))
    assert all(r == expected for r in results)


def test_result_cache_is_transparent(analyzer: Analyzer) -> None:
    texts = ["Stay calm and listen first.", "Stay calm and listen first.", "Ask why."]
    first = analyzer.analyze(texts)
    assert first == analyzer.analyze(texts) == _uncached(analyzer).analyze(texts)
    assert first[0] == first[1]
