"""Schema and balance check of one training part (``training/brief.md``).

Usage::

    python3 scripts/check_training_part.py training/incoming/part_XX.jsonl

Prints the part's balance (languages, theme shares, tags, lengths) and every schema error;
the last line is ``OK`` when there is none (exit status 0), else the error count (exit 1).
"""

from __future__ import annotations

import collections
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.domain.taxonomy import THEMES

TAGS = frozenset(
    {"paraphrase", "negation", "multi", "none", "informal", "story", "question", "mixed"}
)
LANGS = frozenset({"en", "de", "pt", "es", "fr"})
FIELDS = ("id", "lang", "unit", "dilemma", "text", "themes", "tags")


def row_errors(row: dict[str, Any]) -> list[str]:
    """Schema errors of one parsed line."""
    errors = [f"missing {k}" for k in FIELDS if k not in row]
    themes = row.get("themes", [])
    tags = row.get("tags", [])
    if not isinstance(themes, list) or not isinstance(tags, list):
        return [*errors, "themes and tags must be lists"]
    if row.get("lang") not in LANGS:
        errors.append(f"lang {row.get('lang')!r}")
    if row.get("unit") != "reply":
        errors.append("unit must be reply")
    if any(t not in THEMES for t in themes):
        errors.append(f"unknown theme in {themes}")
    if themes != sorted(set(themes)):
        errors.append("themes must be sorted and unique")
    if any(t not in TAGS for t in tags):
        errors.append(f"unknown tag in {tags}")
    if ("multi" in tags) != (len(themes) >= 2):
        errors.append("tag multi iff 2+ themes")
    if ("none" in tags) != (not themes):
        errors.append("tag none iff no theme")
    if not str(row.get("text", "")).strip():
        errors.append("empty text")
    return errors


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    rows: list[dict[str, Any]] = []
    errors: list[str] = []
    ids: set[object] = set()
    texts: set[str] = set()
    for n, line in enumerate(Path(argv[0]).read_text(encoding="utf-8").splitlines(), 1):
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"line {n}: not JSON ({exc})")
            continue
        errors += [f"line {n}: {e}" for e in row_errors(row)]
        text = " ".join(str(row.get("text", "")).lower().split())
        if row.get("id") in ids or text in texts:
            errors.append(f"line {n}: duplicate id or text")
        ids.add(row.get("id"))
        texts.add(text)
        rows.append(row)
    total = max(len(rows), 1)
    theme_counts = collections.Counter(t for r in rows for t in r.get("themes", []))
    words = [len(str(r.get("text", "")).split()) for r in rows]
    print("rows", len(rows))
    print("langs", dict(collections.Counter(r.get("lang") for r in rows)))
    print("themes", {k: f"{v / total:.0%}" for k, v in sorted(theme_counts.items())})
    for tag in ("paraphrase", "negation", "multi", "none"):
        print(tag, f"{sum(tag in r.get('tags', []) for r in rows) / total:.0%}")
    print("short<=15", f"{sum(w <= 15 for w in words) / total:.0%}")
    print("long>=60", f"{sum(w >= 60 for w in words) / total:.0%}")
    for error in errors[:40]:
        print("ERROR", error)
    print("OK" if rows and not errors else f"{len(errors)} errors")
    return 0 if rows and not errors else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
