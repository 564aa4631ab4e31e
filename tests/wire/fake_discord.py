"""A wire-level fake of Discord: REST API v10 over HTTP and the gateway over a websocket.

The fake is an aiohttp server on ``127.0.0.1`` (random port). A real ``discord.py`` client, in
process or the unmodified bot started as ``python -m bot``, talks to it exactly as it would to
Discord once ``discord.http.Route.BASE`` is :attr:`FakeDiscord.api_base` and
``DiscordWebSocket.DEFAULT_GATEWAY`` is :attr:`FakeDiscord.gateway_url`.

Contract, in short:

* It keeps a small world (application, bot user, guilds with roles, members, text/forum channels
  and threads, messages, registered application commands) seeded with a default community; see
  :class:`FakeDiscord` attributes ``guild_id``, ``general_id``, ``forum_id``, ``thread_id``,
  ``owner_id``, ``member_ids``.
* Every REST request is recorded in :attr:`FakeDiscord.requests` (the ``Authorization`` header is
  never stored) and can be awaited with :meth:`FakeDiscord.wait_for_request`. Unknown routes get
  a Discord-shaped 404, are logged and collected in :attr:`FakeDiscord.unhandled`.
* Responses carry ``Content-Type: application/json`` exactly (discord.py parses nothing else).
* Discord's documented limits that the OpenAPI spec does not express (2000 characters of content,
  embed totals, empty messages, command name/locale rules, the 3 second interaction deadline,
  double acknowledgement) are enforced with Discord's error codes.
* The gateway honours ``v``, ``encoding`` and ``compress`` (``zlib-stream``) query parameters,
  answers heartbeats, IDENTIFY (READY then one GUILD_CREATE per guild), RESUME (replays missed
  events, then RESUMED), REQUEST_GUILD_MEMBERS, filters events by the identified intents
  (including the MESSAGE_CONTENT rule), and can be told to close, reconnect or invalidate.
* :meth:`FakeDiscord.inject` makes the next matching requests fail (429 with rate-limit headers,
  5xx, anything) before routing.

Not modelled: channel permission overwrites, sharding, voice, presences, audit logs, CDN,
zstd transport compression, ETF encoding.
"""

# The wait helpers take ``timeout=`` by design (``await fake.wait_for_request(..., timeout=10)``).
# ruff: noqa: ASYNC109
from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import logging
import re
import secrets
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum
from typing import TYPE_CHECKING, Any, NoReturn, Self, TypeVar
from urllib.parse import unquote

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable, Mapping
    from types import TracebackType

log = logging.getLogger(__name__)

JSON = dict[str, Any]
T = TypeVar("T")

API_PREFIX = "/api/v10"
GATEWAY_PATH = "/gateway"
API_VERSION = 10
DISCORD_EPOCH_MS = 1_420_070_400_000
DEFAULT_TIMEOUT = 10.0
INTERACTION_DEADLINE = 3.0
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024

#: Locales Discord accepts in ``*_localizations`` and sends as ``locale``.
DISCORD_LOCALES = frozenset(
    {
        "id",
        "da",
        "de",
        "en-GB",
        "en-US",
        "es-ES",
        "es-419",
        "fr",
        "hr",
        "it",
        "lt",
        "hu",
        "nl",
        "no",
        "pl",
        "pt-BR",
        "ro",
        "fi",
        "sv-SE",
        "vi",
        "tr",
        "cs",
        "el",
        "bg",
        "ru",
        "uk",
        "hi",
        "th",
        "zh-CN",
        "ja",
        "zh-TW",
        "ko",
    }
)
# Discord's rule for CHAT_INPUT command and option names (no upper case).
_COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$")


class Op(IntEnum):
    """Gateway opcodes."""

    DISPATCH = 0
    HEARTBEAT = 1
    IDENTIFY = 2
    PRESENCE_UPDATE = 3
    VOICE_STATE_UPDATE = 4
    RESUME = 6
    RECONNECT = 7
    REQUEST_GUILD_MEMBERS = 8
    INVALID_SESSION = 9
    HELLO = 10
    HEARTBEAT_ACK = 11


class ChannelType(IntEnum):
    """Channel types used by the fake."""

    GUILD_TEXT = 0
    DM = 1
    GUILD_VOICE = 2
    GUILD_CATEGORY = 4
    GUILD_ANNOUNCEMENT = 5
    ANNOUNCEMENT_THREAD = 10
    PUBLIC_THREAD = 11
    PRIVATE_THREAD = 12
    GUILD_FORUM = 15
    GUILD_MEDIA = 16


THREAD_TYPES = frozenset({10, 11, 12})
FORUM_TYPES = frozenset({15, 16})
MESSAGEABLE_TYPES = frozenset({0, 1, 2, 5, 10, 11, 12})


class Intent:
    """Gateway intent bits."""

    GUILDS = 1 << 0
    GUILD_MEMBERS = 1 << 1
    GUILD_PRESENCES = 1 << 8
    GUILD_MESSAGES = 1 << 9
    GUILD_MESSAGE_REACTIONS = 1 << 10
    GUILD_MESSAGE_TYPING = 1 << 11
    DIRECT_MESSAGES = 1 << 12
    DIRECT_MESSAGE_REACTIONS = 1 << 13
    DIRECT_MESSAGE_TYPING = 1 << 14
    MESSAGE_CONTENT = 1 << 15
    PRIVILEGED = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT


class Perm:
    """Permission bits used by the default world."""

    CREATE_INSTANT_INVITE = 1 << 0
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    ADD_REACTIONS = 1 << 6
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    CHANGE_NICKNAME = 1 << 26
    USE_APPLICATION_COMMANDS = 1 << 31
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    SEND_MESSAGES_IN_THREADS = 1 << 38
    ALL = (1 << 51) - 1
    MEMBER = (
        CREATE_INSTANT_INVITE
        | ADD_REACTIONS
        | VIEW_CHANNEL
        | SEND_MESSAGES
        | EMBED_LINKS
        | ATTACH_FILES
        | READ_MESSAGE_HISTORY
        | USE_EXTERNAL_EMOJIS
        | CHANGE_NICKNAME
        | USE_APPLICATION_COMMANDS
        | CREATE_PUBLIC_THREADS
        | SEND_MESSAGES_IN_THREADS
    )
    MODERATOR = MEMBER | MANAGE_MESSAGES | MANAGE_THREADS | MENTION_EVERYONE
    BOT = MODERATOR | MANAGE_CHANNELS | CREATE_PRIVATE_THREADS


# Which intent a dispatch needs: (guild intent, DM intent). Unlisted events are always sent.
_EVENT_INTENTS: dict[str, tuple[int, int]] = {
    **{
        e: (Intent.GUILDS, Intent.GUILDS)
        for e in (
            "GUILD_UPDATE",
            "GUILD_DELETE",
            "GUILD_ROLE_CREATE",
            "GUILD_ROLE_UPDATE",
            "GUILD_ROLE_DELETE",
            "CHANNEL_CREATE",
            "CHANNEL_UPDATE",
            "CHANNEL_DELETE",
            "CHANNEL_PINS_UPDATE",
            "THREAD_CREATE",
            "THREAD_UPDATE",
            "THREAD_DELETE",
            "THREAD_LIST_SYNC",
            "THREAD_MEMBER_UPDATE",
        )
    },
    **{
        e: (Intent.GUILD_MEMBERS, Intent.GUILD_MEMBERS)
        for e in (
            "GUILD_MEMBER_ADD",
            "GUILD_MEMBER_UPDATE",
            "GUILD_MEMBER_REMOVE",
            "THREAD_MEMBERS_UPDATE",
        )
    },
    **{
        e: (Intent.GUILD_MESSAGES, Intent.DIRECT_MESSAGES)
        for e in (
            "MESSAGE_CREATE",
            "MESSAGE_UPDATE",
            "MESSAGE_DELETE",
            "MESSAGE_DELETE_BULK",
        )
    },
    **{
        e: (Intent.GUILD_MESSAGE_REACTIONS, Intent.DIRECT_MESSAGE_REACTIONS)
        for e in (
            "MESSAGE_REACTION_ADD",
            "MESSAGE_REACTION_REMOVE",
            "MESSAGE_REACTION_REMOVE_ALL",
            "MESSAGE_REACTION_REMOVE_EMOJI",
        )
    },
    "TYPING_START": (Intent.GUILD_MESSAGE_TYPING, Intent.DIRECT_MESSAGE_TYPING),
    "PRESENCE_UPDATE": (Intent.GUILD_PRESENCES, Intent.GUILD_PRESENCES),
}

# Close codes after which discord.py gives up instead of resuming.
FATAL_CLOSE_CODES = frozenset({4004, 4010, 4011, 4012, 4013, 4014})


def now_iso() -> str:
    """Current time as the ISO-8601 string Discord uses."""
    return datetime.now(UTC).isoformat()


def snowflake_time(snowflake: int) -> datetime:
    """Creation time encoded in ``snowflake``."""
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)


def message_text(message: Mapping[str, Any]) -> str:
    """All human-readable text of a message payload: content, embeds and components.

    Use it to assert on what a user would read, whether the bot answered with plain content,
    embeds or components (including Components V2 text displays).
    """
    parts: list[str] = []
    if message.get("content"):
        parts.append(str(message["content"]))
    for embed in message.get("embeds") or []:
        for key in ("title", "description"):
            if embed.get(key):
                parts.append(str(embed[key]))
        for sub in ("author", "footer"):
            value = (embed.get(sub) or {}).get("name" if sub == "author" else "text")
            if value:
                parts.append(str(value))
        for fld in embed.get("fields") or []:
            parts.extend(str(fld.get(k, "")) for k in ("name", "value"))

    def walk(components: Iterable[Mapping[str, Any]]) -> None:
        for comp in components:
            for key in ("content", "label", "placeholder", "title"):
                if isinstance(comp.get(key), str):
                    parts.append(comp[key])
            for child_key in ("components", "items"):
                children = comp.get(child_key)
                if isinstance(children, list):
                    walk(c for c in children if isinstance(c, dict))
            accessory = comp.get("accessory")
            if isinstance(accessory, dict):
                walk([accessory])

    walk(message.get("components") or [])
    return "\n".join(parts)


