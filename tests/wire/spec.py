"""Validate requests recorded by the fake Discord against Discord's OpenAPI description.

The spec is ``../shared/discord-api-spec/openapi.json`` next to the repository (override with
the ``DISCORD_OPENAPI_SPEC`` environment variable). When the file is absent,
:func:`load_spec_validator` returns ``None`` and callers skip validation, so a fresh clone still
passes its tests.

Checked per request: the path exists for the method, path and query parameters, and the JSON
body schema. Not checked: responses (the fake writes them), multipart bodies other than their
``payload_json`` (validated as the JSON body of the same operation), and the ``Authorization``
value (the fake never stores it; a placeholder is sent when the bot sent one).

Discord says its docs win where docs and spec disagree. Fields where a request discord.py sends
legitimately fails the spec are listed in :data:`ALLOWED_DEVIATIONS`, each with its reason; the
offending field is removed and the rest of the request is still validated. Nothing is disabled
wholesale.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import re
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jsonschema.exceptions import ValidationError
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from .fake_discord import RecordedRequest

log = logging.getLogger(__name__)

SPEC_ENV = "DISCORD_OPENAPI_SPEC"
SERVER_HOST = "https://discord.com"
SERVER_PREFIX = "/api/v10"


def spec_path() -> Path:
    """Where the spec is expected: ``$DISCORD_OPENAPI_SPEC`` or ``<repo>/../shared/...``."""
    override = os.environ.get(SPEC_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[3] / "shared/discord-api-spec/openapi.json"


@dataclass(frozen=True)
class AllowedDeviation:
    """Part of a body that discord.py sends and the spec rejects although Discord accepts it.

    For requests with a method in ``methods`` whose path fully matches ``path``, ``fix`` edits
    a copy of the JSON body in place (returning True if it changed anything) before validation;
    ``what`` names the affected part. Build ``fix`` with :func:`drop_field` or
    :func:`remove_values`, which touch nothing else.
    """

    methods: frozenset[str]
    path: re.Pattern[str]
    what: str
    fix: Callable[[Any], bool]
    reason: str


def drop_field(dotted: str, applies: Callable[[Any], bool]) -> Callable[[Any], bool]:
    """A fix removing the field at ``dotted`` (``*`` = every list item) where ``applies``."""
    parts = dotted.split(".")
    return lambda body: _drop(body, parts, applies)


def remove_values(key: str, values: frozenset[Any]) -> Callable[[Any], bool]:
    """A fix removing ``values`` from every list stored under ``key``, at any depth."""

    def fix(node: Any) -> bool:
        changed = False
        if isinstance(node, dict):
            for name, value in node.items():
                if name == key and isinstance(value, list):
                    kept = [v for v in value if v not in values]
                    changed |= len(kept) != len(value)
                    value[:] = kept
                else:
                    changed |= fix(value)
        elif isinstance(node, list):
            for item in node:
                changed |= fix(item)
        return changed

    return fix


# Keep this list short; every entry needs a reason Discord's docs back up.
ALLOWED_DEVIATIONS: tuple[AllowedDeviation, ...] = (
    AllowedDeviation(
        methods=frozenset({"PUT", "POST", "PATCH"}),
        path=re.compile(r"/applications/\d+(?:/guilds/\d+)?/commands(?:/\d+)?"),
        what="16 (GUILD_MEDIA) in an option's channel_types",
        fix=remove_values("channel_types", frozenset({16})),
        reason="the spec's ChannelTypes enum stops at 15 but Discord's docs (Channel Types) "
        "define GUILD_MEDIA = 16, a forum-like channel that command options may target",
    ),
)

#: The one structural deviation, applied to every body: discord.py sends snowflakes in request
#: bodies as JSON integers (``message_reference.message_id``, ``allowed_mentions.users``,
#: ``applied_tags`` ...) while the spec types them as strings. Discord's reference ("Snowflakes")
#: only promises strings in *responses*; the API accepts integers in requests. Such values are
#: turned into strings only where the spec asks for a ``format: snowflake`` string, and the
#: request is validated again, so every other error still surfaces.
INTEGER_SNOWFLAKES_REASON = "discord.py sends integer snowflakes; Discord accepts them"


class _Request:
    """The openapi-core request protocol for one recorded request."""

    def __init__(self, record: RecordedRequest, body: bytes | None, content_type: str) -> None:
        self.host_url = SERVER_HOST
        self.path = SERVER_PREFIX + record.path
        self.method = record.method.lower()
        self.body = body
        self.content_type = content_type
        headers = dict(record.headers)
        if record.authorized:
            headers["Authorization"] = "Bot <redacted>"
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(record.query),
            header=Headers(headers),
            cookie=ImmutableMultiDict(),
        )


def _drop(node: Any, parts: list[str], applies: Callable[[Any], bool]) -> bool:
    """Remove the field at ``parts`` from ``node`` in place where ``applies``; True if removed."""
    head, rest = parts[0], parts[1:]
    if head == "*":
        if not isinstance(node, list):
            return False
        return any([_drop(item, rest, applies) for item in node])  # a list: visit every item
    if not isinstance(node, dict) or head not in node:
        return False
    if rest:
        return _drop(node[head], rest, applies)
    if applies(node[head]):
        del node[head]
        return True
    return False


def _schema_errors(error: Exception) -> list[ValidationError]:
    cause = error.__cause__
    found = getattr(cause, "schema_errors", None) or getattr(error, "schema_errors", None)
    return list(found or [])


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    """The innermost errors under ``error`` (``anyOf``/``oneOf`` alternatives flattened)."""
    if not error.context:
        yield error
        return
    for child in error.context:
        yield from _leaves(child)


def _integer_snowflakes(error: Exception) -> list[list[str | int]]:
    """Body paths of JSON integers sent where the spec wants a snowflake string."""
    paths = []
    for schema_error in _schema_errors(error):
        for leaf in _leaves(schema_error):
            schema = leaf.schema if isinstance(leaf.schema, dict) else {}
            if (
                leaf.validator == "type"
                and schema.get("format") == "snowflake"
                and isinstance(leaf.instance, int)
                and not isinstance(leaf.instance, bool)
            ):
                paths.append(list(leaf.absolute_path))
    return paths


def _stringify(body: Any, path: list[str | int]) -> bool:
    node = body
    for key in path[:-1]:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return False
    try:
        value = node[path[-1]]
    except (KeyError, IndexError, TypeError):
        return False
    if not isinstance(value, int):
        return False
    node[path[-1]] = str(value)
    return True


def _is_discriminator(error: ValidationError, parent: ValidationError) -> bool:
    """Whether ``error`` only says that an ``anyOf``/``oneOf`` alternative is the wrong kind.

    True for a wrong JSON type of the instance itself (e.g. the ``null`` branch of a nullable
    field) and for a wrong ``type`` property (Discord's spec tells objects apart by it).
    """
    here = list(parent.absolute_path)
    where = list(error.absolute_path)
    if error.validator == "type" and where == here:
        return True
    return error.validator in ("enum", "const") and where == [*here, "type"]


def _explain(error: ValidationError) -> list[str]:
    """``"at <path>: <message>"`` lines for the errors that matter under ``error``."""
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    if not error.context:
        return [f"at {where}: {error.message[:300]}"]
    leaves = list(_leaves(error))
    if all(
        leaf.validator in ("enum", "const") and leaf.absolute_path == error.absolute_path
        for leaf in leaves
    ):
        allowed = sorted(
            {
                v
                for leaf in leaves
                for v in (
                    leaf.validator_value if leaf.validator == "enum" else [leaf.validator_value]
                )
            },
            key=lambda v: (str(type(v)), v),
        )
        return [f"at {where}: {error.instance!r} is not one of {', '.join(map(str, allowed))}"]
    alternatives: dict[Any, list[ValidationError]] = {}
    for child in error.context:
        key = child.relative_schema_path[0] if child.relative_schema_path else None
        alternatives.setdefault(key, []).append(child)
    viable = [
        errors
        for errors in alternatives.values()
        if not any(_is_discriminator(e, error) for e in errors)
    ]
    lines: list[str] = []
    for errors in viable or list(alternatives.values()):
        for child in errors:
            lines.extend(line for line in _explain(child) if line not in lines)
    return lines


def _describe(error: Exception) -> str:
    """A readable message for an openapi-core error, naming each failing body location."""
    details = [line for schema_error in _schema_errors(error) for line in _explain(schema_error)]
    if details:
        return f"{type(error).__name__}: " + "; ".join(details)
    cause = f" ({error.__cause__})" if error.__cause__ is not None else ""
    return f"{type(error).__name__}: {error}{cause}"[:2000]


class SpecValidator:
    """Checks recorded requests against the OpenAPI spec; calling it asserts one is valid."""

    def __init__(
        self, openapi: OpenAPI, allowed: Iterable[AllowedDeviation] = ALLOWED_DEVIATIONS
    ) -> None:
        self._openapi = openapi
        self._allowed = tuple(allowed)
        #: Deviations that were applied, as ``(request, reason)``, for reporting.
        self.applied: list[tuple[str, str]] = []

    def errors(self, record: RecordedRequest) -> list[str]:
        """The spec violations of ``record`` (empty when valid)."""
        body_json = copy.deepcopy(record.json)
        content_type = record.content_type.split(";")[0].strip().lower() or "application/json"
        if content_type == "multipart/form-data":
            content_type = "application/json"  # its payload_json part, see module docstring
        for allowed in self._allowed:
            if (
                record.method in allowed.methods
                and allowed.path.fullmatch(record.path)
                and allowed.fix(body_json)
            ):
                self.applied.append((str(record), allowed.reason))
        for _ in range(20):  # each round fixes every integer snowflake it found
            request = _Request(record, self._encode(record, body_json), content_type)
            with warnings.catch_warnings():
                # The spec's OAuth2 scheme is unsupported by openapi-core; BotToken is checked.
                warnings.filterwarnings("ignore", "Unsupported scheme type", UserWarning)
                errors = list(self._openapi.iter_request_errors(request))
            fixed = [
                path
                for error in errors
                for path in _integer_snowflakes(error)
                if _stringify(body_json, path)
            ]
            if not fixed:
                break
            self.applied.append((str(record), INTEGER_SNOWFLAKES_REASON))
        return [_describe(e) for e in errors]

    @staticmethod
    def _encode(record: RecordedRequest, body_json: Any) -> bytes | None:
        if body_json is not None:
            return json.dumps(body_json).encode()
        return record.body or None

    def problems(self, records: Iterable[RecordedRequest]) -> list[str]:
        """``"<request>: <error>"`` for every violation among ``records``.

        Requests answered by an injected failure are still checked (the bot sent them).
        """
        return [f"{record}: {error}" for record in records for error in self.errors(record)]

    def assert_valid(self, records: Iterable[RecordedRequest]) -> None:
        """Raise ``AssertionError`` listing every violation among ``records``."""
        problems = self.problems(records)
        if problems:
            raise AssertionError(
                "requests that violate Discord's OpenAPI spec:\n  " + "\n  ".join(problems)
            )

    def __call__(self, record: RecordedRequest) -> None:
        """Raise ``AssertionError`` if ``record`` violates the spec."""
        self.assert_valid([record])


@lru_cache(maxsize=4)
def _load(path: Path) -> OpenAPI:
    # Discord's published spec is trusted as a document: skipping openapi-spec-validator's
    # meta-validation of it cuts loading from ~8 s to under 1 s. Requests are still validated.
    return OpenAPI.from_file_path(str(path), config=Config(spec_validator_cls=None))


def load_spec_validator(path: Path | None = None) -> SpecValidator | None:
    """A :class:`SpecValidator` for ``path`` (default :func:`spec_path`), or ``None`` if absent.

    The parsed spec is cached per path for the process.
    """
    path = path or spec_path()
    if not path.is_file():
        log.info("Discord OpenAPI spec not found at %s; request validation skipped", path)
        return None
    return SpecValidator(_load(path.resolve()))


def assert_requests_valid(
    validator: SpecValidator | None, records: Iterable[RecordedRequest]
) -> None:
    """Assert every record is spec-valid; does nothing when the spec is absent (``None``)."""
    if validator is not None:
        validator.assert_valid(records)
