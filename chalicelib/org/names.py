"""Names and validation shared by the central stack, the member StackSet and the org commands.

The member template, the coverage check and ``simulate --org`` must agree on every name below,
so they live in one place; each validator refuses bad input with one line naming what and where.
"""

from __future__ import annotations

import re
from functools import lru_cache

from chalicelib.errors import ConfigError

DEFAULT_BUS = "default"
FORWARD_RULE_PREFIX = "trailwarden-forward-"
FORWARD_ROLE_PREFIX = "trailwarden-forward-"  # + region: IAM is global, each region's stack owns its role
MEMBER_ROLE = "trailwarden-member-readonly"  # created once per account (in us-east-1)
GLOBAL_REGION = "us-east-1"  # IAM, STS global endpoint and root sign-in are recorded here
ORG_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
ACCOUNT_ID = re.compile(r"^\d{12}$")
BUS_NAME = re.compile(r"^[A-Za-z0-9._\-]{1,256}$")
BUS_ARN = re.compile(r"^arn:aws[a-z-]*:events:([a-z0-9-]+):(\d{12}):event-bus/([A-Za-z0-9._\-]+)$")


def forward_rule(family: str) -> str:
    """The member rule that forwards one handler family to the central bus."""
    return f"{FORWARD_RULE_PREFIX}{family}"


def handler_of(rule_key: str) -> str:
    """The handler family a rule serves: ``reads-2`` (a pattern split over EventBridge's size quota) → ``reads``."""
    head, _, tail = rule_key.rpartition("-")
    return head if head and tail.isdigit() else rule_key


def member_role_arn(account: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account}:role/{MEMBER_ROLE}"


def org_id(value: str | None, where: str = "organization id") -> str:
    """An AWS Organizations id (``o-`` and 10 to 32 lowercase letters or digits)."""
    if not value or not ORG_ID.match(value):
        raise ConfigError(f"{value!r} is not an organization id (o- followed by 10-32 lowercase letters or digits)",
                          where)
    return value


def account_id(value: str | None, where: str = "account id") -> str:
    if not value or not ACCOUNT_ID.match(value):
        raise ConfigError(f"{value!r} is not a 12-digit AWS account id", where)
    return value


def bus_name(value: str | None, where: str = "TRAILWARDEN_EVENT_BUS") -> str:
    """An event bus name; empty means the default bus (single-account mode)."""
    value = (value or "").strip() or DEFAULT_BUS
    if not BUS_NAME.match(value):
        raise ConfigError(f"{value!r} is not an event bus name (letters, digits, . _ -)", where)
    return value


def bus_arn(value: str | None, where: str = "CentralEventBusArn") -> tuple[str, str, str]:
    """``arn:aws:events:REGION:ACCOUNT:event-bus/NAME`` → (region, account, name)."""
    match = BUS_ARN.match(value or "")
    if not match:
        raise ConfigError(f"{value!r} is not an event bus ARN (arn:aws:events:REGION:ACCOUNT:event-bus/NAME)", where)
    region(match.group(1), where)
    return match.group(1), match.group(2), match.group(3)


@lru_cache(maxsize=1)
def known_regions() -> frozenset[str]:
    """Every region botocore knows for EventBridge (the list ships with botocore: no AWS call)."""
    import boto3

    session = boto3.session.Session()
    found: set[str] = set()
    for partition in session.get_available_partitions():
        found.update(session.get_available_regions("events", partition_name=partition))
    return frozenset(found)


def region(value: str | None, where: str = "region") -> str:
    if not value or value not in known_regions():
        raise ConfigError(f"{value!r} is not an AWS region name (e.g. us-east-1, eu-west-1)", where)
    return value


def regions(text: str | list[str] | None, where: str = "regions") -> tuple[str, ...]:
    """A comma-separated or listed set of regions, validated, us-east-1 always included, in order."""
    items = text.split(",") if isinstance(text, str) else list(text or [])
    out = [GLOBAL_REGION]
    for item in (i.strip() for i in items):
        if item and region(item, where) not in out:
            out.append(item)
    return tuple(out)