class DiscordHTTPError(Exception):
    """An error response in Discord's JSON shape ``{"code", "message", "errors"?}``."""

    def __init__(self, status: int, code: int, message: str, errors: JSON | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> JSON:
        """The JSON body Discord would send."""
        body: JSON = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


def _unknown(what: str, code: int) -> DiscordHTTPError:
    return DiscordHTTPError(404, code, f"Unknown {what}")


def _form_error(errors: JSON) -> DiscordHTTPError:
    return DiscordHTTPError(400, 50035, "Invalid Form Body", errors)


def _field_error(code: str, message: str) -> JSON:
    return {"_errors": [{"code": code, "message": message}]}


def _nest(path: Iterable[str | int], leaf: JSON) -> JSON:
    result = leaf
    for key in reversed(list(path)):
        result = {str(key): result}
    return result


@dataclass
class RecordedRequest:
    """One REST request as the fake received it, and what it answered.

    ``path`` is relative to the API base and still percent-encoded, e.g.
    ``/channels/1/messages/2/reactions/%E2%9C%85/@me``. ``headers`` never contains
    ``Authorization``; ``authorized`` tells whether one was sent.
    """

    method: str
    path: str
    query: dict[str, str]
    json: Any
    body: bytes
    content_type: str
    headers: dict[str, str]
    authorized: bool
    at: float
    status: int = 0
    response: Any = None
    injected: bool = False
    route: str | None = None

    def __str__(self) -> str:
        query = "?" + "&".join(f"{k}={v}" for k, v in self.query.items()) if self.query else ""
        # Interaction tokens are long; a prefix identifies them well enough in messages.
        path = re.sub(r"/([\w-]{12})[\w-]{40,}", r"/\1...", self.path)
        return f"{self.method} {path}{query} -> {self.status or '...'}"


@dataclass
class Injection:
    """A canned response served instead of routing, for the next ``remaining`` matches.

    ``delay``: seconds to wait before answering. ``route_first``: route the request as usual
    (its effects happen) and then answer with this response instead, like a reply lost on the
    way back. ``status`` 0 with ``route_first``: the routed answer itself (a pure delay).
    """

    method: str
    pattern: re.Pattern[str]
    status: int
    body: Any
    headers: dict[str, str]
    remaining: int
    hits: int = 0
    delay: float = 0.0
    route_first: bool = False


@dataclass(eq=False)
class GatewayConnection:
    """One websocket connection to the fake gateway."""

    ws: web.WebSocketResponse
    query: dict[str, str]
    compressor: Any = None
    session: GatewaySession | None = None
    heartbeats: int = 0
    transport: Any = None  # the TCP transport, for dropping the connection without a close frame


@dataclass(eq=False)
class GatewaySession:
    """An identified gateway session (survives reconnects until invalidated)."""

    session_id: str
    intents: int
    identify: JSON
    seq: int = 0
    events: list[JSON] = field(default_factory=list)
    connection: GatewayConnection | None = None
    valid: bool = True
    ready: bool = False
    resumes: int = 0


@dataclass(frozen=True)
class GatewayFrame:
    """A gateway payload sent (``direction="send"``) or received (``"recv"``) by the fake.

    Tokens in IDENTIFY/RESUME are replaced by ``"<redacted>"``.
    """

    direction: str
    payload: JSON
    connection: GatewayConnection

    @property
    def op(self) -> int:
        """The payload's opcode."""
        return int(self.payload.get("op", -1))

    @property
    def event(self) -> str | None:
        """The dispatch event name, if any."""
        return self.payload.get("t")


class InteractionHandle:
    """A slash command sent by :meth:`FakeDiscord.slash`; follow what the bot answers.

    ``callback`` is the first accepted interaction callback body; ``original`` the original
    response message (``None`` until a type 4/5 callback), ``followups`` the followup messages.
    Payloads are live: they reflect later edits. ``errors`` lists Discord errors the fake
    returned for requests on this interaction (e.g. late or double acknowledgement).
    """

    def __init__(self, fake: FakeDiscord, payload: JSON, command: JSON) -> None:
        self._fake = fake
        self.payload = payload
        self.command = command
        self.id = int(payload["id"])
        self.token: str = payload["token"]
        self.created = time.monotonic()
        self.callback: JSON | None = None
        self.callback_type: int | None = None
        self.original: JSON | None = None
        self.original_deleted = False
        self.followups: list[JSON] = []
        self.errors: list[JSON] = []

    @property
    def loading(self) -> bool:
        """Whether the original response is still the deferred "is thinking..." message."""
        return self.original is not None and bool(self.original.get("flags", 0) & 128)

    @property
    def ephemeral(self) -> bool:
        """Whether the original response is only visible to the invoking user."""
        return self.original is not None and bool(self.original.get("flags", 0) & 64)

    @property
    def messages(self) -> list[JSON]:
        """The original response (if any and not deleted) followed by the followups."""
        head = [self.original] if self.original is not None and not self.original_deleted else []
        return [*head, *self.followups]

    def text(self) -> str:
        """Everything readable in :attr:`messages` (see :func:`message_text`)."""
        return "\n".join(message_text(m) for m in self.messages)

    async def wait_callback(self, timeout: float = DEFAULT_TIMEOUT) -> JSON:
        """Wait for the interaction callback and return its body."""
        return await self._fake.wait_until(
            lambda: self.callback, timeout=timeout, what=f"callback of interaction {self.id}"
        )

    async def wait_response(self, timeout: float = DEFAULT_TIMEOUT) -> JSON:
        """Wait until the original response is visible (sent, or deferred then edited)."""
        return await self._fake.wait_until(
            lambda: self.original if self.original is not None and not self.loading else None,
            timeout=timeout,
            what=f"visible response to interaction {self.id}",
        )

    async def wait_followups(self, count: int = 1, timeout: float = DEFAULT_TIMEOUT) -> list[JSON]:
        """Wait until at least ``count`` followup messages exist; return them all."""
        return await self._fake.wait_until(
            lambda: list(self.followups) if len(self.followups) >= count else None,
            timeout=timeout,
            what=f"{count} followup(s) to interaction {self.id}",
        )

    async def wait_text(
        self, needle: str | re.Pattern[str], timeout: float = DEFAULT_TIMEOUT
    ) -> str:
        """Wait until :meth:`text` contains ``needle`` (substring or regex); return the text."""

        def check() -> str | None:
            text = self.text()
            found = needle.search(text) if isinstance(needle, re.Pattern) else needle in text
            return text if found else None

        return await self._fake.wait_until(
            check, timeout=timeout, what=f"{needle!r} in the answer to interaction {self.id}"
        )


@dataclass(frozen=True)
class _Route:
    method: str
    template: str
    regex: re.Pattern[str]
    handler: Callable[[RecordedRequest, dict[str, str]], Awaitable[tuple[int, Any]]]
    auth: bool


def _compile(template: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return re.compile(f"^{pattern}$")


class FakeDiscord:
    """The fake Discord server; use as ``async with FakeDiscord() as fake:``.

    Args:
        token: the bot token it accepts (``Bot <token>`` on REST, IDENTIFY/RESUME on the gateway).
        heartbeat_interval_ms: sent in HELLO.
        interaction_deadline: seconds within which the first interaction callback must arrive
            (Discord: 3 s); later callbacks get ``404 Unknown interaction`` (10062).
        privileged_intents: privileged intents enabled for the application in the developer
            portal; identifying with others closes the socket with 4014.
        seed: create the default community (guild, channels, thread, members).
    """

    def __init__(
        self,
        *,
        token: str = "fake.token",
        heartbeat_interval_ms: int = 41_250,
        interaction_deadline: float = INTERACTION_DEADLINE,
        privileged_intents: int = Intent.PRIVILEGED,
        seed: bool = True,
    ) -> None:
        self.token = token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.interaction_deadline = interaction_deadline
        self.privileged_intents = privileged_intents
        self.ack_heartbeats = True

        self.requests: list[RecordedRequest] = []
        self.unhandled: list[RecordedRequest] = []
        self.fake_errors: list[str] = []
        self.gateway_log: list[GatewayFrame] = []
        self.connections: list[GatewayConnection] = []
        self.sessions: list[GatewaySession] = []
        self._injections: list[Injection] = []
        self._change = asyncio.Event()
        self._counter = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._port = 0

        self.users: dict[int, JSON] = {}
        self.guilds: dict[int, JSON] = {}
        self.channels: dict[int, JSON] = {}
        self.messages: dict[int, list[JSON]] = {}
        self._message_index: dict[int, JSON] = {}
        self.global_commands: list[JSON] = []
        self.guild_commands: dict[int, list[JSON]] = {}
        self.interactions: dict[str, InteractionHandle] = {}

        self.application_id = self.new_id()
        self.bot_user = self.add_user("Intervision", bot=True, user_id=self.application_id)
        self.bot_id = self.application_id
        self.owner_id = int(self.add_user("owner")["id"])
        self._routes = self._build_routes()
        if seed:
            self._seed()

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Start serving on a random port of 127.0.0.1."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get(GATEWAY_PATH, self._handle_gateway)
        app.router.add_get(GATEWAY_PATH + "/", self._handle_gateway)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._handle_rest)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        log.debug("fake Discord listening on %s", self.base_url)

    async def stop(self) -> None:
        """Close every websocket (code 1001) and stop the server."""
        for conn in list(self.connections):
            if not conn.ws.closed:
                with contextlib.suppress(Exception):
                    await conn.ws.close(code=1001, message=b"fake Discord shutting down")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_base(self) -> str:
        """The REST base, ``http://127.0.0.1:PORT/api/v10`` (for ``Route.BASE``)."""
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        """The gateway URL, ``ws://127.0.0.1:PORT/gateway`` (for ``DEFAULT_GATEWAY``)."""
        return f"ws://127.0.0.1:{self._port}{GATEWAY_PATH}"

    # ------------------------------------------------------------------ waiting

    def _notify(self) -> None:
        self._change.set()
        self._change = asyncio.Event()

    async def wait_until(
        self, predicate: Callable[[], T | None], *, timeout: float = DEFAULT_TIMEOUT, what: str = ""
    ) -> T:
        """Wait until ``predicate()`` returns something truthy and return it.

        Re-evaluated whenever the fake's state changes. Raises ``TimeoutError`` naming ``what``
        and the last requests after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                recent = "\n  ".join(str(r) for r in self.requests[-8:]) or "(none)"
                raise TimeoutError(
                    f"fake Discord: timed out after {timeout:.1f}s waiting for {what or predicate}"
                    f"; last requests:\n  {recent}"
                )
            event = self._change
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout=min(remaining, 0.05))

    def mark(self) -> int:
        """Index to pass as ``since`` so that later waits ignore earlier requests."""
        return len(self.requests)

    def find_requests(
        self,
        method: str,
        path_regex: str,
        *,
        since: int = 0,
        predicate: Callable[[RecordedRequest], bool] | None = None,
        answered: bool = True,
    ) -> list[RecordedRequest]:
        """Recorded requests with ``method`` whose path fully matches ``path_regex``."""
        pattern = re.compile(path_regex)
        return [
            r
            for r in self.requests[since:]
            if r.method == method.upper()
            and pattern.fullmatch(r.path)
            and (not answered or r.status)
            and (predicate is None or predicate(r))
        ]

    async def wait_for_request(
        self,
        method: str,
        path_regex: str,
        timeout: float = DEFAULT_TIMEOUT,
        *,
        since: int = 0,
        predicate: Callable[[RecordedRequest], bool] | None = None,
    ) -> RecordedRequest:
        """Wait for an answered request (``path_regex`` must match the whole path)."""
        return await self.wait_until(
            lambda: next(
                iter(self.find_requests(method, path_regex, since=since, predicate=predicate)),
                None,
            ),
            timeout=timeout,
            what=f"{method} {path_regex}",
        )

    # ------------------------------------------------------------------ world building

    def new_id(self) -> int:
        """A fresh snowflake with the current timestamp."""
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (ms << 22) | (1 << 17) | (next(self._counter) & 0xFFF)

    def add_user(self, username: str, *, bot: bool = False, user_id: int | None = None) -> JSON:
        """Create a user and return its payload."""
        uid = user_id or self.new_id()
        user: JSON = {
            "id": str(uid),
            "username": username.lower(),
            "discriminator": "0",
            "global_name": None if bot else username.capitalize(),
            "avatar": None,
            "public_flags": 0,
            "flags": 0,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
            "primary_guild": None,
            "collectibles": None,
        }
        if bot:
            user["bot"] = True
        self.users[uid] = user
        return user

    def add_guild(
        self,
        name: str,
        *,
        preferred_locale: str = "en-US",
        owner_id: int | None = None,
        guild_id: int | None = None,
        everyone_permissions: int = Perm.MEMBER,
    ) -> JSON:
        """Create a guild with an ``@everyone`` role and the bot as a member."""
        gid = guild_id or self.new_id()
        guild: JSON = {
            "id": str(gid),
            "name": name,
            "preferred_locale": preferred_locale,
            "owner_id": str(owner_id or self.owner_id),
            "joined_at": now_iso(),
            "roles": {},
            "members": {},
        }
        self.guilds[gid] = guild
        self.add_role(gid, "@everyone", everyone_permissions, role_id=gid)
        bot_role = self.add_role(gid, "Intervision", Perm.BOT, managed=True)
        bot_role["tags"] = {"bot_id": str(self.bot_id)}
        self.add_member(gid, self.bot_id, roles=[int(bot_role["id"])])
        if int(guild["owner_id"]) in self.users:
            self.add_member(gid, int(guild["owner_id"]))
        return guild

    def add_role(
        self,
        guild_id: int,
        name: str,
        permissions: int,
        *,
        role_id: int | None = None,
        managed: bool = False,
    ) -> JSON:
        """Create a role in ``guild_id``."""
        guild = self.guilds[guild_id]
        rid = role_id or self.new_id()
        role: JSON = {
            "id": str(rid),
            "name": name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": len(guild["roles"]),
            "permissions": str(permissions),
            "managed": managed,
            "mentionable": False,
            "flags": 0,
        }
        guild["roles"][rid] = role
        return role

    def add_member(self, guild_id: int, user_id: int, *, roles: Iterable[int] = ()) -> JSON:
        """Make ``user_id`` a member of ``guild_id`` (without the ``user`` key)."""
        member: JSON = {
            "roles": [str(r) for r in roles],
            "joined_at": now_iso(),
            "nick": None,
            "avatar": None,
            "banner": None,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        self.guilds[guild_id]["members"][user_id] = member
        return member

    def add_channel(
        self,
        guild_id: int,
        name: str,
        channel_type: int = ChannelType.GUILD_TEXT,
        *,
        parent_id: int | None = None,
        **extra: Any,
    ) -> JSON:
        """Create a guild channel (text, forum, category, ...) and return its payload."""
        cid = self.new_id()
        position = sum(1 for c in self.channels.values() if c.get("guild_id") == str(guild_id))
        channel: JSON = {
            "id": str(cid),
            "type": int(channel_type),
            "guild_id": str(guild_id),
            "name": name,
            "position": position,
            "permission_overwrites": [],
            "parent_id": str(parent_id) if parent_id else None,
            "nsfw": False,
            "flags": 0,
        }
        if channel_type in MESSAGEABLE_TYPES or channel_type in FORUM_TYPES:
            channel.update(
                topic=None,
                last_message_id=None,
                rate_limit_per_user=0,
                default_auto_archive_duration=1440,
                default_thread_rate_limit_per_user=0,
            )
        if channel_type in FORUM_TYPES:
            channel.update(
                available_tags=[],
                default_reaction_emoji=None,
                default_sort_order=None,
                default_forum_layout=0,
            )
        channel.update(extra)
        self.channels[cid] = channel
        self.messages[cid] = []
        return channel

    def add_thread(
        self,
        parent_id: int,
        name: str,
        *,
        owner_id: int | None = None,
        thread_type: int = ChannelType.PUBLIC_THREAD,
        thread_id: int | None = None,
        applied_tags: Iterable[int] = (),
        auto_archive_duration: int = 1440,
    ) -> JSON:
        """Create an active thread under ``parent_id`` (text or forum channel)."""
        parent = self.channels[parent_id]
        tid = thread_id or self.new_id()
        thread: JSON = {
            "id": str(tid),
            "type": int(thread_type),
            "guild_id": parent["guild_id"],
            "parent_id": str(parent_id),
            "owner_id": str(owner_id or self.bot_id),
            "name": name,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "flags": 0,
            "applied_tags": [str(t) for t in applied_tags],
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": auto_archive_duration,
                "archive_timestamp": now_iso(),
                "locked": False,
                "create_timestamp": now_iso(),
                **({"invitable": True} if thread_type == ChannelType.PRIVATE_THREAD else {}),
            },
        }
        self.channels[tid] = thread
        self.messages.setdefault(tid, [])
        return thread

    def _seed(self) -> None:
        guild = self.add_guild("Coaching Circle", preferred_locale="en-US")
        self.guild_id = int(guild["id"])
        moderator = self.add_role(self.guild_id, "Moderator", Perm.MODERATOR)
        self.member_ids: dict[str, int] = {"owner": self.owner_id}
        for name in ("anna", "joao", "maria", "claire", "sam"):
            uid = int(self.add_user(name)["id"])
            self.add_member(self.guild_id, uid)
            self.member_ids[name] = uid
        mod_id = int(self.add_user("mod")["id"])
        self.add_member(self.guild_id, mod_id, roles=[int(moderator["id"])])
        self.member_ids["mod"] = mod_id
        self.general_id = int(self.add_channel(self.guild_id, "general")["id"])
        self.forum_id = int(
            self.add_channel(self.guild_id, "dilemmas", ChannelType.GUILD_FORUM)["id"]
        )
        self.thread_id = int(
            self.add_thread(self.general_id, "Confidentiality", owner_id=self.owner_id)["id"]
        )

    # ------------------------------------------------------------------ payload views

    def user(self, user_id: int) -> JSON:
        """The user payload of ``user_id``."""
        try:
            return self.users[user_id]
        except KeyError:
            raise _unknown("User", 10013) from None

    def member_payload(self, guild_id: int, user_id: int, *, with_user: bool = True) -> JSON:
        """The guild member payload (optionally with ``user``)."""
        try:
            member = self.guilds[guild_id]["members"][user_id]
        except KeyError:
            raise _unknown("Member", 10007) from None
        payload = copy.deepcopy(member)
        if with_user:
            payload["user"] = copy.deepcopy(self.user(user_id))
        return payload

    def permissions(self, guild_id: int, user_id: int) -> int:
        """Guild-level permissions of a member (roles OR-ed; owner/admin get everything)."""
        guild = self.guilds[guild_id]
        if int(guild["owner_id"]) == user_id:
            return Perm.ALL
        member = guild["members"].get(user_id, {"roles": []})
        value = int(guild["roles"][guild_id]["permissions"])
        for rid in member["roles"]:
            value |= int(guild["roles"][int(rid)]["permissions"])
        return Perm.ALL if value & Perm.ADMINISTRATOR else value

    def channel(self, channel_id: int) -> JSON:
        """The channel payload of ``channel_id``."""
        try:
            return self.channels[channel_id]
        except KeyError:
            raise _unknown("Channel", 10003) from None

    def guild_payload(self, guild_id: int, *, members: bool) -> JSON:
        """The guild as sent in GUILD_CREATE (``members``: all members, else only the bot)."""
        guild = self.guilds[guild_id]
        member_ids = list(guild["members"]) if members else [self.bot_id]
        channels = [c for c in self.channels.values() if c.get("guild_id") == guild["id"]]
        threads = [
            c
            for c in channels
            if c["type"] in THREAD_TYPES and not c["thread_metadata"]["archived"]
        ]
        return {
            "id": guild["id"],
            "name": guild["name"],
            "icon": None,
            "icon_hash": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": guild["owner_id"],
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 1,
            "default_message_notifications": 1,
            "explicit_content_filter": 2,
            "roles": copy.deepcopy(list(guild["roles"].values())),
            "emojis": [],
            "stickers": [],
            "features": ["COMMUNITY"],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "max_members": 25_000_000,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": guild["preferred_locale"],
            "nsfw_level": 0,
            "nsfw": False,
            "premium_progress_bar_enabled": False,
            "incidents_data": None,
            "joined_at": guild["joined_at"],
            "large": len(guild["members"]) >= 250,
            "unavailable": False,
            "lazy": True,
            "member_count": len(guild["members"]),
            "voice_states": [],
            "members": [self.member_payload(guild_id, uid) for uid in member_ids],
            "channels": copy.deepcopy([c for c in channels if c["type"] not in THREAD_TYPES]),
            "threads": copy.deepcopy(threads),
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "embedded_activities": [],
        }

    def application_payload(self) -> JSON:
        """``GET /oauth2/applications/@me``."""
        # GATEWAY_*_LIMITED flags mirror the privileged intents enabled in the portal.
        flags = 0
        if self.privileged_intents & Intent.GUILD_PRESENCES:
            flags |= 1 << 13
        if self.privileged_intents & Intent.GUILD_MEMBERS:
            flags |= 1 << 15
        if self.privileged_intents & Intent.MESSAGE_CONTENT:
            flags |= 1 << 19
        return {
            "id": str(self.application_id),
            "name": "Intervision",
            "icon": None,
            "description": "Peer case consultation for coaches.",
            "summary": "",
            "type": None,
            "bot_public": False,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": flags,
            "owner": copy.deepcopy(self.user(self.owner_id)),
            "team": None,
            "hook": True,
            "interactions_endpoint_url": None,
            "redirect_uris": [],
            "rpc_origins": [],
            "tags": [],
            "approximate_guild_count": len(self.guilds),
            "bot": copy.deepcopy(self.bot_user),
            "integration_types_config": {"0": {}},
        }

    def stored_message(self, message_id: int) -> JSON:
        """The live stored message ``message_id`` (internal keys start with ``_``)."""
        try:
            return self._message_index[message_id]
        except KeyError:
            raise _unknown("Message", 10008) from None

    @staticmethod
    def public(message: JSON) -> JSON:
        """A deep copy of a stored payload without the fake's internal ``_`` keys."""
        return {k: copy.deepcopy(v) for k, v in message.items() if not k.startswith("_")}

    def channel_messages(self, channel_id: int) -> list[JSON]:
        """Public copies of the messages in ``channel_id``, oldest first."""
        return [self.public(m) for m in self.messages.get(channel_id, [])]

    def _gateway_message(self, message: JSON) -> JSON:
        payload = self.public(message)
        guild_id = message.get("_guild_id")
        if guild_id is not None:
            payload["guild_id"] = str(guild_id)
            author_id = int(message["author"]["id"])
            if author_id in self.guilds[guild_id]["members"] and not message.get("webhook_id"):
                payload["member"] = self.member_payload(guild_id, author_id, with_user=False)
            for mention in payload.get("mentions", []):
                if int(mention["id"]) in self.guilds[guild_id]["members"]:
                    mention["member"] = self.member_payload(
                        guild_id, int(mention["id"]), with_user=False
                    )
        return payload

    # ------------------------------------------------------------------ messages (shared)

    def _validate_message(self, body: JSON, *, create: bool) -> None:
        """Enforce Discord's message limits that the OpenAPI spec does not express."""
        errors: JSON = {}
        content = body.get("content")
        if isinstance(content, str) and len(content) > 2000:
            errors["content"] = _field_error(
                "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length."
            )
        embeds = body.get("embeds") or []
        if len(embeds) > 10:
            errors["embeds"] = _field_error(
                "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length."
            )
        total = 0
        limits = {"title": 256, "description": 4096}
        for index, embed in enumerate(embeds):
            for key, limit in limits.items():
                value = embed.get(key) or ""
                total += len(value)
                if len(value) > limit:
                    errors.update(
                        _nest(
                            ["embeds", index, key],
                            _field_error(
                                "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."
                            ),
                        )
                    )
            fields = embed.get("fields") or []
            if len(fields) > 25:
                errors.update(
                    _nest(
                        ["embeds", index, "fields"],
                        _field_error("BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."),
                    )
                )
            for findex, fld in enumerate(fields):
                for key, limit in (("name", 256), ("value", 1024)):
                    value = fld.get(key) or ""
                    total += len(value)
                    if not value.strip() or len(value) > limit:
                        errors.update(
                            _nest(
                                ["embeds", index, "fields", findex, key],
                                _field_error(
                                    "BASE_TYPE_BAD_LENGTH",
                                    f"Must be between 1 and {limit} in length.",
                                ),
                            )
                        )
            total += len((embed.get("footer") or {}).get("text") or "")
            total += len((embed.get("author") or {}).get("name") or "")
        if total > 6000:
            errors["embeds"] = _field_error(
                "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000"
            )
        flags = int(body.get("flags") or 0)
        if flags & (1 << 15) and (content or embeds):
            errors["content"] = _field_error(
                "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                "The 'content' and 'embeds' fields cannot be used when using components v2",
            )
        if errors:
            raise _form_error(errors)
        has_body = any(
            body.get(key) for key in ("embeds", "components", "sticker_ids", "poll", "attachments")
        )
        if create and not (isinstance(content, str) and content.strip()) and not has_body:
            raise DiscordHTTPError(400, 50006, "Cannot send an empty message")

    def _mentions(self, content: str, allowed: JSON | None) -> list[JSON]:
        ids = [int(m) for m in re.findall(r"<@!?(\d+)>", content)]
        if allowed is not None:
            permitted = {int(u) for u in allowed.get("users") or []}
            if "users" not in (allowed.get("parse") or []):
                ids = [i for i in ids if i in permitted]
        seen: dict[int, JSON] = {}
        for uid in ids:
            if uid in self.users and uid not in seen:
                seen[uid] = copy.deepcopy(self.users[uid])
        return list(seen.values())

    def _create_message(
        self,
        channel_id: int,
        author_id: int,
        body: JSON,
        *,
        message_type: int = 0,
        message_id: int | None = None,
        extra: JSON | None = None,
    ) -> JSON:
        channel = self.channel(channel_id)
        mid = message_id or self.new_id()
        content = body.get("content") or ""
        guild_id = int(channel["guild_id"]) if channel.get("guild_id") else None
        message: JSON = {
            "id": str(mid),
            "channel_id": str(channel_id),
            "author": copy.deepcopy(self.user(author_id)),
            "content": content,
            "timestamp": now_iso(),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "mention_everyone": False,
            "mentions": self._mentions(content, body.get("allowed_mentions")),
            "mention_roles": [],
            "attachments": copy.deepcopy(body.get("attachments") or []),
            "embeds": [self._normalise_embed(e) for e in body.get("embeds") or []],
            "pinned": False,
            "type": message_type,
            "flags": int(body.get("flags") or 0),
            "components": copy.deepcopy(body.get("components") or []),
            "_guild_id": guild_id,
        }
        if body.get("nonce") is not None:
            message["nonce"] = body["nonce"]
        if channel["type"] in THREAD_TYPES:
            message["position"] = channel["total_message_sent"]
            channel["message_count"] += 1
            channel["total_message_sent"] += 1
        reference = body.get("message_reference")
        if reference:
            ref_id = int(reference["message_id"])
            referenced = self._message_index.get(ref_id)
            if referenced is None:
                if reference.get("fail_if_not_exists", True):
                    raise _form_error(
                        {
                            "message_reference": _field_error(
                                "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message"
                            )
                        }
                    )
            else:
                message["type"] = 19
                message["message_reference"] = {
                    "type": 0,
                    "message_id": str(ref_id),
                    "channel_id": referenced["channel_id"],
                    **({"guild_id": str(guild_id)} if guild_id else {}),
                }
                message["referenced_message"] = self.public(referenced)
        if extra:
            message.update(extra)
        channel["last_message_id"] = str(mid)
        self.messages.setdefault(channel_id, []).append(message)
        self._message_index[mid] = message
        return message

    @staticmethod
    def _normalise_embed(embed: JSON) -> JSON:
        result = copy.deepcopy(embed)
        result.setdefault("type", "rich")
        for fld in result.get("fields") or []:
            fld.setdefault("inline", False)
        return result

    def _edit_message(self, message: JSON, body: JSON) -> None:
        """Apply a message PATCH body (validated first; nothing changes on error)."""
        self._validate_message(body, create=False)
        edited = dict(message)
        for key in ("components", "attachments", "flags"):
            if body.get(key) is not None:
                edited[key] = copy.deepcopy(body[key])
        if body.get("embeds") is not None:
            edited["embeds"] = [self._normalise_embed(e) for e in body["embeds"]]
        if "content" in body:
            edited["content"] = body["content"] or ""
            edited["mentions"] = self._mentions(edited["content"], body.get("allowed_mentions"))
        edited["flags"] = int(edited.get("flags") or 0) & ~128  # no longer "thinking"
        edited["edited_timestamp"] = now_iso()
        visible = ("content", "embeds", "components", "attachments")
        if not any(edited.get(key) for key in visible):
            raise DiscordHTTPError(400, 50006, "Cannot send an empty message")
        message.update(edited)

    def _delete_message(self, message: JSON) -> None:
        mid = int(message["id"])
        channel_id = int(message["channel_id"])
        with contextlib.suppress(ValueError):
            self.messages[channel_id].remove(message)
        self._message_index.pop(mid, None)

    async def _broadcast_message(self, event: str, message: JSON) -> None:
        if message.get("flags", 0) & 64:
            return  # ephemeral messages are never dispatched
        await self.dispatch(event, self._gateway_message(message))

    # ------------------------------------------------------------------ REST plumbing

    def inject(
        self,
        method: str,
        path_regex: str,
        status: int,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        times: int = 1,
        *,
        retry_after: float = 0.05,
        is_global: bool = False,
        delay: float = 0.0,
        route_first: bool = False,
    ) -> Injection:
        """Answer the next ``times`` requests matching ``method`` and ``path_regex`` (``*`` for
        any method; the regex must match the whole path relative to the API base) with
        ``status`` instead of routing them.

        ``delay`` answers that many seconds late; ``route_first`` lets the request take effect
        and only replaces its answer (a 502 for a message that was in fact created).

        For 429 the default body is Discord's ``{"message", "retry_after", "global"}`` and the
        default headers are ``Retry-After``, ``X-RateLimit-*`` and ``Via`` (without ``Via``
        discord.py treats a 429 as a Cloudflare ban). For 5xx the default body is
        ``{"message": "500: Internal Server Error", "code": 0}``.
        """
        default_headers: dict[str, str] = {}
        if status == 429:
            if body is None:
                body = {
                    "message": "You are being rate limited.",
                    "retry_after": retry_after,
                    "global": is_global,
                    **({"code": 0} if is_global else {}),
                }
            default_headers = {
                "Retry-After": str(max(1, round(retry_after))),
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
                "X-RateLimit-Reset-After": f"{retry_after:.3f}",
                "X-RateLimit-Bucket": "fakebucket" + secrets.token_hex(4),
                "X-RateLimit-Scope": "global" if is_global else "user",
                "Via": "1.1 google",
            }
            if is_global:
                default_headers["X-RateLimit-Global"] = "true"
        elif body is None and status >= 500:
            body = {"message": f"{status}: Internal Server Error", "code": 0}
        injection = Injection(
            method=method.upper(),
            pattern=re.compile(path_regex),
            status=status,
            body=body,
            headers={**default_headers, **(headers or {})},
            remaining=times,
            delay=delay,
            route_first=route_first,
        )
        self._injections.append(injection)
        return injection

    def stall(self, method: str, path_regex: str, seconds: float, times: int = 1) -> Injection:
        """Route the next ``times`` matching requests as usual, but only after ``seconds``
        (the request takes effect then, even if the client has gone away meanwhile)."""
        injection = Injection(
            method=method.upper(),
            pattern=re.compile(path_regex),
            status=0,
            body=None,
            headers={},
            remaining=times,
            delay=seconds,
            route_first=True,
        )
        self._injections.append(injection)
        return injection

    def _take_injection(self, method: str, path: str) -> Injection | None:
        for injection in self._injections:
            if injection.remaining <= 0:
                continue
            if injection.method in ("*", method) and injection.pattern.fullmatch(path):
                injection.remaining -= 1
                injection.hits += 1
                return injection
        return None

    @staticmethod
    def _json_response(
        status: int, data: Any, headers: Mapping[str, str] | None = None
    ) -> web.Response:
        if status == 204 or data is None:
            return web.Response(status=204 if status < 300 else status, headers=headers)
        return web.Response(
            status=status,
            body=json.dumps(data).encode(),
            # discord.py only parses JSON when the header is exactly "application/json".
            headers={**(headers or {}), "Content-Type": "application/json"},
        )

    async def _read_body(self, request: web.Request) -> tuple[bytes, Any]:
        body = await request.read()
        ctype = request.headers.get("Content-Type", "")
        if not body:
            return body, None
        if ctype.startswith("application/json"):
            try:
                return body, json.loads(body)
            except ValueError:
                return body, None
        if ctype.startswith("multipart/form-data"):
            # Re-parse the multipart body for its payload_json part.
            return body, _multipart_payload(body, ctype)
        return body, None

    async def _handle_rest(self, request: web.Request) -> web.StreamResponse:
        raw_path = request.rel_url.raw_path
        path = raw_path[len(API_PREFIX) :] if raw_path.startswith(API_PREFIX) else raw_path
        body, parsed = await self._read_body(request)
        auth = request.headers.get("Authorization")
        record = RecordedRequest(
            method=request.method,
            path=path,
            query={k: v for k, v in request.query.items()},
            json=parsed,
            body=body,
            content_type=request.headers.get("Content-Type", ""),
            headers={k: v for k, v in request.headers.items() if k.lower() != "authorization"},
            authorized=auth is not None,
            at=time.monotonic(),
        )
        self.requests.append(record)
        status, data, headers = await self._route(record, auth)
        record.status = status
        record.response = copy.deepcopy(data)
        log.debug("fake Discord: %s", record)
        self._notify()
        return self._json_response(status, data, headers)

    async def _route(
        self, record: RecordedRequest, auth: str | None
    ) -> tuple[int, Any, Mapping[str, str] | None]:
        injection = self._take_injection(record.method, record.path)
        if injection is not None:
            if injection.delay:
                await asyncio.sleep(injection.delay)
            if not injection.route_first:
                record.injected = True
                return injection.status, copy.deepcopy(injection.body), injection.headers
            routed = await self._route_normally(record, auth)
            if not injection.status:
                return routed
            record.injected = True
            return injection.status, copy.deepcopy(injection.body), injection.headers
        return await self._route_normally(record, auth)

    async def _route_normally(
        self, record: RecordedRequest, auth: str | None
    ) -> tuple[int, Any, Mapping[str, str] | None]:
        for route in self._routes:
            if route.method != record.method:
                continue
            match = route.regex.match(record.path)
            if match is None:
                continue
            record.route = f"{route.method} {route.template}"
            if route.auth and auth != f"Bot {self.token}":
                return 401, {"message": "401: Unauthorized", "code": 0}, None
            try:
                status, data = await route.handler(record, match.groupdict())
            except DiscordHTTPError as exc:
                return exc.status, exc.body(), None
            except Exception as exc:  # a bug in the fake: make it loud
                log.exception("fake Discord: handler for %s failed", record)
                self.fake_errors.append(f"{record}: {exc!r}")
                return 500, {"message": "500: Internal Server Error", "code": 0}, None
            else:
                return status, data, None
        log.warning(
            "fake Discord: no route for %s %s (add it to FakeDiscord)", record.method, record.path
        )
        self.unhandled.append(record)
        return 404, {"message": "404: Not Found", "code": 0}, None

    def _build_routes(self) -> list[_Route]:
        table: list[tuple[str, str, Callable[..., Awaitable[tuple[int, Any]]], bool]] = [
            ("GET", "/users/@me", self._get_me, True),
            ("GET", "/users/{user_id}", self._get_user, True),
            ("POST", "/users/@me/channels", self._create_dm, True),
            ("GET", "/gateway", self._get_gateway, False),
            ("GET", "/gateway/bot", self._get_gateway_bot, True),
            ("GET", "/oauth2/applications/@me", self._get_application, True),
            ("GET", "/applications/@me", self._get_application, True),
            ("GET", "/applications/{app}/commands", self._get_commands, True),
            ("PUT", "/applications/{app}/commands", self._put_commands, True),
            ("POST", "/applications/{app}/commands", self._post_command, True),
            ("DELETE", "/applications/{app}/commands/{command_id}", self._delete_command, True),
            ("GET", "/applications/{app}/guilds/{guild_id}/commands", self._get_commands, True),
            ("PUT", "/applications/{app}/guilds/{guild_id}/commands", self._put_commands, True),
            ("POST", "/applications/{app}/guilds/{guild_id}/commands", self._post_command, True),
            (
                "DELETE",
                "/applications/{app}/guilds/{guild_id}/commands/{command_id}",
                self._delete_command,
                True,
            ),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self._callback, False),
            ("GET", "/webhooks/{app}/{token}/messages/{message_id}", self._get_webhook_msg, False),
            (
                "PATCH",
                "/webhooks/{app}/{token}/messages/{message_id}",
                self._patch_webhook_msg,
                False,
            ),
            (
                "DELETE",
                "/webhooks/{app}/{token}/messages/{message_id}",
                self._delete_webhook_msg,
                False,
            ),
            ("POST", "/webhooks/{app}/{token}", self._post_followup, False),
            ("GET", "/channels/{channel_id}", self._get_channel, True),
            ("PATCH", "/channels/{channel_id}", self._patch_channel, True),
            ("GET", "/channels/{channel_id}/messages", self._get_messages, True),
            ("POST", "/channels/{channel_id}/messages", self._post_message, True),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self._get_message, True),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self._patch_message, True),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self._delete_msg, True),
            (
                "PUT",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
                self._put_reaction,
                True,
            ),
            (
                "DELETE",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
                self._delete_reaction,
                True,
            ),
            (
                "POST",
                "/channels/{channel_id}/messages/{message_id}/threads",
                self._thread_from_message,
                True,
            ),
            ("POST", "/channels/{channel_id}/threads", self._create_thread, True),
            ("PUT", "/channels/{channel_id}/thread-members/@me", self._join_thread, True),
            ("POST", "/channels/{channel_id}/typing", self._typing, True),
            ("GET", "/guilds/{guild_id}", self._get_guild, True),
            ("GET", "/guilds/{guild_id}/channels", self._get_guild_channels, True),
            ("GET", "/guilds/{guild_id}/roles", self._get_roles, True),
            ("GET", "/guilds/{guild_id}/threads/active", self._get_active_threads, True),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self._get_member, True),
        ]
        return [
            _Route(method, template, _compile(template), handler, auth)
            for method, template, handler, auth in table
        ]

    # ------------------------------------------------------------------ REST: users, app

    async def _get_me(self, _r: RecordedRequest, _p: dict[str, str]) -> tuple[int, Any]:
        me = copy.deepcopy(self.bot_user)
        me.update(verified=True, mfa_enabled=False, email=None, locale="en-US", bio="")
        return 200, me

    async def _get_user(self, _r: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        return 200, copy.deepcopy(self.user(int(p["user_id"])))

    async def _create_dm(self, r: RecordedRequest, _p: dict[str, str]) -> tuple[int, Any]:
        recipient = int((r.json or {}).get("recipient_id", 0))
        user = self.user(recipient)
        for channel in self.channels.values():
            if channel["type"] == ChannelType.DM and channel["recipients"][0]["id"] == user["id"]:
                return 200, copy.deepcopy(channel)
        cid = self.new_id()
        channel = {
            "id": str(cid),
            "type": int(ChannelType.DM),
            "last_message_id": None,
            "flags": 0,
            "recipients": [copy.deepcopy(user)],
        }
        self.channels[cid] = channel
        self.messages[cid] = []
        return 200, copy.deepcopy(channel)

    async def _get_gateway(self, _r: RecordedRequest, _p: dict[str, str]) -> tuple[int, Any]:
        return 200, {"url": self.gateway_url}

    async def _get_gateway_bot(self, _r: RecordedRequest, _p: dict[str, str]) -> tuple[int, Any]:
        return 200, {
            "url": self.gateway_url,
            "shards": 1,
            "session_start_limit": {
                "total": 1000,
                "remaining": 999,
                "reset_after": 86_400_000,
                "max_concurrency": 1,
            },
        }

    async def _get_application(self, _r: RecordedRequest, _p: dict[str, str]) -> tuple[int, Any]:
        return 200, self.application_payload()

    # ------------------------------------------------------------------ REST: commands

    def _check_app(self, p: dict[str, str]) -> None:
        if p["app"] != str(self.application_id):
            raise DiscordHTTPError(403, 50001, "Missing Access")

    def _command_list(self, p: dict[str, str]) -> list[JSON]:
        self._check_app(p)
        if "guild_id" not in p:
            return self.global_commands
        gid = int(p["guild_id"])
        if gid not in self.guilds:
            raise DiscordHTTPError(403, 50001, "Missing Access")
        return self.guild_commands.setdefault(gid, [])

    def _validate_command(self, cmd: JSON, index: int) -> None:
        errors: JSON = {}
        ctype = int(cmd.get("type") or 1)
        name = cmd.get("name") or ""

        def check_name(value: str, where: list[str | int]) -> None:
            bad = not _COMMAND_NAME.fullmatch(value) or value != value.lower()
            if ctype == 1 and bad:
                errors.update(
                    _nest(
                        where,
                        _field_error("APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"),
                    )
                )

        def check_locales(value: Any, where: list[str | int], limit: int) -> None:
            for locale, text in (value or {}).items():
                if locale not in DISCORD_LOCALES:
                    errors.update(
                        _nest(
                            [*where, locale],
                            _field_error(
                                "ENUM_TYPE_COERCE", f'Value "{locale}" is not a valid enum value.'
                            ),
                        )
                    )
                elif not isinstance(text, str) or not 1 <= len(text) <= limit:
                    errors.update(
                        _nest(
                            [*where, locale],
                            _field_error(
                                "BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {limit} in length."
                            ),
                        )
                    )

        check_name(name, ["name"])
        check_locales(cmd.get("name_localizations"), ["name_localizations"], 32)
        check_locales(cmd.get("description_localizations"), ["description_localizations"], 100)
        if ctype == 1 and not 1 <= len(cmd.get("description") or "") <= 100:
            errors["description"] = _field_error(
                "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
            )
        if ctype == 1:
            for loc_name in (cmd.get("name_localizations") or {}).values():
                if isinstance(loc_name, str):
                    check_name(loc_name, ["name_localizations"])

        def check_options(options: list[JSON], where: list[str | int]) -> None:
            if len(options) > 25:
                errors.update(
                    _nest(
                        where,
                        _field_error("BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."),
                    )
                )
            seen_optional = False
            for i, opt in enumerate(options):
                here = [*where, i]
                check_name(opt.get("name") or "", [*here, "name"])
                check_locales(opt.get("name_localizations"), [*here, "name_localizations"], 32)
                check_locales(
                    opt.get("description_localizations"), [*here, "description_localizations"], 100
                )
                if not 1 <= len(opt.get("description") or "") <= 100:
                    errors.update(
                        _nest(
                            [*here, "description"],
                            _field_error(
                                "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
                            ),
                        )
                    )
                if len(opt.get("choices") or []) > 25:
                    errors.update(
                        _nest(
                            [*here, "choices"],
                            _field_error("BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."),
                        )
                    )
                for c, choice in enumerate(opt.get("choices") or []):
                    check_locales(
                        choice.get("name_localizations"),
                        [*here, "choices", c, "name_localizations"],
                        100,
                    )
                if opt.get("type") in (1, 2):
                    check_options(opt.get("options") or [], [*here, "options"])
                elif opt.get("required"):
                    if seen_optional:
                        errors.update(
                            _nest(
                                [*here, "required"],
                                _field_error(
                                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                                    "Required options must be placed before non-required options",
                                ),
                            )
                        )
                else:
                    seen_optional = True

        check_options(cmd.get("options") or [], ["options"])
        if errors:
            raise _form_error({str(index): errors})

    def _store_command(self, existing: list[JSON], cmd: JSON, guild_id: int | None) -> JSON:
        ctype = int(cmd.get("type") or 1)
        previous = next(
            (c for c in existing if c["name"] == cmd["name"] and c["type"] == ctype), None
        )
        stored: JSON = {
            "id": previous["id"] if previous else str(self.new_id()),
            "application_id": str(self.application_id),
            "version": str(self.new_id()),
            "type": ctype,
            "name": cmd["name"],
            "name_localizations": cmd.get("name_localizations"),
            "description": cmd.get("description") or "",
            "description_localizations": cmd.get("description_localizations"),
            "options": copy.deepcopy(cmd.get("options") or []),
            "default_member_permissions": cmd.get("default_member_permissions"),
            "dm_permission": cmd.get("dm_permission", True),
            "nsfw": bool(cmd.get("nsfw", False)),
            "contexts": cmd.get("contexts"),
            "integration_types": cmd.get("integration_types") or [0],
        }
        if guild_id is not None:
            stored["guild_id"] = str(guild_id)
        return stored

    async def _get_commands(self, _r: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        return 200, copy.deepcopy(self._command_list(p))

    async def _put_commands(self, r: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        commands = self._command_list(p)
        body = r.json if isinstance(r.json, list) else []
        if len(body) > 100:
            raise _form_error(
                {
                    "_errors": [
                        {
                            "code": "BASE_TYPE_MAX_LENGTH",
                            "message": "Must be 100 or fewer in length.",
                        }
                    ]
                }
            )
        for index, cmd in enumerate(body):
            self._validate_command(cmd, index)
        guild_id = int(p["guild_id"]) if "guild_id" in p else None
        new = [self._store_command(commands, cmd, guild_id) for cmd in body]
        commands[:] = new
        return 200, copy.deepcopy(new)

    async def _post_command(self, r: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        commands = self._command_list(p)
        cmd = r.json or {}
        self._validate_command(cmd, 0)
        stored = self._store_command(commands, cmd, int(p["guild_id"]) if "guild_id" in p else None)
        commands[:] = [c for c in commands if c["id"] != stored["id"]] + [stored]
        return 201, copy.deepcopy(stored)

    async def _delete_command(self, _r: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        commands = self._command_list(p)
        remaining = [c for c in commands if c["id"] != p["command_id"]]
        if len(remaining) == len(commands):
            raise _unknown("application command", 10063)
        commands[:] = remaining
        return 204, None

    # ------------------------------------------------------------------ REST: interactions

    def _interaction(
        self, token: str, *, interaction_id: str | None = None, app: str | None = None
    ) -> InteractionHandle:
        handle = self.interactions.get(token)
        if handle is None or (interaction_id is not None and str(handle.id) != interaction_id):
            raise _unknown("interaction", 10062)
        if app is not None and app != str(self.application_id):
            raise _unknown("Webhook", 10015)
        return handle

    def _interaction_error(self, handle: InteractionHandle, error: DiscordHTTPError) -> NoReturn:
        handle.errors.append(error.body())
        raise error

    async def _callback(self, r: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        handle = self._interaction(p["token"], interaction_id=p["interaction_id"])
        body: JSON = r.json if isinstance(r.json, dict) else {}
        if handle.callback is not None:
            self._interaction_error(
                handle, DiscordHTTPError(400, 40060, "Interaction has already been acknowledged.")
            )
        elapsed = time.monotonic() - handle.created
        if elapsed > self.interaction_deadline:
            log.warning(
                "fake Discord: interaction %s acknowledged after %.2fs (limit %.1fs)",
                handle.id,
                elapsed,
                self.interaction_deadline,
            )
            self._interaction_error(handle, _unknown("interaction", 10062))
        ctype = int(body.get("type", 0))
        itype = int(handle.payload["type"])
        allowed = {2: {4, 5, 9, 12}, 3: {4, 5, 6, 7, 9, 12}, 4: {8}, 5: {4, 5, 6, 7}}[itype]
        if ctype not in allowed:
            self._interaction_error(
                handle,
                DiscordHTTPError(
                    400, 40043 if ctype == 8 else 50035, "Interaction response type is not allowed"
                ),
            )
        data: JSON = body.get("data") or {}
        message: JSON | None = None
        channel_id = int(handle.payload["channel_id"])
        if ctype in (4, 5):
            owners = handle.payload["authorizing_integration_owners"]
            try:
                if ctype == 4:
                    self._validate_message(data, create=True)
            except DiscordHTTPError as exc:
                self._interaction_error(handle, exc)
            flags = int(data.get("flags") or 0) & (4 | 64 | 4096 | (1 << 15))
            if ctype == 5:
                flags |= 128
                data = {}
            message = self._create_message(
                channel_id,
                self.bot_id,
                {**data, "flags": flags},
                message_type=20,
                extra={
                    "webhook_id": str(self.application_id),
                    "application_id": str(self.application_id),
                    "interaction_metadata": {
                        "id": str(handle.id),
                        "type": itype,
                        "user": copy.deepcopy(handle.payload["member"]["user"]),
                        "authorizing_integration_owners": owners,
                        "name": handle.command.get("name"),
                        "command_type": handle.command.get("type", 1),
                    },
                },
            )
            handle.original = message
        elif ctype == 8:
            choices = data.get("choices")
            bad = (
                not isinstance(choices, list)
                or len(choices) > 25
                or any(not 1 <= len(str(c.get("name", ""))) <= 100 for c in choices)
            )
            if bad:
                self._interaction_error(
                    handle,
                    _form_error(
                        {
                            "choices": _field_error(
                                "BASE_TYPE_BAD_LENGTH",
                                "Must be 25 or fewer choices of 1 to 100 characters.",
                            )
                        }
                    ),
                )
        elif ctype == 7 and handle.payload.get("message"):
            target = self.stored_message(int(handle.payload["message"]["id"]))
            self._edit_message(target, data)
            message = target
        handle.callback = copy.deepcopy(body)
        handle.callback_type = ctype
        if message is not None:
            await self._broadcast_message(
                "MESSAGE_CREATE" if ctype != 7 else "MESSAGE_UPDATE", message
            )
        if r.query.get("with_response", "").lower() not in ("1", "true"):
            return 204, None
        response: JSON = {
            "interaction": {
                "id": str(handle.id),
                "type": itype,
                "response_message_id": message["id"] if message else None,
                "response_message_loading": ctype == 5,
                "response_message_ephemeral": bool(message and message["flags"] & 64),
            }
        }
        if message is not None:
            response["resource"] = {"type": ctype, "message": self.public(message)}
        elif ctype in (6, 8, 9, 12):
            response["resource"] = {"type": ctype}
        return 200, response

    def _webhook_target(self, handle: InteractionHandle, message_id: str) -> JSON:
        if message_id == "@original":
            if handle.original is None or handle.original_deleted:
                raise _unknown("Message", 10008)
            return handle.original
        for message in handle.followups:
            if message["id"] == message_id:
                return message
        raise _unknown("Message", 10008)

    async def _get_webhook_msg(self, _r: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        handle = self._interaction(p["token"], app=p["app"])
        return 200, self.public(self._webhook_target(handle, p["message_id"]))

    async def _patch_webhook_msg(self, r: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        handle = self._interaction(p["token"], app=p["app"])
        message = self._webhook_target(handle, p["message_id"])
        try:
            self._edit_message(message, r.json if isinstance(r.json, dict) else {})
        except DiscordHTTPError as exc:
            self._interaction_error(handle, exc)
        await self._broadcast_message("MESSAGE_UPDATE", message)
        return 200, self.public(message)

    async def _delete_webhook_msg(self, _r: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        handle = self._interaction(p["token"], app=p["app"])
        message = self._webhook_target(handle, p["message_id"])
        self._delete_message(message)
        if message is handle.original:
            handle.original_deleted = True
        else:
            handle.followups.remove(message)
        if not message["flags"] & 64:
            await self.dispatch(
                "MESSAGE_DELETE",
                {
                    "id": message["id"],
                    "channel_id": message["channel_id"],
                    **({"guild_id": str(message["_guild_id"])} if message.get("_guild_id") else {}),
                },
            )
        return 204, None

    async def _post_followup(self, r: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        handle = self._interaction(p["token"], app=p["app"])
        if handle.callback is None:
            self._interaction_error(handle, _unknown("Webhook", 10015))
        body: JSON = r.json if isinstance(r.json, dict) else {}
        try:
            self._validate_message(body, create=True)
        except DiscordHTTPError as exc:
            self._interaction_error(handle, exc)
        if handle.loading and not handle.followups and handle.original is not None:
            # The first followup after a "thinking" defer replaces the loading message.
            message = handle.original
            self._edit_message(message, {k: v for k, v in body.items() if k != "flags"})
            await self._broadcast_message("MESSAGE_UPDATE", message)
        else:
            message = self._create_message(
                int(handle.payload["channel_id"]),
                self.bot_id,
                {**body, "flags": int(body.get("flags") or 0) & (4 | 64 | 4096 | (1 << 15))},
                extra={
                    "webhook_id": str(self.application_id),
                    "application_id": str(self.application_id),
                },
            )
            handle.followups.append(message)
            await self._broadcast_message("MESSAGE_CREATE", message)
        if r.query.get("wait", "").lower() in ("1", "true"):
            return 200, self.public(message)
        return 204, None

    # ------------------------------------------------------------------ REST: channels

    async def _get_channel(self, _r: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        return 200, copy.deepcopy(self.channel(int(p["channel_id"])))

    async def _patch_channel(self, r: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        channel = self.channel(int(p["channel_id"]))
        body: JSON = r.json if isinstance(r.json, dict) else {}
        if "name" in body and not 1 <= len(body["name"] or "") <= 100:
            raise _form_error(
                {
                    "name": _field_error(
                        "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
                    )
                }
            )
        simple = (
            "name",
            "topic",
            "nsfw",
            "rate_limit_per_user",
            "position",
            "parent_id",
            "flags",
            "default_auto_archive_duration",
            "available_tags",
        )
        for key in simple:
            if key in body:
                channel[key] = copy.deepcopy(body[key])
        if channel["type"] in THREAD_TYPES:
            meta = channel["thread_metadata"]
            if "applied_tags" in body:
                channel["applied_tags"] = [str(t) for t in body["applied_tags"] or []]
            for key in ("archived", "locked", "auto_archive_duration", "invitable"):
                if key in body and body[key] is not None:
                    meta[key] = body[key]
            if "archived" in body:
                meta["archive_timestamp"] = now_iso()
            event = "THREAD_UPDATE"
        else:
            event = "CHANNEL_UPDATE"
        await self.dispatch(event, copy.deepcopy(channel))
        return 200, copy.deepcopy(channel)

    def _messageable(self, channel_id: int) -> JSON:
        channel = self.channel(channel_id)
        if channel["type"] not in MESSAGEABLE_TYPES:
            raise DiscordHTTPError(400, 50008, "Cannot send messages in a non-text channel")
        return channel

    async def _get_messages(self, r: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        channel_id = int(p["channel_id"])
        self.channel(channel_id)
        limit = int(r.query.get("limit", 50))
        messages = self.messages.get(channel_id, [])
        if "before" in r.query:
            messages = [m for m in messages if int(m["id"]) < int(r.query["before"])]
        if "after" in r.query:
            messages = [m for m in messages if int(m["id"]) > int(r.query["after"])]
            return 200, [self.public(m) for m in reversed(messages[:limit])]
        if "around" in r.query:
            around = int(r.query["around"])
            older = [m for m in messages if int(m["id"]) <= around][-((limit + 1) // 2) :]
            newer = [m for m in messages if int(m["id"]) > around][: limit - len(older)]
            return 200, [self.public(m) for m in reversed(older + newer)]
        return 200, [self.public(m) for m in reversed(messages[-limit:])]

    async def _get_message(self, _r: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        message = self.stored_message(int(p["message_id"]))
        if message["channel_id"] != p["channel_id"]:
            raise _unknown("Message", 10008)
        return 200, self.public(message)

    async def _post_message(self, r: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        channel_id = int(p["channel_id"])
        channel = self._messageable(channel_id)
        if channel["type"] in THREAD_TYPES:
            meta = channel["thread_metadata"]
            if meta["locked"]:
                raise DiscordHTTPError(400, 50083, "Thread is locked")
            if meta["archived"]:  # sending unarchives the thread
                meta["archived"] = False
                meta["archive_timestamp"] = now_iso()
                await self.dispatch("THREAD_UPDATE", copy.deepcopy(channel))
        body: JSON = r.json if isinstance(r.json, dict) else {}
        self._validate_message(body, create=True)
        if body.get("enforce_nonce") and body.get("nonce") is not None:
            # Discord: a repeated nonce from the same author returns the first message.
            for earlier in reversed(self.messages.get(channel_id, [])):
                same_author = int(earlier["author"]["id"]) == self.bot_id
                if same_author and earlier.get("nonce") == body["nonce"]:
                    return 200, self.public(earlier)
        message = self._create_message(channel_id, self.bot_id, body)
        await self._broadcast_message("MESSAGE_CREATE", message)
        return 200, self.public(message)

    async def _patch_message(self, r: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        message = self.stored_message(int(p["message_id"]))
        if int(message["author"]["id"]) != self.bot_id or message.get("webhook_id"):
            raise DiscordHTTPError(403, 50005, "Cannot edit a message authored by another user")
        self._edit_message(message, r.json if isinstance(r.json, dict) else {})
        await self._broadcast_message("MESSAGE_UPDATE", message)
        return 200, self.public(message)

    async def _delete_msg(self, _r: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        message = self.stored_message(int(p["message_id"]))
        self._delete_message(message)
        await self.dispatch(
            "MESSAGE_DELETE",
            {
                "id": message["id"],
                "channel_id": message["channel_id"],
                **({"guild_id": str(message["_guild_id"])} if message.get("_guild_id") else {}),
            },
        )
        return 204, None

    @staticmethod
    def _emoji(raw: str) -> JSON:
        text = unquote(raw)
        if ":" in text:
            name, _, emoji_id = text.partition(":")
            return {"id": emoji_id, "name": name}
        return {"id": None, "name": text}

    async def _react(self, p: dict[str, str], user_id: int, *, add: bool) -> None:
        message = self.stored_message(int(p["message_id"]))
        emoji = self._emoji(p["emoji"])
        reactions: list[JSON] = message.setdefault("reactions", [])
        entry = next((x for x in reactions if x["emoji"] == emoji), None)
        users: set[int] = message.setdefault("_reactors", {}).setdefault(
            f"{emoji['name']}:{emoji['id']}", set()
        )
        if add == (user_id in users):
            return  # idempotent, no event
        if add:
            users.add(user_id)
            if entry is None:
                entry = {
                    "emoji": emoji,
                    "count": 0,
                    "me": False,
                    "burst_colors": [],
                    "count_details": {"burst": 0, "normal": 0},
                    "me_burst": False,
                    "burst_me": False,
                    "burst_count": 0,
                }
                reactions.append(entry)
            entry["count"] += 1
            entry["count_details"]["normal"] += 1
        else:
            users.discard(user_id)
            if entry is not None:
                entry["count"] -= 1
                entry["count_details"]["normal"] -= 1
                if entry["count"] <= 0:
                    reactions.remove(entry)
        if entry is not None and user_id == self.bot_id:
            entry["me"] = add
        if not reactions:
            message.pop("reactions", None)
        event: JSON = {
            "user_id": str(user_id),
            "channel_id": message["channel_id"],
            "message_id": message["id"],
            "emoji": emoji,
            "burst": False,
            "type": 0,
        }
        guild_id = message.get("_guild_id")
        if guild_id:
            event["guild_id"] = str(guild_id)
            if add:
                event["member"] = self.member_payload(guild_id, user_id)
                event["message_author_id"] = message["author"]["id"]
        await self.dispatch("MESSAGE_REACTION_ADD" if add else "MESSAGE_REACTION_REMOVE", event)

    async def _put_reaction(self, _r: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        await self._react(p, self.bot_id, add=True)
        return 204, None

    async def _delete_reaction(self, _r: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        await self._react(p, self.bot_id, add=False)
        return 204, None

    async def _announce_thread(self, thread: JSON) -> None:
        payload = copy.deepcopy(thread)
        payload["newly_created"] = True
        payload["member"] = {
            "id": thread["id"],
            "user_id": str(self.bot_id),
            "join_timestamp": now_iso(),
            "flags": 1,
        }
        await self.dispatch("THREAD_CREATE", payload)

    async def _thread_from_message(self, r: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        channel_id = int(p["channel_id"])
        channel = self._messageable(channel_id)
        message = self.stored_message(int(p["message_id"]))
        if message.get("thread"):
            raise DiscordHTTPError(
                400, 160004, "A thread has already been created for this message"
            )
        body: JSON = r.json if isinstance(r.json, dict) else {}
        if not 1 <= len(body.get("name") or "") <= 100:
            raise _form_error(
                {
                    "name": _field_error(
                        "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
                    )
                }
            )
        thread = self.add_thread(
            channel_id,
            body["name"],
            thread_type=ChannelType.ANNOUNCEMENT_THREAD
            if channel["type"] == ChannelType.GUILD_ANNOUNCEMENT
            else ChannelType.PUBLIC_THREAD,
            thread_id=int(message["id"]),
            auto_archive_duration=int(body.get("auto_archive_duration") or 1440),
        )
        message["thread"] = copy.deepcopy(thread)
        await self._announce_thread(thread)
        return 201, copy.deepcopy(thread)

    async def _create_thread(self, r: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        parent_id = int(p["channel_id"])
        parent = self.channel(parent_id)
        body: JSON = r.json if isinstance(r.json, dict) else {}
        if not 1 <= len(body.get("name") or "") <= 100:
            raise _form_error(
                {
                    "name": _field_error(
                        "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
                    )
                }
            )
        if parent["type"] in FORUM_TYPES:
            starter: JSON = body.get("message") or {}
            if not starter:
                raise _form_error(
                    {"message": _field_error("BASE_TYPE_REQUIRED", "This field is required")}
                )
            self._validate_message(starter, create=True)
            known_tags = {t["id"] for t in parent.get("available_tags") or []}
            tags = [str(t) for t in body.get("applied_tags") or []]
            if any(t not in known_tags for t in tags):
                raise _form_error(
                    {"applied_tags": _field_error("FORUM_TAG_INVALID", "Unknown forum tag")}
                )
            thread = self.add_thread(
                parent_id,
                body["name"],
                applied_tags=[int(t) for t in tags],
                auto_archive_duration=int(body.get("auto_archive_duration") or 4320),
            )
            message = self._create_message(
                int(thread["id"]), self.bot_id, starter, message_id=int(thread["id"])
            )
            await self._announce_thread(thread)
            await self._broadcast_message("MESSAGE_CREATE", message)
            return 201, {**copy.deepcopy(thread), "message": self.public(message)}
        if parent["type"] not in (ChannelType.GUILD_TEXT, ChannelType.GUILD_ANNOUNCEMENT):
            raise DiscordHTTPError(400, 50024, "Cannot execute action on this channel type")
        thread = self.add_thread(
            parent_id,
            body["name"],
            thread_type=int(body.get("type") or ChannelType.PRIVATE_THREAD),
            auto_archive_duration=int(body.get("auto_archive_duration") or 4320),
        )
        await self._announce_thread(thread)
        return 201, copy.deepcopy(thread)

    async def _join_thread(self, _r: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        channel = self.channel(int(p["channel_id"]))
        if channel["type"] not in THREAD_TYPES:
            raise DiscordHTTPError(400, 50024, "Cannot execute action on this channel type")
        return 204, None

    async def _typing(self, _r: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        self._messageable(int(p["channel_id"]))
        return 204, None

    # ------------------------------------------------------------------ REST: guilds

    def _guild(self, p: dict[str, str]) -> JSON:
        try:
            return self.guilds[int(p["guild_id"])]
        except KeyError:
            raise _unknown("Guild", 10004) from None

    async def _get_guild(self, _r: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        self._guild(p)
        payload = self.guild_payload(int(p["guild_id"]), members=False)
        for key in (
            "members",
            "channels",
            "threads",
            "voice_states",
            "presences",
            "joined_at",
            "large",
            "unavailable",
            "member_count",
            "lazy",
            "stage_instances",
            "guild_scheduled_events",
            "soundboard_sounds",
            "embedded_activities",
        ):
            payload.pop(key, None)
        return 200, payload

    async def _get_guild_channels(self, _r: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        guild = self._guild(p)
        return 200, [
            copy.deepcopy(c)
            for c in self.channels.values()
            if c.get("guild_id") == guild["id"] and c["type"] not in THREAD_TYPES
        ]

    async def _get_roles(self, _r: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        return 200, copy.deepcopy(list(self._guild(p)["roles"].values()))

    async def _get_active_threads(self, _r: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        guild = self._guild(p)
        threads = [
            copy.deepcopy(c)
            for c in self.channels.values()
            if c.get("guild_id") == guild["id"]
            and c["type"] in THREAD_TYPES
            and not c["thread_metadata"]["archived"]
        ]
        return 200, {"threads": threads, "members": []}

    async def _get_member(self, _r: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        self._guild(p)
        return 200, self.member_payload(int(p["guild_id"]), int(p["user_id"]))

    # ------------------------------------------------------------------ gateway

    async def _handle_gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        try:
            await ws.prepare(request)
        except ConnectionResetError:  # the client went away during the handshake
            return ws
        query = {k: v for k, v in request.query.items()}
        conn = GatewayConnection(ws=ws, query=query, transport=request.transport)
        self.connections.append(conn)
        self._notify()
        if query.get("v", str(API_VERSION)) != str(API_VERSION):
            await self._close(conn, 4012, "Invalid API version")
            return ws
        if query.get("encoding", "json") != "json":
            log.error("fake Discord: only encoding=json is supported, got %r", query["encoding"])
            await self._close(conn, 4002, "Decode error")
            return ws
        compress = query.get("compress")
        if compress == "zlib-stream":
            conn.compressor = zlib.compressobj()
        elif compress:
            log.error("fake Discord: unsupported compress=%r (zlib-stream only)", compress)
            await self._close(conn, 4000, "Unsupported compression")
            return ws
        await self._send(
            conn,
            {
                "op": Op.HELLO,
                "d": {
                    "heartbeat_interval": self.heartbeat_interval_ms,
                    "_trace": ["fake-discord"],
                },
            },
        )
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_gateway_text(conn, msg.data)
                elif msg.type is WSMsgType.BINARY:
                    await self._close(conn, 4002, "Decode error")
                elif msg.type is WSMsgType.ERROR:
                    break
        finally:
            if conn.session is not None and conn.session.connection is conn:
                conn.session.connection = None
            self._notify()
        return ws

    async def _send(self, conn: GatewayConnection, payload: JSON) -> None:
        if conn.ws.closed:
            return
        text = json.dumps(payload)
        self.gateway_log.append(GatewayFrame("send", payload, conn))
        try:
            if conn.compressor is not None:
                data = conn.compressor.compress(text.encode()) + conn.compressor.flush(
                    zlib.Z_SYNC_FLUSH
                )
                await conn.ws.send_bytes(data)
            else:
                await conn.ws.send_str(text)
        except ConnectionError:
            log.debug("fake Discord: send on a closing socket dropped")
        self._notify()

    async def _close(self, conn: GatewayConnection, code: int, reason: str) -> None:
        log.debug("fake Discord: closing gateway connection with %s %s", code, reason)
        await conn.ws.close(code=code, message=reason.encode())
        self._notify()

    @staticmethod
    def _redacted(payload: JSON) -> JSON:
        data = payload.get("d")
        if isinstance(data, dict) and "token" in data:
            return {**payload, "d": {**data, "token": "<redacted>"}}
        return payload

    async def _on_gateway_text(self, conn: GatewayConnection, text: str) -> None:
        try:
            payload = json.loads(text)
            op = int(payload["op"])
        except (ValueError, KeyError, TypeError):
            await self._close(conn, 4002, "Decode error")
            return
        self.gateway_log.append(GatewayFrame("recv", self._redacted(payload), conn))
        self._notify()
        data = payload.get("d")
        if op == Op.HEARTBEAT:
            conn.heartbeats += 1
            if self.ack_heartbeats:
                await self._send(conn, {"op": Op.HEARTBEAT_ACK})
        elif op == Op.IDENTIFY:
            await self._identify(conn, data if isinstance(data, dict) else {})
        elif op == Op.RESUME:
            await self._resume(conn, data if isinstance(data, dict) else {})
        elif conn.session is None:
            await self._close(conn, 4003, "Not authenticated")
        elif op == Op.REQUEST_GUILD_MEMBERS:
            await self._request_members(conn, data if isinstance(data, dict) else {})
        elif op in (Op.PRESENCE_UPDATE, Op.VOICE_STATE_UPDATE):
            pass
        else:
            await self._close(conn, 4001, "Unknown opcode")

    async def _identify(self, conn: GatewayConnection, data: JSON) -> None:
        if conn.session is not None:
            await self._close(conn, 4005, "Already authenticated")
            return
        if data.get("token") != self.token:
            await self._close(conn, 4004, "Authentication failed")
            return
        intents = data.get("intents")
        if not isinstance(intents, int) or intents < 0:
            await self._close(conn, 4013, "Invalid intent(s)")
            return
        if intents & Intent.PRIVILEGED & ~self.privileged_intents:
            await self._close(conn, 4014, "Disallowed intent(s)")
            return
        for old in self.sessions:  # one shard: a new IDENTIFY supersedes older sessions
            old.valid = False
        session = GatewaySession(
            session_id=secrets.token_hex(16),
            intents=intents,
            identify={**data, "token": "<redacted>"},
            connection=conn,
        )
        conn.session = session
        self.sessions.append(session)
        me = copy.deepcopy(self.bot_user)
        me.update(verified=True, mfa_enabled=False, email=None)
        ready: JSON = {
            "v": API_VERSION,
            "user": me,
            "user_settings": {},
            "guilds": [{"id": g["id"], "unavailable": True} for g in self.guilds.values()],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.gateway_url,
            "application": {
                "id": str(self.application_id),
                "flags": self.application_payload()["flags"],
            },
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["fake"],
            "auth": {},
            "_trace": ["fake-discord"],
        }
        if "shard" in data:
            ready["shard"] = data["shard"]
        await self._dispatch_to(session, "READY", ready)
        with_members = bool(intents & Intent.GUILD_PRESENCES)
        for gid in self.guilds:
            await self._dispatch_to(
                session, "GUILD_CREATE", self.guild_payload(gid, members=with_members)
            )
        session.ready = True
        self._notify()

    async def _resume(self, conn: GatewayConnection, data: JSON) -> None:
        if data.get("token") != self.token:
            await self._close(conn, 4004, "Authentication failed")
            return
        session = next(
            (s for s in self.sessions if s.session_id == data.get("session_id") and s.valid), None
        )
        seq = data.get("seq")
        if session is None or not isinstance(seq, int) or seq > session.seq:
            await self._send(conn, {"op": Op.INVALID_SESSION, "d": False})
            return
        old = session.connection
        if old is not None and old is not conn and not old.ws.closed:
            await self._close(old, 4000, "Session resumed elsewhere")
        session.connection = conn
        session.resumes += 1
        conn.session = session
        for event in session.events:
            if event["s"] > seq:
                await self._send(conn, event)
        await self._dispatch_to(session, "RESUMED", {"_trace": ["fake-discord"]})
        self._notify()

    async def _request_members(self, conn: GatewayConnection, data: JSON) -> None:
        assert conn.session is not None
        guild_id = int(data.get("guild_id", 0))
        guild = self.guilds.get(guild_id)
        if guild is None:
            return
        query = str(data.get("query") or "").lower()
        limit = int(data.get("limit") or 0)
        user_ids = {int(u) for u in data.get("user_ids") or []}
        members = [
            self.member_payload(guild_id, uid)
            for uid in guild["members"]
            if (not user_ids or uid in user_ids) and self.users[uid]["username"].startswith(query)
        ]
        if limit:
            members = members[:limit]
        chunk: JSON = {
            "guild_id": str(guild_id),
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [str(u) for u in user_ids if u not in guild["members"]],
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        await self._dispatch_to(conn.session, "GUILD_MEMBERS_CHUNK", chunk)

    def _filter(self, session: GatewaySession, event: str, data: JSON) -> JSON | None:
        needed = _EVENT_INTENTS.get(event)
        in_guild = isinstance(data, dict) and data.get("guild_id") is not None
        if needed is not None and not session.intents & needed[0 if in_guild else 1]:
            return None
        if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE") and not (
            session.intents & Intent.MESSAGE_CONTENT
        ):
            author = (data.get("author") or {}).get("id")
            mentioned = any(m.get("id") == str(self.bot_id) for m in data.get("mentions") or [])
            if in_guild and author != str(self.bot_id) and not mentioned:
                data = {**data, "content": "", "embeds": [], "attachments": [], "components": []}
                data.pop("poll", None)
        return data

    async def _dispatch_to(self, session: GatewaySession, event: str, data: JSON) -> int | None:
        filtered = self._filter(session, event, data)
        if filtered is None:
            return None
        session.seq += 1
        payload: JSON = {"op": Op.DISPATCH, "t": event, "s": session.seq, "d": filtered}
        session.events.append(payload)
        if session.connection is not None:
            await self._send(session.connection, payload)
        return session.seq

    @property
    def session(self) -> GatewaySession | None:
        """The current valid identified session, if any."""
        valid = [s for s in self.sessions if s.valid]
        return valid[-1] if valid else None

    async def dispatch(self, event: str, data: JSON) -> int | None:
        """Send a DISPATCH ``event`` with the next sequence number to the current session.

        Events are buffered while the bot is disconnected and replayed on RESUME. Returns the
        sequence number, or ``None`` if the session's intents filter the event out or no bot
        has identified yet (logged).
        """
        session = self.session
        if session is None:
            log.info("fake Discord: %s not dispatched, no identified gateway session", event)
            return None
        return await self._dispatch_to(session, event, copy.deepcopy(data))

    async def wait_for_session(self, timeout: float = DEFAULT_TIMEOUT) -> GatewaySession:
        """Wait until a bot has identified and received READY plus every GUILD_CREATE."""
        return await self.wait_until(
            lambda: self.session if self.session is not None and self.session.ready else None,
            timeout=timeout,
            what="gateway IDENTIFY and READY",
        )

    async def wait_for_gateway(
        self, op: int, *, since: int = 0, timeout: float = DEFAULT_TIMEOUT
    ) -> GatewayFrame:
        """Wait for a payload with ``op`` received from the bot (index ``since`` in the log)."""
        return await self.wait_until(
            lambda: next(
                (f for f in self.gateway_log[since:] if f.direction == "recv" and f.op == op),
                None,
            ),
            timeout=timeout,
            what=f"gateway op {op} from the bot",
        )

    def _live_connection(self) -> GatewayConnection:
        session = self.session
        if session is None or session.connection is None or session.connection.ws.closed:
            raise RuntimeError("no connected gateway session")
        return session.connection

    async def close_gateway(
        self, code: int = 4000, reason: str = "", *, invalidate: bool = False
    ) -> None:
        """Close the bot's current gateway connection with ``code``.

        With ``invalidate`` (or a fatal code) the session can no longer be resumed.
        """
        conn = self._live_connection()
        if (invalidate or code in FATAL_CLOSE_CODES) and conn.session is not None:
            conn.session.valid = False
        await self._close(conn, code, reason)

    async def drop_gateway(self) -> None:
        """Cut the bot's gateway TCP connection without a close frame (the bot sees 1006)."""
        conn = self._live_connection()
        if conn.transport is None:
            raise RuntimeError("the connection's transport is unknown")
        conn.transport.abort()
        self._notify()

    async def send_reconnect(self) -> None:
        """Send op 7 RECONNECT: the bot should close and RESUME."""
        await self._send(self._live_connection(), {"op": Op.RECONNECT, "d": None})

    async def invalidate_session(self, *, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION (``d=resumable``); a non-resumable session is dropped."""
        conn = self._live_connection()
        if not resumable and conn.session is not None:
            conn.session.valid = False
        await self._send(conn, {"op": Op.INVALID_SESSION, "d": resumable})

    async def request_heartbeat(self) -> None:
        """Send op 1 HEARTBEAT: the bot must answer with a heartbeat right away."""
        session = self.session
        await self._send(
            self._live_connection(), {"op": Op.HEARTBEAT, "d": session.seq if session else None}
        )

    # ------------------------------------------------------------------ simulated users

    def find_command(self, guild_id: int | None, name: str) -> JSON:
        """The registered command ``name`` visible in ``guild_id`` (guild first, then global)."""
        candidates = [
            *(self.guild_commands.get(guild_id, []) if guild_id else []),
            *self.global_commands,
        ]
        for command in candidates:
            if command["name"] == name and command["type"] == 1:
                return command
        registered = ", ".join(c["name"] for c in candidates) or "none"
        raise LookupError(f"command /{name} is not registered (registered: {registered})")

    def _build_options(
        self,
        guild_id: int | None,
        definitions: list[JSON],
        values: Mapping[str, Any],
        resolved: JSON,
        focused: str | None = None,
    ) -> list[JSON]:
        """Typed interaction options for ``values``, checked as a Discord client checks them.

        The ``focused`` option (autocomplete) is sent as the raw string typed so far, and
        required options may then be missing.
        """
        known = {d["name"]: d for d in definitions}
        unknown = set(values) - set(known)
        if unknown:
            raise ValueError(f"unknown option(s) {sorted(unknown)}; command has {sorted(known)}")
        options: list[JSON] = []
        for definition in definitions:
            name = definition["name"]
            otype = int(definition["type"])
            if name not in values:
                if definition.get("required") and focused is None:
                    raise ValueError(f"required option {name!r} missing")
                continue
            value = values[name]
            if name == focused:
                options.append({"name": name, "type": otype, "value": str(value), "focused": True})
                continue
            choices = definition.get("choices")
            if choices and value not in [c["value"] for c in choices]:
                raise ValueError(f"{value!r} is not a choice of option {name!r}")
            if otype == 3:
                value = str(value)
                low, high = definition.get("min_length", 0), definition.get("max_length", 6000)
                if not low <= len(value) <= high:
                    raise ValueError(f"option {name!r} must be {low}..{high} characters long")
            elif otype in (4, 10):
                value = int(value) if otype == 4 else float(value)
                low, high = definition.get("min_value"), definition.get("max_value")
                if (low is not None and value < low) or (high is not None and value > high):
                    raise ValueError(f"option {name!r} must be within {low}..{high}")
            elif otype == 5:
                value = bool(value)
            elif otype in (6, 7, 8, 9):
                value = str(value)
                self._resolve(guild_id, otype, int(value), resolved)
            options.append({"name": name, "type": otype, "value": value})
        if focused is not None and focused not in values:
            raise ValueError(f"focused option {focused!r} needs a value (the text typed so far)")
        return options

    def _resolve(self, guild_id: int | None, otype: int, target: int, resolved: JSON) -> None:
        if otype in (6, 9) and target in self.users:
            resolved.setdefault("users", {})[str(target)] = copy.deepcopy(self.users[target])
            if guild_id and target in self.guilds[guild_id]["members"]:
                member = self.member_payload(guild_id, target, with_user=False)
                member["permissions"] = str(self.permissions(guild_id, target))
                resolved.setdefault("members", {})[str(target)] = member
        elif otype == 7 and target in self.channels:
            channel = copy.deepcopy(self.channels[target])
            resolved.setdefault("channels", {})[str(target)] = {
                **channel,
                "permissions": str(Perm.ALL),
            }
        elif otype in (8, 9) and guild_id and target in self.guilds[guild_id]["roles"]:
            role = copy.deepcopy(self.guilds[guild_id]["roles"][target])
            resolved.setdefault("roles", {})[str(target)] = role

    async def slash(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        name: str,
        options: Mapping[str, Any] | None = None,
        locale: str = "de",
        *,
        guild_locale: str | None = None,
        permissions: int | None = None,
    ) -> InteractionHandle:
        """Send INTERACTION_CREATE for ``/name`` as the registered command defines it.

        ``name`` may be ``"group sub"`` for subcommands; ``options`` maps option names (the
        registered, unlocalized ones) to values, typed per the registered definition;
        users/channels/roles go by id and are resolved. ``permissions`` defaults to the member's
        role permissions. Raises ``LookupError`` for an unregistered command and ``ValueError``
        for options a Discord client would refuse to send.
        """
        return await self._command_interaction(
            guild_id,
            channel_id,
            user_id,
            name,
            options or {},
            locale=locale,
            guild_locale=guild_locale,
            permissions=permissions,
            focused=None,
        )

    async def autocomplete(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        name: str,
        options: Mapping[str, Any],
        focused: str,
        locale: str = "de",
    ) -> InteractionHandle:
        """Send an autocomplete interaction (type 4) while the user types into ``focused``.

        The bot must answer with callback type 8; read the choices from
        ``(await handle.wait_callback())["data"]["choices"]``.
        """
        return await self._command_interaction(
            guild_id,
            channel_id,
            user_id,
            name,
            options,
            locale=locale,
            guild_locale=None,
            permissions=None,
            focused=focused,
        )

    async def _command_interaction(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        name: str,
        options: Mapping[str, Any],
        *,
        locale: str,
        guild_locale: str | None,
        permissions: int | None,
        focused: str | None,
    ) -> InteractionHandle:
        if locale not in DISCORD_LOCALES:
            raise ValueError(f"{locale!r} is not a Discord locale")
        words = name.split()
        command = self.find_command(guild_id, words[0])
        definitions: list[JSON] = command.get("options") or []
        resolved: JSON = {}
        path: list[JSON] = []
        for word in words[1:]:
            sub = next((d for d in definitions if d["name"] == word and d["type"] in (1, 2)), None)
            if sub is None:
                raise LookupError(f"/{name}: no subcommand {word!r}")
            path.append({"name": word, "type": sub["type"]})
            definitions = sub.get("options") or []
        if focused is not None and not any(
            d["name"] == focused and d.get("autocomplete") for d in definitions
        ):
            raise ValueError(f"option {focused!r} of /{name} does not use autocomplete")
        leaf = self._build_options(guild_id, definitions, options, resolved, focused)
        for node in reversed(path):
            node["options"] = leaf
            leaf = [node]
        data: JSON = {
            "id": command["id"],
            "name": command["name"],
            "type": command["type"],
            "options": leaf,
        }
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return await self._interaction_create(
            guild_id,
            channel_id,
            user_id,
            2 if focused is None else 4,
            data,
            command,
            locale=locale,
            guild_locale=guild_locale,
            permissions=permissions,
        )

    async def _interaction_create(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        interaction_type: int,
        data: JSON,
        command: JSON,
        *,
        locale: str,
        guild_locale: str | None,
        permissions: int | None,
        message: JSON | None = None,
    ) -> InteractionHandle:
        guild = self.guilds[guild_id]
        member = self.member_payload(guild_id, user_id)
        perms = self.permissions(guild_id, user_id) if permissions is None else permissions
        member["permissions"] = str(perms)
        member["unusual_dm_activity_until"] = None
        channel = {**copy.deepcopy(self.channel(channel_id)), "permissions": str(perms)}
        interaction_id = self.new_id()
        payload: JSON = {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": interaction_type,
            "data": data,
            "guild": {
                "id": guild["id"],
                "locale": guild["preferred_locale"],
                "features": ["COMMUNITY"],
            },
            "guild_id": guild["id"],
            "guild_locale": guild_locale or guild["preferred_locale"],
            "channel": channel,
            "channel_id": str(channel_id),
            "member": member,
            "token": "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(96),
            "version": 1,
            "app_permissions": str(self.permissions(guild_id, self.bot_id)),
            "locale": locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": guild["id"]},
            "context": 0,
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        }
        if message is not None:
            payload["message"] = message
        handle = InteractionHandle(self, payload, command)
        self.interactions[payload["token"]] = handle
        seq = await self.dispatch("INTERACTION_CREATE", payload)
        if seq is None:
            raise RuntimeError("INTERACTION_CREATE not delivered: no identified gateway session")
        return handle

    async def click(
        self,
        message_id: int,
        user_id: int,
        custom_id: str,
        *,
        component_type: int = 2,
        values: list[str] | None = None,
        locale: str = "de",
    ) -> InteractionHandle:
        """Send a component interaction (button ``component_type=2`` or select) on a message."""
        message = self.stored_message(message_id)
        guild_id = message.get("_guild_id")
        if guild_id is None:
            raise ValueError("component interactions are only simulated in guilds")
        data: JSON = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = values
        return await self._interaction_create(
            guild_id,
            int(message["channel_id"]),
            user_id,
            3,
            data,
            {"name": custom_id},
            locale=locale,
            guild_locale=None,
            permissions=None,
            message=self.public(message),
        )

    async def user_message(
        self,
        channel_id: int,
        author: int,
        content: str,
        *,
        reply_to: int | None = None,
    ) -> JSON:
        """Store a message by member ``author`` and dispatch MESSAGE_CREATE (with guild_id).

        Returns the stored message payload.
        """
        channel = self._messageable(channel_id)
        guild_id = int(channel["guild_id"]) if channel.get("guild_id") else None
        if guild_id is not None and author not in self.guilds[guild_id]["members"]:
            raise ValueError(f"user {author} is not a member of guild {guild_id}")
        body: JSON = {"content": content}
        if reply_to is not None:
            body["message_reference"] = {"message_id": str(reply_to)}
        message = self._create_message(channel_id, author, body)
        await self._broadcast_message("MESSAGE_CREATE", message)
        return self.public(message)

    async def user_reaction(
        self, channel_id: int, message_id: int, user_id: int, emoji: str, *, add: bool = True
    ) -> None:
        """A member adds (or removes) a reaction; dispatches MESSAGE_REACTION_ADD/REMOVE."""
        await self._react(
            {"channel_id": str(channel_id), "message_id": str(message_id), "emoji": emoji},
            user_id,
            add=add,
        )


def _multipart_payload(body: bytes, content_type: str) -> Any:
    """The ``payload_json`` part of a multipart body as JSON (``None`` if absent)."""
    match = re.search(r"boundary=\"?([^\";]+)\"?", content_type)
    if match is None:
        return None
    boundary = match.group(1).encode()
    for part in body.split(b"--" + boundary):
        head, _, content = part.partition(b"\r\n\r\n")
        if b'name="payload_json"' in head:
            with contextlib.suppress(ValueError):
                return json.loads(content.rstrip(b"\r\n"))
    return None


__all__ = [
    "DISCORD_LOCALES",
    "ChannelType",
    "DiscordHTTPError",
    "FakeDiscord",
    "GatewayConnection",
    "GatewayFrame",
    "GatewaySession",
    "Injection",
    "Intent",
    "InteractionHandle",
    "Op",
    "Perm",
    "RecordedRequest",
    "message_text",
    "snowflake_time",
]
