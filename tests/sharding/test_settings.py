"""``SHARD_COUNT`` and ``SHARD_IDS``: parsed, validated with one clear line, and turned into
the right kind of bot."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.__main__ import configuration_error
from bot.client import IntervisionBot, Services, ShardedIntervisionBot, create_bot
from bot.i18n.catalogs import Catalogs
from bot.settings import Settings


def _settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name in ("SHARD_COUNT", "SHARD_IDS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings(discord_token="x", _env_file=None)  # type: ignore[call-arg]


def test_unset_means_one_unsharded_process(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(monkeypatch, SHARD_COUNT="", SHARD_IDS="")
    assert (settings.shard_count, settings.shard_ids) == (None, None)


def test_shard_ids_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(monkeypatch, SHARD_COUNT="4", SHARD_IDS="1, 3")
    assert (settings.shard_count, settings.shard_ids) == (4, (1, 3))


@pytest.mark.parametrize(
    ("env", "line"),
    [
        ({"SHARD_IDS": "0"}, "SHARD_IDS is invalid: needs SHARD_COUNT"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "0,2"}, "SHARD_IDS is invalid: must be distinct"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "1,1"}, "SHARD_IDS is invalid: must be distinct"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "one"}, "SHARD_IDS is invalid: must be comma-sep"),
        ({"SHARD_COUNT": "0"}, "SHARD_COUNT is invalid"),
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


def test_the_bot_is_sharded_only_when_asked(services: Services, catalogs: Catalogs) -> None:
    plain = create_bot(services=services, catalogs=catalogs)
    assert type(plain) is IntervisionBot
    sharded = create_bot(shard_count=4, shard_ids=(2, 3), services=services, catalogs=catalogs)
    assert isinstance(sharded, ShardedIntervisionBot)
    assert (sharded.shard_count, sharded.shard_ids) == (4, [2, 3])
