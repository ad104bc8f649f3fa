"""eks-access-granted: an IAM principal given a way into a Kubernetes cluster through EKS access
entries (``CreateAccessEntry``, ``UpdateAccessEntry``) or an access policy (``AssociateAccessPolicy``):
whoever holds that principal's credentials now acts inside the cluster, its pods, their service
accounts and their secrets, whatever IAM says. Stratus Red Team's eks.lateral-movement.create-access-entry
(an entry for a role, then AmazonEKSClusterAdminPolicy on the whole cluster).

Judged against the model, from fields AWS sets (the grantee's ARN and its account, the policy ARN
under AWS's ``cluster-access-policy/`` namespace, the entry type), never a cluster or role name:
a grantee in an account the model does not declare is critical (another account's credentials in
the cluster); otherwise high for a caller not declared to manage IAM (an admin policy, or a new
entry), medium for a narrower policy, an entry's groups changed, or a node's entry (``EC2_LINUX`` and the
other node types: EKS puts the role in ``system:nodes`` and takes no policy or group for it; Karpenter's
and self-managed node groups' roles get one); low for an IAM manager. A
refused call is at most medium. AWS acting (EKS creating its node roles' entries) is left alone.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from chalicelib.events import CloudTrailEvent, as_dict, as_str
from chalicelib.findings import Severity
from chalicelib.rules._aws_acting import aws_acting
from chalicelib.rules.base import Context, Rule, Verdict, breaks_of, failed_suffix, fingerprint
from chalicelib.rules.registry import register

SOURCE = "eks.amazonaws.com"
# AWS's own access policies; the two that give everything in the cluster (or namespace).
ADMIN_POLICIES = frozenset({"AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy"})
POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:eks::aws:cluster-access-policy/([A-Za-z0-9]+)$")
PRINCIPAL_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):(role|user)/(?:.*/)?([^/]+)$")


@register
class EksAccessGranted(Rule):
    id = "eks-access-granted"
    severity = Severity.HIGH
    title = "IAM principal given access to an EKS cluster"
    event_names = frozenset({"CreateAccessEntry", "UpdateAccessEntry", "AssociateAccessPolicy"})
    # Quiet only for another source and AWS acting (userIdentity, in every memo key).
    memo_fields = (("eventSource",),)
    reference = "https://docs.aws.amazon.com/eks/latest/userguide/access-entries.html"
    runbook = (
        "List what the principal may do in the cluster (`aws eks list-associated-access-policies --cluster-name C "
        "--principal-arn ARN`, `aws eks describe-access-entry`). If nobody asked for it: `aws eks "
        "delete-access-entry --cluster-name C --principal-arn ARN`, then review the cluster's audit log for what "
        "the principal did there (secrets read, pods created) and rotate the secrets it could reach."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev, actor = ctx.event, ctx.actor
        if ev.event_source != SOURCE or aws_acting(ctx):
            return None
        grantee = _grantee(ev)
        m = PRINCIPAL_ARN.match(grantee or "")
        account, kind, name = (m.group(1), m.group(2), m.group(3)) if m else (None, None, None)
        target = (ctx.model.role(name, account) if kind == "role" else ctx.model.iam_user(name, account)) \
            if name else None
        policy = _policy(ev)
        what = _what(ev, policy)
        if account is not None and not ctx.model.declares_account(account, ev.account):
            severity, why = Severity.CRITICAL, (f"the grantee lives in account {account}, which the model does not "
                                                "declare: credentials held outside reach into the cluster.")
        elif actor.manages_iam:
            severity, why = Severity.LOW, "the actor may manage IAM."
        elif ev.event_name == "UpdateAccessEntry" or (policy is not None and policy not in ADMIN_POLICIES):
            severity, why = Severity.MEDIUM, "the actor is not declared to manage IAM (who may act in the cluster)."
        elif _entry_type(ev) not in (None, "STANDARD"):
            severity, why = Severity.MEDIUM, ("a node's entry (Kubernetes group system:nodes only: EKS takes no access "
                                              "policy or group for it), by an actor not declared to manage IAM.")
        else:
            severity, why = Severity.HIGH, "the actor is not declared to manage IAM (who may act in the cluster)."
        if ev.failed:
            severity = min(severity, Severity.MEDIUM)
        owner = f" (principal '{target.id}')" if target is not None else ""
        cluster = ev.param("name") or as_str(ev.response_elements.get("clusterName")) or "?"
        return Verdict(
            reason=f"{actor.describe()} {what} for {grantee or '?'}{owner} in EKS cluster '{cluster}' "
                   f"({ev.event_name}): {why}{failed_suffix(ctx)}",
            severity=severity,
            target_arn=(f"arn:{ev.partition}:eks:{ev.region}:{ev.account}:cluster/{cluster}"
                        if ev.region and ev.account and cluster != "?" else None),
            breaks=breaks_of(target),
            group_key=f"eks-access:{ev.account}:{fingerprint(grantee or '?')}",
            details={"grantee": grantee, "grantee_account": account, "access_policy": policy,
                     "target_principal": target.id if target else None, "actor_manages_iam": actor.manages_iam},
        )


def _grantee(ev: CloudTrailEvent) -> str | None:
    """The principal's ARN: AssociateAccessPolicy's request carries it URL-encoded (a path parameter)."""
    value = ev.param("principalArn") or as_str(ev.response_elements.get("principalArn")) \
        or as_str(as_dict(ev.response_elements.get("accessEntry")).get("principalArn"))
    return unquote(value) if value else None


def _policy(ev: CloudTrailEvent) -> str | None:
    """The AWS access policy's short name (AmazonEKSClusterAdminPolicy), or the ARN when not AWS's."""
    value = ev.param("policyArn")
    if not value:
        return None
    m = POLICY_ARN.match(unquote(value))
    return m.group(1) if m else value


def _what(ev: CloudTrailEvent, policy: str | None) -> str:
    if ev.event_name == "AssociateAccessPolicy":
        scope = as_str(as_dict(ev.request_parameters.get("accessScope")).get("type")) or "?"
        return f"associated access policy {policy or '?'} (scope: {scope})"
    if ev.event_name == "UpdateAccessEntry":
        return "changed the Kubernetes groups or user name of an access entry"
    return f"created a {_entry_type(ev) or 'STANDARD'} access entry"


def _entry_type(ev: CloudTrailEvent) -> str | None:
    """CreateAccessEntry's type (STANDARD, or a node's: EC2_LINUX, EC2_WINDOWS, FARGATE_LINUX, HYBRID_LINUX, EC2),
    as requested or as the response describes it; None when neither says (STANDARD, EKS's default)."""
    if ev.event_name != "CreateAccessEntry":
        return None
    kind = ev.param("type") or as_str(as_dict(ev.response_elements.get("accessEntry")).get("type"))
    return kind.upper() if kind else None
