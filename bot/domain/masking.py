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

import itertools
import re
from datetime import datetime

MENTION = "[mention]"
EMAIL = "[email]"
LINK = "[link]"
PHONE = "[phone]"
NUMBER = "[number]"
IBAN = "[iban]"

_MENTIONS = re.compile(r"<(?:@[!&]?|#)\d{15,21}>|@(?:everyone|here)\b")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}\b")
_TLDS = "com|org|net|edu|gov|info|io|app|dev|gg|ly|eu|de|fr|es|pt|br|uk|ch|nl|ca|au|mx|ar|cl|co"
_URL = re.compile(
    r"(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>]+[^\s<>.,;:!?)\]}'\"]"
    r"|(?:\bdiscord\.gg/[\w-]+)"
    rf"|(?<![\w@.-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+(?:{_TLDS})\b"
    r"(?:/[^\s<>]*[^\s<>.,;:!?)])?",
)
# A country code, two check digits, then the account: compact (11 to 30 characters) or in groups of
# four with a shorter last group. Upper case, as IBANs are written; :func:`_iban_or_keep` also
# wants enough digits, so that words and codes that merely look similar are kept.
_IBAN = re.compile(
    r"\b[A-Za-z]{2}\d{2}(?:[A-Z0-9]{11,30}|(?:[ -][A-Z0-9]{4}){2,7}(?:[ -][A-Z0-9]{1,3})?)\b"
)
_IBAN_DIGITS = 10
_TRAILING_WORDS = re.compile(r"(?:[ -][A-Z]+)+$")  # "... 7034 AND": a word, not the account
# A run of digit groups joined by single separators, optionally starting with "+" (or "(+49)")
# and with parenthesised groups. Atomic, so that a rejected run is not retried as a shorter piece.
_NUMBER_RUN = re.compile(
    r"(?<![\w+.,/:-])"
    r"(?>(?:\+\s?)?(?:\(\+?\d{1,5}\)|\d+)(?:(?:[ .\-/]|(?<=\))|(?=\())(?:\(\+?\d{1,5}\)|\d+))*)"
    r"(?![\w%€$£¥]|[.,/:-]\d|\s?(?:%|€|\$|£|¥|EUR|USD|BRL|R\$)(?!\w))"
)
_DATE = re.compile(r"\d{1,4}([./-])\d{1,2}\1\d{1,4}")
_YEAR = re.compile(r"(?:19|20)\d\d")
_NORTH_AMERICAN = re.compile(r"\(?[2-9]\d{2}\)?[-. ]?\d{3}[-. ]\d{4}")
_SPANISH = re.compile(
    r"[6789]\d{2} \d{3} \d{3}|[6789]\d{2} \d{2} \d{2} \d{2}|[89]\d \d{3} \d{2} \d{2}"
)
_BRAZILIAN = re.compile(r"(?:\(?\d{2}\)?\s?)?9\d{4}-\d{4}")
_GROUP_SPLIT = re.compile(r"[ .\-/()+]+")
# 1 000 000, 1.000.000: thousands (Spanish phone numbers such as 612 345 678 are tested first).
# Ten digits or more only count as thousands when round (1 000 000 000): "351 912 345 678" is a
# phone number typed without the plus, not 351 billion.
_THOUSANDS = re.compile(r"\d{1,3}(?:([ .])\d{3})(?:\1\d{3})*")
_DECIMAL = re.compile(r"\d+\.\d{1,2}")  # 1234567890.50
_CURRENCY_BEFORE = re.compile(r"(?:[€$£¥]|\b(?:EUR|USD|BRL|R\$))\s?$")
_E164_DIGITS = (8, 15)
_TRUNK_DIGITS = (9, 12)
_AREA_CODE_DIGITS = (8, 12)
#: A bare run of this many digits is a number to mask (8 digits: unless it reads as a date).
_BARE_DIGITS = 9
_DATE_DIGITS = 8
#: A grouped run of this many digits is a number to mask (unless thousands, years or dates).
_GROUPED_DIGITS = 10
_LIST_STEP = 10  # "pages 120 121 122 123": each group at most this much above the last


