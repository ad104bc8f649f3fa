"""Calls that let another account in without writing a policy document of their own (resource-policy-outside):
an EventBridge bus permission, a Lambda layer permission, a RAM resource share, S3 replication to a bucket of
another account. Each names its grantees in its own request members; each is placed by
chalicelib/identity/grants.py like a policy's principals, so one model decides who is outside.

Shapes: RAM's record is AWS's own example (the RAM User Guide's CloudTrail page: ``allowExternalPrincipals`` in
``responseElements.resourceShare``); S3 writes an XML body's elements as they are spelt (``ReplicationConfiguration``
/ ``Rule`` / ``Destination`` / ``Account``, a single ``Rule`` an object), though samples spell them lower-case too:
both are read. The others are the API's request members, first letter lower-cased, as CloudTrail records JSON
requests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalicelib.events import CloudTrailEvent, as_str
from chalicelib.identity import grants
from chalicelib.identity.grants import Grantee
from chalicelib.identity.model import IdentityModel

EVENTS = "events.amazonaws.com"
RAM = "ram.amazonaws.com"


@dataclass(frozen=True, slots=True)
class Granted:
    """Who a call lets in from outside the model, on what, said as the verdict's reason says it."""

    outside: list[Grantee]
    kind: str
    resource: str
    did: str  # "<actor> {did} {grantees}: {reach}."
    reach: str
    details: dict[str, Any] = field(default_factory=dict)


def _get(obj: Any, *names: str) -> Any:
    """A member under any of its spellings (S3's XML element names, or lower-cased)."""
    if not isinstance(obj, dict):
        return None
    return next((obj[n] for n in names if n in obj), None)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value is not None else []


def _anyone_unless_org(model: IdentityModel, principal: Any, org: str | None, home: str | None) -> Grantee | None:
    """``*`` narrowed to an organization (EventBridge's condition, a layer's ``organizationId``), or one account."""
    if isinstance(principal, str) and principal.strip() == "*" and org:
        return Grantee(grants.ORG, org, f"any principal of organization {org}: the model declares accounts, not an "
                                        "organization id, so it cannot confirm this one is yours")
    return grants.place(model, principal, home)


def bus_permission(model: IdentityModel, ev: CloudTrailEvent) -> Granted | None:
    """EventBridge ``PutPermission``: a whole ``policy``, or one ``principal`` (``*`` under an optional
    ``aws:PrincipalOrgID`` condition) allowed to put events on the bus."""
    params = ev.request_parameters
    bus = as_str(params.get("eventBusName")) or "default"
    if params.get("policy") is not None:
        outside = list(grants.policy_grants(model, params["policy"], ev.account).outside)
    else:
        condition = params.get("condition")
        org = as_str(_get(condition, "value", "Value")) \
            if (as_str(_get(condition, "key", "Key")) or "").lower() == "aws:principalorgid" else None
        found = _anyone_unless_org(model, params.get("principal"), org, ev.account)
        outside = [found] if found else []
    if not outside:
        return None
    return Granted(outside, "EventBridge bus", bus, f"let put events on EventBridge bus '{bus}' (PutPermission)",
                   "they can send the bus any event, which its rules hand to their targets as this account's",
                   {"action": as_str(params.get("action"))})


def layer_permission(model: IdentityModel, ev: CloudTrailEvent) -> Granted | None:
    """Lambda ``AddLayerVersionPermission``: ``principal`` an account or ``*`` (with ``organizationId``)."""
    params = ev.request_parameters
    found = _anyone_unless_org(model, params.get("principal"), as_str(params.get("organizationId")), ev.account)
    if found is None:
        return None
    layer = as_str(params.get("layerName")) or "(not named in the record)"
    version = params.get("versionNumber")
    return Granted([found], "Lambda layer", layer, f"shared version {version if version is not None else '?'} of "
                   f"Lambda layer '{layer}' (AddLayerVersionPermission) with",
                   "they can download the layer's code and whatever it carries (GetLayerVersion)",
                   {"action": as_str(params.get("action"))})


