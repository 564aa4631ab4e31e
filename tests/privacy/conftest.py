"""The privacy tests use the collection tests' world: a guild with an open dilemma."""

from tests.collection.conftest import World, world

__all__ = ["World", "world"]
