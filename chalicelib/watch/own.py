"""Which AWS resources are Trailwarden's own: from settings, never from a name's look.

The deployed template exports the exact names and ARNs into every function's environment
(``deploy/build_merge_template.py``): rule, function and role names, the topic, table, key,
webhook parameter and stack. Where that environment is absent (replay or ``simulate`` on a
laptop), the names are derived exactly as the template names them, for the stage in
``TRAILWARDEN_STAGE`` or else for every stage of ``.chalice/config.json``. A resource is
Trailwarden's only when its name (or ARN) is one of these, compared whole.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

APP = "trailwarden"
CONFIG = Path(__file__).resolve().parents[2] / ".chalice" / "config.json"
# The handlers app.py defines (one function and one rule each) and the API handler; when app.py
# can be imported (a checkout, the Lambda), its own list is added (``handler_names``).
HANDLERS = ("root", "iam", "sts", "ssm", "signin", "reads", "writes", "blinding", "pipeline", "daily_audit",
            "close_groups", "liveness", "api_handler")
# The forwarding rule README "Deploying" puts in every other region; an organization's members
# have one per handler family (``forward_rules``).
FORWARD_RULES = ("trailwarden-forward",)
HEARTBEAT = "heartbeat"
# The alarms the template names (chalicelib/watch/template.py): the one independent of every Lambda.
ALARMS = ("heartbeat-silent", "dead-letters")  # and deploy/build_merge_template.py
# Organization members: the forwarding role of each region's stack, and the read-only member role
# (chalicelib/org/names.py). A region name is validated whole, so a look-alike is not ours.
_REGION = re.compile(r"^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d$")

# Environment variables the template sets (comma-separated lists).
ENV_RULES = "TRAILWARDEN_RULE_NAMES"
ENV_FUNCTIONS = "TRAILWARDEN_FUNCTION_NAMES"
ENV_ROLES = "TRAILWARDEN_ROLE_NAMES"
ENV_KEY = "TRAILWARDEN_KEY_ARN"
ENV_STACK = "TRAILWARDEN_STACK_NAME"
ENV_STACK_ID = "TRAILWARDEN_STACK_ID"
ENV_FORWARD = "TRAILWARDEN_FORWARD_RULES"
ENV_BUS = "TRAILWARDEN_EVENT_BUS"  # organization mode: the central bus every member forwards to
# The trail's own archive, declared by the operator (Trailwarden cannot know which trail feeds it):
# bucket names and KMS key ARNs/ids/aliases, comma-separated.
ENV_TRAIL_BUCKETS = "TRAILWARDEN_TRAIL_BUCKETS"
ENV_TRAIL_KEYS = "TRAILWARDEN_TRAIL_KEYS"


def handler_names() -> tuple[str, ...]:
    """``HANDLERS`` plus every event source of app.py, when it can be imported from here."""
    try:
        import app  # the module `chalice package` reads: its handlers are exactly what the template names
    except Exception:  # noqa: BLE001 - not beside this checkout (an installed package): the fixed list
        return HANDLERS
    return tuple(dict.fromkeys([*HANDLERS, *(s.name for s in app.app.event_sources)]))


def forward_rules(handlers: tuple[str, ...]) -> set[str]:
    """The organization members' forwarding rules, one per handler family (chalicelib/org/names.py)."""
    try:
        from chalicelib.org.names import forward_rule
    except ImportError:  # built without organization support
        return set()
    return {forward_rule(h) for h in handlers}


def _split(value: str | None) -> frozenset[str]:
    return frozenset(v.strip() for v in (value or "").split(",") if v.strip())


def _last(arn_or_name: str, sep: str) -> str:
    """The resource name at the end of an ARN (``…:function:NAME``, ``…:table/NAME``); a name as is."""
    return arn_or_name.rsplit(sep, 1)[-1] if arn_or_name.startswith("arn:") else arn_or_name


