"""Sentence and clause splitting for member replies (rule-based, multilingual, no model).

:func:`sentences` is public (the quote picker reuses it). Contract: returns the non-empty,
whitespace-trimmed sentences of ``text`` in order; their concatenation covers every letter of the
input except Markdown list markers and quote prefixes; common abbreviations ("e.g.", "z.B.",
"Dr.", "p.ex.") and decimal numbers do not end a sentence; line breaks, bullets and numbered
list items always do. :func:`clauses` further splits long sentences at ";" and at coordinating
"but/and then/also"-style boundaries, which is what the theme classifier embeds.
"""

from __future__ import annotations

import re
from typing import Final

_ABBREVIATIONS: Final = frozenset(
    {
        # en
        "e.g",
        "eg",
        "i.e",
        "ie",
        "etc",
        "vs",
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "no",
        "approx",
        "cf",
        "incl",
        "esp",
        "fig",
        "st",
        "jr",
        "sr",
        "inc",
        "ltd",
        "co",
        # de
        "z.b",
        "zb",
        "d.h",
        "dh",
        "bzw",
        "ggf",
        "usw",
        "u.a",
        "ca",
        "evtl",
        "inkl",
        "vgl",
        "bspw",
        "sog",
        "z.t",
        "u.u",
        "nr",
        "hr",
        "fr",
        # pt / es / it / fr / nl / pl
        "p.ex",
        "pex",
        "sra",
        "dra",
        "ex",
        "pág",
        "obs",
        "p.e",
        "ud",
        "uds",
        "sig",
        "ecc",
        "dott",
        "ing",
        "m",
        "mme",
        "mlle",
        "p.ej",
        "bijv",
        "enz",
        "dhr",
        "mevr",
        "np",
        "itd",
        "itp",
        "tzn",
        "tj",
        "mgr",
    }
)

_BULLET = re.compile(r"^\s*(?:[-*+•‣◦·–—]|\d{1,2}[.)]|[a-zA-Z][.)](?=\s)|>+)\s+")
# Candidate boundary: terminal punctuation (with closing quotes/brackets), then whitespace.
_BOUNDARY = re.compile(r"([.!?…。！？]+[\"'”’»)\]]*)(\s+)")
_TOKEN_BEFORE = re.compile(r"(\S+)$")
_CLAUSE_SPLIT = re.compile(
    r"\s*;\s+|\s+[–—]\s+|\s*:\s+(?=\S)"
    r"|,\s+(?=(?:but|however|also|then|and|or|plus|aber|jedoch|außerdem|dann|und|oder|mas"
    r"|porém|também|depois|e|ou|pero|también|luego|y|o|mais|puis|ensuite|aussi|et|ou|ma|poi"
    r"|inoltre|e|o|maar|daarna|ook|en|of|ale|potem|również|także|i|lub|albo)\b)",
    re.IGNORECASE,
)
_MIN_CLAUSE_WORDS: Final = 4
_LONG_SENTENCE_WORDS: Final = 14


def _is_abbreviation(chunk: str) -> bool:
    """True iff ``chunk`` (text up to and including a '.') ends with an abbreviation/number."""
    match = _TOKEN_BEFORE.search(chunk)
    if match is None:
        return False
    token = match.group(1).lstrip("([\"'“‘«").rstrip(".").lower()
    if not token:
        return False
    if token in _ABBREVIATIONS:
        return True
    # single letters ("A. Smith") and ordinals / numbered lists ("1.", "2.")
    return len(token) == 1 or token.isdigit()


def _split_line(line: str) -> list[str]:
    out: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(line):
        end = match.end(1)
        chunk = line[start:end]
        if match.group(1).startswith(".") and len(match.group(1)) == 1:
            nxt = line[match.end() : match.end() + 1]
            if _is_abbreviation(chunk) or (nxt and nxt.islower()):
                continue
        piece = chunk.strip()
        if piece:
            out.append(piece)
        start = match.end()
    tail = line[start:].strip()
    if tail:
        out.append(tail)
    return out


def sentences(text: str) -> list[str]:
    """Split ``text`` into sentences (see module docstring for the contract)."""
    result: list[str] = []
    for raw_line in text.splitlines():
        line = _BULLET.sub("", raw_line, count=1).strip()
        if line:
            result.extend(_split_line(line))
    return result


def clauses(sentence: str) -> list[str]:
    """Split a long sentence into clauses; short sentences are returned unchanged.

    A split is kept only if every resulting part has at least ``_MIN_CLAUSE_WORDS`` words, so
    that the parts stay meaningful for the sentence encoder.
    """
    if len(sentence.split()) < _LONG_SENTENCE_WORDS:
        return [sentence]
    parts = [p.strip() for p in _CLAUSE_SPLIT.split(sentence) if p and p.strip()]
    merged: list[str] = []
    for part in parts:
        if merged and len(part.split()) < _MIN_CLAUSE_WORDS:
            merged[-1] = f"{merged[-1]} {part}"
        else:
            merged.append(part)
    if len(merged) > 1 and len(merged[0].split()) < _MIN_CLAUSE_WORDS:
        merged[1] = f"{merged[0]} {merged[1]}"
        merged.pop(0)
    return merged or [sentence]