def resource_share(model: IdentityModel, ev: CloudTrailEvent) -> Granted | None:
    """RAM ``CreateResourceShare`` / ``AssociateResourceShare``: the ``principals`` added. A share that does not
    allow external principals reaches only this organization's accounts (low: the model cannot confirm it)."""
    params = ev.request_parameters
    share = _get(ev.raw.get("responseElements"), "resourceShare")
    external = _get(share, "allowExternalPrincipals")
    if external is None:
        external = params.get("allowExternalPrincipals")
    outside = []
    for principal in _listed(params.get("principals")):
        if isinstance(principal, str) and grants.SERVICE.match(principal.strip()):
            continue  # a service principal: the service's own
        found = grants.place(model, principal, ev.account)
        if found is not None and external is False and found.kind == grants.ACCOUNT_KIND:
            # AWS keeps such a share inside the caller's own organization: no name of the caller's decides it.
            found = Grantee(grants.UNCONFIRMED, found.value, f"account {found.value} of this organization (the "
                                                             "share allows no external principals), which the model "
                                                             "does not declare")
        if found is not None:
            outside.append(found)
    if not outside:
        return None
    name = as_str(params.get("name")) or as_str(params.get("resourceShareArn")) or \
        as_str(_get(share, "resourceShareArn")) or "(not named in the record)"
    resources = [r for r in _listed(params.get("resourceArns")) if isinstance(r, str)]
    what = f"{len(resources)} resource(s)" if resources else "its resources"
    return Granted(outside, "RAM resource share", name, f"shared {what} through RAM resource share '{name}' "
                   f"({ev.event_name}) with", "they can use the shared resources (subnets, images, databases, "
                   "whatever the share holds) from their own account",
                   {"resource_arns": resources, "allow_external_principals": external})


def replication(model: IdentityModel, ev: CloudTrailEvent) -> Granted | None:
    """S3 ``PutBucketReplication``: each rule's ``Destination``; ``Account`` places it. A destination bucket's ARN
    has no account field, so one named without ``Account`` is unconfirmed (low), never guessed."""
    config = _get(ev.request_parameters, "ReplicationConfiguration", "replicationConfiguration")
    outside: list[Grantee] = []
    for rule in _listed(_get(config, "Rule", "rule", "Rules", "rules")):
        if (as_str(_get(rule, "Status", "status")) or "Enabled").lower() == "disabled":
            continue
        destination = _get(rule, "Destination", "destination")
        account, bucket = _get(destination, "Account", "account"), as_str(_get(destination, "Bucket", "bucket"))
        if account is not None:
            found = grants.place(model, account, ev.account)
        elif bucket:
            found = Grantee(grants.UNCONFIRMED, bucket, f"bucket {bucket}, whose account the record does not name "
                                                        "(perhaps this account's own)")
        else:
            found = None
        if found is not None:
            outside.append(found)
    if not outside:
        return None
    bucket = as_str(ev.request_parameters.get("bucketName")) or "(not named in the record)"
    return Granted(list(dict.fromkeys(outside)), "S3 bucket", bucket, f"set S3 bucket '{bucket}' to replicate "
                   "(PutBucketReplication) to", "every object written from now on is copied out to them")


# (eventSource, eventName) → the call's reader. Lambda records its API version in the name.
GRANT_CALLS: dict[tuple[str, str], Callable[[IdentityModel, CloudTrailEvent], Granted | None]] = {
    (EVENTS, "PutPermission"): bus_permission,
    ("lambda.amazonaws.com", "AddLayerVersionPermission20181031"): layer_permission,
    ("lambda.amazonaws.com", "AddLayerVersionPermission"): layer_permission,
    (RAM, "CreateResourceShare"): resource_share,
    (RAM, "AssociateResourceShare"): resource_share,
    ("s3.amazonaws.com", "PutBucketReplication"): replication,
}
