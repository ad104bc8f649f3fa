"""Recognise, from a JSON line's bytes alone, an event already judged to have no finding.

Most of a trail is the same few sessions making the same kinds of call, and whether the
rules stay quiet on an event depends on a few raw fields: who acted (``userIdentity``, plus
``RESOLVER_PATHS`` for the actor types whose resolution reads more), the account, whether the
call reads or writes, the event type, whether it is a ``ConsoleLogin``, and the fields the
rules declare in ``memo_fields`` / ``memo_fields_by_name`` (with the name, for an event a rule
names). Once an event has been judged with no finding, another with the same values in
exactly those fields has none either. Replay (``sources``) asks ``is_quiet_line`` first:
msgspec decodes just those fields and skips the rest of the line at C speed, and a known key
makes the line an event that is counted, never parsed in full, viewed, resolved or judged.

The memo is exact, not a heuristic:

* the key holds ``userIdentity`` as the line's own bytes (equal bytes parse to equal values)
  and every other field as a str, bool or null: any other type fails the decode and the
  event is judged in full, so equal keys mean equal inputs;
* a key is learnt only from an event judged with no finding, from the key of the very line
  its record was parsed from (``parsed`` ties them), and only if that event's actor type is in
  ``MEMO_TYPES`` (root is not), its type's paths are in the key, and its view holds what the
  key says;
* no key for a name listed by a rule that declares no ``memo_fields``, for a log-file or
  envelope line, or for a record without a ``recipientAccountId`` (the account could then
  come from an envelope); the memo is off if a wildcard rule declares none;
* only ASCII lines are checked, because msgspec does not validate UTF-8 in what it skips.

It rests on msgspec and orjson (both pinned) reading a line alike: last value wins for a
repeated key, escapes decode the same, the same lines are refused; the tests pin that down.
One difference remains: a number beyond a double (``1e999``, or an integer of 309+ digits) in
a skipped field, which orjson refuses, goes unreported on a line whose key is already known.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Iterable
from itertools import islice
from typing import Any

import msgspec

from chalicelib.events import READ_PREFIXES, CloudTrailEvent, as_str
from chalicelib.history import NOTHING, History, Lesson
from chalicelib.rules.base import Rule

# Actor types whose resolution (identity.resolve) reads only userIdentity, the account, the
# event type, whether the event is a ConsoleLogin, and for some types RESOLVER_PATHS. Root is
# not among them: root rules read much more, and root use is never routine.
MEMO_TYPES = frozenset({"AssumedRole", "IAMUser", "AWSService", "AWSAccount", "FederatedUser", "Unknown",
                        "WebIdentityUser", None})
RESOLVER_PATHS: dict[str, tuple[tuple[str, ...], ...]] = {
    "IAMUser": (("sessionCredentialFromConsole",),),  # a console session is console-password auth
    "WebIdentityUser": (("requestParameters", "roleArn"), ("responseElements", "subjectFromWebIdentityToken")),
}
# The memo forgets its oldest quarter when it holds MEMO_SIZE keys or MEMO_BYTES of key text,
# so its memory stays bounded whatever the input (a CloudTrail key is ~0.5-1 kB).
MEMO_SIZE = 8192
MEMO_BYTES = 16 * 1024 * 1024
MAX_IDENTITY = 4096  # a longer userIdentity (CloudTrail's are under 2 kB) gets no key
PENDING_SIZE = 1024  # parsed records awaiting their verdict (a batch's worth, unless one is never judged)
Key = tuple[object, ...]  # (read_only, account, is ConsoleLogin, eventType, userIdentity, typed, ...)
_TYPED = 5  # the type whose RESOLVER_PATHS the key holds, None for another type, ANY_TYPE for all of them
ANY_TYPE = "*"
_TYPE_FIRST = b'{"type":"'  # how CloudTrail starts every userIdentity
_TYPE_AT = len(_TYPE_FIRST)
Path = tuple[str, ...]
Str = str | None
Value = str | bool | None  # a declared field: any other type fails the decode (no key: judged in full)
# userIdentity as its own bytes; absent reads as b"", which no JSON value is.
Bytes = msgspec.Raw
_ABSENT = msgspec.Raw(b"")
_MISS: Any = object()
_FIXED: list[tuple[str, Any, Any]] = [
    ("eventName", Str, None),
    ("recipientAccountId", Str, None),
    ("readOnly", bool | None, None),
    ("eventType", Value, None),
    ("userIdentity", Bytes, _ABSENT),
    ("Records", Bytes, _ABSENT),  # a log file line, not a record
    ("detail", Bytes, _ABSENT),  # an envelope line
]


# What a skipped line hands history (chalicelib/history.py ``Lesson``): read, never keyed.
LESSON_PATHS: tuple[Path, ...] = (("eventTime",), ("errorCode",), ("sourceIPAddress",), ("userAgent",),
                                  ("responseElements", "credentials", "accessKeyId"))
_FAILURE = b"Failure"  # how a sign-in says it failed (in responseElements, under the event's name)


def _head_type(paths: Iterable[Path], fixed_fields: bool = True) -> type[msgspec.Struct] | None:
    """A struct of the fixed fields (unless not ``fixed_fields``) plus ``paths`` (any depth), or
    None if one cannot fit."""
    tree: dict[str, Any] = {}  # step → None (a value) or a subtree
    fixed = {name for name, _, _ in _FIXED} if fixed_fields else set()
    for path in dict.fromkeys(paths):
        if not path or path[0] in fixed:
            return None
        if not all(step.isidentifier() and not keyword.iskeyword(step) for step in path):
            return None  # _reader writes the steps as attribute names
        node = tree
        for i, step in enumerate(path):
            last = i == len(path) - 1
            if step in node and (node[step] is None) != last:
                return None  # a field wanted both whole and in part
            node = node.setdefault(step, None if last else {})
    counter = iter(range(1_000_000))

    def struct(name: str, node: dict[str, Any], base: list[tuple[str, Any, Any]]) -> type[msgspec.Struct]:
        fields = list(base)
        for step, sub in node.items():
            if sub is None:
                fields.append((step, Value, None))
            else:
                fields.append((step, struct(f"_Head_{step}_{next(counter)}", sub, []) | None, None))
        return msgspec.defstruct(name, fields, gc=False)

    return struct("_Head" if fixed_fields else "_Facts", tree, list(_FIXED) if fixed_fields else [])


class QuietMemo:
    """Keys of events judged to have no finding; one per engine (its rules and model are fixed)."""

    __slots__ = ("_all_typed", "_bytes", "_decode", "_deep", "_facts", "_history", "_last", "_named",
                 "_pending", "_seen", "_sizes", "_typed", "_unsafe", "_untyped")

    def __init__(self, always: tuple[Path, ...], named: dict[str, tuple[Path, ...]], unsafe: Iterable[str],
                 head: type[msgspec.Struct], history: History, deep: tuple[Path, ...],
                 facts: type[msgspec.Struct]) -> None:
        self._history = history
        # Read again, only from the lines that need them: what a skipped line teaches history,
        # and the volatile fields (most lines need neither, so the head does not carry them).
        self._facts = msgspec.json.Decoder(facts).decode
        # The rules' ``volatile_fields``: a key whose events were quiet for reasons beyond it
        # maps to a _Deep naming the fields its volatile rules read, and the key extended with
        # those fields' values to the lesson.
        self._deep: dict[tuple[Path, ...], _Deep] = {}
        self._named = {n: _reader(p) for n, p in named.items()}  # a listed name → its rules' paths
        # Each reader also reads ``always``, the paths the wildcard rules read on every event.
        # CloudTrail writes "type" first in userIdentity, so the type is read off the bytes. One
        # that does not start with '{"type":"' keys on every type's paths (ANY_TYPE); one that
        # does but spells the type otherwise (escaped, repeated later) is never learnt (judged).
        self._typed: dict[int, tuple[tuple[bytes, str, Callable[[Any], tuple[Value, ...]]], ...]] = {}
        for kind, paths in RESOLVER_PATHS.items():  # by the first byte of the type, so most lines try none
            prefix = _TYPE_FIRST + kind.encode() + b'"'
            first = prefix[_TYPE_AT]
            self._typed[first] = (*self._typed.get(first, ()), (prefix, kind, _reader(paths + always)))
        self._all_typed = _reader(tuple(p for paths in RESOLVER_PATHS.values() for p in paths) + always)
        self._untyped = _reader(always) if always else None
        self._unsafe = frozenset(unsafe)  # names listed by a rule that declares no memo_fields
        # key → what a repeat teaches history (None: nothing); insertion-ordered, so the oldest go first
        self._seen: dict[Key, Lesson | None] = {}
        self._sizes: dict[Key, int] = {}  # key → bytes it counts for (MEMO_BYTES)
        self._bytes = 0
        self._decode = msgspec.json.Decoder(head).decode
        self._last: Key | None = None  # the key of the line is_quiet_line last saw (a miss)
        self._pending: dict[int, tuple[dict[str, Any], Key]] = {}  # id(record) → (record, its line's key)

    @classmethod
    def for_rules(cls, rules: Iterable[Rule], history: History) -> QuietMemo | None:
        """A memo for these rules (teaching ``history`` what skipped lines show), or None when a
        wildcard rule declares no ``memo_fields``."""
        rules = tuple(rules)
        always: tuple[Path, ...] = ()
        named: dict[str, tuple[Path, ...]] = {}
        unsafe: set[str] = set()
        for rule in rules:
            if rule.event_names is None:
                if rule.memo_fields is None:
                    return None
                always = _union(always, rule.memo_fields)
            for name in rule.event_names or ():
                if rule.memo_fields is None:
                    unsafe.add(name)
                else:
                    named[name] = _union(named.get(name, ()), rule.memo_fields)
            for name, paths in rule.memo_fields_by_name.items():
                named[name] = _union(named.get(name, ()), paths)
        named = {n: p for n, p in named.items() if n not in unsafe}
        deep: tuple[Path, ...] = ()
        for rule in rules:
            if rule.volatile is not None:
                deep = _union(deep, rule.volatile_fields)
        head = _head_type([*always, *(p for ps in named.values() for p in ps),
                           *(p for ps in RESOLVER_PATHS.values() for p in ps)])
        facts = _head_type([*LESSON_PATHS, *deep], fixed_fields=False)
        if head is None or facts is None:
            return None
        return cls(always, named, unsafe, head, history, deep, facts)

    def is_quiet_line(self, line: bytes) -> bool:
        """True when the line is a bare record whose key was judged before and had no finding
        (what that event taught history, the line's own facts teach it now)."""
        keys = None
        if line.isascii():
            try:
                key = self._key(self._decode(line))
            except (msgspec.DecodeError, RecursionError):  # not JSON, an odd shape or too deep: judged in full
                pass
            else:
                if key is not None:
                    lesson = self._seen.get(key, _MISS)
                    if lesson is None:
                        return True
                    if lesson is not _MISS:
                        facts = self._facts_of(line)
                        if lesson.__class__ is _Deep:
                            lesson = self._seen.get(key + lesson.read(facts), _MISS) if facts is not None else _MISS
                        if lesson is not _MISS and facts is not None and (
                                lesson is None or self._teach(lesson, facts, line)):
                            return True
                    keys = key
        self._last = keys  # a miss: ``parsed`` may tie it to the record parsed from this line
        return False

    def _facts_of(self, line: bytes) -> Any:
        try:
            return self._facts(line)
        except (msgspec.DecodeError, RecursionError):  # a fact of another type than the view reads
            return None

    def _teach(self, lesson: Lesson, head: Any, line: bytes) -> bool:
        """Hand history what a skipped line shows, as judging it would (``History.observe``);
        False when the line must be judged in full instead."""
        if lesson.recheck is not None and self._history.assumer(lesson.recheck) is not None:
            return False  # the session's assumer is known now: the verdict may differ
        if lesson.source_of is None and lesson.session_by is None:
            return True
        if _text(head.errorCode):
            return True  # a failed call teaches nothing
        if _FAILURE in line:
            return False  # perhaps a sign-in that failed: let the full view decide
        credentials = head.responseElements.credentials if head.responseElements is not None else None
        new_key = credentials.accessKeyId if credentials is not None else None
        self._history.learn(lesson, _text(head.sourceIPAddress), _text(head.userAgent), _text(new_key),
                            _text(head.eventTime))
        return True

    def parsed(self, record: dict[str, Any]) -> None:
        """``record`` was parsed from the line ``is_quiet_line`` last saw: its verdict (``judged``)
        may teach that key. Every record read this way must be judged by the memo's engine."""
        if self._last is not None:
            if len(self._pending) >= PENDING_SIZE:
                self._pending.clear()
            self._pending[id(record)] = (record, self._last)  # holding the record keeps its id unique
            self._last = None

    def judged(self, event: CloudTrailEvent, lesson: Lesson | None, deep: tuple[Path, ...] = ()) -> None:
        """``event`` was judged: with a ``lesson`` it had no finding (remember its line's key, and
        what a repeat teaches, when it had a key and may; ``deep``: the volatile fields its
        volatile rules' verdicts read too); None forgets the key."""
        entry = self._pending.pop(id(event.raw), None) if self._pending else None
        if entry is None or entry[0] is not event.raw:
            return
        key = entry[1]
        if lesson is None:
            self._forget(key)  # no longer quiet (a recheck)
            return
        kind = event.user_identity.get("type")
        if not (kind is None or kind.__class__ is str) or kind not in MEMO_TYPES:
            return  # root, or a type whose actor reads more than the key holds
        typed = key[_TYPED]
        if (typed != ANY_TYPE and typed != (kind if kind in RESOLVER_PATHS else None)) or not _view_matches(event, key):
            return
        if deep:
            marker = self._deep.get(deep) or self._deep.setdefault(deep, _Deep(deep))
            extra = marker.of_record(event.raw)
            if extra is None:
                return
            self._remember(key, marker)
            key += extra
        self._remember(key, None if lesson is NOTHING else lesson)

    def _forget(self, key: Key) -> None:
        if self._seen.pop(key, _MISS) is not _MISS:
            self._bytes -= self._sizes.pop(key)

    def _remember(self, key: Key, value: Any) -> None:
        seen, sizes = self._seen, self._sizes
        if key not in seen:
            size = 64 + sum(len(v) for v in key if v.__class__ is str or v.__class__ is bytes)  # type: ignore[arg-type]
            if len(seen) >= MEMO_SIZE or self._bytes + size > MEMO_BYTES:
                for old in list(islice(seen, max(len(seen) // 4, 1))):
                    del seen[old]
                    self._bytes -= sizes.pop(old)
            self._bytes += size
            sizes[key] = size
        seen[key] = value

    def _key(self, head: Any) -> Key | None:
        name = head.eventName
        if not name or name in self._unsafe or head.Records is not _ABSENT or head.detail is not _ABSENT:
            return None
        account = head.recipientAccountId
        ui = head.userIdentity
        if not account or ui is _ABSENT or len(ui) > MAX_IDENTITY:
            return None
        read_only = head.readOnly
        if read_only is None:
            read_only = name.startswith(READ_PREFIXES)
        ui = bytes(ui)
        typed: str | None = None
        extra: tuple[Value, ...] = ()
        if ui.startswith(_TYPE_FIRST):
            for prefix, kind, read in self._typed.get(ui[_TYPE_AT], ()):
                if ui.startswith(prefix):
                    typed, extra = kind, read(head)
                    break
            else:
                if self._untyped is not None:
                    extra = self._untyped(head)
        else:
            typed, extra = ANY_TYPE, self._all_typed(head)
        key = (read_only, account, name == "ConsoleLogin", head.eventType, ui, typed, *extra)
        named = self._named.get(name)
        if named is not None:
            key += (name, *named(head))
        return key


class _Deep:
    """A key whose events were quiet because of volatile fields: which ones, read from a line's
    facts (for a lookup) or from its parsed record (when its verdict is learnt)."""

    __slots__ = ("paths", "read")

    def __init__(self, paths: tuple[Path, ...]) -> None:
        self.paths = paths
        self.read = _reader(paths)

    def of_record(self, record: dict[str, Any]) -> tuple[Value, ...] | None:
        """The fields' values in a parsed record, as the facts decoder reads them from its line
        (None where one has a type no key holds)."""
        values: list[Value] = []
        for path in self.paths:
            node: Any = record
            for step in path:
                node = node.get(step) if node.__class__ is dict else None
            if not (node is None or node.__class__ is str or node.__class__ is bool):
                return None
            values.append(node)
        return tuple(values)


def _text(value: Value) -> str | None:
    """A head value as the event view reads it (``events.as_str``: a non-empty string or None)."""
    return value if value.__class__ is str and value else None  # type: ignore[return-value]


def _union(a: tuple[Path, ...], b: tuple[Path, ...]) -> tuple[Path, ...]:
    return tuple(dict.fromkeys(a + b))


def _reader(paths: tuple[Path, ...]) -> Callable[[Any], tuple[Value, ...]]:
    """A function giving the value at each path of a decoded head (None when it, or its parent
    object, is absent or null: the view reads "absent" either way).

    It is written out as source, as dataclasses writes ``__init__``: one plain function per key
    is several times cheaper than looping over paths on each of a trail's million lines.
    """
    body, parts = [], []
    for i, path in enumerate(paths):
        if len(path) == 1:
            parts.append(f"head.{path[0]}")
            continue
        body.append(f"    p{i} = head.{path[0]}")
        for step in path[1:-1]:
            body.append(f"    p{i} = None if p{i} is None else p{i}.{step}")
        parts.append(f"(None if p{i} is None else p{i}.{path[-1]})")
    source = "\n".join(["def read(head):", *body, f"    return ({''.join(p + ', ' for p in parts)})"])
    namespace: dict[str, Any] = {}
    exec(source, namespace)  # built above from identifiers only (checked in _head_type)
    return namespace["read"]  # type: ignore[no-any-return]


def _view_matches(event: CloudTrailEvent, key: Key) -> bool:
    """The view's name, read_only, account and event type are its record's, and its userIdentity
    is the record's own object: it was read from that record, not built from other values."""
    return (
        event.event_name == event.raw.get("eventName")
        and event.read_only is key[0]
        and event.account == key[1]
        and event.event_type == as_str(event.raw.get("eventType"))
        and event.user_identity is event.raw.get("userIdentity")
    )
