"""Masking of personal data in strategy text before the bot shows any of it.

:func:`mask` replaces Discord mentions (users, roles, channels, ``@everyone``/``@here``), e-mail
addresses, links and phone numbers with neutral placeholders (:data:`MENTION`, :data:`EMAIL`,
:data:`LINK`, :data:`PHONE`). Phone numbers are recognised in international form (``+49 170
1234567``, ``0049 ...``) and in the usual local forms of the bot's languages (a trunk ``0`` prefix,
an area code in parentheses, North American ``555-123-4567``, Spanish ``612 345 678``, Brazilian
``91234-5678``); dates, times, years, ``24/7``, money, percentages and numbered clauses such as
``2.3.1`` are left alone. The original text is kept in storage for classification and for the
author's own export only.
"""

from __future__ import annotations

import re

MENTION = "[mention]"
EMAIL = "[email]"
LINK = "[link]"
PHONE = "[phone]"

_MENTIONS = re.compile(r"<(?:@[!&]?|#)\d{15,21}>|@(?:everyone|here)\b")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}\b")
_TLDS = "com|org|net|edu|gov|info|io|app|dev|gg|ly|eu|de|fr|es|pt|br|uk|ch|nl|ca|au|mx|ar|cl|co"
_URL = re.compile(
    r"(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>]+[^\s<>.,;:!?)\]}'\"]"
    r"|(?:\bdiscord\.gg/[\w-]+)"
    rf"|(?<![\w@.-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+(?:{_TLDS})\b"
    r"(?:/[^\s<>]*[^\s<>.,;:!?)])?",
)
# A run of digit groups joined by single separators, optionally starting with "+" and with
# parenthesised groups. Atomic, so that a rejected run is not retried as a shorter piece.
_NUMBER_RUN = re.compile(
    r"(?<![\w+.,/:-])"
    r"(?>(?:\+\s?)?(?:\(\d{1,5}\)|\d+)(?:(?:[ .\-/]|(?<=\))|(?=\())(?:\(\d{1,5}\)|\d+))*)"
    r"(?![\w%€$£¥]|[.,/:-]\d|\s?(?:%|€|\$|£|¥|EUR|USD|BRL|R\$)(?!\w))"
)
_DATE = re.compile(r"\d{1,4}([./-])\d{1,2}\1\d{1,4}")
_YEAR = re.compile(r"(?:19|20)\d\d")
_NORTH_AMERICAN = re.compile(r"\(?[2-9]\d{2}\)?[-. ]?\d{3}[-. ]\d{4}")
_SPANISH = re.compile(
    r"[6789]\d{2} \d{3} \d{3}|[6789]\d{2} \d{2} \d{2} \d{2}|[89]\d \d{3} \d{2} \d{2}"
)
_BRAZILIAN = re.compile(r"(?:\(?\d{2}\)?\s?)?9\d{4}-\d{4}")
_GROUP_SPLIT = re.compile(r"[ .\-/()]+")
_E164_DIGITS = (8, 15)
_TRUNK_DIGITS = (9, 12)
_AREA_CODE_DIGITS = (8, 12)


def mask(text: str) -> str:
    """``text`` with every mention, e-mail address, link and phone number replaced."""
    text = _MENTIONS.sub(MENTION, text)
    text = _EMAIL.sub(EMAIL, text)
    text = _URL.sub(LINK, text)
    return _NUMBER_RUN.sub(_phone_or_keep, text)


def _phone_or_keep(match: re.Match[str]) -> str:
    return PHONE if is_phone_number(match[0]) else match[0]


def is_phone_number(candidate: str) -> bool:
    """Whether a run of digit groups (as :func:`mask` finds them) is a phone number."""
    digits = "".join(char for char in candidate if char.isdigit())
    count = len(digits)
    if candidate.startswith("+"):
        return _E164_DIGITS[0] <= count <= _E164_DIGITS[1]
    if _DATE.fullmatch(candidate) or _looks_like_date_range(candidate):
        return False
    if candidate.startswith("00"):
        return _E164_DIGITS[0] + 2 <= count <= _E164_DIGITS[1] + 2
    if candidate.startswith("(") and _AREA_CODE_DIGITS[0] <= count <= _AREA_CODE_DIGITS[1]:
        return True
    if candidate.startswith("0") and _TRUNK_DIGITS[0] <= count <= _TRUNK_DIGITS[1]:
        return not _is_dotted_clause(candidate)
    return any(pattern.fullmatch(candidate) for pattern in (_NORTH_AMERICAN, _SPANISH, _BRAZILIAN))


def _looks_like_date_range(candidate: str) -> bool:
    """``01/2023-12/2024``, ``01.02.-03.02.2024``: a year with day/month groups around it."""
    if not any(separator in candidate for separator in "./-"):
        return False
    groups = [group for group in _GROUP_SPLIT.split(candidate) if group]
    years = [group for group in groups if _YEAR.fullmatch(group)]
    return bool(years) and all(len(group) <= 2 or group in years for group in groups)


def _is_dotted_clause(candidate: str) -> bool:
    """``0.5.1.2.3``-style numbering: only dots, and every group short."""
    groups = candidate.split(".")
    return len(groups) > 2 and all(len(group) <= 2 for group in groups)
