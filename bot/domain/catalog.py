"""The dilemma catalog file format (TOML), parsed and validated without side effects.

Format (documented for moderators in README.md, "Dilemma catalog format")::

    schema = 1
    [[dilemma]]
    topic = "confidentiality"            # unique slug
    tags = ["trust"]                     # optional
    references = ["ICF Code of Ethics"]  # optional
    [[dilemma.themes]]                   # optional: themes of this dilemma only
    id = "data_protection"               # like a topic; must not be a taxonomy id
    cues = ["delete the recording after", "GDPR"]   # example phrases, any language
    labels = { en-US = "Protect the data", de = "Daten schützen" }
    [dilemma.locales.en-US]
    title = "..."                        # <= 100 characters
    prompt = "..."                       # <= 500 characters
    key_points = ["...", "...", "..."]   # 3 to 6 items, each <= 200 characters

Every error is reported with the line (syntax) or the field path (content); a file with any error
yields no dilemmas at all, so an import is all or nothing.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.domain.dilemmas import (
    KEY_POINTS_RANGE,
    MAX_KEY_POINT,
    MAX_PROMPT,
    MAX_TITLE,
    TOPIC_PATTERN,
    CustomTheme,
    Dilemma,
    DilemmaText,
)
from bot.domain.taxonomy import THEMES as TAXONOMY

SCHEMA_VERSION = 1
MAX_THEME_LABEL = 60
_POSITION = re.compile(r"line (\d+), column (\d+)")


class Problem(StrEnum):
    """What is wrong; renderers turn each into a localized sentence using the issue's values."""

    SYNTAX = "syntax"  # values: line, column
    SCHEMA = "schema"  # values: found
    NO_DILEMMAS = "no_dilemmas"
    NOT_A_TABLE = "not_a_table"
    BAD_TOPIC = "bad_topic"
    DUPLICATE_TOPIC = "duplicate_topic"  # values: topic
    NO_LOCALES = "no_locales"
    UNKNOWN_LOCALE = "unknown_locale"  # values: known
    MISSING_LOCALE = "missing_locale"
    EMPTY_TEXT = "empty_text"
    TOO_LONG = "too_long"  # values: length, limit
    KEY_POINT_COUNT = "key_point_count"  # values: low, high
    BAD_LIST = "bad_list"
    THEME_CLASH = "theme_clash"  # values: theme


@dataclass(frozen=True, slots=True)
class CatalogIssue:
    """One problem in a catalog file: where (``line 3`` or ``dilemma[2].locales.de.title``) and
    what (``problem`` plus the ``values`` its message needs)."""

    where: str
    problem: Problem
    values: tuple[tuple[str, str | int], ...] = ()

    def __str__(self) -> str:
        details = ", ".join(f"{k}={v}" for k, v in self.values)
        return f"{self.where}: {self.problem.value}" + (f" ({details})" if details else "")


class CatalogError(ValueError):
    """A catalog file that cannot be used; :attr:`issues` lists every problem found."""

    def __init__(self, issues: Iterable[CatalogIssue]) -> None:
        self.issues = tuple(issues)
        super().__init__("; ".join(str(issue) for issue in self.issues))


def parse_catalog(
    source: str, locales: Iterable[str], known: Iterable[str] | None = None
) -> tuple[Dilemma, ...]:
    """Parse a catalog; every dilemma must be complete in each of ``locales`` and have at least
    one locale, all of them among ``known`` (default: the required ones).

    Raises :class:`CatalogError` listing every problem; returns the dilemmas in file order.
    """
    try:
        document = tomllib.loads(source)
    except tomllib.TOMLDecodeError as error:
        position = _POSITION.search(str(error))
        line, column = (int(position[1]), int(position[2])) if position else (0, 0)
        issue = CatalogIssue(f"line {line}", Problem.SYNTAX, (("line", line), ("column", column)))
        raise CatalogError([issue]) from None
    required = tuple(locales)
    allowed = frozenset(known if known is not None else required)
    issues: list[CatalogIssue] = []
    schema = document.get("schema", SCHEMA_VERSION)
    if schema != SCHEMA_VERSION:
        issues.append(CatalogIssue("schema", Problem.SCHEMA, (("found", str(schema)),)))
    entries = document.get("dilemma")
    if not isinstance(entries, list) or not entries:
        issues.append(CatalogIssue("dilemma", Problem.NO_DILEMMAS))
        raise CatalogError(issues)
    dilemmas: list[Dilemma] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"dilemma[{index + 1}]"
        dilemma = _parse_dilemma(where, entry, required, allowed, issues)
        if dilemma is None:
            continue
        if dilemma.topic in seen:
            issues.append(
                CatalogIssue(f"{where}.topic", Problem.DUPLICATE_TOPIC, (("topic", dilemma.topic),))
            )
        seen.add(dilemma.topic)
        dilemmas.append(dilemma)
    if issues:
        raise CatalogError(issues)
    return tuple(dilemmas)


