"""What earlier events taught, that one event alone cannot show.

A verdict that rests on one record trusts whatever that record claims. Three facts come only
from history, and the rules ask this module for them:

* where a declared static-key principal usually acts from (source IPs, user-agent families),
  so a "rotation" made with a stolen key from somewhere new is not waved through as routine;
* which principal assumed a role session (``AssumeRole`` returns the session's access key id,
  which every later call of that session carries), so a CI user that assumes the agent role
  and reads the agent's secret is still the CI user reading it;
* which access keys an IAM user has active (from key events, and from the inventory audit),
  so a new key that takes a user past its declared ``max_active_keys`` is never "expected".

Two implementations share one interface and one test suite: ``MemoryHistory`` for a replay
(bounded dicts, per process) and ``StateHistory`` over the incident store's state (SQLite or
DynamoDB) for the deployed monitor, where each event is a separate invocation.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from chalicelib.events import CloudTrailEvent, as_dict, as_str
from chalicelib.identity.resolve import Actor
from chalicelib.rules.base import fingerprint

if TYPE_CHECKING:  # the replay path never opens a state store, so it does not import one
    from chalicelib.incidents.state import StateStore

ASSUME_EVENTS = frozenset({"AssumeRole", "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"})
KEY_EVENTS = frozenset({"CreateAccessKey", "DeleteAccessKey", "UpdateAccessKey"})
IP, AGENT = "ip", "agent"
# Tool markers, most specific first (Terraform's user agent also names the Go SDK it embeds).
AGENT_MARKERS = ("terraform", "pulumi", "aws-cli", "boto3", "botocore", "aws-sdk-go", "aws-sdk-java",
                 "aws-sdk-js", "aws-sdk-dotnet", "aws-sdk-ruby", "aws-sdk-php", "aws-sdk-rust", "aws-sdk-cpp",
                 "cloudformation", "signin.amazonaws.com", "console.amazonaws.com", "aws-internal")
MEMORY_LIMIT = 65536  # entries per table before the oldest half is forgotten (hostile input stays bounded)
NEGATIVE_TTL = 300.0  # seconds a "no such session" answer is cached by StateHistory
# A source vouches for a rotation only if it was first seen this long before it: a thief's own
# quiet call from its address, minutes before it rotates the stolen key, must not make that
# address "known" (the source is the thief's to warm up; its age is not).
MIN_SOURCE_AGE = timedelta(hours=1)


def agent_family(user_agent: str | None) -> str | None:
    """The tool behind a user agent (``aws-cli``, ``terraform``...), ignoring versions and platform."""
    if not user_agent:
        return None
    # Replay asks for every call a declared IAM user makes, with a few agents over and over.
    return _known_family(user_agent) if len(user_agent) <= 512 else _family(user_agent)


def _family(user_agent: str) -> str | None:
    low = user_agent.lower()
    for marker in AGENT_MARKERS:
        if marker in low:
            return marker
    return low.split("/", 1)[0].split(" ", 1)[0][:40] or None


_known_family = lru_cache(maxsize=2048)(_family)


def key_owner(account: str | None, user: str | None) -> str | None:
    """The name keys are counted under: IAM user names ignore case."""
    return f"{account or '?'}:{user.casefold()}" if user else None


@dataclass(frozen=True, slots=True)
class Assumer:
    """Who obtained a role session: the declared principal (if any) and the caller's ARN."""

    principal_id: str | None
    arn: str | None

    def describe(self) -> str:
        return f"principal '{self.principal_id}' ({self.arn})" if self.principal_id else f"undeclared {self.arn}"


@dataclass(frozen=True, slots=True)
class Lesson:
    """What history learns from an event beyond its memo key, given the event's own facts (its
    source IP and user agent, the session key an assumption returned, its time)."""

    source_of: str | None = None  # a declared IAM user: its calls show where it acts from
    session_by: Assumer | None = None  # an assumption: who holds the session it returns
    # The actor's access key id, when its verdict read the session's assumer and none was known:
    # once one is, a repeat must be judged again (chalicelib/quiet.py).
    recheck: str | None = None


