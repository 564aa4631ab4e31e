"""Fixtures for the wire tests: the fake Discord server and the OpenAPI request validator."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import pytest_asyncio

from .fake_discord import FakeDiscord
from .spec import SpecValidator, load_spec_validator

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


@pytest.fixture(scope="session")
def spec_validator() -> SpecValidator | None:
    """Validator of recorded requests against Discord's OpenAPI spec, or ``None`` if absent.

    Built once per session. ``spec_validator(record)`` asserts one request is valid;
    ``spec_validator.assert_valid(fake.requests)`` checks them all.
    """
    return load_spec_validator()


@pytest_asyncio.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """A running :class:`FakeDiscord` with the default world; fails on internal fake errors."""
    async with FakeDiscord() as fake:
        yield fake
    assert not fake.fake_errors, f"the fake itself failed: {fake.fake_errors}"
