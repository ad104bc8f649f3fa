"""What a detection is: metadata (id, severity, runbook, reference) plus one ``evaluate``.

Modelled on pypanther: one rule per module, declared as a class with its metadata, and a
verdict object the engine turns into a full finding, so rules never build findings by hand.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

from chalicelib.events import CloudTrailEvent
from chalicelib.findings import Severity
from chalicelib.identity.model import IdentityModel
from chalicelib.identity.resolve import Actor, aws_invoker

if TYPE_CHECKING:
    from chalicelib.history import Assumer, History


@dataclass(frozen=True, slots=True)
class Context:
    """Everything a rule may look at: the event, its resolved actor, the model, and what earlier
    events taught (``history``; ``assumer`` is who obtained the actor's role session, if known)."""

    event: CloudTrailEvent
    actor: Actor
    model: IdentityModel
    history: History
    assumer: Assumer | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """A rule's conclusion; unset fields fall back to the rule's metadata and the actor."""

    reason: str
    severity: Severity | None = None
    title: str | None = None
    target_arn: str | None = None
    breaks: str | None = None
    principal_arn: str | None = None
    group_key: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


class Rule:
    """Base class for detections. Subclasses set the class attributes and ``evaluate``."""

    id: ClassVar[str]
    severity: ClassVar[Severity]
    title: ClassVar[str]
    runbook: ClassVar[str]
    reference: ClassVar[str]
    # Event names the rule can fire on; None means "every event" (model-correlation rules).
    event_names: ClassVar[frozenset[str] | None] = None
    # Raw record paths that, with the actor, account, read_only and event type (and
    # ``memo_fields_by_name`` for those names), decide whether ``evaluate`` returns None on an
    # event of a listed name (on any event for a wildcard rule, whose actor is not root). ``()``:
    # nothing more; None (the default): undeclared. With them the engine skips events already
    # judged quiet with the same inputs (chalicelib/quiet.py); a wildcard rule left None turns
    # that memo off, a named one only for its names. The event's name and source are not inputs
    # for names no rule lists: a wildcard rule that reads them (beyond "is it a ConsoleLogin")
    # must stay None, or name those events in ``memo_fields_by_name``.
    memo_fields: ClassVar[tuple[tuple[str, ...], ...] | None] = None
    # More paths the verdict reads only on events of a given name (e.g. whether a ConsoleLogin failed).
    memo_fields_by_name: ClassVar[Mapping[str, tuple[tuple[str, ...], ...]]] = MappingProxyType({})

    def evaluate(self, ctx: Context) -> Verdict | None:  # pragma: no cover - abstract
        raise NotImplementedError

    # What a rule asks of ``ctx.history``: ``reads_history`` (anything, on every event it lists),
    # ``reads_assumer`` (only ``ctx.assumer``, which exists for role sessions). The engine fills
    # ``ctx.assumer`` only for the names of such rules, and a parallel replay re-judges those
    # events in order in the parent, where the whole history is (chalicelib/parallel.py).
    reads_history: ClassVar[bool] = False
    reads_assumer: ClassVar[bool] = False

    @staticmethod
    def wants_assumer(event: CloudTrailEvent, model: IdentityModel) -> bool:
        """For a ``reads_assumer`` rule: whether this event's verdict may read ``ctx.assumer``
        (looking it up, or deferring it in a parallel replay, is skipped when not)."""
        return True

    # Rules whose quiet verdict on *some* events reads a field that is not in their memo key
    # override this to say so; it keeps a rare dependency from costing every event a wider key.
    # Replay then remembers such an event under its key plus ``volatile_fields`` (the paths
    # those verdicts read), or, when none are declared, never skips its like.
    volatile: ClassVar[Any] = None  # (ctx) -> bool, or None
    volatile_fields: ClassVar[tuple[tuple[str, ...], ...]] = ()


def breaks_of(*specs: Any) -> str | None:
    """Join the ``breaks`` texts of the model entries a finding touches."""
    parts = [s.breaks for s in specs if s is not None and getattr(s, "breaks", None)]
    return "; ".join(dict.fromkeys(parts)) or None


# What AWS sets in ``invokedBy`` on a console session's calls: the person acts, not a service.
CONSOLE_INVOKER = "signin.amazonaws.com"


def service_invoked(event: CloudTrailEvent) -> bool:
    """Whether an AWS service made this call for the caller (``invokedBy`` names one): the call that
    asked it is judged instead. A console session's ``signin.amazonaws.com`` is not one."""
    invoked_by = event.invoked_by
    return aws_invoker(invoked_by) and invoked_by != CONSOLE_INVOKER


def fingerprint(value: str) -> str:
    """A short stable digest, for grouping on values (session keys) that must not be shown."""
    return hashlib.sha256(value.encode()).hexdigest()[:12]


def failed_suffix(ctx: Context) -> str:
    ev = ctx.event
    return f" The call failed ({ev.error_code or 'Failure'}), so this was an attempt." if ev.failed else ""
