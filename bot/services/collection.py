"""Collecting strategies: replies in open dilemma threads, shared strategies, endorsements, and
the reconciliation of a thread's history after the bot was offline.

The extension turns Discord events into :class:`~bot.domain.strategies.ObservedMessage` values
and plain ids; this service decides what is stored. It never sees an ``Interaction``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Protocol

from bot.domain.masking import mask
from bot.domain.posts import Post, PostState
from bot.domain.strategies import (
    Analysis,
    NewStrategy,
    ObservedMessage,
    Strategy,
    TopicStats,
    clean_text,
    collectable,
    has_words,
    member_key,
    quotable,
    same_emoji,
)
from bot.metrics import Metrics
from bot.services.batching import Batcher, Ticket
from bot.services.ports import (
    Clock,
    DilemmaStore,
    GuildStore,
    PostStore,
    StrategyStore,
    TextAnalyzer,
)
from bot.services.privacy import PrivacyService

log = logging.getLogger(__name__)

#: Replies analysed in one call of the analyzer at most. Larger batches amortize each call's
#: fixed costs (thread hand-off, theme heads): measured on 2 cores, CPU per reply ~2.3 ms at
#: 32 and ~2.15 at 128-200 (while the heads briefly cost ~15 ms a call: 5.4 at 32, 2.7 at 128).
#: The encoder splits batches of 16 and more over both cores.
ANALYSIS_BATCH = 128
#: Strategies stored in one transaction at most.
STORAGE_BATCH = 256
#: How long a reply waits at most for the replies that are still on their way to analysis
#: (seconds): a batch starts as soon as every reply being recorded has reached it (or dropped
#: out), or it is full, or this ran out. Under load, replies also wait while the previous batch
#: is analysed, so the batches grow with the load.
ANALYSIS_DELAY = 0.02
#: Analyzer calls running at once. The encoder runs one pass at a time (on both cores); a second
#: call could fill the gaps of the first's single-threaded stages (language ID, cue features),
#: but measured on the shared 2-core machine it gained nothing clear and cost ~8 MB peak RSS.
ANALYSIS_IN_FLIGHT = 1

#: Deleted message ids remembered (across guilds) so that a catch-up running at the time of a
#: deletion does not store the message it had read before (see :meth:`CollectionService.remove`).
DELETED_REMEMBERED = 4096

#: A dilemma's own themes as a hashable batching key: ``((theme id, cue phrases), ...)``.
ThemesKey = tuple[tuple[str, tuple[str, ...]], ...]
AnalysisTicket = Ticket[ThemesKey, str, Analysis]


class CollectionStore(GuildStore, DilemmaStore, PostStore, StrategyStore, Protocol):
    """The storage the collection service needs."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


class ShareRefusal(Enum):
    """Why a member cannot share a strategy through the button right now."""

    NOT_OPEN = "not_open"  # the post is closed, or unknown in this guild
    OPTED_OUT = "opted_out"


@dataclass(frozen=True, slots=True)
class BackfillResult:
    """What reconciling one thread changed, and which stored messages still need a check.

    ``unverified`` are stored strategies newer than the newest message read: they may have been
    deleted, or sent after the read; the caller fetches them one by one (see :meth:`confirm_gone`).
    """

    added: int = 0
    updated: int = 0
    removed: int = 0
    unverified: tuple[int, ...] = ()


class _MessageLocks:
    """One lock per message while somebody holds or waits for it (then forgotten), so that the
    create, edits and deletion of one message are applied in the order they arrived although
    each waits for analysis or storage in between."""

    def __init__(self) -> None:
        # (guild id, message id) -> (lock, holders and waiters, channel id)
        self._locks: dict[tuple[int, int], tuple[asyncio.Lock, int, int]] = {}

    @asynccontextmanager
    async def hold(self, message: ObservedMessage) -> AsyncIterator[None]:
        key = (message.guild_id, message.message_id)
        lock, users, _ = self._locks.get(key, (asyncio.Lock(), 0, message.channel_id))
        self._locks[key] = (lock, users + 1, message.channel_id)
        try:
            async with lock:  # free: taken without yielding, so batching is unchanged
                yield
        finally:
            lock, users, channel_id = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1, channel_id)

    async def settled(
        self,
        guild_id: int,
        message_ids: Collection[int] | None = None,
        channel_id: int | None = None,
    ) -> None:
        """Wait until nobody holds the guild's messages ``message_ids`` (or those in
        ``channel_id``) any more."""
        while True:
            busy = [
                lock
                for (guild, message), (lock, _, channel) in self._locks.items()
                if guild == guild_id
                and (message_ids is None or message in message_ids)
                and (channel_id is None or channel == channel_id)
            ]
            if not busy:
                return
            async with busy[0]:
                pass


