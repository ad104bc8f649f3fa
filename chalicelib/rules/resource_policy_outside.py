"""resource-policy-outside: a resource policy or KMS grant that lets an account the model does not
declare, or everyone, into the account's data (Stratus Red Team's aws.exfiltration.s3-backdoor-bucket-policy;
the same backdoor on a KMS key, a Secrets Manager secret or an ECR repository).

The new policy is read, never substring-matched (chalicelib/identity/grants.py): an Allow to an
account outside the model is high, to ``"*"`` critical (high when a Condition the model cannot place,
such as a source address, narrows it); ``"*"`` or a service pinned by ``aws:SourceAccount`` /
``aws:PrincipalAccount`` to declared accounts is quiet, pinned by ``aws:PrincipalOrgID`` low (the
model declares no organization id). The trail's own bucket and key are left to monitor-trail-tampered,
which names the outsiders too, and Trailwarden's own key and topic to monitor-pipeline-tampered: one
finding per call. Also S3 bucket ACLs (chalicelib/identity/s3_acl.py), SNS topic, SQS queue, Glacier vault,
EFS, Backup vault, Glue catalog, OpenSearch domain and S3 access point policies, and a new KMS key's policy
(chalicelib/rules/_policy_calls.py); EventBridge bus and Lambda layer permissions, RAM shares and S3 replication
(chalicelib/rules/_grant_calls.py).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from chalicelib.events import CloudTrailEvent
from chalicelib.findings import Severity
from chalicelib.identity import grants
from chalicelib.identity.grants import Grantee
from chalicelib.identity.s3_acl import acl_grantees
from chalicelib.rules._aws_acting import aws_applied, service_acting
from chalicelib.rules._grant_calls import GRANT_CALLS, RAM
from chalicelib.rules._policy_calls import (
    ES,
    KMS,
    PERMISSION_CALLS,
    POLICY_CALLS,
    S3,
    document_of,
    resource_of,
    sets_policy,
    within_reach,
)
from chalicelib.rules.base import Context, Rule, Verdict, failed_suffix
from chalicelib.rules.registry import register
from chalicelib.rules.snapshot_shared_outside import grade
from chalicelib.watch.archive import archived
from chalicelib.watch.own import ReadsOwnResources
from chalicelib.watch.pipeline import call_of, named, own_resource

GRANT = "CreateGrant"
ACL = "PutBucketAcl"  # S3's older grant: a bucket ACL (chalicelib/identity/s3_acl.py)
# Calls whose quiet verdict reads fields outside the memo key (see memo_fields).
# (SNS and SQS AddPermission name their accounts in a list: no memo key holds it.)
VOLATILE = frozenset({ACL, "SetVaultAccessPolicy", "CreateKey", "ReplicateKey", "PutBucketPolicy", "PutKeyPolicy",
                      "AddPermission"})
# The same by source and name, where a name is shared (Glue's PutResourcePolicy, not Secrets Manager's, keyed on
# resourcePolicy): EFS, Backup, Glue, OpenSearch and S3 access point policies sit under no memo key.
VOLATILE_CALLS = frozenset({
    ("elasticfilesystem.amazonaws.com", "PutFileSystemPolicy"), ("backup.amazonaws.com", "PutBackupVaultAccessPolicy"),
    ("glue.amazonaws.com", "PutResourcePolicy"), *((ES, n) for n in ("CreateDomain", "UpdateDomainConfig",
                                                                       "CreateElasticsearchDomain",
                                                                       "UpdateElasticsearchDomainConfig")),
    *((S3, n) for n in ("PutAccessPointPolicy", "PutAccessPointPolicyForObjectLambda",
                        "PutMultiRegionAccessPointPolicy")),
    *GRANT_CALLS,  # bus and layer permissions, RAM shares, replication: lists and objects no memo key holds
})
# EBS's grantee for a volume attached to an instance: ``123456789012:aws:ec2-infrastructure:i-…``.
INFRASTRUCTURE = re.compile(r"^(\d{12}):aws:[a-z0-9-]+:")
# What CloudTrail writes instead of a document it withholds.
HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"


@register
class ResourcePolicyOutside(ReadsOwnResources, Rule):
    id = "resource-policy-outside"
    severity = Severity.HIGH
    title = "Resource policy lets in principals outside the model"
    event_names = frozenset(name for _source, name in (*POLICY_CALLS, *PERMISSION_CALLS, *GRANT_CALLS)) | {GRANT, ACL}
    # Scalar paths only: the memo decodes every declared path on every line, so an object-valued one
    # (requestParameters.attributes whole) would cost unrelated calls their memo. SQS's queue attributes
    # are keyed on their Policy alone, so a routine SetQueueAttributes stays memoized; the calls whose
    # verdict reads more (VOLATILE) are never remembered quiet: replay judges each one in full.
    # (A refusal changes the severity, never whether there is a finding: errorCode is not an input.)
    memo_fields = (("eventSource",), *(("requestParameters", f) for f in (
        "attributeName", "attributeValue", "topicArn", "resourcePolicy", "policyText", "granteePrincipal",
        "retiringPrincipal")),
                   ("requestParameters", "attributes", "Policy"))
    reference = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_identity-vs-resource.html"
    runbook = (
        "Read the new policy (`aws s3api get-bucket-policy --bucket NAME`, `aws s3api get-bucket-acl --bucket "
        "NAME`, `aws kms get-key-policy --key-id KEY --policy-name default`, `aws secretsmanager "
        "get-resource-policy --secret-id ID`, `aws ecr get-repository-policy --repository-name NAME`, `aws sns "
        "get-topic-attributes --topic-arn ARN`, `aws sqs get-queue-attributes --queue-url URL --attribute-names "
        "Policy`, `aws kms list-grants --key-id KEY`). If nobody expected the outside principal: restore the "
        "previous policy, revoke the grant (`aws kms revoke-grant --key-id KEY --grant-id ID`) or remove the added "
        "permission (`aws sqs remove-permission --queue-url URL --label LABEL`, `aws sns remove-permission "
        "--topic-arn ARN --label LABEL`, `aws events remove-permission --event-bus-name NAME --statement-id ID`, "
        "`aws lambda remove-layer-version-permission --layer-name NAME --version-number N --statement-id ID`, `aws ram "
        "disassociate-resource-share --resource-share-arn ARN --principals ACCOUNT`, `aws s3api "
        "delete-bucket-replication --bucket NAME`; EFS, Backup, Glue and OpenSearch policies: `aws efs "
        "describe-file-system-policy --file-system-id ID`, `aws backup get-backup-vault-access-policy "
        "--backup-vault-name NAME`, `aws glue get-resource-policy`, `aws opensearch describe-domain-config "
        "--domain-name NAME`), then look for "
        "reads from that account since the change (S3 data events, "
        "KMS Decrypt and GetSecretValue by an AWSAccount caller, ECR BatchGetImage). If it was planned, declare "
        "the account in the model."
    )

    @staticmethod
    def volatile(ctx: Context) -> bool:
        """A bucket ACL (hyphenated keys), a Glacier vault or new key policy (``policy``, an object for Glacier,
        a field other calls use) and S3 bucket and KMS key policies: read beyond the memo key, unless an AWS
        service acted (quiet before anything but the caller was read)."""
        ev = ctx.event
        return (ev.event_name in VOLATILE or (ev.event_source, ev.event_name) in VOLATILE_CALLS) \
            and not service_acting(ctx)

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev = ctx.event
        if service_acting(ctx):
            return None  # EBS, RDS, Backup making grants and policies for a caller: that call is judged
        if ev.event_name == GRANT:
            return self._grant(ctx) if ev.event_source in (KMS, "?") else None
        if ev.event_name == ACL:
            return self._acl(ctx) if ev.event_source in (S3, "?") else None
        if (ev.event_source, ev.event_name) in PERMISSION_CALLS:
            return self._permission(ctx)
        reader = GRANT_CALLS.get((ev.event_source, ev.event_name))
        if reader is not None:
            if ev.event_source == RAM and aws_applied(ctx):
                return None  # a service-linked role sharing for its service (Firewall Manager, License Manager)
            if self._monitors(ev):
                return None  # Trailwarden's own bus: monitor-pipeline-tampered judges it
            granted = reader(ctx.model, ev)
            if granted is None:
                return None
            return self._verdict(ctx, granted.outside, granted.kind, granted.resource, granted.did, "",
                                 reach=granted.reach, **granted.details)
        call = POLICY_CALLS.get((ev.event_source, ev.event_name))
        if call is None:
            return None
        if self._monitors(ev):
            return None  # the trail's archive or Trailwarden's own key or topic: the monitor-* rules judge it
        if not sets_policy(ev, call):
            return None  # another attribute (an SNS topic's display name)
        document, resource, kind = document_of(ev, call), resource_of(ev, call), call.kind
        if document is None and call.optional:
            return None  # the default policy (the owner only), or no policy change at all
        if document is None or document == HIDDEN:
            return self._unread(ctx, kind, resource, "the record does not show the new policy", Severity.LOW)
        found = grants.policy_grants(ctx.model, document, ev.account)
        outside = within_reach(ev, call, found.outside)
        if not outside:
            if found.problem is None:
                return None  # only the model's accounts and AWS services
            return self._unread(ctx, kind, resource, f"the new policy could not be read ({found.problem})",
                                Severity.MEDIUM)
        note = f" Part of the policy could not be read ({found.problem})." if found.problem else ""
        return self._verdict(ctx, outside, kind, resource, f"set a policy on {kind} '{resource}' "
                             f"({ev.event_name}) that lets in", note)

    def _monitors(self, event: CloudTrailEvent) -> bool:
        """The trail's declared bucket or key (monitor-trail-tampered, which names the outsiders), or a key or
        topic of Trailwarden's own (monitor-pipeline-tampered, critical): one finding per call."""
        if archived(event, self.own) is not None:
            return True
        call = call_of(event)
        return call is not None and own_resource(self.own, call, named(event, call)) is not None

    def _grant(self, ctx: Context) -> Verdict | None:
        ev = ctx.event
        key = ev.param("keyId") or "(not named in the record)"
        found = _grantee(ctx, ev.request_parameters.get("granteePrincipal"))
        if found is None:  # the grantee is ours or AWS's: an outside retiring principal can still end the grant
            retiring = _grantee(ctx, ev.request_parameters.get("retiringPrincipal"))
            if retiring is None:
                return None
            verdict = self._verdict(ctx, [retiring], "KMS key", key, f"named, as the principal that may retire a "
                                    f"grant on KMS key '{key}' (CreateGrant),", "", reach="they can end the grant "
                                    "(RetireGrant), breaking whoever relies on it, but not use the key")
            return replace(verdict, severity=Severity.LOW)
        operations = _strings(ev.request_parameters.get("operations"))
        return self._verdict(ctx, [found], "KMS key", key, f"granted {', '.join(operations) or 'use'} of KMS key "
                             f"'{key}' (CreateGrant) to", "", operations=operations)

    def _permission(self, ctx: Context) -> Verdict | None:
        """SNS/SQS AddPermission: a statement for the named accounts (``*``: everyone), the actions they get."""
        ev = ctx.event
        account_keys, resource_key, kind = PERMISSION_CALLS[(ev.event_source, ev.event_name)]
        params = ev.request_parameters
        named = next((params[k] for k in account_keys if k in params), None)
        found = [g for v in grants.items_of(named) if (g := grants.place(ctx.model, v, ev.account)) is not None]
        if not found:
            return None  # only the model's accounts
        resource = ev.param(resource_key) or "(not named in the record)"
        actions = _strings(params.get("actionName" if kind == "SNS topic" else "actions"))
        did = (f"added a permission ({', '.join(actions) or 'actions not recorded'}) to {kind} '{resource}' "
               "(AddPermission) for")
        return self._verdict(ctx, found, kind, resource, did, "", actions=actions)

    def _acl(self, ctx: Context) -> Verdict | None:
        found = acl_grantees(ctx.event.request_parameters)
        if not found:
            return None  # private, the owner, AWS's log delivery
        bucket = ctx.event.param("bucketName") or "(not named in the record)"
        did = f"set an ACL on S3 bucket '{bucket}' ({ACL}) that lets in"
        return self._verdict(ctx, found, "S3 bucket", bucket, did, "")

    def _verdict(self, ctx: Context, outside: list[Grantee], kind: str, resource: str, did: str, note: str,
                 reach: str | None = None, **details: Any) -> Verdict:
        ev = ctx.event
        whom = grants.described(outside)
        reach = reach or f"they can reach the {kind}'s data without any credential of this account"
        return Verdict(
            reason=f"{ctx.actor.describe()} {did} {whom}: {reach}.{note}{failed_suffix(ctx)}",
            severity=grade(ctx, outside),
            target_arn=_arn(ev, kind, resource),
            group_key=f"policy-outside:{ev.account}:{resource}",
            details={"resource": resource, "resource_kind": kind, "outside_model": [g.value for g in outside],
                     "public": any(g.kind == grants.EVERYONE for g in outside), **details},
        )

    @staticmethod
    def _unread(ctx: Context, kind: str, resource: str, why: str, severity: Severity) -> Verdict:
        ev = ctx.event
        return Verdict(
            reason=f"{ctx.actor.describe()} set a policy on {kind} '{resource}' ({ev.event_name}), but {why}: who it "
                   f"lets in is unknown.{failed_suffix(ctx)}",
            severity=min(severity, Severity.LOW) if ev.failed else severity,
            target_arn=_arn(ev, kind, resource),
            group_key=f"policy-outside:{ev.account}:{resource}",
            details={"resource": resource, "resource_kind": kind, "document_problem": why},
        )


