"""The heartbeat: an EventBridge Scheduler write that travels the path real events take.

Every 15 minutes the schedule (``deploy/build_merge_template.py``) calls ``ssm:PutParameter``
on ``/trailwarden/<stage>/heartbeat`` with the scheduled time as the value. CloudTrail records
it, EventBridge delivers it to the ``monitor`` family, and the monitor notes "heartbeat seen
for account A, region R at T" in its state (kind ``heartbeat``, name ``A/R``). The liveness
check (``chalicelib/watch/liveness.py``) reads those notes. A heartbeat is never a finding.

A heartbeat is recognised by what AWS records: a successful PutParameter, by a role session
(root and IAM users are judged as usual), of a parameter named ``/trailwarden/<stage>/heartbeat``.
Whoever writes it, a recorded write that reached the handler proves the trail → EventBridge →
Lambda path works for that account and region, so any such write is noted (``is_heartbeat``).

Being left unjudged is narrower (``is_own_heartbeat``): the parameter name is the caller's
choice, so only a write by a session of the schedule's own role, ``trailwarden-<stage>-heartbeat``
in the account written to (the issuer ARN in ``sessionContext``, which AWS sets), skips the
rules. Anyone else writing the parameter is judged like any other write (an undeclared role's is
an ``identity-undeclared-principal``), and still counts as a heartbeat.
"""

from __future__ import annotations

import re
from datetime import datetime

from chalicelib.events import CloudTrailEvent, as_str

HEARTBEAT_KIND = "heartbeat"  # state kind: name ACCOUNT/REGION → time of the newest heartbeat
MEMBER_STAGE = "member"  # the member StackSet's heartbeat: /trailwarden/member/heartbeat
PARAMETER = re.compile(r"^/trailwarden/[A-Za-z0-9_.-]+/heartbeat$")
# The role at the IAM path "/" (as the template creates it): a role elsewhere is another role.
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(?P<account>\d{12}):role/(?P<role>[A-Za-z0-9+=,.@_-]+)$")


def parameter_name(stage: str) -> str:
    """The heartbeat parameter of ``stage`` (what the schedule writes)."""
    return f"/trailwarden/{stage}/heartbeat"


def _name(value: str | None) -> str | None:
    if value and value.startswith("arn:") and ":parameter" in value:
        value = value.split(":parameter", 1)[1]
    return value


def is_heartbeat(event: CloudTrailEvent) -> bool:
    """Whether ``event`` is a heartbeat write (see the module docstring for why this is enough)."""
    if event.event_name != "PutParameter" or event.event_source != "ssm.amazonaws.com" or event.error_code:
        return False
    if as_str(event.user_identity.get("type")) != "AssumedRole":
        return False
    name = _name(event.param("name"))
    return name is not None and PARAMETER.match(name) is not None


def heartbeat_role(stage: str, region: str) -> str:
    """The role whose sessions write ``stage``'s heartbeat in ``region`` (both templates name it so).

    A stage's own stack has one role per stage; the member StackSet (``stage`` "member",
    chalicelib/org/template.py) has one per region, since IAM names are account-wide.
    """
    return f"trailwarden-heartbeat-{region}" if stage == MEMBER_STAGE else f"trailwarden-{stage}-heartbeat"


def is_own_heartbeat(event: CloudTrailEvent) -> bool:
    """A heartbeat written by the stage's heartbeat role itself: never judged (see the module docstring)."""
    if not is_heartbeat(event):
        return False
    stage = _name(event.param("name")).split("/")[2]  # type: ignore[union-attr]  # matched PARAMETER
    context = event.user_identity.get("sessionContext")
    issuer = context.get("sessionIssuer") if isinstance(context, dict) else None
    arn = as_str(issuer.get("arn")) if isinstance(issuer, dict) else None
    match = ROLE_ARN.match(arn) if arn else None
    return (match is not None and match["account"] == event.account
            and match["role"].casefold() == heartbeat_role(stage, event.region or "").casefold())


def place(event: CloudTrailEvent) -> str:
    """The state name of the event's account and region."""
    return f"{event.account or 'unknown'}/{event.region or 'unknown'}"


def seen_at(event: CloudTrailEvent, now: datetime) -> datetime:
    """When the heartbeat was made (its event time; when it arrived if that is unreadable)."""
    from chalicelib.incidents.keys import parse_ts, utc  # the engine imports this module: keep it light

    return parse_ts(event.event_time) or utc(now)
