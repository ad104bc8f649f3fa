"""snapshot-shared-outside: an EBS snapshot, an AMI, an RDS or a Redshift snapshot shared with an account
the model does not declare, or made public (Stratus Red Team's aws.exfiltration.ec2-share-ebs-snapshot,
ec2-share-ami and rds-share-snapshot).

Whoever it is shared with copies the disk or database into their own account, where this one's
CloudTrail never sees it again: exfiltration in one call, without any credential of this account.
Judged against the model, which lists the organization's accounts: sharing with one of them (a
backup or DR account) is routine and quiet, with anyone else high, with everyone ("all") critical.
Removing a permission, and a call an AWS service made for the caller, are quiet.
"""

from __future__ import annotations

from typing import Any

from chalicelib.events import CloudTrailEvent, as_str
from chalicelib.findings import Severity
from chalicelib.identity import grants
from chalicelib.identity.grants import Grantee
from chalicelib.rules._aws_acting import service_acting
from chalicelib.rules.base import Context, Rule, Verdict, failed_suffix
from chalicelib.rules.registry import register

EC2 = "ec2.amazonaws.com"
RDS = "rds.amazonaws.com"
# event name → (source, the attribute CloudTrail records the change under, the resource id's key, what it is)
EC2_CALLS = {
    "ModifySnapshotAttribute": ("createVolumePermission", "snapshotId", "EBS snapshot"),
    "ModifyImageAttribute": ("launchPermission", "imageId", "AMI"),
}
RDS_CALLS = {
    "ModifyDBSnapshotAttribute": ("dBSnapshotIdentifier", "RDS snapshot"),
    "ModifyDBClusterSnapshotAttribute": ("dBClusterSnapshotIdentifier", "RDS cluster snapshot"),
}
# Redshift shares a snapshot with one account per call (it has no public sharing); AWS Support is AWS's own.
REDSHIFT = "redshift.amazonaws.com"
REDSHIFT_CALL = "AuthorizeSnapshotAccess"
REDSHIFT_SUPPORT = "amazon-redshift-support"
# The keys an EC2 permission entry names its grantee under (``groups`` as Stratus Red Team's docs spell it).
ENTRY_KEYS = ("userId", "group", "groups", "organizationArn", "organizationalUnitArn")
GROUP_KEYS = frozenset({"group", "groups"})
# Severity by the loudest kind of grantee: everyone is public; an outside account, high. An organization the
# caller names (aws:PrincipalOrgID, a layer's or bus's organization id) is the caller's text, and the thief's own
# organization is as good as ours to AWS: medium, low by an IAM manager (as lambda-exposed's principalOrgID).
SEVERITY = {grants.EVERYONE: Severity.CRITICAL, grants.ACCOUNT_KIND: Severity.HIGH, grants.CONDITIONAL: Severity.HIGH,
            grants.UNPLACED: Severity.MEDIUM, grants.ORG: Severity.MEDIUM, grants.UNCONFIRMED: Severity.LOW}





def grade(ctx: Context, outside: list[Grantee]) -> Severity:
    """The severity of letting ``outside`` in; at most medium for a refused call (an attempt)."""
    kind = grants.loudest(outside) or grants.ORG
    severity = Severity.LOW if kind == grants.ORG and ctx.actor.manages_iam else SEVERITY[kind]
    return min(severity, Severity.MEDIUM) if ctx.event.failed else severity


def _ec2_added(ev: CloudTrailEvent, attribute: str) -> list[Any]:
    """The grantees an EC2 attribute call adds: ``{attribute: {add: {items: [...]}}}``, or the flat form
    (``operationType: add`` with ``userIds`` / ``groupNames`` / ``userGroups``)."""
    params = ev.request_parameters
    change = params.get(attribute)
    entries: list[Any] = []
    if isinstance(change, dict):
        entries = grants.items_of(change.get("add") if "add" in change else change.get("Add"))
    if (as_str(params.get("operationType")) or "").lower() == "add":
        for key in ("userIds", "userId", "groupNames", "userGroups", "organizationArns", "organizationalUnitArns"):
            entries += grants.items_of(params.get(key))
    values: list[Any] = []
    for entry in entries:
        if isinstance(entry, dict):
            values += [entry[k] for k in ENTRY_KEYS if k in entry and (k not in GROUP_KEYS or _public(entry[k]))]
        else:
            values.append(entry)
    return values


def _public(group: Any) -> bool:
    """EC2's only launch/volume group is ``all``; another value grants no one (the call fails)."""
    return isinstance(group, str) and group.strip().lower() == "all"


def _rds_added(ev: CloudTrailEvent) -> list[Any]:
    """RDS shares through the ``restore`` attribute: ``valuesToAdd`` holds account ids or ``all``."""
    if (ev.param("attributeName") or "").lower() != "restore":
        return []
    return grants.items_of(ev.request_parameters.get("valuesToAdd"))


