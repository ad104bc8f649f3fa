"""Runbooks with the finding's own names in them: ``--user-name USER`` becomes ``--user-name ci``.

A rule's runbook is written once with placeholders (``USER``, ``NAME``, ``ROLE``, ``TRAIL``,
``RULE``, ``FN``); the engine fills in the ones the finding knows — from the target's ARN, else
(for a user) the acting IAM user's — so a responder can paste the command. Placeholders it does
not know stay as they are; access key ids are never filled in (findings only hold them masked).
"""

from __future__ import annotations

import re
from collections.abc import Callable

_NAME = r"[\w+=,.@/:-]+"


def _tail(arn: str | None, marker: str) -> str | None:
    """The name after ``marker`` in an ARN (``:user/`` → the user, path dropped), or None."""
    if not arn or marker not in arn:
        return None
    name = arn.split(marker, 1)[1].rsplit("/", 1)[-1]
    return name if name and re.fullmatch(_NAME, name) else None


# option → (placeholders it may hold, how to find the value from (target ARN, actor ARN))
_FILLERS: tuple[tuple[str, str, Callable[[str | None, str | None], str | None]], ...] = (
    ("--user-name", "USER|NAME", lambda t, a: _tail(t, ":user/") or (None if t else _tail(a, ":user/"))),
    ("--role-name", "ROLE|NAME", lambda t, a: _tail(t, ":role/")),
    ("--trail-name", "TRAIL|NAME", lambda t, a: _tail(t, ":trail/")),
    ("--name", "RULE", lambda t, a: _tail(t, ":rule/")),
    ("--name", "TRAIL", lambda t, a: _tail(t, ":trail/")),
    ("--function-name", "FN", lambda t, a: _tail(t, ":function:")),
)


def fill(runbook: str, target_arn: str | None, actor_arn: str | None) -> str:
    """``runbook`` with each known ``--option PLACEHOLDER`` replaced by the finding's value."""
    if not runbook or "--" not in runbook:
        return runbook
    for option, placeholders, find in _FILLERS:
        if option not in runbook:
            continue
        value = find(target_arn, actor_arn)
        if value:
            runbook = re.sub(rf"{re.escape(option)} (?:{placeholders})\b", f"{option} {value}", runbook)
    return runbook