def _parse_dilemma(
    where: str,
    entry: Any,
    required: tuple[str, ...],
    allowed: frozenset[str],
    issues: list[CatalogIssue],
) -> Dilemma | None:
    if not isinstance(entry, Mapping):
        issues.append(CatalogIssue(where, Problem.NOT_A_TABLE))
        return None
    before = len(issues)
    topic = entry.get("topic")
    if not isinstance(topic, str) or not TOPIC_PATTERN.match(topic):
        issues.append(CatalogIssue(f"{where}.topic", Problem.BAD_TOPIC))
    tags = _strings(f"{where}.tags", entry.get("tags", []), issues)
    references = _strings(f"{where}.references", entry.get("references", []), issues)
    texts: dict[str, DilemmaText] = {}
    locales = entry.get("locales")
    if not isinstance(locales, Mapping) or not locales:
        issues.append(CatalogIssue(f"{where}.locales", Problem.NO_LOCALES))
        locales = {}
    for locale in locales:
        if locale not in allowed:
            known = ", ".join(sorted(allowed))
            issues.append(
                CatalogIssue(
                    f"{where}.locales.{locale}", Problem.UNKNOWN_LOCALE, (("known", known),)
                )
            )
    for locale in required:
        if locale not in locales:
            issues.append(CatalogIssue(f"{where}.locales.{locale}", Problem.MISSING_LOCALE))
    for locale, body in locales.items():
        text = _parse_text(f"{where}.locales.{locale}", body, issues)
        if text is not None:
            texts[locale] = text
    themes = _parse_themes(f"{where}.themes", entry.get("themes", []), allowed, issues)
    if len(issues) > before:
        return None
    return Dilemma(
        topic=topic,
        texts=texts,
        tags=tuple(tags),
        references=tuple(references),
        themes=themes,
    )


def _parse_themes(
    where: str, value: Any, allowed: frozenset[str], issues: list[CatalogIssue]
) -> tuple[CustomTheme, ...]:
    if not isinstance(value, list):
        issues.append(CatalogIssue(where, Problem.NOT_A_TABLE))
        return ()
    themes: list[CustomTheme] = []
    for index, entry in enumerate(value):
        here = f"{where}[{index + 1}]"
        if not isinstance(entry, Mapping):
            issues.append(CatalogIssue(here, Problem.NOT_A_TABLE))
            continue
        before = len(issues)
        theme_id = entry.get("id")
        if not isinstance(theme_id, str) or not TOPIC_PATTERN.match(theme_id):
            issues.append(CatalogIssue(f"{here}.id", Problem.BAD_TOPIC))
        elif theme_id in TAXONOMY:
            issues.append(CatalogIssue(f"{here}.id", Problem.THEME_CLASH, (("theme", theme_id),)))
        cues = _strings(f"{here}.cues", entry.get("cues"), issues)
        if not cues and len(issues) == before:
            issues.append(CatalogIssue(f"{here}.cues", Problem.BAD_LIST))
        labels = entry.get("labels")
        if not isinstance(labels, Mapping) or not labels:
            issues.append(CatalogIssue(f"{here}.labels", Problem.NO_LOCALES))
            labels = {}
        for locale, label in labels.items():
            if locale not in allowed:
                known = ", ".join(sorted(allowed))
                issues.append(
                    CatalogIssue(
                        f"{here}.labels.{locale}", Problem.UNKNOWN_LOCALE, (("known", known),)
                    )
                )
            _text(f"{here}.labels.{locale}", label, MAX_THEME_LABEL, issues)
        if len(issues) == before:
            themes.append(CustomTheme(theme_id, dict(labels), tuple(cues)))
    return tuple(themes)


def _parse_text(where: str, body: Any, issues: list[CatalogIssue]) -> DilemmaText | None:
    if not isinstance(body, Mapping):
        issues.append(CatalogIssue(where, Problem.NOT_A_TABLE))
        return None
    before = len(issues)
    title = _text(f"{where}.title", body.get("title"), MAX_TITLE, issues)
    prompt = _text(f"{where}.prompt", body.get("prompt"), MAX_PROMPT, issues)
    points = body.get("key_points")
    low, high = KEY_POINTS_RANGE
    if not isinstance(points, list) or not low <= len(points) <= high:
        issues.append(
            CatalogIssue(
                f"{where}.key_points", Problem.KEY_POINT_COUNT, (("low", low), ("high", high))
            )
        )
        points = []
    key_points = [
        _text(f"{where}.key_points[{i + 1}]", point, MAX_KEY_POINT, issues)
        for i, point in enumerate(points)
    ]
    if len(issues) > before:
        return None
    return DilemmaText(title=title, prompt=prompt, key_points=tuple(key_points))


def _text(where: str, value: Any, limit: int, issues: list[CatalogIssue]) -> str:
    if not isinstance(value, str) or not value.strip():
        issues.append(CatalogIssue(where, Problem.EMPTY_TEXT))
        return ""
    if len(value) > limit:
        issues.append(
            CatalogIssue(where, Problem.TOO_LONG, (("length", len(value)), ("limit", limit)))
        )
    return value.strip()


def _strings(where: str, value: Any, issues: list[CatalogIssue]) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        issues.append(CatalogIssue(where, Problem.BAD_LIST))
        return []
    return [v.strip() for v in value]


def build_dilemma(
    topic: str, locale: str, title: str, prompt: str, key_points: Iterable[str]
) -> Dilemma:
    """One dilemma in one locale from form fields (``/dilemma add``), validated like a file.

    Raises :class:`CatalogError` naming the fields (``topic``, ``title``, ``prompt``,
    ``key_points``) that are wrong.
    """
    entry = {
        "topic": topic.strip().lower(),
        "locales": {
            locale: {
                "title": title,
                "prompt": prompt,
                "key_points": [
                    p.strip(" -*\u2022\t") for p in key_points if p.strip(" -*\u2022\t")
                ],
            }
        },
    }
    issues: list[CatalogIssue] = []
    dilemma = _parse_dilemma("form", entry, (locale,), frozenset((locale,)), issues)
    if dilemma is None:
        raise CatalogError(
            CatalogIssue(
                i.where.replace(f"form.locales.{locale}.", "").replace("form.", ""),
                i.problem,
                i.values,
            )
            for i in issues
        )
    return dilemma
