"""The dilemma catalog file format (TOML), parsed and validated without side effects.

Format (documented for moderators in README.md, "Dilemma catalog format")::

    schema = 1
    [[dilemma]]
    topic = "confidentiality"            # unique slug
    tags = ["trust"]                     # optional
    references = ["ICF Code of Ethics"]  # optional
    [dilemma.locales.en-US]
    title = "..."                        # <= 100 characters
    prompt = "..."                       # <= 500 characters
    key_points = ["...", "...", "..."]   # 3 to 6 items, each <= 200 characters

Every error is reported with the line (syntax) or the field path (content); a file with any error
yields no dilemmas at all, so an import is all or nothing.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.domain.dilemmas import (
    KEY_POINTS_RANGE,
    MAX_KEY_POINT,
    MAX_PROMPT,
    MAX_TITLE,
    TOPIC_PATTERN,
    Dilemma,
    DilemmaText,
)

SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class CatalogIssue:
    """One problem in a catalog file: where (``toml`` or ``dilemma[2].locales.de.title``), what."""

    where: str
    problem: str


class CatalogError(ValueError):
    """A catalog file that cannot be used; :attr:`issues` lists every problem found."""

    def __init__(self, issues: Iterable[CatalogIssue]) -> None:
        self.issues = tuple(issues)
        super().__init__("; ".join(f"{i.where}: {i.problem}" for i in self.issues))


def parse_catalog(source: str, locales: Iterable[str]) -> tuple[Dilemma, ...]:
    """Parse a catalog; every dilemma must be complete in each of ``locales``.

    Raises :class:`CatalogError` listing every problem; returns the dilemmas in file order.
    """
    try:
        document = tomllib.loads(source)
    except tomllib.TOMLDecodeError as error:
        raise CatalogError([CatalogIssue("toml", str(error))]) from None
    required = tuple(locales)
    issues: list[CatalogIssue] = []
    schema = document.get("schema", SCHEMA_VERSION)
    if schema != SCHEMA_VERSION:
        issues.append(CatalogIssue("schema", f"unsupported schema {schema!r}"))
    entries = document.get("dilemma")
    if not isinstance(entries, list) or not entries:
        issues.append(CatalogIssue("dilemma", "no [[dilemma]] entries"))
        raise CatalogError(issues)
    dilemmas: list[Dilemma] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"dilemma[{index + 1}]"
        dilemma = _parse_dilemma(where, entry, required, issues)
        if dilemma is None:
            continue
        if dilemma.topic in seen:
            issues.append(CatalogIssue(f"{where}.topic", f"duplicate topic {dilemma.topic!r}"))
        seen.add(dilemma.topic)
        dilemmas.append(dilemma)
    if issues:
        raise CatalogError(issues)
    return tuple(dilemmas)


def _parse_dilemma(
    where: str, entry: Any, required: tuple[str, ...], issues: list[CatalogIssue]
) -> Dilemma | None:
    if not isinstance(entry, Mapping):
        issues.append(CatalogIssue(where, "must be a table"))
        return None
    before = len(issues)
    topic = entry.get("topic")
    if not isinstance(topic, str) or not TOPIC_PATTERN.match(topic):
        issues.append(
            CatalogIssue(f"{where}.topic", "must be 2-32 of a-z, 0-9 and _, e.g. confidentiality")
        )
    tags = _strings(f"{where}.tags", entry.get("tags", []), issues)
    references = _strings(f"{where}.references", entry.get("references", []), issues)
    texts: dict[str, DilemmaText] = {}
    locales = entry.get("locales")
    if not isinstance(locales, Mapping):
        issues.append(CatalogIssue(f"{where}.locales", "missing [dilemma.locales.<locale>] tables"))
        locales = {}
    for locale in required:
        if locale not in locales:
            issues.append(CatalogIssue(f"{where}.locales.{locale}", "missing locale"))
    for locale, body in locales.items():
        text = _parse_text(f"{where}.locales.{locale}", body, issues)
        if text is not None:
            texts[locale] = text
    if len(issues) > before:
        return None
    return Dilemma(topic=topic, texts=texts, tags=tuple(tags), references=tuple(references))


def _parse_text(where: str, body: Any, issues: list[CatalogIssue]) -> DilemmaText | None:
    if not isinstance(body, Mapping):
        issues.append(CatalogIssue(where, "must be a table"))
        return None
    before = len(issues)
    title = _text(f"{where}.title", body.get("title"), MAX_TITLE, issues)
    prompt = _text(f"{where}.prompt", body.get("prompt"), MAX_PROMPT, issues)
    points = body.get("key_points")
    low, high = KEY_POINTS_RANGE
    if not isinstance(points, list) or not low <= len(points) <= high:
        issues.append(CatalogIssue(f"{where}.key_points", f"must list {low} to {high} key points"))
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
        issues.append(CatalogIssue(where, "must be a non-empty string"))
        return ""
    if len(value) > limit:
        issues.append(CatalogIssue(where, f"is {len(value)} characters; the limit is {limit}"))
    return value.strip()


def _strings(where: str, value: Any, issues: list[CatalogIssue]) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        issues.append(CatalogIssue(where, "must be a list of non-empty strings"))
        return []
    return [v.strip() for v in value]