def mask(text: str) -> str:
    """``text`` with every mention, e-mail address, link, IBAN, phone number and other long
    number replaced."""
    text = _MENTIONS.sub(MENTION, text)
    text = _EMAIL.sub(EMAIL, text)
    text = _URL.sub(LINK, text)
    text = _IBAN.sub(_iban_or_keep, text)
    return _NUMBER_RUN.sub(_number_or_keep, text)


def _iban_or_keep(match: re.Match[str]) -> str:
    candidate, after = match[0], ""
    if words := _TRAILING_WORDS.search(candidate):
        candidate, after = candidate[: words.start()], words[0]
    digits = sum(char.isdigit() for char in candidate)
    return IBAN + after if digits >= _IBAN_DIGITS else match[0]


def _number_or_keep(match: re.Match[str]) -> str:
    candidate = match[0]
    if is_phone_number(candidate):
        return PHONE
    if is_long_number(candidate) and not _CURRENCY_BEFORE.search(match.string, 0, match.start()):
        return NUMBER
    return candidate


def is_phone_number(candidate: str) -> bool:
    """Whether a run of digit groups (as :func:`mask` finds them) is a phone number."""
    digits = "".join(char for char in candidate if char.isdigit())
    count = len(digits)
    if candidate.startswith(("+", "(+")):
        return _E164_DIGITS[0] <= count <= _E164_DIGITS[1]
    if _DATE.fullmatch(candidate) or _looks_like_date_range(candidate):
        return False
    if candidate.startswith("00"):
        return _E164_DIGITS[0] + 2 <= count <= _E164_DIGITS[1] + 2
    if candidate.startswith("(") and _AREA_CODE_DIGITS[0] <= count <= _AREA_CODE_DIGITS[1]:
        return True
    if candidate.startswith("0") and _TRUNK_DIGITS[0] <= count <= _TRUNK_DIGITS[1]:
        return not _is_dotted_clause(candidate)
    if any(pattern.fullmatch(candidate) for pattern in (_NORTH_AMERICAN, _SPANISH, _BRAZILIAN)):
        return True
    return _looks_international(candidate, count)


def is_long_number(candidate: str) -> bool:
    """Whether a run of digit groups that is not a phone number is still a long number to mask:
    9 or more bare digits (8 unless a date such as ``20240512``), or 10 or more in groups that
    are not thousands, years or a date range."""
    count = sum(char.isdigit() for char in candidate)
    if candidate.isdigit():
        return count >= _BARE_DIGITS or (count == _DATE_DIGITS and not _is_compact_date(candidate))
    return count >= _GROUPED_DIGITS and not _ordinary_groups(candidate)


def _looks_international(candidate: str, count: int) -> bool:
    """``49 170 1234567``, ``49-170-1234567``, ``49 (0)170 1234567``: an international number
    typed without the plus, a country code of 1 to 3 digits first."""
    groups = [group for group in _GROUP_SPLIT.split(candidate) if group]
    return (
        len(groups) > 1
        and len(groups[0]) <= 3  # a country code
        and _GROUPED_DIGITS <= count <= _E164_DIGITS[1]
        and not _ordinary_groups(candidate)
    )


def _ordinary_groups(candidate: str) -> bool:
    """Round thousands, a decimal, years, a date (range), numbered clauses, short groups only
    (scores) or a list counting up (pages 120 121 122). Called for runs of 10 digits or more."""
    groups = [group for group in _GROUP_SPLIT.split(candidate) if group]
    return (
        bool(_THOUSANDS.fullmatch(candidate) and candidate.endswith("000"))
        or bool(_DECIMAL.fullmatch(candidate))
        or all(_YEAR.fullmatch(group) for group in groups)
        or bool(_DATE.fullmatch(candidate))
        or _looks_like_date_range(candidate)
        or _is_dotted_clause(candidate)
        or all(len(group) <= 2 for group in groups)
        or all(0 < int(b) - int(a) <= _LIST_STEP for a, b in itertools.pairwise(groups))
    )


def _is_compact_date(digits: str) -> bool:
    """``20240512``, ``12052024`` or ``05122024``: a date written without separators."""
    for layout, year in (("%Y%m%d", digits[:4]), ("%d%m%Y", digits[4:]), ("%m%d%Y", digits[4:])):
        if not _YEAR.fullmatch(year):
            continue
        try:
            datetime.strptime(digits, layout)  # noqa: DTZ007 (a calendar check, no time zone)
        except ValueError:
            continue
        return True
    return False


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