NOTHING = Lesson()


def lesson_of(event: CloudTrailEvent, actor: Actor, assumer: Assumer | None) -> Lesson:
    """What a successful event of this actor teaches (``NOTHING`` for most events).

    Only the actor (which a memo key fixes) and the event name decide it: a chained assumption
    keeps the first assumer, as the session is still theirs."""
    p = actor.principal
    source_of = p.id if p is not None and actor.kind == "iam-user" else None
    session_by = None
    if event.event_name in ASSUME_EVENTS and not actor.is_service:
        session_by = assumer or Assumer(actor.principal_id, actor.arn)
    return NOTHING if source_of is None and session_by is None else Lesson(source_of, session_by)


def new_session_key(event: CloudTrailEvent) -> str | None:
    """The access key id of the session an assumption returned."""
    return as_str(as_dict(event.response_elements.get("credentials")).get("accessKeyId"))


class History(ABC):
    """The read side is what rules ask; ``observe`` is called by the engine after judging an event."""

    @abstractmethod
    def source_seen(self, principal_id: str, kind: str, value: str, before: datetime | None = None) -> bool:
        """Whether ``principal_id`` acted before from this source (``kind`` is IP or AGENT); with
        ``before`` (an event's time), first seen at least ``MIN_SOURCE_AGE`` before it."""

    @abstractmethod
    def assumer(self, access_key_id: str) -> Assumer | None:
        """Who assumed the role session that signs with ``access_key_id`` (None: not seen)."""

    @abstractmethod
    def active_keys(self, owner: str) -> frozenset[str] | None:
        """Fingerprints of the user's active keys (None: nothing known about this user)."""

    @abstractmethod
    def _add_source(self, principal_id: str, kind: str, value: str, when: str | None) -> None:
        """``when``: the event's time as written (parsed only by a store that keeps it)."""

    @abstractmethod
    def _add_session(self, access_key_id: str, assumer: Assumer, when: str | None) -> None: ...

    @abstractmethod
    def set_keys(self, owner: str, keys: frozenset[str], when: datetime) -> None:
        """Replace what is known of a user's active keys (the inventory audit's view is authoritative)."""

    def observe(self, event: CloudTrailEvent, actor: Actor, assumer: Assumer | None,
                suspect: bool = False) -> Lesson | None:
        """Learn from one judged event. The result is what a replay hands history for a line it
        skips as a repeat of this one (chalicelib/quiet.py); None when the event taught what no
        repeat can (a key change), so its like is never skipped. A ``suspect`` event (one that
        drew a high or critical finding) vouches for no source: an attacker's first call must
        not make its address "known" for the next."""
        lesson = lesson_of(event, actor, assumer)
        if not event.failed and lesson is not NOTHING:
            self.learn(lesson if not suspect else Lesson(None, lesson.session_by), event.source_ip,
                       event.user_agent, new_session_key(event), event.event_time)
        if event.event_name in KEY_EVENTS and not event.failed:
            self._key_event(event, actor, _event_time(event.event_time))
            return None
        return lesson

    def learn(self, lesson: Lesson, source_ip: str | None, user_agent: str | None, new_key: str | None,
              event_time: str | None) -> None:
        """Apply a lesson to the facts of one successful event (judged, or skipped as a repeat)."""
        if lesson.source_of is not None:
            if source_ip:
                self._add_source(lesson.source_of, IP, source_ip, event_time)
            family = agent_family(user_agent)
            if family:
                self._add_source(lesson.source_of, AGENT, family, event_time)
        if lesson.session_by is not None and new_key:
            self._add_session(new_key, lesson.session_by, event_time)

    def apply(self, fact: tuple[Any, ...]) -> None:
        """Learn a fact another process logged (``LogHistory``), as if observed here."""
        kind, *args = fact
        if kind == "source":
            self._add_source(*args)
        elif kind == "session":
            self._add_session(*args)
        elif kind == "keys":
            self.set_keys(*args)

    def assumer_of(self, actor: Actor) -> Assumer | None:
        """The assumer of a role session actor (only role sessions have one)."""
        if actor.kind != "assumed-role" or not actor.access_key_id:
            return None
        return self.assumer(actor.access_key_id)

    def _key_event(self, event: CloudTrailEvent, actor: Actor, when: datetime) -> None:
        created = as_dict(event.response_elements.get("accessKey"))
        user = event.param("userName") or as_str(created.get("userName"))
        if user is None and actor.kind == "iam-user":
            user = actor.name
        key = as_str(created.get("accessKeyId")) or event.param("accessKeyId")
        owner = key_owner(event.account, user)
        if owner is None or not key:
            return
        keys = set(self.active_keys(owner) or ())
        status = (event.param("status") or "").lower()
        if event.event_name == "CreateAccessKey" or (event.event_name == "UpdateAccessKey" and status == "active"):
            keys.add(fingerprint(key))
        elif event.event_name == "DeleteAccessKey" or status == "inactive":
            keys.discard(fingerprint(key))
        self.set_keys(owner, frozenset(keys), when)


