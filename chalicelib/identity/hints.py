"""Helping a model author fix every problem in one pass: did-you-mean hints for unknown keys, and
the model with its invalid parts set aside so that the cross-reference checks can still run.

Without the second, errors came in rounds: fix the schema errors, run again, and only then learn
that a secret names an unknown reader.
"""

from __future__ import annotations

import copy
import difflib
import types
import typing
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel

from chalicelib.identity.schema import SSO_USER_ID, TRUST_ANCHOR

Path_ = tuple[str | int, ...]
# What a value of these patterns looks like, in the author's terms: the bare regex is no help to someone
# pasting an id from the console. Patterns not listed here are shown as they are.
PATTERN_HINTS = {
    SSO_USER_ID: "an IAM Identity Center user id is a UUID, after the identity store's 10-hex prefix in "
                 "directories made since 2020, e.g. 9067642ac7-4b1c2d3e-5f60-4718-9a2b-3c4d5e6f7081 "
                 "(`aws identitystore list-users`: UserId)",
    TRUST_ANCHOR: "a Roles Anywhere trust anchor is its id, a UUID such as 3f1e2d4c-5b6a-4798-8a9b-0c1d2e3f4a5b, "
                  "or its ARN, arn:aws:rolesanywhere:REGION:ACCOUNT:trust-anchor/ID "
                  "(`aws rolesanywhere list-trust-anchors`: trustAnchorId)",
}


def _unwrap(tp: Any) -> Any:
    """``Optional[X]``, ``Annotated[X, …]``, ``X | None`` → ``X`` (the first non-None member)."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            tp = members[0] if members else tp
            if not members:
                return tp
        else:
            return tp


def allowed_keys(root: type[BaseModel], loc: Path_) -> list[str]:
    """The keys the schema accepts in the mapping that holds ``loc``'s last key ([] when unknown)."""
    tp: Any = root
    for part in loc[:-1]:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(str(part))
            if field is None:
                return []
            tp = field.annotation
        elif typing.get_origin(tp) in (dict, Mapping):
            tp = typing.get_args(tp)[-1]
        elif typing.get_origin(tp) in (list, tuple, set, frozenset):
            tp = typing.get_args(tp)[0]
        else:
            return []
    tp = _unwrap(tp)
    if not (isinstance(tp, type) and issubclass(tp, BaseModel)):
        return []
    return [f.alias or name for name, f in tp.model_fields.items()]


def pattern_hint(pattern: str) -> str:
    """``'; an IAM Identity Center user id is …'`` for a pattern with a description, else the pattern."""
    hint = PATTERN_HINTS.get(pattern)
    return f"; {hint}" if hint else f" (must match {pattern})"


BOUNDS = {"greater_than": ("gt", "more than"), "greater_than_equal": ("ge", "at least"),
          "less_than": ("lt", "less than"), "less_than_equal": ("le", "at most")}


def value_hint(kind: str, value: Any, ctx: Mapping[str, Any]) -> str | None:
    """pydantic's "Input should be a valid list" in the author's terms: the value written and how to
    write it instead (None: no better words than pydantic's)."""
    if kind in BOUNDS:
        key, words = BOUNDS[kind]
        return f"got {value!r}; must be {words} {ctx.get(key)}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        quoted = isinstance(value, str) and value.strip().isdigit()
        return f"got {value!r}; write a whole number" + (f", unquoted ({value.strip()})" if quoted else "")
    if kind == "bool_type":
        return f"got {value!r}; write true or false" + (", unquoted" if isinstance(value, str) else "")
    if kind == "list_type" and isinstance(value, (str, int, float)):
        return f"got {value!r}; write a list, even of one: [{value}]"
    if kind == "list_type" and isinstance(value, dict):
        return "got a mapping; write a list of them, each entry starting with '- '"
    if kind in ("model_type", "dict_type"):
        shown = "an empty entry" if value is None else repr(value)
        return f"got {shown}; write a mapping of keys (key: value), as the other entries are"
    return None


def did_you_mean(key: object, choices: Iterable[str]) -> str:
    """`` (did you mean 'sso_users'?)`` for a near miss, else ``""``."""
    close = difflib.get_close_matches(str(key), list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def set_aside(data: Any, locs: Iterable[tuple[Path_, bool]]) -> tuple[Any, set[str], bool]:
    """A copy of ``data`` without the unknown keys (``locs`` entries ``(path, True)``), nor the list
    items holding any other error (``(path, False)``).
    Returns (copy, ids of the items set aside, whether every error could be set aside)."""
    out = copy.deepcopy(data)
    dropped: set[str] = set()
    items: dict[Path_, None] = {}
    keys: list[Path_] = []
    complete = True
    for loc, unknown in locs:
        if unknown:
            keys.append(loc)
            continue
        cut = max((i for i, p in enumerate(loc) if isinstance(p, int)), default=-1)
        if cut < 0:
            complete = False
        else:
            items[loc[:cut + 1]] = None
    for loc in keys:
        parent = _at(out, loc[:-1])
        if isinstance(parent, dict):
            parent.pop(loc[-1], None)
    for loc in sorted(items, key=lambda p: (len(p), p[-1]), reverse=True):  # later items first: indexes hold
        parent = _at(out, loc[:-1])
        if isinstance(parent, list) and isinstance(loc[-1], int) and loc[-1] < len(parent):
            item = parent.pop(loc[-1])
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                dropped.add(item["id"])
    return out, dropped, complete


def _at(data: Any, loc: Path_) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data