def _grantee(ctx: Context, principal: object) -> Grantee | None:
    """A grant's grantee or retiring principal outside the model; None for none, ours, or AWS's own (a service
    principal, its internal grantee)."""
    if not isinstance(principal, str) or grants.SERVICE.match(principal) or principal == "AWS Internal":
        return None
    account = (grants.ACCOUNT.match(principal) or grants.ACCOUNT_IN_ARN.match(principal)
               or INFRASTRUCTURE.match(principal))
    return grants.place(ctx.model, account.group(1), ctx.event.account) if account else Grantee(
        grants.UNPLACED, principal, f"{principal!r}, which names no account the model declares")


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _arn(ev: CloudTrailEvent, kind: str, resource: str) -> str | None:
    """The resource's ARN; None for a secret named without it (its random suffix is unknown) or a key alias."""
    if resource.startswith("arn:"):
        return resource
    if resource.startswith("(") or not ev.account or not ev.region or ":" in resource:
        return None
    if kind == "S3 bucket" and "/" not in resource:
        return f"arn:{ev.partition}:s3:::{resource}"
    if kind == "KMS key" and "/" not in resource:
        return f"arn:{ev.partition}:kms:{ev.region}:{ev.account}:key/{resource}"
    if kind == "ECR repository":
        return f"arn:{ev.partition}:ecr:{ev.region}:{ev.account}:repository/{resource}"
    return None
