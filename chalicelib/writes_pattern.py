"""The writes family's pattern: every write, except those another family already delivers.

An event that matches two rules is two Lambda invocations (and stored once). The writes family
routes every write, so without this each IAM change, sign-in and blinding call was delivered
twice. ``delivered_whole`` reads, from another family's pattern, the (eventSource, eventName)
pairs it delivers whatever the caller, parameters or detail-type; ``writes_pattern`` routes
every write except those pairs. Only patterns whose conditions are exactly those are read, so a
family narrowed later by caller or parameters (the sts family, the UpdateTrail branches) is
never taken as a guarantee: its events stay in writes too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

WHOLE = frozenset({"eventSource", "eventName"})  # a branch with other conditions is not whole


def _names(values: Any) -> list[str] | None:
    """Plain strings only: a prefix, anything-but or exists filter is not a whole name."""
    if isinstance(values, list) and values and all(isinstance(v, str) for v in values):
        return values
    return None


def _sources_of(source: Any) -> list[str] | None:
    """The eventSources an envelope ``source`` list admits (``aws.iam`` → ``iam.amazonaws.com``);
    None for any source (a prefix filter)."""
    names = _names(source)
    if names is None:
        return None
    return [f"{s.removeprefix('aws.')}.amazonaws.com" for s in names if s.startswith("aws.")]


def delivered_whole(pattern: dict[str, Any]) -> dict[str, set[str]]:
    """eventSource → eventNames that ``pattern`` matches for every caller, parameter and detail-type."""
    if set(pattern) - {"source", "detail"}:
        return {}  # pinned to a detail-type (or more): not every record of the name
    allowed = _sources_of(pattern.get("source"))
    detail = pattern.get("detail")
    if not isinstance(detail, dict):
        return {}
    branches = detail["$or"] if set(detail) == {"$or"} and isinstance(detail["$or"], list) else [detail]
    out: dict[str, set[str]] = {}
    for branch in branches:
        if not isinstance(branch, dict) or "eventName" not in branch or set(branch) - WHOLE:
            continue
        names = _names(branch["eventName"])
        sources = _names(branch["eventSource"]) if "eventSource" in branch else allowed
        if names is None or sources is None:
            continue
        for source in sources:
            if allowed is None or source in allowed:
                out.setdefault(source, set()).update(names)
    return out


def writes_pattern(others: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Every write by anyone (``readOnly`` false), less what ``others`` deliver whole."""
    elsewhere: dict[str, set[str]] = {}
    for pattern in others:
        for source, names in delivered_whole(pattern).items():
            elsewhere.setdefault(source, set()).update(names)
    detail: dict[str, Any] = {"readOnly": [False]}
    if elsewhere:
        # Sources left the same names share one branch (a family that takes several services'
        # names in one branch, as iam does, would otherwise cost a long branch per service).
        groups: dict[tuple[str, ...], list[str]] = {}
        for source in sorted(elsewhere):
            groups.setdefault(tuple(sorted(elsewhere[source])), []).append(source)
        detail["$or"] = [
            {"eventSource": [{"anything-but": sorted(elsewhere)}]},
            *({"eventSource": sources, "eventName": [{"anything-but": list(names)}]}
              for names, sources in sorted(groups.items(), key=lambda g: g[1])),
        ]
    return {"source": [{"prefix": "aws."}], "detail": detail}