class MemoryHistory(History):
    """Per-process history for a replay: plain dicts, each bounded by ``MEMORY_LIMIT``."""

    def __init__(self, limit: int = MEMORY_LIMIT) -> None:
        self.limit = limit
        self._sources: dict[tuple[str, str, str], datetime] = {}  # → when first seen
        self._sessions: dict[str, Assumer] = {}
        self._keys: dict[str, frozenset[str]] = {}

    def source_seen(self, principal_id: str, kind: str, value: str, before: datetime | None = None) -> bool:
        first = self._sources.get((principal_id, kind, value))
        return first is not None and old_enough(first, before)

    def assumer(self, access_key_id: str) -> Assumer | None:
        return self._sessions.get(access_key_id)

    def active_keys(self, owner: str) -> frozenset[str] | None:
        return self._keys.get(owner)

    def _add_source(self, principal_id: str, kind: str, value: str, when: str | None) -> None:
        key = (principal_id, kind, value)
        if key not in self._sources:  # most calls come from a source already known
            _bounded_put(self._sources, key, _event_time(when), self.limit)

    def _add_session(self, access_key_id: str, assumer: Assumer, when: str | None) -> None:
        _bounded_put(self._sessions, access_key_id, assumer, self.limit)

    def set_keys(self, owner: str, keys: frozenset[str], when: datetime) -> None:
        _bounded_put(self._keys, owner, keys, self.limit)


class LogHistory(History):
    """A parallel replay worker's history: it knows nothing and logs what it learns, in order.

    The parent applies the logged facts file by file, in input order, to the one history it
    keeps, and re-judges there the events whose verdict reads history (the engine defers them
    into the same log), so ``--workers N`` judges them exactly as one process would.
    """

    def __init__(self, log: list[tuple[Any, ...]]) -> None:
        self.log = log
        self._sent: set[tuple[str, str, str]] = set()  # sources already logged: the parent keeps them

    def source_seen(self, principal_id: str, kind: str, value: str, before: datetime | None = None) -> bool:
        return False

    def assumer(self, access_key_id: str) -> Assumer | None:
        return None

    def active_keys(self, owner: str) -> frozenset[str] | None:
        return None

    def _add_source(self, principal_id: str, kind: str, value: str, when: str | None) -> None:
        if (principal_id, kind, value) not in self._sent:
            if len(self._sent) >= MEMORY_LIMIT:
                self._sent.clear()  # only costs re-sending a fact the parent already has
            self._sent.add((principal_id, kind, value))
            self.log.append(("source", principal_id, kind, value, when))

    def _add_session(self, access_key_id: str, assumer: Assumer, when: str | None) -> None:
        self.log.append(("session", access_key_id, assumer, when))

    def set_keys(self, owner: str, keys: frozenset[str], when: datetime) -> None:
        self.log.append(("keys", owner, keys, when))


