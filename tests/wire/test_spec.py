"""The OpenAPI request validator itself: it must catch violations and skip cleanly."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from .fake_discord import RecordedRequest
from .spec import (
    ALLOWED_DEVIATIONS,
    AllowedDeviation,
    SpecValidator,
    drop_field,
    load_spec_validator,
)


def record(method: str, path: str, body: object = None, **query: str) -> RecordedRequest:
    return RecordedRequest(
        method=method,
        path=path,
        query=query,
        json=body,
        body=json.dumps(body).encode() if body is not None else b"",
        content_type="application/json" if body is not None else "",
        headers={},
        authorized=True,
        at=0.0,
        status=200,
    )


@pytest.fixture
def validator(spec_validator: SpecValidator | None) -> SpecValidator:
    if spec_validator is None:
        pytest.skip("Discord OpenAPI spec not available")
    return spec_validator


def test_absent_spec_gives_none(tmp_path: Path) -> None:
    assert load_spec_validator(tmp_path / "missing.json") is None


def test_valid_requests_pass(validator: SpecValidator) -> None:
    validator(record("GET", "/users/@me"))
    validator(record("POST", "/interactions/1/tok/callback", {"type": 5}, with_response="1"))
    validator(record("PUT", "/channels/1/messages/2/reactions/%E2%9C%85/@me"))


def test_violations_are_reported(validator: SpecValidator) -> None:
    assert validator.errors(record("GET", "/channels/1/messages", limit="1000"))
    assert validator.errors(record("POST", "/interactions/1/tok/callback", {"type": 99}))
    assert validator.errors(record("POST", "/channels/1/messages", {"content": 5}))
    unknown = validator.errors(record("GET", "/no/such/route"))
    assert "PathNotFound" in unknown[0]
    with pytest.raises(AssertionError, match="at content"):
        validator(record("POST", "/channels/1/messages", {"content": 5}))


def test_integer_snowflakes_are_accepted_but_other_errors_remain(validator: SpecValidator) -> None:
    reply = {"content": "x", "message_reference": {"message_id": 12, "channel_id": 3}}
    assert validator.errors(record("POST", "/channels/1/messages", reply)) == []
    broken = {"content": 7, "message_reference": {"message_id": 12}}
    errors = validator.errors(record("POST", "/channels/1/messages", broken))
    assert len(errors) == 1
    assert "content" in errors[0]
    assert "message_id" not in errors[0]


def test_allow_list_drops_only_the_named_field(validator: SpecValidator) -> None:
    deviation = AllowedDeviation(
        methods=frozenset({"POST"}),
        path=re.compile(r"/channels/\d+/messages"),
        what="string embed colors",
        fix=drop_field("embeds.*.color", lambda value: isinstance(value, str)),
        reason="example",
    )
    custom = SpecValidator(validator._openapi, [deviation])
    body = {"content": "x", "embeds": [{"color": "red"}, {"color": 5}]}
    assert custom.errors(record("POST", "/channels/1/messages", body)) == []
    assert custom.applied
    assert validator.errors(record("POST", "/channels/1/messages", body))


def test_guild_media_channel_type_is_the_only_tolerated_channel_type(
    validator: SpecValidator,
) -> None:
    option = {"type": 7, "name": "channel", "description": "d", "channel_types": [0, 15, 16]}
    command = {
        "name": "setup",
        "description": "d",
        "options": [{"type": 1, "name": "sub", "description": "d", "options": [option]}],
    }
    path = "/applications/1/guilds/2/commands"
    assert validator.errors(record("PUT", path, [command])) == []
    option["channel_types"] = [0, 16, 99]
    errors = validator.errors(record("PUT", path, [command]))
    assert errors
    assert "99" in " ".join(errors)
    assert all(deviation.reason for deviation in ALLOWED_DEVIATIONS)