@dataclass(frozen=True)
class OwnResources:
    """Exact names of Trailwarden's resources (several stages' at once when no stage is set)."""

    stages: frozenset[str]
    rules: frozenset[str]
    functions: frozenset[str]
    roles: frozenset[str]
    topics: frozenset[str]  # topic names (the ARN's last part) and, when known, full ARNs
    tables: frozenset[str]
    keys: frozenset[str]  # key ids, key ARNs and alias names
    parameters: frozenset[str]
    stacks: frozenset[str]  # stack names and, when known, stack ids
    schedules: frozenset[str] = frozenset()  # EventBridge Scheduler schedules (the heartbeat)
    alarms: frozenset[str] = frozenset()  # CloudWatch alarms sending straight to the topic
    buses: frozenset[str] = frozenset()  # the organization's central bus (TRAILWARDEN_EVENT_BUS), not "default"
    trail_buckets: frozenset[str] = frozenset()  # where the trail writes its log files (TRAILWARDEN_TRAIL_BUCKETS)
    trail_keys: frozenset[str] = frozenset()  # the key it encrypts them with (TRAILWARDEN_TRAIL_KEYS)

    @classmethod
    def for_stages(cls, stages: Mapping[str, Mapping[str, str]]) -> OwnResources:
        """Names as the template gives them, per stage → that stage's environment variables."""
        rules, functions, roles, topics, tables, keys, params, stacks, schedules, alarms, buses, tbuckets, tkeys = (
            set[str]() for _ in range(13))
        rules.update(FORWARD_RULES)
        handlers = handler_names()
        rules.update(forward_rules(handlers))
        for stage, env in stages.items():
            prefix = f"{APP}-{stage}"
            rules.update(f"{prefix}-{h}" for h in handlers if h != "api_handler")
            functions.update(f"{prefix}-{h}" for h in handlers)
            roles.update(f"{prefix}-{h}" for h in (*handlers, HEARTBEAT, "auditor"))
            topics.add(f"{prefix}-alerts")
            tables.add(env.get("TRAILWARDEN_TABLE") or f"{prefix}-incidents")
            keys.add(f"alias/{prefix}")
            params.add(env.get("TRAILWARDEN_SLACK_WEBHOOK_PARAM") or f"/{APP}/{stage}/slack-webhook-url")
            stacks.add(prefix)
            schedules.add(f"{prefix}-{HEARTBEAT}")
            alarms.update(f"{prefix}-{a}" for a in ALARMS)
            bus = (env.get(ENV_BUS) or "").strip()
            buses.update((bus,) if bus and bus != "default" else ())
            tbuckets.update(_split(env.get(ENV_TRAIL_BUCKETS)))
            tkeys.update(_with_ids(_split(env.get(ENV_TRAIL_KEYS))))
        return cls(frozenset(stages), *(frozenset(s) for s in (rules, functions, roles, topics, tables, keys,
                                                              params, stacks, schedules, alarms, buses,
                                                              tbuckets, tkeys)))

    @classmethod
    def from_env(cls, env: Mapping[str, str], config: Path = CONFIG) -> OwnResources:
        """The deployed names from the environment, on top of the names derived for the stage(s)."""
        stage = env.get("TRAILWARDEN_STAGE")
        stages = {stage: env} if stage else config_stages(config)
        base = cls.for_stages(stages)
        topic = env.get("TRAILWARDEN_TOPIC_ARN")
        key = env.get(ENV_KEY)
        extra = {
            "rules": _split(env.get(ENV_RULES)) | _split(env.get(ENV_FORWARD)),
            "functions": _split(env.get(ENV_FUNCTIONS)),
            "roles": _split(env.get(ENV_ROLES)),
            "topics": frozenset({topic, _last(topic, ":")} if topic else ()),
            "tables": frozenset({env["TRAILWARDEN_TABLE"]} if env.get("TRAILWARDEN_TABLE") else ()),
            "keys": frozenset({key, _last(key, "/")} if key else ()),
            "parameters": frozenset(p for p in (env.get("TRAILWARDEN_SLACK_WEBHOOK_PARAM"),) if p),
            "stacks": frozenset(s for s in (env.get(ENV_STACK), env.get(ENV_STACK_ID)) if s),
            "schedules": frozenset(), "alarms": frozenset(),  # named from the stage, as the template does
            "buses": frozenset(b for b in ((env.get(ENV_BUS) or "").strip(),) if b and b != "default"),
            "trail_buckets": _split(env.get(ENV_TRAIL_BUCKETS)),
            "trail_keys": _with_ids(_split(env.get(ENV_TRAIL_KEYS))),
        }
        return cls(base.stages, **{name: getattr(base, name) | more for name, more in extra.items()})

    # --- membership, each by whole name -------------------------------------------------

    def rule(self, value: Any) -> str | None:
        """An EventBridge rule name or ARN (``…:rule/[BUS/]NAME``) that is ours."""
        return _member(value, self.rules, "/")

    def function(self, value: Any) -> str | None:
        """A Lambda function name, ARN or partial ARN (``ACCOUNT:function:NAME[:QUALIFIER]``)."""
        if not isinstance(value, str) or not value:
            return None
        name = value.split(":function:", 1)[1].split(":", 1)[0] if ":function:" in value else value.split(":", 1)[0]
        return name if name in self.functions else None

    def topic(self, value: Any) -> str | None:
        """A topic ARN, or a subscription ARN (the topic ARN plus ``:ID``), that is ours."""
        if not isinstance(value, str) or not value.startswith("arn:"):
            return None
        parts = value.split(":")
        for arn in (value, ":".join(parts[:6])):
            if arn in self.topics or (len(arn.split(":")) == 6 and arn.split(":")[5] in self.topics):
                return arn
        return None

    def table(self, value: Any) -> str | None:
        return _member(value, self.tables, "/")

    def key(self, values: Iterable[Any]) -> str | None:
        """The first of ``values`` (key id, key ARN, alias) naming our key."""
        for value in values:
            if isinstance(value, str) and (value in self.keys or _last(value, "/") in self.keys):
                return value
        return None

    def parameter(self, value: Any) -> str | None:
        if not isinstance(value, str) or not value:
            return None
        name = value.split(":parameter", 1)[1] if value.startswith("arn:") and ":parameter" in value else value
        name = name if name.startswith("/") else "/" + name
        return name if name in self.parameters else None

    def role(self, value: Any) -> str | None:
        """One of Trailwarden's roles, or an organization member's forwarding / read-only role.

        IAM role names are unique without case and IAM finds a role by any ASCII case of its name
        (``roleName=TRAILWARDEN-PROD-IAM`` detaches the handler's policy), so names compare folded."""
        if not isinstance(value, str) or not value:
            return None
        name = _iam_fold(_last(value, "/"))
        if name in {_iam_fold(r) for r in self.roles}:
            return value
        try:
            from chalicelib.org.names import FORWARD_ROLE_PREFIX, MEMBER_ROLE
        except ImportError:  # built without organization support
            return None
        forwarding = name.startswith(FORWARD_ROLE_PREFIX) and _REGION.match(name.removeprefix(FORWARD_ROLE_PREFIX))
        return value if name == MEMBER_ROLE or forwarding else None

    def schedule(self, value: Any) -> str | None:
        """A schedule name or ARN (``…:schedule/GROUP/NAME``) that is ours."""
        return _member(value, self.schedules, "/")

    def bus(self, value: Any) -> str | None:
        """The central event bus by name or ARN (``…:event-bus/NAME``)."""
        return _member(value, self.buses, "/")

    def trail_bucket(self, value: Any) -> str | None:
        """The trail's log bucket, by name."""
        return _member(value, self.trail_buckets, ":::")

    def trail_key(self, values: Iterable[Any]) -> str | None:
        """The first of ``values`` (key id, key ARN, alias) naming the trail's key."""
        for value in values:
            if isinstance(value, str) and (value in self.trail_keys or _last(value, "/") in self.trail_keys):
                return value
        return None

    def alarm(self, value: Any) -> str | None:
        """An alarm name or ARN (``…:alarm:NAME``) that is ours."""
        return _member(value, self.alarms, ":")

    def stack(self, value: Any) -> str | None:
        """A stack name or stack id (``…:stack/NAME/UUID``) that is ours."""
        if not isinstance(value, str) or not value:
            return None
        if value in self.stacks:
            return value
        if value.startswith("arn:") and ":stack/" in value:
            name = value.split(":stack/", 1)[1].split("/", 1)[0]
            return value if name in self.stacks else None
        return None


