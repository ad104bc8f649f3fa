"""The two always-on handler families that carry blinding events and the heartbeat to a handler.

``blinding``: trail, detector and organization calls (``detectors.py``), whoever makes them.
``pipeline``: the calls of ``pipeline.py`` on a resource named like Trailwarden's (``trailwarden…``,
the webhook and heartbeat parameters under ``/trailwarden/``, the heartbeat schedule and the alarms
that page without any Lambda), the KMS and CloudFormation calls
(key ids and stack names are chosen at deploy time). A refused call is routed like a successful
one when its record names the resource (a record without parameters cannot show the resource is
Trailwarden's, so the rule could not judge it). The patterns only route: the rules decide by exact names
(``own.py``), so a look-alike name costs an invocation, never a finding. Every blinding call
is a write, so both rules are in state ENABLED. A pattern over EventBridge's default size quota of
2,048 characters is spread over numbered rules by the builder (deploy/pattern_quota.py).
"""

from __future__ import annotations

import os
from typing import Any

from chalicelib.watch.detectors import (
    DETECTOR_CALLS,
    ORGANIZATION_CALLS,
    ORGANIZATION_SOURCE,
    TRAIL_CALLS,
    TRAIL_SOURCE,
)
from chalicelib.watch.own import ENV_TRAIL_BUCKETS
from chalicelib.watch.pipeline import (
    CALLS,
    CFN,
    CLOUDWATCH,
    DDB,
    EVENTS,
    IAM,
    KMS,
    LAMBDA,
    S3,
    SCHEDULER,
    SNS,
    SSM,
    TRAIL_BUCKET_CALLS,
)

API_CALL = "AWS API Call via CloudTrail"
NAME = [{"prefix": "trailwarden"}]
NAME_ANY_CASE = [{"prefix": {"equals-ignore-case": "trailwarden"}}]


def _names(source: str) -> list[Any]:
    """The calls of ``source`` a rule judges; Lambda's by prefix (CloudTrail adds API-version suffixes)."""
    names = sorted({name for src, name in CALLS if src == source})
    if source == LAMBDA:  # DeleteFunction covers DeleteFunctionConcurrency, UpdateFunction both updates
        return [{"prefix": n} for n in ("DeleteFunction", "PutFunctionConcurrency", "RemovePermission",
                                         "UpdateFunction")]
    return names


def _by(source: str, key: str, values: list[Any], names: list[Any] | None = None) -> dict[str, Any]:
    """Calls of ``source`` naming a resource in ``key``; every write when ``names`` is None (all are
    management writes on a Trailwarden-named resource: rare, and the rule keeps only its calls)."""
    branch: dict[str, Any] = {"eventSource": [source], "requestParameters": {key: values}}
    if names is not None:
        branch["eventName"] = names
    return branch


def _by_any(source: str, keys: tuple[str, ...], values: list[Any], names: list[Any] | None = None) -> dict[str, Any]:
    """``_by`` with the resource in any of ``keys`` (a nested ``$or``: one branch instead of one per key
    keeps the family within the size quota)."""
    return _by(source, "$or", [{key: values} for key in keys], names)


def blinding_pattern(env: dict[str, str] | None = None) -> dict[str, Any]:
    """``env``: the stage's variables at package time (the trail's declared log buckets, if any)."""
    env = dict(os.environ if env is None else env)
    detectors: dict[str, list[str]] = {}
    for name, (source, *_rest) in DETECTOR_CALLS.items():
        detectors.setdefault(source, []).append(name)
    # UpdateTrail only when it can weaken the trail (the rule's WEAKENING fields, a new bucket, or a
    # record that does not say): renaming an SNS topic or turning on validation costs no invocation.
    update = [{"requestParameters": {field: [False, "false"]}}
              for field in ("isMultiRegionTrail", "includeGlobalServiceEvents", "isOrganizationTrail")]
    update += [{"requestParameters": {field: [{"exists": True}]}} for field in ("s3BucketName", "s3KeyPrefix",
                                                                                 "kmsKeyId")]
    update += [{"requestParameters": [None]}]
    # No detail-type pin: its unconditional branches deliver those names whole, so the writes
    # family leaves them out (chalicelib/writes_pattern.py).
    return {"source": [{"prefix": "aws."}], "detail": {"$or": [
        {"eventSource": [TRAIL_SOURCE], "eventName": [n for n in TRAIL_CALLS if n != "UpdateTrail"]},
        *({"eventSource": [TRAIL_SOURCE], "eventName": ["UpdateTrail"], **branch} for branch in update),
        {"eventSource": [ORGANIZATION_SOURCE], "eventName": list(ORGANIZATION_CALLS)},
        *({"eventSource": [source], "eventName": names} for source, names in sorted(detectors.items())),
        *_archive(env),
    ]}}


