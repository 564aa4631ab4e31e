"""Weekly slots in IANA zones: DST, gaps, folds, catch-up."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from bot.domain.schedule import (
    Due,
    WeeklySlot,
    due,
    next_slot,
    parse_time,
    parse_zone,
    suggest_zones,
)

MONDAY, SUNDAY = 0, 6


def test_next_slot_is_strictly_after() -> None:
    slot = WeeklySlot(MONDAY, time(9, 0), "Europe/Berlin")
    monday_nine = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    assert next_slot(slot, monday_nine - timedelta(seconds=1)) == monday_nine
    assert next_slot(slot, monday_nine) == monday_nine + timedelta(days=7)


@pytest.mark.parametrize(
    ("zone", "before", "after"),
    [
        ("Europe/Berlin", 8, 7),  # CET -> CEST on March 29, 2026
        ("America/New_York", 14, 13),  # EST -> EDT on March 8, 2026
        ("America/Sao_Paulo", 12, 12),  # no DST since 2019
    ],
)
def test_local_time_is_kept_across_spring_dst(zone: str, before: int, after: int) -> None:
    slot = WeeklySlot(MONDAY, time(9, 0), zone)
    march_2 = next_slot(slot, datetime(2026, 3, 1, tzinfo=UTC))
    april_6 = next_slot(slot, datetime(2026, 4, 5, tzinfo=UTC))
    assert (march_2.day, march_2.hour) == (2, before)
    assert (april_6.day, april_6.hour) == (6, after)


def test_autumn_change_keeps_local_time() -> None:
    slot = WeeklySlot(MONDAY, time(9, 0), "Europe/Berlin")
    assert next_slot(slot, datetime(2026, 10, 13, tzinfo=UTC)).hour == 7  # Oct 19, CEST
    assert next_slot(slot, datetime(2026, 10, 20, tzinfo=UTC)).hour == 8  # Oct 26, CET


def test_nonexistent_time_is_posted_after_the_gap() -> None:
    slot = WeeklySlot(SUNDAY, time(2, 30), "Europe/Berlin")
    moment = next_slot(slot, datetime(2026, 3, 28, tzinfo=UTC))
    assert moment == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 CEST


def test_ambiguous_time_is_posted_once_at_its_first_occurrence() -> None:
    slot = WeeklySlot(SUNDAY, time(2, 30), "Europe/Berlin")
    first = next_slot(slot, datetime(2026, 10, 24, tzinfo=UTC))
    assert first == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST, the first one
    assert next_slot(slot, first) == datetime(2026, 11, 1, 1, 30, tzinfo=UTC)


def test_catch_up_window() -> None:
    slot_at = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    assert due(slot_at, slot_at - timedelta(seconds=1)) is Due.WAIT
    assert due(slot_at, slot_at) is Due.POST
    assert due(slot_at, slot_at + timedelta(hours=23, minutes=59)) is Due.POST
    assert due(slot_at, slot_at + timedelta(days=1)) is Due.SKIP


@pytest.mark.parametrize(
    ("text", "expected"),
    [("09:00", time(9)), ("9:05", time(9, 5)), ("21h30", time(21, 30)), ("7.15", time(7, 15))],
)
def test_times_people_type(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["24:00", "9", "nine", "09:60", "", "9:5"])
def test_times_that_are_refused(text: str) -> None:
    assert parse_time(text) is None


def test_zones() -> None:
    assert parse_zone("Europe/Berlin") is not None
    for bad in ("Europe/Berln", "", "../etc/passwd", "/etc/localtime", "Mars/Olympus"):
        assert parse_zone(bad) is None
    assert suggest_zones("berlin")[0] == "Europe/Berlin"
    assert "America/Sao_Paulo" in suggest_zones("sao paulo")
    assert "Europe/Berlin" in suggest_zones("Europe/Berln")
