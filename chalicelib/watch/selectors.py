"""What a trail still records after ``PutEventSelectors``: read from its ``requestParameters``.

Basic selectors (``eventSelectors``) record management events unless ``includeManagementEvents``
is false, for the ``readWriteType`` given (All by default), minus ``excludeManagementEventSources``.
Advanced selectors (``advancedEventSelectors``) record management events when a selector has
``eventCategory`` equal to ``Management``, narrowed by its ``readOnly`` and ``eventSource``
field selectors. Anything else (null, a string, selectors of the wrong type) is unreadable:
the caller reports a successful call as tampering, because it cannot show it is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.events import as_bool, as_str


@dataclass(frozen=True)
class Coverage:
    """Management events the trail records after the call."""

    readable: bool
    reads: bool = False
    writes: bool = False
    excluded: tuple[str, ...] = ()  # sources left out of every management selector
    only: tuple[str, ...] = ()  # when set, the only sources still recorded
    problem: str | None = None  # why the selectors could not be read

    @property
    def keeps_everything(self) -> bool:
        return self.readable and self.reads and self.writes and not self.excluded and not self.only

    def lost(self) -> str:
        """Which management events are no longer recorded, in words."""
        if not self.readable:
            return f"possibly every management event (the new selectors could not be read: {self.problem})"
        if not self.reads and not self.writes:
            return "every management event"
        parts = []
        if not self.reads:
            parts.append("read-only management events")
        if not self.writes:
            parts.append("write management events")
        if self.only:
            parts.append(f"management events from every source except {', '.join(self.only)}")
        if self.excluded:
            parts.append(f"management events from {', '.join(self.excluded)}")
        return "; ".join(parts)


def _get(obj: dict[str, Any], name: str) -> Any:
    """A key as CloudTrail writes it (camelCase), or as the API spells it (PascalCase)."""
    if name in obj:
        return obj[name]
    return obj.get(name[:1].upper() + name[1:])


def _strings(value: Any) -> list[str] | None:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return list(value)


def coverage(request: dict[str, Any]) -> Coverage:
    """Coverage of management events by the selectors in a PutEventSelectors request."""
    basic, advanced = _get(request, "eventSelectors"), _get(request, "advancedEventSelectors")
    if basic is None and advanced is None:
        return Coverage(False, problem="requestParameters name no selectors")
    if advanced is not None:
        return _advanced(advanced)
    return _basic(basic)


def _basic(selectors: Any) -> Coverage:
    if not isinstance(selectors, list) or not all(isinstance(s, dict) for s in selectors):
        return Coverage(False, problem="eventSelectors is not a list of selectors")
    reads = writes = False
    excluded: set[str] | None = None
    for selector in selectors:
        include = _get(selector, "includeManagementEvents")
        include = True if include is None else as_bool(include)
        kind = _get(selector, "readWriteType")
        kind = "all" if kind is None else (as_str(kind) or "").lower()
        sources = _strings(_get(selector, "excludeManagementEventSources"))
        if include is None or kind not in ("all", "readonly", "writeonly") or sources is None:
            return Coverage(False, problem=f"a selector reads {selector!r:.120}")
        if not include:
            continue
        reads |= kind in ("all", "readonly")
        writes |= kind in ("all", "writeonly")
        excluded = set(sources) if excluded is None else excluded & set(sources)
    return Coverage(True, reads, writes, tuple(sorted(excluded or ())))


# What a management selector may filter on, and how, for this reader to say what it keeps. Anything else (a
# StartsWith on eventSource, a userIdentity.arn or eventName filter, which choose whose or which calls are kept)
# cannot be shown to keep every management event, so the selectors read as unreadable: tampering until shown not.
READ_FIELDS = {"eventcategory": ("equals",), "readonly": ("equals", "notequals"),
               "eventsource": ("equals", "notequals")}


def _unevaluated(fields: list[dict[str, Any]]) -> str | None:
    """The first filter of a management selector this reader does not evaluate, in words; None when none."""
    for f in fields:
        name = as_str(_get(f, "field")) or "?"
        allowed = READ_FIELDS.get(name.lower())
        for op, value in f.items():
            if op.lower() == "field" or value is None:
                continue
            if allowed is None or op.lower() not in allowed:
                return f"a management selector filters on {name} with {op} {value!r:.120}"
    return None


def _advanced(selectors: Any) -> Coverage:
    if not isinstance(selectors, list) or not all(isinstance(s, dict) for s in selectors):
        return Coverage(False, problem="advancedEventSelectors is not a list of selectors")
    reads = writes = False
    excluded: set[str] | None = None
    only: set[str] = set()
    unlimited = False
    for selector in selectors:
        fields = _get(selector, "fieldSelectors")
        if not isinstance(fields, list) or not all(isinstance(f, dict) for f in fields):
            return Coverage(False, problem="a selector has no list of fieldSelectors")
        by_field = {(as_str(_get(f, "field")) or "").lower(): f for f in fields}
        category = _strings(_get(by_field.get("eventcategory", {}), "equals"))
        if category is None:
            return Coverage(False, problem="an eventCategory selector is not a list of strings")
        if "Management" not in category:
            continue
        unevaluated = _unevaluated(fields)
        if unevaluated is not None:
            return Coverage(False, problem=f"{unevaluated}, which the monitor does not evaluate")
        ro = by_field.get("readonly", {})
        equals, not_equals = _strings(_get(ro, "equals")), _strings(_get(ro, "notEquals"))
        src = by_field.get("eventsource", {})
        src_equals, src_not = _strings(_get(src, "equals")), _strings(_get(src, "notEquals"))
        if None in (equals, not_equals, src_equals, src_not):
            return Coverage(False, problem="a readOnly or eventSource selector is not a list of strings")
        values = {v.lower() for v in equals or ()} or {"true", "false"}
        values -= {v.lower() for v in not_equals or ()}
        reads |= "true" in values
        writes |= "false" in values
        if src_equals:
            only.update(src_equals)
        else:
            unlimited = True
            excluded = set(src_not or ()) if excluded is None else excluded & set(src_not or ())
    if unlimited:
        only = set()
    return Coverage(True, reads, writes, tuple(sorted(excluded or ())), tuple(sorted(only)))