class CollectionService:
    """Stores members' strategies for open posts, honouring opt-outs.

    Events of one message are serialized: an edit or deletion that arrives while the message's
    reply is still being analysed is applied after it is stored, never lost or overtaken.
    """

    def __init__(
        self,
        store: CollectionStore,
        privacy: PrivacyService,
        analyzer: TextAnalyzer | None,
        *,
        clock: Clock = _utcnow,
        metrics: Metrics | None = None,
        analysis_batch: int = ANALYSIS_BATCH,
        analysis_delay: float = ANALYSIS_DELAY,
        analysis_in_flight: int = ANALYSIS_IN_FLIGHT,
    ) -> None:
        """``metrics`` counts stored strategies (a private one when not given).

        Concurrent :meth:`record`, :meth:`record_edit` and :meth:`record_shared` calls are
        micro-batched: their texts are analysed together (up to ``analysis_batch`` per analyzer
        call, texts of dilemmas with different own themes never mixed; ``analysis_delay`` and
        ``analysis_in_flight``: see :data:`ANALYSIS_DELAY` and :data:`ANALYSIS_IN_FLIGHT`) and
        their strategies stored in one transaction.
        """
        self._metrics = metrics or Metrics()
        self._store = store
        self._privacy = privacy
        self._analyzer = analyzer
        self._clock = clock
        self._dilemma_themes: dict[int, ThemesKey] = {}
        self._analyses: Batcher[ThemesKey, str, Analysis] = Batcher(
            self._analyze_batch,
            max_batch=analysis_batch,
            max_delay=analysis_delay,
            max_in_flight=analysis_in_flight,
            name="analysis",
        )
        self._additions: Batcher[None, NewStrategy, Strategy | None] = Batcher(
            self._add_batch, max_batch=STORAGE_BATCH, name="storage"
        )
        self._messages = _MessageLocks()
        # messages deleted lately (guild id, message id), so that a catch-up that read one
        # before its deletion does not store it afterwards; bounded, oldest forgotten first
        self._deleted: OrderedDict[tuple[int, int], None] = OrderedDict()

    # -- replies ---------------------------------------------------------------------------------

    async def record(self, message: ObservedMessage) -> Strategy | None:
        """Store a reply in an open post's thread as a strategy; ``None`` when it is not one
        (another channel, a bot or system message, no words, an opted-out member)."""
        if not collectable(message):
            return None
        async with self._messages.hold(message):
            with self._analyses.announce() as ticket:
                return await self._record(message, ticket)

    async def _record(self, message: ObservedMessage, ticket: AnalysisTicket) -> Strategy | None:
        post = await self._store.open_post_by_thread(message.guild_id, message.channel_id)
        if post is None:
            return None
        if await self._privacy.opted_out(message.guild_id, message.author_id):
            return None
        counted_as = await self._privacy.anonymous_key(message.guild_id, message.author_id)
        analysis = await self._analysis(ticket, message.text, post)
        # callers of one analysis batch resume together and reach storage in the same turn
        stored = await self._additions.submit(
            None, _new_strategy(post, message, analysis, counted_as)
        )
        if stored is not None:
            self._metrics.strategies_stored()
        return stored

    async def record_edit(self, message: ObservedMessage) -> None:
        """Apply an edit: the strategy's text is replaced (removed if no words are left); an
        edit that turns a non-strategy into one records it."""
        async with self._messages.hold(message):
            await self._record_edit(message)

    async def _record_edit(self, message: ObservedMessage) -> None:
        with self._analyses.announce() as ticket:
            existing = await self._store.strategy_by_message(message.guild_id, message.message_id)
            if existing is None:
                if collectable(message):
                    await self._record(message, ticket)
                return
            if existing.author_key != member_key(message.author_id):
                return  # a shared strategy: the bot's own message, edited by nobody else
            if not has_words(message.text):
                ticket.withdraw()
                await self._store.delete_strategies(message.guild_id, [message.message_id])
                return
            text = clean_text(message.text)
            if text == existing.text:
                return
            post = await self._store.open_post_by_thread(message.guild_id, message.channel_id)
            analysis = await self._analysis(ticket, text, post)
        await self._store.update_strategy(
            message.guild_id,
            message.message_id,
            text,
            analysis,
            self._clock(),
            quotable(analysis, mask),
        )

    async def remove(self, guild_id: int, message_ids: Collection[int]) -> int:
        """Messages were deleted: delete their strategies (and endorsements), after any of them
        that is being recorded or edited right now is stored."""
        for message_id in message_ids:
            self._deleted[(guild_id, message_id)] = None
        while len(self._deleted) > DELETED_REMEMBERED:
            self._deleted.popitem(last=False)
        await self._messages.settled(guild_id, message_ids=message_ids)
        removed = await self._store.delete_strategies(guild_id, message_ids)
        if removed:
            log.debug("Deleted %d strategies of deleted messages in guild %s", removed, guild_id)
        return removed

    async def thread_deleted(self, guild_id: int, thread_id: int) -> int:
        """A whole thread was deleted, and its messages with it: so are its strategies (also
        those being recorded right now)."""
        await self._messages.settled(guild_id, channel_id=thread_id)
        removed = await self._store.delete_thread_strategies(guild_id, thread_id)
        if removed:
            log.info(
                "Deleted %d strategies of deleted thread %s in guild %s",
                removed,
                thread_id,
                guild_id,
            )
        return removed

    # -- endorsements ----------------------------------------------------------------------------

    async def endorse(self, guild_id: int, message_id: int, user_id: int, emoji: str) -> bool:
        """A member reacted: count it if it is the guild's endorsement emoji on a strategy by
        someone else, and the member has not opted out."""
        strategy = await self._endorsable(guild_id, message_id, emoji)
        if strategy is None or await self._privacy.opted_out(guild_id, user_id):
            return False
        if strategy.author_key in await self._privacy.author_keys(guild_id, user_id):
            return False  # endorsing one's own strategy does not count
        return await self._store.add_endorsement(
            guild_id, message_id, member_key(user_id), self._clock()
        )

    async def withdraw_endorsement(
        self, guild_id: int, message_id: int, user_id: int, emoji: str
    ) -> bool:
        """A member removed their reaction: withdraw the endorsement, if it was one."""
        if await self._endorsable(guild_id, message_id, emoji) is None:
            return False
        return await self._store.remove_endorsement(guild_id, message_id, member_key(user_id))

    async def clear_endorsements(self, guild_id: int, message_id: int, emoji: str | None) -> int:
        """Reactions were cleared from a message (all of them, or one ``emoji``)."""
        if emoji is not None and await self._endorsable(guild_id, message_id, emoji) is None:
            return 0
        return await self._store.clear_endorsements(guild_id, message_id)

    async def _endorsable(self, guild_id: int, message_id: int, emoji: str) -> Strategy | None:
        settings = await self._store.guild_settings(guild_id)
        if not same_emoji(emoji, settings.endorsement_emoji):
            return None
        return await self._store.strategy_by_message(guild_id, message_id)

    # -- the "Share a strategy" button -----------------------------------------------------------

    async def share_target(self, guild_id: int, post_id: int, user_id: int) -> Post | ShareRefusal:
        """The open post a member may share a strategy to, or why they may not."""
        post = next((p for p in await self._store.open_posts([guild_id]) if p.id == post_id), None)
        if post is None or post.state is not PostState.OPEN or post.thread_id is None:
            return ShareRefusal.NOT_OPEN
        if await self._privacy.opted_out(guild_id, user_id):
            return ShareRefusal.OPTED_OUT
        return post

    async def record_shared(
        self,
        post: Post,
        *,
        message_id: int,
        user_id: int,
        text: str,
        anonymous: bool,
        created_at: datetime,
    ) -> Strategy | None:
        """Store a strategy the bot posted on a member's behalf (message ``message_id``).

        An anonymous strategy is stored under the member's keyed hash, with no user id.
        """
        with self._analyses.announce() as ticket:
            counted_as = await self._privacy.anonymous_key(post.guild_id, user_id)
            analysis = await self._analysis(ticket, text, post)
        if anonymous:
            author_key, author_id = counted_as, None
        else:
            author_key, author_id = member_key(user_id), user_id
        stored = await self._additions.submit(
            None,
            NewStrategy(
                guild_id=post.guild_id,
                post_id=post.id,
                message_id=message_id,
                author_key=author_key,
                author_id=author_id,
                anonymous=anonymous,
                text=clean_text(text),
                analysis=analysis,
                created_at=created_at,
                shared=True,
                member_key=counted_as,
                quotes=quotable(analysis, mask),
            ),
        )
        if stored is not None:
            self._metrics.strategies_stored()
        return stored

    # -- catching up after downtime --------------------------------------------------------------

    async def open_posts(self, guild_ids: Collection[int]) -> list[Post]:
        """The open posts of these guilds (the threads to catch up on)."""
        return await self._store.open_posts(guild_ids)

    async def backfill_start(self, post: Post) -> int:
        """The message id after which the post's thread must be read to catch up.

        It is the older of the backfill mark (else the thread's start) and the oldest stored
        strategy, so that both missed messages and deleted strategies are found.
        """
        assert post.thread_id is not None
        start = post.last_message_id if post.last_message_id is not None else post.thread_id
        stored = await self._store.post_strategies(post.guild_id, post.id)
        if stored:
            start = min(start, stored[0].message_id - 1)
        return start

    async def reconcile(
        self, post: Post, after: int, history: Sequence[ObservedMessage]
    ) -> BackfillResult:
        """Bring the post's strategies in line with its thread: ``history`` is every message
        after ``after`` as read just now, oldest first.

        Missed replies are stored, offline edits applied, and strategies whose messages are
        gone from the read range deleted. The backfill mark moves to the newest message read.
        """
        stored = {
            s.message_id: s
            for s in await self._store.post_strategies(post.guild_id, post.id)
            if s.message_id > after
        }
        newest = max((m.message_id for m in history), default=after)
        seen = {m.message_id for m in history}
        gone = [mid for mid in stored if mid <= newest and mid not in seen]
        unverified = tuple(sorted(mid for mid in stored if mid > newest))

        fresh: list[ObservedMessage] = []
        edited: list[ObservedMessage] = []
        emptied: list[int] = []
        opted_out: dict[int, bool] = {}
        for message in history:
            if message.from_bot or message.is_system:
                continue
            existing = stored.get(message.message_id)
            if existing is not None:
                if existing.author_key != member_key(message.author_id):
                    continue
                if not has_words(message.text):
                    emptied.append(message.message_id)
                elif clean_text(message.text) != existing.text:
                    edited.append(message)
                continue
            if not collectable(message):
                continue
            if message.author_id not in opted_out:
                opted_out[message.author_id] = await self._privacy.opted_out(
                    post.guild_id, message.author_id
                )
            if not opted_out[message.author_id]:
                fresh.append(message)

        analyses = await self._analyze([clean_text(m.text) for m in (*fresh, *edited)], post)
        new: list[NewStrategy] = []
        for message, analysis in zip(fresh, analyses, strict=False):
            if (post.guild_id, message.message_id) in self._deleted:
                continue  # deleted while this catch-up was analysing it
            counted_as = await self._privacy.anonymous_key(post.guild_id, message.author_id)
            new.append(_new_strategy(post, message, analysis, counted_as))
        added = sum(s is not None for s in await self._store.add_strategies(new)) if new else 0
        self._metrics.strategies_stored(added)
        now = self._clock()
        for message, analysis in zip(edited, analyses[len(fresh) :], strict=True):
            await self._store.update_strategy(
                post.guild_id,
                message.message_id,
                clean_text(message.text),
                analysis,
                now,
                quotable(analysis, mask),
            )
        removed = await self._store.delete_strategies(post.guild_id, [*gone, *emptied])
        if history:
            await self._store.set_backfill_mark(post.id, newest)
        result = BackfillResult(added, len(edited), removed, unverified)
        if added or edited or removed:
            log.info(
                "Caught up on post %s in guild %s: %d added, %d edited, %d removed",
                post.id,
                post.guild_id,
                added,
                len(edited),
                removed,
            )
        return result

    async def confirm_gone(self, guild_id: int, message_ids: Collection[int]) -> int:
        """Messages checked one by one (see :attr:`BackfillResult.unverified`) no longer exist."""
        return await self.remove(guild_id, message_ids)

    # -- reading ---------------------------------------------------------------------------------

    async def topic_stats(self, guild_id: int, topic: str) -> TopicStats:
        """What the guild's members contributed on ``topic``, counted now."""
        return await self._store.topic_stats(guild_id, topic)

    async def _themes_key(self, post: Post | None) -> ThemesKey:
        """The post's dilemma's own themes as a batching key (empty if none); cached, dilemmas
        never change."""
        if post is None:
            return ()
        if post.dilemma_id not in self._dilemma_themes:
            for entry in await self._store.queue(post.guild_id, statuses=None):
                cues = entry.dilemma.theme_cues()
                self._dilemma_themes[entry.id] = tuple(
                    sorted((theme, tuple(phrases)) for theme, phrases in cues.items())
                )
        return self._dilemma_themes.get(post.dilemma_id, ())

    async def _analyze(self, texts: Sequence[str], post: Post | None) -> list[Analysis]:
        """Language and themes of each text (with the post's dilemma's own themes), in batches
        of the analysis batcher (shared with concurrent callers); see :meth:`_analyze_batch`."""
        if not texts:
            return []
        if self._analyzer is None:
            return [Analysis() for _ in texts]
        return await self._analyses.submit_many(await self._themes_key(post), texts)

    async def _analysis(self, ticket: AnalysisTicket, text: str, post: Post | None) -> Analysis:
        """One text's analysis, batched with the texts of concurrent callers whose dilemmas
        have the same own themes (``ticket``: this caller's announcement to the batcher)."""
        if self._analyzer is None:
            ticket.withdraw()
            return Analysis()
        return await ticket.submit(await self._themes_key(post), text)

    async def _add_batch(self, _: None, new: list[NewStrategy]) -> list[Strategy | None]:
        return await self._store.add_strategies(new)

    async def _analyze_batch(self, key: ThemesKey, texts: list[str]) -> list[Analysis]:
        """The analyzer's results for one batch (with the dilemma's own themes ``key``), in a
        worker thread; undetermined when it fails (the strategies are stored all the same)."""
        assert self._analyzer is not None
        extra = dict(key) or None
        try:
            results = await asyncio.to_thread(self._analyzer.analyze, list(texts), extra)
        except Exception:
            log.exception("Text analysis failed; storing %d strategies unclassified", len(texts))
            return [Analysis() for _ in texts]
        return [
            Analysis(
                r.language,
                tuple(sorted(r.themes)),
                tuple((theme, sentence) for theme, sentence in r.evidence),
            )
            for r in results
        ]


def _new_strategy(
    post: Post, message: ObservedMessage, analysis: Analysis, counted_as: str
) -> NewStrategy:
    return NewStrategy(
        guild_id=post.guild_id,
        post_id=post.id,
        message_id=message.message_id,
        author_key=member_key(message.author_id),
        author_id=message.author_id,
        anonymous=False,
        text=clean_text(message.text),
        analysis=analysis,
        created_at=message.created_at,
        member_key=counted_as,
        quotes=quotable(analysis, mask),
    )
