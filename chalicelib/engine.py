"""Run the rules on an event and turn their verdicts into findings.

The actor is resolved once per event and rules are dispatched by ``eventName``, so an event
only meets the rules that can fire on it. A rule that raises becomes a ``rule-error``
finding: a broken detection must be as visible as a detection.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import fields, replace
from typing import TYPE_CHECKING, Any

from chalicelib.events import CloudTrailEvent, frozen_builder
from chalicelib.findings import Finding, Severity
from chalicelib.history import History, MemoryHistory
from chalicelib.identity.model import IdentityModel
from chalicelib.identity.resolve import Actor, resolve_actor
from chalicelib.rules import load_rules
from chalicelib.rules.base import Context, Rule, Verdict
from chalicelib.runbooks import fill as fill_runbook
from chalicelib.watch.heartbeat import is_own_heartbeat

if TYPE_CHECKING:
    from chalicelib.quiet import QuietMemo

log = logging.getLogger(__name__)

RULE_ERROR = "rule-error"
RULE_ERROR_RUNBOOK = (
    "A detection crashed on this event, so the event was not judged by it. Keep the event "
    "(its id is in this finding), file it with the rule's tests, and judge it by hand meanwhile."
)


class Engine:
    """Judges events against one model with one set of rules (both fixed for the engine's life,
    so its memos of actors and quiet events stay true)."""

    def __init__(self, model: IdentityModel, rules: Iterable[Rule] | None = None,
                 history: History | None = None) -> None:
        self._model = model
        self.history: History = history if history is not None else MemoryHistory()
        self.rules: tuple[Rule, ...] = tuple(rules) if rules is not None else tuple(load_rules())
        self._wildcard = tuple(r for r in self.rules if r.event_names is None)
        if any(r.reads_history or r.reads_assumer for r in self._wildcard):
            raise ValueError("a rule that reads history must list its event_names")
        self._history_names = frozenset(n for r in self.rules if r.reads_history for n in r.event_names or ())
        self._assumer_rules: dict[str, tuple[Rule, ...]] = {}
        for rule in self.rules:
            for n in rule.event_names or () if rule.reads_assumer else ():
                self._assumer_rules[n] = (*self._assumer_rules.get(n, ()), rule)
        # A parallel replay worker sets this to its LogHistory's log: events whose verdict reads
        # history are appended to it unjudged, for the parent to judge in order.
        self.deferred: list[tuple[Any, ...]] | None = None
        self._volatile = tuple(r for r in self.rules if r.volatile is not None)
        self._by_name: dict[str, tuple[Rule, ...]] = {}
        self._memo: dict[tuple[object, ...], Actor] = {}
        self._quiet: QuietMemo | None = None  # made when a reader first asks for ``quiet`` (replay)
        self._quiet_asked = False
        for rule in self.rules:
            for name in rule.event_names or ():
                self._by_name.setdefault(name, ())
        for name in self._by_name:
            self._by_name[name] = tuple(r for r in self.rules if r.event_names is None or name in r.event_names)

    @property
    def model(self) -> IdentityModel:
        return self._model

    @property
    def quiet(self) -> QuietMemo | None:
        """For readers of JSON lines: the memo of events known to have no finding
        (chalicelib/quiet.py), which this engine teaches from then on; None when the rules do
        not allow one."""
        if not self._quiet_asked:
            from chalicelib.quiet import QuietMemo  # msgspec: only replay needs it, not the Lambda

            self._quiet, self._quiet_asked = QuietMemo.for_rules(self.rules, self.history), True
        return self._quiet

    def actor(self, event: CloudTrailEvent) -> Actor:
        """The event's resolved actor, through the engine's memo (callers beside ``judge`` use it too)."""
        return resolve_actor(event, self._model, self._memo)

    def judge(self, event: CloudTrailEvent) -> list[Finding]:
        if event.event_name == "PutParameter" and is_own_heartbeat(event):
            return []  # Trailwarden's own heartbeat write is never a finding (chalicelib/watch/heartbeat.py)
        actor = self.actor(event)
        history = self.history
        name = event.event_name
        readers = self._assumer_rules.get(name) if actor.kind == "assumed-role" else None
        session_read = readers is not None and any(r.wants_assumer(event, self._model) for r in readers)
        if self.deferred is not None and (session_read or (name in self._history_names and not actor.is_service)):
            self.deferred.append(("judge", event))
            if self._quiet is not None:
                self._quiet.judged(event, None)
            return []
        assumer = history.assumer_of(actor) if session_read else None
        if _ContextBuilder is None:
            ctx = Context(event=event, actor=actor, model=self._model, history=history, assumer=assumer)
        else:
            ctx = _ContextBuilder(event, actor, self._model, history, assumer)
            ctx.__class__ = Context
        findings: list[Finding] = []
        for rule in self._by_name.get(event.event_name, self._wildcard):
            try:
                verdict = rule.evaluate(ctx)
            except Exception as err:  # noqa: BLE001 - any rule bug must surface as a finding
                log.warning("rule %s raised %s on event %s", rule.id, type(err).__name__, event.event_id)
                findings.append(self._rule_error(rule, ctx, err))
                continue
            if verdict is not None:
                findings.append(self._finding(rule, ctx, verdict))
        lesson = history.observe(event, actor, assumer,
                                 suspect=any(f.severity >= Severity.HIGH for f in findings) if findings else False)
        if self._quiet is not None:
            deep: tuple[tuple[str, ...], ...] = ()
            if findings or lesson is None:
                lesson = None  # not quiet, or its like must be judged again
            else:
                fired = [r for r in self._volatile if r.volatile(ctx)]
                if fired:  # quiet because of fields outside the key: remembered with them, if declared
                    deep = tuple(dict.fromkeys(p for r in fired for p in r.volatile_fields))
                    lesson = None if any(not r.volatile_fields for r in fired) else lesson
                if lesson is not None and session_read and assumer is None and actor.access_key_id:
                    lesson = replace(lesson, recheck=actor.access_key_id)  # quiet while the assumer is unknown
            self._quiet.judged(event, lesson, deep)
        return findings

    @staticmethod
    def _finding(rule: Rule, ctx: Context, v: Verdict) -> Finding:
        ev, actor = ctx.event, ctx.actor
        # Keyword arguments: Finding lives elsewhere, so never depend on its field order.
        finding = (_FindingBuilder or Finding)(
            rule=rule.id,
            severity=v.severity or rule.severity,
            title=v.title or rule.title,
            principal_arn=v.principal_arn or actor.arn,
            principal=actor.principal_id,
            target_arn=v.target_arn,
            event_id=ev.event_id,
            event_name=ev.event_name,
            event_source=ev.event_source,
            event_time=ev.event_time,
            account=ev.account,
            region=ev.region,
            source_ip=ev.source_ip,
            user_agent=ev.user_agent,
            breaks=v.breaks,
            runbook=fill_runbook(rule.runbook, v.target_arn, v.principal_arn or actor.arn),
            reason=v.reason,
            reference=rule.reference,
            observed_auth=actor.auth,
            group_key=v.group_key,
            details=v.details,
        )
        if _FindingBuilder is not None:
            finding.__class__ = Finding
        return finding  # type: ignore[no-any-return]

    def _rule_error(self, rule: Rule, ctx: Context, err: Exception) -> Finding:
        verdict = Verdict(
            reason=f"rule '{rule.id}' raised {type(err).__name__}: {err}",
            severity=Severity.MEDIUM,
            title=f"Detection '{rule.id}' failed on this event",
            details={"failed_rule": rule.id},
        )
        meta = type("RuleErrorMeta", (), {"id": RULE_ERROR, "severity": Severity.MEDIUM, "title": "",
                                          "runbook": RULE_ERROR_RUNBOOK, "reference": None})
        return self._finding(meta, ctx, verdict)  # type: ignore[arg-type]


# Built once per event (the context) or per finding; see events.frozen_builder.
# Positional (the cheapest call) only while Context's fields are in this order.
_ContextBuilder = (frozen_builder(Context) if [f.name for f in fields(Context)]
                   == ["event", "actor", "model", "history", "assumer"] else None)
_FindingBuilder = frozen_builder(Finding)
