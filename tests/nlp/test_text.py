"""Sentence splitting contract."""

from __future__ import annotations

from bot.nlp import sentences
from bot.nlp.text import clauses


def test_basic_split() -> None:
    expected = ["Stay calm.", "Ask why!", "Then decide?"]
    assert sentences("Stay calm. Ask why! Then decide?") == expected


def test_abbreviations_and_numbers_do_not_split() -> None:
    text = "Check e.g. the contract. Prüfe z.B. den Vertrag. It costs 2.5 hours."
    assert sentences(text) == [
        "Check e.g. the contract.",
        "Prüfe z.B. den Vertrag.",
        "It costs 2.5 hours.",
    ]


def test_lines_and_bullets() -> None:
    text = "My steps:\n- review the agreement\n- ask about motives\n2) document it"
    assert sentences(text) == [
        "My steps:",
        "review the agreement",
        "ask about motives",
        "document it",
    ]


def test_empty() -> None:
    assert sentences("") == []
    assert sentences("   \n  ") == []


def test_clauses_split_long_sentences_only() -> None:
    short = "Ask why, then listen."
    assert clauses(short) == [short]
    long = (
        "I would first revisit the confidentiality agreement with her in detail; "
        "after that I would ask what need is driving the wish to share it."
    )
    parts = clauses(long)
    assert len(parts) == 2
    assert parts[0].startswith("I would first")
    assert parts[1].startswith("after that")
