"""Themes counted by distinct members; quotes short, unique, in the asker's language first."""

from __future__ import annotations

from bot.domain.summary import (
    QUOTE_LIMIT,
    QuoteCandidate,
    pick_quotes,
    rank_themes,
    sentence_key,
    shorten,
    summarize,
)

ORDER = ("agreement", "explore_motives", "consequences", "empathy")


def test_members_are_counted_once_per_theme() -> None:
    summary = summarize(
        [
            ("r1", "ana", ["agreement", "empathy"]),
            ("r2", "ana", ["agreement"]),
            ("r3", "ben", ["empathy"]),
            ("r4", "cleo", []),
        ],
        [],
        ORDER,
        "en",
    )
    assert summary.members == 3
    assert summary.strategies == 4
    assert [(t.theme, t.members) for t in summary.themes] == [("empathy", 2), ("agreement", 1)]


def test_ties_follow_the_taxonomy_order() -> None:
    assert rank_themes({"empathy": 2, "agreement": 2, "consequences": 3}, ORDER) == [
        ("consequences", 3),
        ("agreement", 2),
        ("empathy", 2),
    ]


def test_quotes_prefer_language_then_endorsements_and_never_repeat() -> None:
    candidates = [
        QuoteCandidate("r1", "agreement", "Remind them of the agreement we signed.", "en", 5),
        QuoteCandidate("r2", "agreement", "Erinnern Sie an die Vereinbarung vom Anfang.", "de", 1),
        QuoteCandidate("r3", "agreement", "Erinnern Sie an die Vereinbarung vom Anfang!", "de", 9),
        QuoteCandidate("r4", "agreement", "Revisit the contract together, calmly.", "en", 0),
    ]
    used: set[str] = set()
    quotes = pick_quotes(candidates, "de", used)
    assert [q.reply_id for q in quotes] == ["r3", "r1"]  # r2 repeats r3's sentence
    again = pick_quotes(candidates, "de", used)
    assert [q.reply_id for q in again] == ["r4"]


def test_long_sentences_are_cut_at_a_word() -> None:
    text = "word " * 80
    short = shorten(text)
    assert len(short) <= QUOTE_LIMIT
    assert short.endswith("\N{HORIZONTAL ELLIPSIS}")
    assert not short[:-1].endswith(" ")


def test_sentence_identity_ignores_case_accents_and_punctuation() -> None:
    assert sentence_key("Écoutez  sans juger !") == sentence_key("ecoutez sans juger")


def test_only_top_themes_get_quotes() -> None:
    contributions = [(f"r{i}", f"m{i}", ["agreement", "empathy", "consequences"]) for i in range(3)]
    candidates = [
        QuoteCandidate("r0", theme, f"A sentence long enough about {theme}.", "en")
        for theme in ("agreement", "empathy", "consequences")
    ]
    summary = summarize(contributions, candidates, ORDER, "en", quoted_themes=2)
    assert [bool(t.quotes) for t in summary.themes] == [True, True, False]
