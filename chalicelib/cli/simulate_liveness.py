"""``simulate --liveness``: the heartbeat check, run with the clock moved past the threshold.

After the events, the check runs twice: once at the latest event time (the first run starts
its clock) and once past the threshold, with no heartbeat delivered, so every account and
region the events came from is reported ``monitor-blind``. Then one heartbeat from each (the
record EventBridge Scheduler's write produces) goes through EventBridge to the handlers, which
close the episode with a closing message, and the check runs once more.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.events import CloudTrailEvent
from chalicelib.incidents.keys import format_ts, parse_ts
from chalicelib.watch.heartbeat import parameter_name
from chalicelib.watch.liveness import LivenessConfig


def heartbeat_record(account: str, region: str, when: datetime, stage: str) -> dict[str, Any]:
    """The CloudTrail record of the schedule's ``ssm:PutParameter`` (its role session, invoked by Scheduler)."""
    role = f"trailwarden-{stage}-heartbeat"
    session = uuid.uuid4().hex
    return {
        "eventVersion": "1.10",
        "userIdentity": {
            "type": "AssumedRole", "principalId": f"AROAZ7TW0HEARTBEAT01:{session}",
            "arn": f"arn:aws:sts::{account}:assumed-role/{role}/{session}", "accountId": account,
            "accessKeyId": "ASIAZ7TW0HEARTBEAT01", "invokedBy": "scheduler.amazonaws.com",
            "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAZ7TW0HEARTBEAT01",
                                                 "arn": f"arn:aws:iam::{account}:role/{role}", "accountId": account,
                                                 "userName": role},
                               "attributes": {"creationDate": format_ts(when), "mfaAuthenticated": "false"}},
        },
        "eventTime": format_ts(when), "eventSource": "ssm.amazonaws.com", "eventName": "PutParameter",
        "awsRegion": region, "sourceIPAddress": "scheduler.amazonaws.com", "userAgent": "scheduler.amazonaws.com",
        "requestParameters": {"name": parameter_name(stage), "type": "String", "overwrite": True,
                              "value": "HIDDEN_DUE_TO_SECURITY_REASONS"},
        "responseElements": {"version": 1, "tier": "Standard"}, "requestID": str(uuid.uuid4()),
        "eventID": str(uuid.uuid4()), "readOnly": False, "eventType": "AwsApiCall", "managementEvent": True,
        "recipientAccountId": account, "eventCategory": "Management",
    }


def liveness_story(events: list[CloudTrailEvent], deliver: Callable[[dict[str, Any]], None], stage: str,
                   config: LivenessConfig | None = None) -> list[dict[str, Any]]:
    """Check (clock start), check past the threshold (blind), a heartbeat each (closed), check again."""
    from chalicelib import runtime

    places = sorted({f"{e.account}/{e.region}" for e in events if e.account and e.region})
    config = config or LivenessConfig.from_env(os.environ)
    config = LivenessConfig(config.threshold, frozenset(places) | config.expected)
    start = max((parse_ts(e.event_time) for e in events if parse_ts(e.event_time)), default=datetime.now(UTC))
    late = start + config.threshold + timedelta(minutes=1)
    runtime.run_liveness_check(start, config)
    steps = []
    blind = runtime.run_liveness_check(late, config)
    steps.append({"at": format_ts(late), "heartbeats": False, **blind})
    for place in places:
        account, _, region = place.partition("/")
        deliver(heartbeat_record(account, region, late + timedelta(minutes=2), stage))
    after = late + timedelta(minutes=3)
    again = runtime.run_liveness_check(after, config)
    closed = [p for p in blind["blind"] if p not in again["blind"]]  # closed by the handlers on the heartbeat
    steps.append({"at": format_ts(after), "heartbeats": True, "blind": again["blind"], "closed": closed})
    minutes = int(config.threshold.total_seconds() // 60)
    return [{"kind": "liveness", "threshold_minutes": minutes, **step} for step in steps]
