"""Seconds left in the current Lambda invocation, for code that could wait past it.

Slack's ``Retry-After`` can ask for longer than the invocation has left. Sleeping through it
gets the Lambda killed mid-delivery: no SNS fallback, and the event waits for a retry. The
handler runs inside ``within(context)``; a sender asks ``time_left`` before it waits.
Outside Lambda (CLI, tests that do not start one) there is no deadline.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# Kept back for what follows a Slack attempt: the SNS fallback (with its retries), the alert
# ledger write and the return.
RESERVE_SECONDS = 8.0
_remaining_ms: Callable[[], int] | None = None


def start(context: Any) -> None:
    """Track ``context``'s deadline from now on; ``None`` clears it (``within`` does both)."""
    global _remaining_ms
    _remaining_ms = getattr(context, "get_remaining_time_in_millis", None)


@contextmanager
def within(context: Any) -> Iterator[None]:
    """Track ``context``'s deadline (``get_remaining_time_in_millis``) while the handler runs, and
    only then: a later invocation of another handler (the audit, close_groups) must not read a
    finished invocation's clock."""
    start(context)
    try:
        yield
    finally:
        start(None)


def time_left() -> float:
    """Seconds that may still be spent waiting, the reserve already taken off; ``inf`` with no deadline."""
    if _remaining_ms is None:
        return math.inf
    try:
        return max(0.0, float(_remaining_ms()) / 1000.0 - RESERVE_SECONDS)
    except (TypeError, ValueError):  # a context that does not answer a number: no deadline known
        return math.inf
