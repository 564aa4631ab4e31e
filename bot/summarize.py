"""``intervision summarize``: the guidance summary of a JSONL file of replies, for moderators
and for evaluation.

Input: one JSON object per line, ``{"id": str, "author": str, "text": str}`` with optional
``"created_at"`` (ISO 8601) and ``"endorsements"`` (int). Output (``--format json``)::

    {"locale": "de", "members": 3,
     "replies": [{"id": "r1", "language": "en", "themes": ["agreement"]}, ...],   # input order
     "themes": [{"id": "agreement", "label": "...", "members": 2,
                 "quotes": [{"reply_id": "r1", "text": "...", "language": "en"}]}, ...]}

``themes`` are sorted by members (most first). Exit status 2 with one line on stderr for bad
input (unreadable file, malformed line, unknown locale or topic).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from bot.domain.dilemmas import Dilemma
from bot.domain.masking import mask
from bot.domain.search import closest_topics
from bot.domain.summary import QuoteCandidate, Summary, summarize
from bot.domain.taxonomy import THEMES
from bot.i18n.catalogs import Catalogs
from bot.i18n.locales import SUPPORTED_LOCALES, supported
from bot.i18n.localizer import Localizer
from bot.i18n.themes import theme_label
from bot.nlp.analyzer import Analyzer

EXIT_INPUT = 2
_BAR_WIDTH = 12


class InputError(ValueError):
    """Bad input, described in one line."""


@dataclass(frozen=True, slots=True)
class Reply:
    """One input line."""

    id: str
    author: str
    text: str
    endorsements: int = 0
    created_at: datetime | None = None


def read_replies(lines: TextIO, source: str) -> list[Reply]:
    """Parse the JSONL input; raises :class:`InputError` naming the first bad line."""
    replies: list[Reply] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(f"{source}:{number}: not valid JSON ({error.msg})") from None
        replies.append(_reply(data, f"{source}:{number}"))
    return replies


def _reply(data: Any, where: str) -> Reply:
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected an object with id, author and text")
    for key in ("id", "author", "text"):
        if not isinstance(data.get(key), str):
            raise InputError(f"{where}: {key!r} must be a string")
    endorsements = data.get("endorsements", 0)
    if not isinstance(endorsements, int) or isinstance(endorsements, bool) or endorsements < 0:
        raise InputError(f"{where}: 'endorsements' must be a non-negative integer")
    created = data.get("created_at")
    try:
        created_at = datetime.fromisoformat(created) if isinstance(created, str) else None
    except ValueError:
        raise InputError(f"{where}: 'created_at' is not an ISO 8601 date") from None
    return Reply(data["id"], data["author"], data["text"], endorsements, created_at)


def build_summary(
    replies: Sequence[Reply], analyzer: Analyzer, language: str, dilemma: Dilemma | None
) -> tuple[Summary, list[tuple[str, str, tuple[str, ...]]]]:
    """Classify the replies and summarize them; also returns ``(id, language, themes)`` rows."""
    extra = dilemma.theme_cues() if dilemma else None
    analyses = analyzer.analyze([r.text for r in replies], extra_themes=extra)
    rows = [(r.id, a.language, a.themes) for r, a in zip(replies, analyses, strict=True)]
    candidates = [
        QuoteCandidate(reply.id, theme, mask(sentence), analysis.language, reply.endorsements)
        for reply, analysis in zip(replies, analyses, strict=True)
        for theme, sentence in analysis.evidence
    ]
    order = dilemma.theme_order() if dilemma else list(THEMES)
    dated = [r.created_at for r in replies if r.created_at is not None]
    summary = summarize(
        [(r.id, r.author, a.themes) for r, a in zip(replies, analyses, strict=True)],
        candidates,
        order,
        language,
        last_update=max(dated) if dated else None,
    )
    return summary, rows


def as_json(
    summary: Summary,
    rows: Sequence[tuple[str, str, tuple[str, ...]]],
    localizer: Localizer,
    dilemma: Dilemma | None,
) -> dict[str, Any]:
    """The documented JSON contract."""
    custom = dilemma.theme_labels() if dilemma else None
    return {
        "locale": localizer.locale,
        "members": summary.members,
        "replies": [
            {"id": rid, "language": language, "themes": list(themes)}
            for rid, language, themes in rows
        ],
        "themes": [
            {
                "id": t.theme,
                "label": theme_label(localizer, t.theme, custom),
                "members": t.members,
                "quotes": [
                    {"reply_id": q.reply_id, "text": q.text, "language": q.language}
                    for q in t.quotes
                ],
            }
            for t in summary.themes
        ],
    }


def as_text(summary: Summary, localizer: Localizer, dilemma: Dilemma | None) -> str:
    """The summary as a person reads it."""
    custom = dilemma.theme_labels() if dilemma else None
    lines: list[str] = []
    if dilemma is not None:
        text = dilemma.text(localizer.locale, SUPPORTED_LOCALES[0])
        lines += [text.title, text.prompt, ""]
    lines.append(
        localizer.ngettext(
            "{n} member shared strategies", "{n} members shared strategies", summary.members
        )
        + " \N{MIDDLE DOT} "
        + localizer.ngettext("{n} strategy", "{n} strategies", summary.strategies)
    )
    if not summary.themes:
        lines.append(localizer.gettext("No strategy themes were found yet."))
    top = max((t.members for t in summary.themes), default=0)
    for count in summary.themes:
        filled = round(_BAR_WIDTH * count.members / top) if top else 0
        bar = "\N{FULL BLOCK}" * filled + "\N{LIGHT SHADE}" * (_BAR_WIDTH - filled)
        lines.append(
            f"{bar} {localizer.number(count.members):>5}  "
            f"{theme_label(localizer, count.theme, custom)}"
        )
        for quote in count.quotes:
            tag = "" if quote.language == localizer.locale[:2] else f" [{quote.language}]"
            lines.append(
                f"      \N{LEFT DOUBLE QUOTATION MARK}{quote.text}"
                f"\N{RIGHT DOUBLE QUOTATION MARK}{tag}"
            )
    return "\n".join(lines)


def run(argv: Sequence[str], stdout: TextIO, stderr: TextIO, starter: Sequence[Dilemma]) -> int:
    """The command; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="intervision summarize", description="Summarize a JSONL file of replies."
    )
    parser.add_argument("--input", required=True, type=Path, help="JSONL file ('-' for stdin)")
    parser.add_argument("--locale", required=True, help="e.g. en-US, de, pt-BR, es-ES, fr")
    parser.add_argument("--topic", help="dilemma topic slug (adds its title and own themes)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    args = parser.parse_args(argv)
    try:
        locale = supported(args.locale)
        if locale is None:
            raise InputError(
                f"unsupported locale {args.locale!r}; use one of {', '.join(SUPPORTED_LOCALES)}"
            )
        dilemma = _dilemma(args.topic, starter)
        replies = _load(args.input)
    except InputError as error:
        stderr.write(f"intervision summarize: {error}\n")
        return EXIT_INPUT
    localizer = Localizer(Catalogs.load(), locale)
    summary, rows = build_summary(replies, Analyzer.load(), locale[:2], dilemma)
    if args.format == "json":
        json.dump(as_json(summary, rows, localizer, dilemma), stdout, ensure_ascii=False, indent=2)
        stdout.write("\n")
    else:
        stdout.write(as_text(summary, localizer, dilemma) + "\n")
    return 0


def _dilemma(topic: str | None, starter: Sequence[Dilemma]) -> Dilemma | None:
    if topic is None:
        return None
    for dilemma in starter:
        if dilemma.topic == topic:
            return dilemma
    close = ", ".join(d.topic for d in closest_topics(topic, starter))
    hint = f"; did you mean {close}?" if close else ""
    raise InputError(f"unknown topic {topic!r}{hint}")


def _load(path: Path) -> list[Reply]:
    if str(path) == "-":
        return read_replies(sys.stdin, "<stdin>")
    try:
        with path.open(encoding="utf-8") as handle:
            return read_replies(handle, str(path))
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text") from None