@register
class SnapshotSharedOutside(Rule):
    id = "snapshot-shared-outside"
    severity = Severity.HIGH
    title = "Snapshot or image shared outside the model"
    event_names = frozenset(EC2_CALLS) | frozenset(RDS_CALLS) | {REDSHIFT_CALL}
    # The verdict reads the added grantees: objects and lists, under keys other calls use too (userIds,
    # groupNames), which a memo key cannot hold (and declaring them would cost unrelated calls their memo).
    # So only a quiet verdict that never read them (an AWS service acting) is remembered: every other one
    # is volatile, and replay judges it in full.
    memo_fields = (("eventSource",),)
    reference = "https://docs.aws.amazon.com/ebs/latest/userguide/ebs-modifying-snapshot-permissions.html"
    runbook = (
        "Remove the permission now (`aws ec2 modify-snapshot-attribute --snapshot-id ID --attribute "
        "createVolumePermission --operation-type remove --user-ids ACCOUNT`, `aws ec2 modify-image-attribute "
        "--image-id ID --launch-permission 'Remove=[{UserId=ACCOUNT}]'`, `aws rds modify-db-snapshot-attribute "
        "--db-snapshot-identifier ID --attribute-name restore --values-to-remove ACCOUNT`, `aws redshift "
        "revoke-snapshot-access --snapshot-identifier ID --account-with-restore-access ACCOUNT`; `--group-names all`, "
        "`Group=all` or `all` for a public one). Then assume the data was copied: look for "
        "SharedSnapshotCopyInitiated / SharedSnapshotVolumeCreated events, rotate any secret the disk or "
        "database held, and treat the actor's credentials as compromised unless the share was planned "
        "(then declare the receiving account in the model). Turn on EBS snapshot and AMI block public access "
        "(`aws ec2 enable-snapshot-block-public-access --state block-all-sharing`, `aws ec2 "
        "enable-image-block-public-access --image-block-public-access-state block-new-sharing`)."
    )

    @classmethod
    def volatile(cls, ctx: Context) -> bool:
        """Quiet for a reason outside the memo key: anything but an AWS service acting."""
        return ctx.event.event_name in cls.event_names and not service_acting(ctx)

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev = ctx.event
        if service_acting(ctx):
            return None  # AWS Backup, DLM or another service copying for a plan: the call that asked is judged
        name = ev.event_name
        if name in EC2_CALLS and ev.event_source in (EC2, "?"):
            attribute, id_key, kind = EC2_CALLS[name]
            added = _ec2_added(ev, attribute)
        elif name in RDS_CALLS and ev.event_source in (RDS, "?"):
            id_key, kind = RDS_CALLS[name]
            added = _rds_added(ev)
        elif name == REDSHIFT_CALL and ev.event_source in (REDSHIFT, "?"):
            id_key = "snapshotIdentifier" if ev.param("snapshotIdentifier") else "snapshotArn"
            kind = "Redshift snapshot"
            added = [a for a in grants.items_of(ev.request_parameters.get("accountWithRestoreAccess"))
                     if a != REDSHIFT_SUPPORT]
        else:
            return None
        outside = [g for v in added if (g := grants.place(ctx.model, v, ev.account)) is not None]
        if not outside:
            return None  # nothing added, or only accounts the model declares
        outside = list(dict.fromkeys(outside))
        resource = ev.param(id_key) or "(not named in the record)"
        severity = grade(ctx, outside)
        whom = grants.described(outside)
        return Verdict(
            reason=f"{ctx.actor.describe()} shared {kind} '{resource}' with {whom} ({name}): they can copy it into "
                   f"an account this trail never sees.{failed_suffix(ctx)}",
            severity=severity,
            target_arn=_arn(ev, name, resource),
            group_key=f"shared-outside:{ev.account}:{resource}",
            details={"resource": resource, "resource_kind": kind,
                     "shared_with": [g.value for g in outside], "public": any(g.kind == grants.EVERYONE
                                                                             for g in outside)},
        )


def _arn(ev: CloudTrailEvent, name: str, resource: str) -> str | None:
    if not ev.account or not ev.region or resource.startswith("(") or "/" in resource or ":" in resource:
        return resource if resource.startswith("arn:") else None
    if name == REDSHIFT_CALL:
        cluster = ev.param("snapshotClusterIdentifier")
        if not cluster:
            return None
        return f"arn:{ev.partition}:redshift:{ev.region}:{ev.account}:snapshot:{cluster}/{resource}"
    if name == "ModifySnapshotAttribute":
        return f"arn:{ev.partition}:ec2:{ev.region}::snapshot/{resource}"
    if name == "ModifyImageAttribute":
        return f"arn:{ev.partition}:ec2:{ev.region}::image/{resource}"
    kind = "snapshot" if name == "ModifyDBSnapshotAttribute" else "cluster-snapshot"
    return f"arn:{ev.partition}:rds:{ev.region}:{ev.account}:{kind}:{resource}"
