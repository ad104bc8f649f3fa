"""The heartbeat: an EventBridge Scheduler write that travels the path real events take.

Every 15 minutes the schedule (``deploy/build_merge_template.py``) calls ``ssm:PutParameter``
on ``/trailwarden/<stage>/heartbeat`` with the scheduled time as the value. CloudTrail records
it, EventBridge delivers it to the ``monitor`` family, and the monitor notes "heartbeat seen
for account A, region R at T" in its state (kind ``heartbeat``, name ``A/R``). The liveness
check (``chalicelib/watch/liveness.py``) reads those notes. A heartbeat is never a finding.

A heartbeat is recognised by what AWS records: a successful PutParameter, by a role session
(the schedule's role; root and IAM users are judged as usual), of a parameter named
``/trailwarden/<stage>/heartbeat``. Whoever writes it, a recorded write that reached the
handler proves the trail → EventBridge → Lambda path works for that account and region, and
the parameter guards nothing, so a forged heartbeat hides nothing but itself.
"""

from __future__ import annotations

import re
from datetime import datetime

from chalicelib.events import CloudTrailEvent, as_str

HEARTBEAT_KIND = "heartbeat"  # state kind: name ACCOUNT/REGION → time of the newest heartbeat
PARAMETER = re.compile(r"^/trailwarden/[A-Za-z0-9_.-]+/heartbeat$")


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


def place(event: CloudTrailEvent) -> str:
    """The state name of the event's account and region."""
    return f"{event.account or 'unknown'}/{event.region or 'unknown'}"


def seen_at(event: CloudTrailEvent, now: datetime) -> datetime:
    """When the heartbeat was made (its event time; when it arrived if that is unreadable)."""
    from chalicelib.incidents.keys import parse_ts, utc  # the engine imports this module: keep it light

    return parse_ts(event.event_time) or utc(now)