def _iam_fold(name: str) -> str:
    """An IAM name as IAM compares it: ASCII without case; a non-ASCII name is never folded onto an
    ASCII one (as chalicelib/identity/model.fold, not imported here: app.py imports this module)."""
    return name.lower() if name.isascii() else name


def _with_ids(keys: frozenset[str]) -> frozenset[str]:
    """Key ARNs with their bare key ids (KMS records name a key either way)."""
    return keys | {_last(k, "/") for k in keys if k.startswith("arn:") and ":key/" in k}


def _member(value: Any, names: frozenset[str], sep: str) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    return value if value in names or _last(value, sep) in names else None


def config_stages(config: Path = CONFIG) -> dict[str, dict[str, str]]:
    """Every stage of the Chalice config with its environment (``{"prod": {}}`` when unreadable)."""
    try:
        stages = json.loads(config.read_text(encoding="utf-8")).get("stages") or {}
    except (OSError, ValueError, AttributeError):
        return {"prod": {}}
    out = {name: dict((spec or {}).get("environment_variables") or {}) for name, spec in stages.items()
           if isinstance(name, str)}
    return out or {"prod": {}}


class ReadsOwnResources:
    """A rule that names Trailwarden's own resources: given them (tests), or reads them from the
    environment the template exports on first use, so importing the rule reads nothing."""

    def __init__(self, own: OwnResources | None = None) -> None:
        self._own = own

    @property
    def own(self) -> OwnResources:
        if self._own is None:
            self._own = OwnResources.from_env(os.environ)
        return self._own
