"""Contract: the incremental topic summaries stay equal to a recount after every kind of change
(insert, edit, delete, cascade, erasure, endorsement)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta

from bot.domain.posts import Post
from bot.domain.strategies import Analysis, member_key
from bot.domain.summary import TopicSnapshot
from bot.services.ports import Repository
from tests.storage.contract.conftest import Backend
from tests.storage.contract.helpers import GUILD, OTHER_GUILD, T0, open_post, strategy

ORDER = ["agreement", "consent", "supervision", "empathy"]


async def _snapshot(store: Repository, topic: str = "one", language: str = "en") -> TopicSnapshot:
    return await store.topic_snapshot(GUILD, topic, language, ORDER, len(ORDER))


async def test_an_unknown_topic_has_an_empty_snapshot(backend: Backend) -> None:
    assert await _snapshot(backend.store) == TopicSnapshot(0, 0, None, {})


async def test_counts_quotes_and_links_after_inserts(backend: Backend) -> None:
    store = backend.store
    first = await open_post(store, "one", thread_id=501)
    second = await open_post(store, "one", thread_id=502)
    await store.add_strategies(
        [
            strategy(
                first,
                1001,
                7,
                themes=("agreement", "consent"),
                quotes=[("agreement", "Review the agreement."), ("consent", "Ask first.")],
            )
        ]
    )
    await store.add_strategies(
        [
            strategy(
                second,
                1002,
                7,
                themes=("consent",),
                created_at=T0 + timedelta(hours=2),
                language="de",
                quotes=[("consent", "Fragen Sie zuerst.")],
            )
        ]
    )
    await store.add_strategies(
        [strategy(second, 1003, 8, themes=("consent",), counted_as="h:eight", quotes=[])]
    )
    await store.add_endorsement(GUILD, 1002, member_key(9), T0)
    snapshot = await _snapshot(store, language="de")
    assert (snapshot.members, snapshot.strategies, snapshot.last_update) == (
        2,
        3,
        T0 + timedelta(hours=2),
    )
    assert dict(snapshot.theme_members) == {"consent": 2, "agreement": 1}
    assert snapshot.thread_link == f"https://discord.com/channels/{GUILD}/502"
    quotes = {(c.theme, c.text, c.language, c.endorsements) for c in snapshot.candidates}
    assert quotes == {
        ("agreement", "Review the agreement.", "en", 0),
        ("consent", "Ask first.", "en", 0),
        ("consent", "Fragen Sie zuerst.", "de", 1),
    }
    german = next(c for c in snapshot.candidates if c.language == "de")
    assert german.link == f"https://discord.com/channels/{GUILD}/502/1002"
    assert await store.topic_snapshot(OTHER_GUILD, "one", "en", ORDER, 4) == TopicSnapshot(
        0, 0, None, {}
    )


async def test_edits_recount_themes_and_keep_endorsements(backend: Backend) -> None:
    store = backend.store
    post = await open_post(store, "one", thread_id=501)
    await store.add_strategies(
        [strategy(post, 1001, 7, themes=("agreement",), quotes=[("agreement", "Agree.")])]
    )
    await store.add_strategies([strategy(post, 1002, 8, themes=("agreement",))])
    await store.add_endorsement(GUILD, 1001, member_key(8), T0)
    edited_at = T0 + timedelta(days=1)
    assert await store.update_strategy(
        GUILD,
        1001,
        "Ask for consent.",
        Analysis("en", ("consent",)),
        edited_at,
        quotes=[("consent", "Ask for consent.")],
    )
    snapshot = await _snapshot(store)
    assert (snapshot.members, snapshot.strategies, snapshot.last_update) == (2, 2, edited_at)
    assert dict(snapshot.theme_members) == {"agreement": 1, "consent": 1}
    assert [(c.theme, c.text, c.endorsements) for c in snapshot.candidates] == [
        ("consent", "Ask for consent.", 1)
    ]
    # An older edit time never moves last_update back.
    await store.update_strategy(GUILD, 1002, "x", Analysis("en", ()), T0)
    snapshot = await _snapshot(store)
    assert snapshot.last_update == edited_at
    assert dict(snapshot.theme_members) == {"consent": 1}


async def test_deletes_cascades_and_endorsement_changes(backend: Backend) -> None:
    store = backend.store
    post = await open_post(store, "one", thread_id=501)
    other = await open_post(store, "one", thread_id=502)
    await store.add_strategies(
        [strategy(post, 1001, 7, themes=("consent",), quotes=[("consent", "Ask.")])]
    )
    await store.add_strategies([strategy(other, 1002, 8, themes=("consent", "empathy"))])
    await store.add_endorsement(GUILD, 1001, member_key(8), T0)
    await store.add_endorsement(GUILD, 1001, member_key(9), T0)
    assert [c.endorsements for c in (await _snapshot(store)).candidates] == [2]
    await store.remove_endorsement(GUILD, 1001, member_key(8))
    assert [c.endorsements for c in (await _snapshot(store)).candidates] == [1]
    await store.clear_endorsements(GUILD, 1001)
    assert [c.endorsements for c in (await _snapshot(store)).candidates] == [0]
    assert await store.delete_thread_strategies(GUILD, 502) == 1
    snapshot = await _snapshot(store)
    assert (snapshot.members, snapshot.strategies, dict(snapshot.theme_members)) == (
        1,
        1,
        {"consent": 1},
    )
    await store.forget_member(GUILD, 7, [member_key(7)])
    snapshot = await _snapshot(store)
    assert (snapshot.members, snapshot.strategies, dict(snapshot.theme_members)) == (0, 0, {})
    assert snapshot.candidates == ()


@dataclass
class _Model:
    """What the summaries must say, recomputed from scratch."""

    strategies: dict[int, tuple[str, frozenset[str]]] = field(default_factory=dict)
    endorsers: dict[int, set[str]] = field(default_factory=dict)
    quoted: dict[int, frozenset[str]] = field(default_factory=dict)

    def members(self) -> int:
        return len({member for member, _ in self.strategies.values()})

    def theme_members(self) -> dict[str, int]:
        themes: dict[str, set[str]] = {}
        for member, carried in self.strategies.values():
            for theme in carried:
                themes.setdefault(theme, set()).add(member)
        return {theme: len(members) for theme, members in themes.items()}

    def candidates(self) -> set[tuple[str, str, int]]:
        return {
            (str(message), theme, len(self.endorsers.get(message, ())))
            for message, themes in self.quoted.items()
            for theme in themes
        }


async def test_summaries_match_a_recount_after_random_changes(backend: Backend) -> None:
    store = backend.store
    rng = random.Random(6)
    posts: list[Post] = [
        await open_post(store, "one", thread_id=501),
        await open_post(store, "one", thread_id=502),
    ]
    model = _Model()
    ids: dict[int, int] = {}  # message id -> strategy id (the candidates' reply_id)
    themes = ORDER
    for step in range(160):
        action = rng.choice(["add", "add", "edit", "delete", "endorse", "unendorse"])
        message = rng.randrange(1, 9)  # at most 8 quotes per theme: all are candidates
        user = rng.randrange(1, 6)
        carried = frozenset(rng.sample(themes, rng.randrange(0, 3)))
        quotes = [(theme, f"{theme} {step}") for theme in sorted(carried)]
        if action == "add":  # a batch of 1-3, possibly repeating a message
            batch = [(message, user, carried)] + [
                (rng.randrange(1, 9), rng.randrange(1, 6), frozenset(rng.sample(themes, 1)))
                for _ in range(rng.randrange(0, 3))
            ]
            results = await store.add_strategies(
                [
                    strategy(
                        rng.choice(posts),
                        m,
                        u,
                        themes=sorted(c),
                        quotes=[(theme, f"{theme} {step}") for theme in sorted(c)],
                    )
                    for m, u, c in batch
                ]
            )
            for (m, u, c), stored in zip(batch, results, strict=True):
                assert (stored is None) == (m in model.strategies), step
                if stored is not None:
                    assert stored.message_id == m
                    ids[m] = stored.id
                    model.strategies[m] = (member_key(u), c)
                    model.quoted[m] = c
        elif action == "edit":
            done = await store.update_strategy(
                GUILD, message, "e", Analysis("en", tuple(sorted(carried))), T0, quotes
            )
            assert done == (message in model.strategies)
            if done:
                model.strategies[message] = (model.strategies[message][0], carried)
                model.quoted[message] = carried
        elif action == "delete":
            deleted = await store.delete_strategies(GUILD, [message])
            assert deleted == (message in model.strategies)
            model.strategies.pop(message, None)
            model.quoted.pop(message, None)
            ids.pop(message, None)  # SQLite may give its id to the next strategy
            model.endorsers.pop(message, None)
        elif action == "endorse":
            added = await store.add_endorsement(GUILD, message, member_key(user), T0)
            expected = message in model.strategies and member_key(user) not in model.endorsers.get(
                message, set()
            )
            assert added == expected
            if added:
                model.endorsers.setdefault(message, set()).add(member_key(user))
        else:
            removed = await store.remove_endorsement(GUILD, message, member_key(user))
            assert removed == (member_key(user) in model.endorsers.get(message, set()))
            model.endorsers.get(message, set()).discard(member_key(user))
        snapshot = await _snapshot(store)
        assert snapshot.strategies == len(model.strategies), step
        assert snapshot.members == model.members(), step
        assert dict(snapshot.theme_members) == model.theme_members(), step
        by_strategy = {strategy_id: message for message, strategy_id in ids.items()}
        assert {
            (str(by_strategy[int(c.reply_id)]), c.theme, c.endorsements)
            for c in snapshot.candidates
        } == model.candidates(), step