class StateHistory(History):
    """History kept in the state beside the incident log, so separate invocations share it.

    Kinds: ``source`` (``principal|kind|value``, written once: when first seen), ``session`` (key
    fingerprint → ``principal|arn``, written once) and ``keys`` (owner → key fingerprints).
    Reads are cached in the process: sources and sessions never change once seen.
    """

    SOURCE, SESSION, KEYS = "source", "session", "keys"

    def __init__(self, state: StateStore) -> None:
        self.state = state
        self._seen: dict[str, datetime] = {}  # source → when first seen
        self._sessions: dict[str, Assumer] = {}
        self._missing: dict[str, float] = {}

    def source_seen(self, principal_id: str, kind: str, value: str, before: datetime | None = None) -> bool:
        name = f"{principal_id}|{kind}|{value}"
        first = self._seen.get(name)
        if first is None:
            entry = self.state.entry(self.SOURCE, name)
            if entry is None:
                return False
            first = self._seen[name] = entry[0]
        return old_enough(first, before)

    def assumer(self, access_key_id: str) -> Assumer | None:
        key_fp = fingerprint(access_key_id)  # stored by fingerprint: the state table never holds key ids
        found = self._sessions.get(key_fp)
        if found is not None:
            return found
        missed = self._missing.get(key_fp)
        if missed is not None and time.monotonic() - missed < NEGATIVE_TTL:
            return None
        entry = self.state.entry(self.SESSION, key_fp)
        if entry is None or entry[1] is None:
            _bounded_put(self._missing, key_fp, time.monotonic(), MEMORY_LIMIT)
            return None
        principal_id, _, arn = entry[1].partition("|")
        found = Assumer(principal_id or None, arn or None)
        _bounded_put(self._sessions, key_fp, found, MEMORY_LIMIT)
        return found

    def active_keys(self, owner: str) -> frozenset[str] | None:
        entry = self.state.entry(self.KEYS, owner)
        if entry is None:
            return None
        return frozenset(k for k in (entry[1] or "").split(",") if k and k != "-")

    def _add_source(self, principal_id: str, kind: str, value: str, when: str | None) -> None:
        name = f"{principal_id}|{kind}|{value}"
        if name in self._seen:
            return
        # Written once, so the stored time is when the source was first seen (a touch of one
        # already stored writes nothing); what is cached here is at most as early as that.
        when_seen = _event_time(when)
        self.state.touch(self.SOURCE, name, when_seen, None)
        entry = self.state.entry(self.SOURCE, name)
        self._seen[name] = entry[0] if entry is not None else when_seen

    def _add_session(self, access_key_id: str, assumer: Assumer, when: str | None) -> None:
        key_fp = fingerprint(access_key_id)
        self.state.touch(self.SESSION, key_fp, _event_time(when), None,
                         note=f"{assumer.principal_id or ''}|{assumer.arn or ''}")
        self._missing.pop(key_fp, None)
        _bounded_put(self._sessions, key_fp, assumer, MEMORY_LIMIT)

    def set_keys(self, owner: str, keys: frozenset[str], when: datetime) -> None:
        self.state.touch(self.KEYS, owner, when, timedelta(0), note=",".join(sorted(keys)) or "-")


def old_enough(first_seen: datetime, before: datetime | None) -> bool:
    """Whether a source first seen at ``first_seen`` vouches for an event at ``before``."""
    return before is None or first_seen <= before - MIN_SOURCE_AGE


def event_time(text: str | None) -> datetime:
    """An event's time (now, if unreadable). Not incidents.keys.parse_ts: importing the incidents
    package would put the store modules on replay's start-up path."""
    return _event_time(text)


def _event_time(event_time: str | None) -> datetime:
    try:
        return datetime.fromisoformat((event_time or "").replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return datetime.now(UTC)


def _bounded_put(table: dict, key: object, value: object, limit: int) -> None:  # type: ignore[type-arg]
    """Insert, forgetting the oldest half first when the table is full (dicts keep insertion order)."""
    if len(table) >= limit and key not in table:
        for old in list(table)[: limit // 2]:
            del table[old]
    table[key] = value
