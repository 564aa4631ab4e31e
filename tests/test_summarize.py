"""``intervision summarize``: the JSONL contract in every locale, bad input, masking."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.domain.dilemmas import Dilemma
from bot.i18n.locales import SUPPORTED_LOCALES
from bot.nlp.analyzer import Analyzer
from bot.summarize import run

LINES = [
    {
        "id": "r1",
        "author": "ana",
        "text": "First, stay calm. Remind them gently about our "
        "confidentiality agreement and why it matters.",
        "endorsements": 3,
    },
    {
        "id": "r2",
        "author": "ben",
        "text": "Ich würde zuerst fragen, was hinter dem Wunsch steckt, "
        "und dann die Vereinbarung gemeinsam durchgehen.",
    },
    {
        "id": "r3",
        "author": "caio",
        "text": "Eu levaria o caso para a minha supervisão. Meu "
        "contato: caio@example.com ou +55 11 98765-4321.",
        "created_at": "2026-11-20T10:00:00+00:00",
    },
    {"id": "r4", "author": "ana", "text": "I would not role-play this with them."},
    {"id": "r5", "author": "dana", "text": "\N{THUMBS UP SIGN}"},
    {
        "id": "r6",
        "author": "eva",
        "text": "Yo le recordaría el acuerdo de confidencialidad que firmamos al principio.",
    },
]
LABELS = {
    "en-US": "Revisit the agreement",
    "de": "Vereinbarung überprüfen",
    "pt-BR": "Rever o acordo",
}


@pytest.fixture(autouse=True)
def shared_analyzer(monkeypatch: pytest.MonkeyPatch, analyzer: Analyzer) -> None:
    """Reuse the session's loaded models instead of loading them per call."""
    monkeypatch.setattr(Analyzer, "load", classmethod(lambda cls: analyzer))


def _run(args: list[str], starter: tuple[Dilemma, ...]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(args, out, err, starter)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def replies(tmp_path: Path) -> Path:
    path = tmp_path / "replies.jsonl"
    path.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in LINES) + "\n")
    return path


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_json_contract_in_every_locale(
    locale: str, replies: Path, starter_catalog: tuple[Dilemma, ...]
) -> None:
    code, out, err = _run(
        ["--input", str(replies), "--locale", locale, "--format", "json"], starter_catalog
    )
    assert code == 0, err
    data = json.loads(out)
    assert set(data) == {"locale", "members", "replies", "themes"}
    assert data["locale"] == locale
    assert data["members"] == 5
    assert [r["id"] for r in data["replies"]] == [line["id"] for line in LINES]
    languages = {r["id"]: r["language"] for r in data["replies"]}
    assert languages == {"r1": "en", "r2": "de", "r3": "pt", "r4": "en", "r5": "und", "r6": "es"}
    themes = {r["id"]: r["themes"] for r in data["replies"]}
    assert "rehearse" not in themes["r4"]  # a rejected strategy is not one
    assert themes["r5"] == []
    members = [t["members"] for t in data["themes"]]
    assert members == sorted(members, reverse=True)
    agreement = next(t for t in data["themes"] if t["id"] == "agreement")
    assert agreement["members"] == 3
    if locale in LABELS:
        assert agreement["label"] == LABELS[locale]
    for theme in data["themes"]:
        assert set(theme) == {"id", "label", "members", "quotes"}
        for quote in theme["quotes"]:
            assert set(quote) == {"reply_id", "text", "language"}
            assert len(quote["text"]) <= 200
            assert "caio@example.com" not in quote["text"]
            assert "98765" not in quote["text"]
    quoted = [q["text"] for t in data["themes"] for q in t["quotes"]]
    assert len(quoted) == len(set(quoted))


def test_text_output_reads_like_a_summary(
    replies: Path, starter_catalog: tuple[Dilemma, ...]
) -> None:
    code, out, _ = _run(
        ["--input", str(replies), "--locale", "de", "--topic", "confidentiality"], starter_catalog
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Ein Coachee möchte die Vertraulichkeit verletzen"
    assert "5 Mitglieder" in out
    assert "Vereinbarung überprüfen" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"id": "r1", "author": "a"}\n', "'text' must be a string"),
        ("not json\n", ":1: not valid JSON"),
        ('{"id": "r1", "author": "a", "text": "x"}\n[1]\n', ":2: expected an object"),
        ('{"id": "r1", "author": "a", "text": "x", "endorsements": -1}\n', "non-negative"),
        ('{"id": "r1", "author": "a", "text": "x", "created_at": "yesterday"}\n', "ISO 8601"),
    ],
)
def test_bad_lines_are_named(
    tmp_path: Path, starter_catalog: tuple[Dilemma, ...], content: str, message: str
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    code, out, err = _run(["--input", str(path), "--locale", "en-US"], starter_catalog)
    assert code == 2
    assert out == ""
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_unknown_locale_topic_and_file(
    replies: Path, tmp_path: Path, starter_catalog: tuple[Dilemma, ...]
) -> None:
    assert (
        "unsupported locale"
        in _run(["--input", str(replies), "--locale", "xx"], starter_catalog)[2]
    )
    code, _, err = _run(
        ["--input", str(replies), "--locale", "fr", "--topic", "confidentialty"], starter_catalog
    )
    assert code == 2
    assert "did you mean confidentiality" in err
    assert (
        _run(["--input", str(tmp_path / "none.jsonl"), "--locale", "fr"], starter_catalog)[0] == 2
    )


def test_regional_locales_fall_back(replies: Path, starter_catalog: tuple[Dilemma, ...]) -> None:
    code, out, _ = _run(
        ["--input", str(replies), "--locale", "es-419", "--format", "json"], starter_catalog
    )
    assert code == 0
    assert json.loads(out)["locale"] == "es-ES"


def test_a_dilemmas_own_theme_is_detected(
    tmp_path: Path, starter_catalog: tuple[Dilemma, ...]
) -> None:
    path = tmp_path / "recordings.jsonl"
    path.write_text(
        json.dumps(
            {
                "id": "r1",
                "author": "a",
                "text": "I would delete the recording right "
                "after the session and check where the data is stored.",
            }
        )
        + "\n"
    )
    code, out, _ = _run(
        [
            "--input",
            str(path),
            "--locale",
            "de",
            "--topic",
            "recording_sessions",
            "--format",
            "json",
        ],
        starter_catalog,
    )
    assert code == 0
    themes = {t["id"]: t["label"] for t in json.loads(out)["themes"]}
    assert themes.get("data_protection") == "Daten schützen"
