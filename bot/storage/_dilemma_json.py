"""How a dilemma's content is stored: one JSON document, the same for every backend."""

from __future__ import annotations

import json
from typing import Any

from bot.domain.dilemmas import CustomTheme, Dilemma, DilemmaText


def dump_dilemma(dilemma: Dilemma) -> str:
    """The JSON stored in ``dilemmas.content`` (the topic is a column of its own)."""
    payload: dict[str, Any] = {
        "texts": {
            locale: {"title": t.title, "prompt": t.prompt, "key_points": list(t.key_points)}
            for locale, t in dilemma.texts.items()
        },
        "tags": list(dilemma.tags),
        "references": list(dilemma.references),
        "themes": [
            {"id": t.id, "labels": dict(t.labels), "cues": list(t.cues)} for t in dilemma.themes
        ],
    }
    return json.dumps(payload, ensure_ascii=False)


def load_dilemma(topic: str, content: str) -> Dilemma:
    """The inverse of :func:`dump_dilemma`."""
    payload = json.loads(content)
    return Dilemma(
        topic=topic,
        texts={
            locale: DilemmaText(text["title"], text["prompt"], tuple(text["key_points"]))
            for locale, text in payload["texts"].items()
        },
        tags=tuple(payload.get("tags", ())),
        references=tuple(payload.get("references", ())),
        themes=tuple(
            CustomTheme(t["id"], t["labels"], tuple(t["cues"])) for t in payload.get("themes", ())
        ),
    )