def _archive(env: dict[str, str]) -> list[dict[str, Any]]:
    """The trail's declared log buckets (``TRAILWARDEN_TRAIL_BUCKETS``); its key's calls reach ``pipeline``."""
    buckets = sorted({b.strip() for b in (env.get(ENV_TRAIL_BUCKETS) or "").split(",") if b.strip()})
    return [_by(S3, "bucketName", list(buckets), sorted(TRAIL_BUCKET_CALLS))] if buckets else []


def pipeline_pattern(env: dict[str, str] | None = None) -> dict[str, Any]:
    """``env``: the stage's variables at package time (an exact table or parameter outside the prefixes)."""
    env = dict(os.environ if env is None else env)
    tables = [*NAME, {"wildcard": "arn:aws*:dynamodb:*:table/trailwarden*"}]
    table_arns = tables[1:]  # PutResourcePolicy names the table by its ARN (resourceArn) only
    if env.get("TRAILWARDEN_TABLE") and not env["TRAILWARDEN_TABLE"].startswith("trailwarden"):
        tables.append(env["TRAILWARDEN_TABLE"])
        table_arns.append({"wildcard": f"arn:aws*:dynamodb:*:table/{env['TRAILWARDEN_TABLE']}"})
    params: list[Any] = [{"prefix": "/trailwarden/"}, {"wildcard": "arn:aws*:ssm:*:parameter/trailwarden/*"}]
    webhook = env.get("TRAILWARDEN_SLACK_WEBHOOK_PARAM")
    if webhook and not webhook.startswith("/trailwarden/"):
        params.append(webhook)
    # Rules and, in organization mode, the central bus: by name (a rule's ``name`` and ``rule`` take names
    # only), a bus also as ``…:event-bus/NAME``.
    names = list(NAME)
    bus = (env.get("TRAILWARDEN_EVENT_BUS") or "").strip()
    if bus and bus != "default" and not bus.startswith("trailwarden"):
        names.append(bus)
    events = [*names, {"wildcard": "arn:aws*:events:*trailwarden*"}]
    topics = [{"wildcard": "arn:aws*:sns:*:trailwarden*"}]
    return {"source": [{"prefix": "aws."}], "detail-type": [API_CALL], "detail": {"$or": [
        {"eventSource": [EVENTS], "requestParameters": {"$or": [{"name": names}, {"rule": NAME},
                                                                 {"eventBusName": events}]}},
        _by(LAMBDA, "functionName", [*NAME, {"wildcard": "*:function:trailwarden*"}], _names(LAMBDA)),
        _by_any(SNS, ("topicArn", "subscriptionArn", "resourceArn"), topics),  # resourceArn: PutDataProtectionPolicy
        {"eventSource": [DDB], "requestParameters": {"$or": [{"tableName": tables}, {"resourceArn": table_arns}]}},
        _by_any(SSM, ("name", "names"), params, ["DeleteParameter", "DeleteParameters", "PutParameter"]),
        _by(IAM, "roleName", NAME_ANY_CASE),  # IAM finds a role by any case of its name (own.role)
        _by(SCHEDULER, "name", NAME),  # the heartbeat schedule
        _by_any(CLOUDWATCH, ("alarmNames", "alarmName"), NAME),  # the alarms independent of the Lambdas
        {"eventSource": [KMS, CFN], "eventName": _names(KMS) + _names(CFN)},
    ]}}
