"""Counters of what the bot does, rendered in Prometheus' text exposition format (version 0.0.4).

One :class:`Metrics` object is built by the composition root and passed by constructor to what
counts (posting, collection, the command tree, the HTTP trace); nothing is global, so tests get
a fresh one each. Counting is plain arithmetic on the event loop thread: no locks are needed.
The HTTP endpoint that serves :meth:`Metrics.render` lives in :mod:`bot.observability`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: Upper bounds (seconds) of the interaction latency histogram. Discord wants an answer within
#: 3 s, so the buckets are finest below that.
LATENCY_BUCKETS: tuple[float, ...] = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)

Labels = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Sample:
    """A gauge value measured at scrape time (guilds, shard latency)."""

    name: str
    help: str
    value: float
    labels: Labels = ()


class Metrics:
    """The bot's counters and its interaction latency histogram."""

    def __init__(self, buckets: Sequence[float] = LATENCY_BUCKETS) -> None:
        self.posts = 0
        self.strategies = 0
        self.rate_limits: defaultdict[str, int] = defaultdict(int)  # by scope: route, global
        self.interactions: defaultdict[tuple[str, str], int] = defaultdict(int)  # command, outcome
        self._buckets = tuple(sorted(buckets))
        self._bucket_counts = [0] * len(self._buckets)
        self._latency_count = 0
        self._latency_sum = 0.0

    def post_published(self) -> None:
        """A dilemma was posted (or a post sent before a crash was adopted)."""
        self.posts += 1

    def strategies_stored(self, count: int = 1) -> None:
        """``count`` new strategies were stored (duplicates are not counted by the caller)."""
        self.strategies += count

    def rate_limited(self, scope: str) -> None:
        """Discord answered 429; ``scope`` is ``global`` or ``route``."""
        self.rate_limits[scope] += 1

    def interaction(self, command: str, seconds: float, *, outcome: str = "ok") -> None:
        """A slash command finished (``outcome`` ``ok`` or ``error``) after ``seconds``."""
        self.interactions[command, outcome] += 1
        self._latency_count += 1
        self._latency_sum += seconds
        for index, bound in enumerate(self._buckets):
            if seconds <= bound:
                self._bucket_counts[index] += 1

    def render(self, gauges: Iterable[Sample] = ()) -> str:
        """The exposition text of every counter, the histogram, then ``gauges``."""
        lines: list[str] = []
        _family(lines, "intervision_posts_total", "counter", "Dilemmas posted.")
        lines.append(f"intervision_posts_total {self.posts}")
        _family(lines, "intervision_strategies_total", "counter", "Strategies stored.")
        lines.append(f"intervision_strategies_total {self.strategies}")
        _family(
            lines,
            "intervision_interactions_total",
            "counter",
            "Slash commands handled, by command and outcome.",
        )
        for (command, outcome), count in sorted(self.interactions.items()):
            labels = (("command", command), ("outcome", outcome))
            lines.append(f"intervision_interactions_total{_labels(labels)} {count}")
        _family(
            lines,
            "intervision_rate_limits_total",
            "counter",
            "HTTP 429 answers from Discord, by scope.",
        )
        for scope in sorted({"route", "global", *self.rate_limits}):
            count = self.rate_limits.get(scope, 0)
            lines.append(f"intervision_rate_limits_total{_labels((('scope', scope),))} {count}")
        name = "intervision_interaction_duration_seconds"
        _family(lines, name, "histogram", "Time to handle a slash command.")
        for bound, count in zip(self._buckets, self._bucket_counts, strict=True):
            lines.append(f"{name}_bucket{_labels((('le', _number(bound)),))} {count}")
        lines.append(f'{name}_bucket{{le="+Inf"}} {self._latency_count}')
        lines.append(f"{name}_sum {_number(self._latency_sum)}")
        lines.append(f"{name}_count {self._latency_count}")
        seen: set[str] = set()
        for sample in gauges:
            if sample.name not in seen:
                seen.add(sample.name)
                _family(lines, sample.name, "gauge", sample.help)
            lines.append(f"{sample.name}{_labels(sample.labels)} {_number(sample.value)}")
        return "\n".join(lines) + "\n"


def _family(lines: list[str], name: str, kind: str, text: str) -> None:
    lines.append(f"# HELP {name} {text}")
    lines.append(f"# TYPE {name} {kind}")


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{key}="{_escape(value)}"' for key, value in labels)
    return "{" + inner + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))
