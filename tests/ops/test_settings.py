"""``LOG_FORMAT``, ``METRICS_PORT`` and ``METRICS_HOST``: defaults, parsing, one-line errors."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.__main__ import configuration_error
from bot.settings import Settings

NAMES = ("LOG_FORMAT", "METRICS_PORT", "METRICS_HOST")


def _settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings(discord_token="x", _env_file=None)  # type: ignore[call-arg]


def test_defaults_serve_nothing_and_log_text(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(monkeypatch, METRICS_PORT="")
    assert (settings.metrics_port, settings.metrics_host, settings.log_format) == (
        None,
        "127.0.0.1",
        "text",
    )


def test_values_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(
        monkeypatch, METRICS_PORT="9100", METRICS_HOST="0.0.0.0", LOG_FORMAT="JSON"
    )
    assert (settings.metrics_port, settings.metrics_host, settings.log_format) == (
        9100,
        "0.0.0.0",
        "json",
    )


@pytest.mark.parametrize(
    ("env", "line"),
    [
        ({"METRICS_PORT": "0"}, "METRICS_PORT is invalid"),
        ({"METRICS_PORT": "70000"}, "METRICS_PORT is invalid"),
        ({"METRICS_PORT": "http"}, "METRICS_PORT is invalid"),
        ({"METRICS_HOST": "http://x/"}, "METRICS_HOST is invalid: must be an address"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT is invalid: must be text or json"),
    ],
)
def test_bad_values_give_one_line_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], line: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        _settings(monkeypatch, **env)
    message = configuration_error(caught.value)
    assert line in message
    assert "\n" not in message
