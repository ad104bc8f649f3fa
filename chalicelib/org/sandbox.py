"""An organization on moto: the central bus and handler rules, and members running dist/member.json.

Used by ``simulate --org`` and the tests. Each member account is entered the way a StackSet
administrator would (``OrganizationAccountAccessRole``), the member template is created as a
stack in each of its regions (moto's ``create_account`` picks random ids, and the events keep
their real ones), and a multi-region trail is started in each account. The handler rules on the
central bus are the member template's own rules (the same patterns and states as the central
stack), each delivering into a queue that stands in for its Lambda function.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from chalicelib.errors import ConfigError, TrailwardenError
from chalicelib.org.names import GLOBAL_REGION, bus_arn, forward_rule, handler_of, region

ADMIN_ROLE = "OrganizationAccountAccessRole"
UNSUPPORTED = "No Moto CloudFormation support for "  # moto's warning for a resource type it does not deploy


@contextmanager
def unsupported_resources_quiet() -> Iterator[None]:
    """moto creates the member stack without the types it does not implement (the DLQ's
    ``AWS::SQS::QueuePolicy``, the heartbeat's ``AWS::Scheduler::Schedule``; neither takes part in
    forwarding). Its log line and UserWarning for each, per stack and region, are noise in
    ``make demo-org``, not a fault of the template (cfn-lint checks that): drop exactly those."""
    moto_log = logging.getLogger("moto")

    def keep(record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(UNSUPPORTED)

    moto_log.addFilter(keep)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Tried to parse AWS::", category=UserWarning)
            yield
    finally:
        moto_log.removeFilter(keep)


def template_families(template: dict[str, Any]) -> dict[str, tuple[dict[str, Any], str]]:
    """family → (pattern, state) of the forwarding rules a member template declares."""
    out = {}
    for res in template.get("Resources", {}).values():
        props = res.get("Properties", {})
        if res.get("Type") == "AWS::Events::Rule" and str(props.get("Name", "")).startswith(forward_rule("")):
            out[props["Name"].removeprefix(forward_rule(""))] = (props["EventPattern"], props["State"])
    if not out:
        raise ConfigError("the member template declares no forwarding rule (build it with `make package`)")
    return out


def check_parameters(template: dict[str, Any], values: dict[str, str]) -> None:
    """Refuse, in one line, a parameter left empty or not matching its AllowedPattern. A parameter whose
    declared Default is empty is optional (``AuditorRoleArns``: no roles beyond Trailwarden's own)."""
    import re

    for key, spec in template.get("Parameters", {}).items():
        value = values.get(key, spec.get("Default"))
        if value in (None, ""):
            if spec.get("Default") == "":
                continue
            raise ConfigError(f"member template parameter {key} is empty")
        pattern = spec.get("AllowedPattern")
        if pattern and not re.match(pattern, str(value)):
            raise ConfigError(f"member template parameter {key}={value!r} does not match {pattern}")


@dataclass
class OrgSandbox:
    """The central account's bus and queues; members are added with ``add_member``."""

    template: dict[str, Any]
    central_account: str
    bus: str = "trailwarden-org"
    rule_prefix: str = "trailwarden-org-"
    central_region: str = GLOBAL_REGION
    queues: dict[str, str] = field(default_factory=dict)  # family → queue URL in the central account
    bus_arn: str = ""
    handled: frozenset[str] | None = None  # families with a handler (None: every family of the template)
    _sessions: dict[str, Any] = field(default_factory=dict)
    _deployed: set[tuple[str, str]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.families = template_families(self.template)
        central = self.session(self.central_account)
        events = central.client("events", region_name=self.central_region)
        sqs = central.client("sqs", region_name=self.central_region)
        self.bus_arn = events.create_event_bus(Name=self.bus)["EventBusArn"]
        bus_arn(self.bus_arn)
        for family, (pattern, state) in self.families.items():
            if self.handled is not None and handler_of(family) not in self.handled:
                continue
            url = sqs.create_queue(QueueName=f"trailwarden-org-{family}")["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            name = f"{self.rule_prefix}{family}"
            events.put_rule(Name=name, EventBusName=self.bus, EventPattern=json.dumps(pattern), State=state)
            events.put_targets(Rule=name, EventBusName=self.bus, Targets=[{"Id": "handler", "Arn": arn}])
            self.queues[family] = url
        self._sqs = sqs

    def session(self, account: str) -> Any:
        """A boto3 session in ``account`` (through its organization admin role, as StackSets do)."""
        import boto3

        if account not in self._sessions:
            creds = boto3.client("sts", region_name=GLOBAL_REGION).assume_role(
                RoleArn=f"arn:aws:iam::{account}:role/{ADMIN_ROLE}", RoleSessionName="trailwarden-stackset")[
                "Credentials"]
            self._sessions[account] = boto3.session.Session(
                aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                aws_session_token=creds["SessionToken"])
        return self._sessions[account]

    def add_member(self, account: str, regions: tuple[str, ...]) -> None:
        """The member stack in each region (us-east-1 first: it holds the read-only role) and a logging trail."""
        parameters = {"CentralEventBusArn": self.bus_arn}
        check_parameters(self.template, parameters)
        session = self.session(account)
        body = json.dumps(self.template)
        for r in sorted(set(regions) | {GLOBAL_REGION}, key=lambda x: x != GLOBAL_REGION):
            region(r)
            if (account, r) in self._deployed:
                continue
            with unsupported_resources_quiet():
                session.client("cloudformation", region_name=r).create_stack(
                    StackName="trailwarden-member", TemplateBody=body, Capabilities=["CAPABILITY_NAMED_IAM"],
                    Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()])
            self._deployed.add((account, r))
        if (account, "trail") not in self._deployed:
            bucket = f"trailwarden-trail-{account}"
            session.client("s3", region_name=GLOBAL_REGION).create_bucket(Bucket=bucket)
            trails = session.client("cloudtrail", region_name=GLOBAL_REGION)
            trails.create_trail(Name="organization-trail", S3BucketName=bucket, IsMultiRegionTrail=True)
            trails.put_event_selectors(TrailName="organization-trail", EventSelectors=[
                {"ReadWriteType": "All", "IncludeManagementEvents": True}])
            trails.start_logging(Name="organization-trail")
            self._deployed.add((account, "trail"))

    def put(self, envelope: dict[str, Any], account: str, where: str) -> None:
        """Put an event on the default bus of its own account and region (as CloudTrail does)."""
        if (account, where) not in self._deployed:
            raise TrailwardenError(f"no member stack in {account} {where}")
        entry = {"Source": envelope["source"], "DetailType": envelope["detail-type"],
                 "Detail": json.dumps(envelope["detail"]), "Resources": []}
        result = self.session(account).client("events", region_name=where).put_events(Entries=[entry])
        if result.get("FailedEntryCount"):
            raise TrailwardenError(f"EventBridge refused the event: {result['Entries']}")

    def drain(self, family: str) -> list[dict[str, Any]]:
        out = []
        url = self.queues[family]
        while msgs := self._sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            for m in msgs:
                self._sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
                out.append(json.loads(m["Body"]))
        return out
