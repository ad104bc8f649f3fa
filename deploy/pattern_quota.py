"""Keep every packaged event pattern within EventBridge's pattern size quota.

EventBridge refuses a rule whose event pattern is longer than 2,048 characters (the default
quota; it can be raised to 4,096 on request, which a new account has not done). A family's
pattern grows with the model it is narrowed for (the names of declared users and roles), so a
family whose ``detail`` is an ``$or`` of branches is spread over as many rules as it needs,
each holding whole branches and every other condition; they all target the family's one
function. An event matching branches in two of them is delivered twice and stored once (the
store is idempotent per event and rule); the reads family's branches overlap only for a direct
kms:Decrypt of a parameter made with an undeclared IAM user's own key.
"""

from __future__ import annotations

import json
from typing import Any

PATTERN_LIMIT = 2048  # characters, EventBridge's default "event pattern size" quota


class PatternTooLarge(ValueError):
    """A single branch (or a pattern without branches) is over the quota by itself."""


def pattern_size(pattern: dict[str, Any]) -> int:
    """Characters of the pattern as JSON, with the spaces json.dumps puts in (an upper bound of
    the compact form CloudFormation sends)."""
    return len(json.dumps(pattern))


def split_for_quota(family: str, pattern: dict[str, Any], limit: int = PATTERN_LIMIT) -> list[dict[str, Any]]:
    """``pattern`` as one rule when it fits, else its ``detail.$or`` branches over several rules."""
    if pattern_size(pattern) <= limit:
        return [pattern]
    detail = pattern.get("detail")
    branches = detail.get("$or") if isinstance(detail, dict) else None
    if not isinstance(branches, list) or len(branches) < 2:
        raise PatternTooLarge(f"family {family!r}: its event pattern is {pattern_size(pattern)} characters, over "
                              f"EventBridge's {limit} (and has no $or branches to spread over several rules)")
    parts: list[list[Any]] = []
    for branch in branches:
        if parts and pattern_size(_with_branches(pattern, [*parts[-1], branch])) <= limit:
            parts[-1].append(branch)
        else:
            parts.append([branch])
    out = [_with_branches(pattern, part) for part in parts]
    for part in out:
        if pattern_size(part) > limit:
            raise PatternTooLarge(f"family {family!r}: one branch of its event pattern is {pattern_size(part)} "
                                  f"characters by itself, over EventBridge's {limit}; declare fewer names in the "
                                  "model for this family, or raise the account's event pattern size quota")
    return out


def _with_branches(pattern: dict[str, Any], branches: list[Any]) -> dict[str, Any]:
    """``pattern`` whose ``detail.$or`` holds only ``branches`` (one branch is merged into ``detail``)."""
    detail = {k: v for k, v in pattern["detail"].items() if k != "$or"}
    if len(branches) == 1 and isinstance(branches[0], dict) and not set(branches[0]) & set(detail):
        detail.update(branches[0])
    else:
        detail["$or"] = branches
    return {**pattern, "detail": detail}
