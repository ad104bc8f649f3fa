"""eks-pod-identity-role-unexpected: EKS Pod Identity handed a role the model declares to a pod.

EKS Pod Identity turns a pod's service-account token into role credentials: the node's agent calls
``eks-auth:AssumeRoleForPodIdentity`` (recorded with ``responseElements`` null, so it does not name
the role), and EKS then calls ``sts:AssumeRole`` itself, as the AWS service
``pods.eks.amazonaws.com``, for the role of the pod identity association. That second record is the
one judged: every field read is set by AWS (the caller is the service; the role ARN comes from the
association; the cluster, namespace and service account are session tags EKS sets from the token
it validated). The STS rules never judge an AWS service's own AssumeRole.

An association is the quiet way into a declared role: anyone who may create one (and pass the
role) gives every pod of a service account the role, with no trust-policy change beyond trusting
``pods.eks.amazonaws.com``. The model says how each declared role is entered: a role another
principal's ``may_assume`` names, or one declared for instance profiles or OIDC, reached by a pod
contradicts it (high); a role declared only as ``auth: role`` (by whatever assumes it) is stored
low. An undeclared role is left to the session's own calls (identity-undeclared-principal).
"""

from __future__ import annotations

from chalicelib.event_names import POD_IDENTITY_INVOKER
from chalicelib.events import as_str
from chalicelib.findings import Severity
from chalicelib.identity.model import fold
from chalicelib.rules.base import Context, Rule, Verdict, breaks_of
from chalicelib.rules.registry import register

POD_IDENTITY = POD_IDENTITY_INVOKER
TAGS = {"eks-cluster-arn": "cluster_arn", "kubernetes-namespace": "namespace",
        "kubernetes-service-account": "service_account", "kubernetes-pod-name": "pod"}


@register
class EksPodIdentityRoleUnexpected(Rule):
    id = "eks-pod-identity-role-unexpected"
    severity = Severity.HIGH
    title = "Declared role handed to a pod through EKS Pod Identity"
    event_names = frozenset({"AssumeRole"})
    # The source, the outcome and the role (userIdentity, whose invokedBy names the service, is always
    # in the key).
    memo_fields = (("eventSource",), ("errorCode",), ("requestParameters", "roleArn"))
    reference = "https://docs.aws.amazon.com/eks/latest/userguide/pod-id-how-it-works.html"
    runbook = (
        "List the cluster's associations for the role (`aws eks list-pod-identity-associations --cluster-name "
        "CLUSTER`) and find who created the one for this namespace and service account (CloudTrail "
        "CreatePodIdentityAssociation). If nobody meant the pod to hold this role, delete the association "
        "(`aws eks delete-pod-identity-association`), revoke the role's active sessions, and remove "
        "pods.eks.amazonaws.com from the role's trust policy. If it is intended, declare how the role is "
        "entered in the model."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev = ctx.event
        if ev.event_source != "sts.amazonaws.com" or ev.invoked_by != POD_IDENTITY or ev.failed or ev.error_code:
            return None
        role_arn = ev.param("roleArn")
        if not role_arn or ":role/" not in role_arn:
            return None
        role = role_arn.rsplit("/", 1)[-1]
        account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else ev.account
        target = ctx.model.role(role, account)
        if target is None:
            return None  # the model says nothing of it; its session's calls are judged as undeclared
        assumers = sorted(p.id for p in ctx.model.spec.principals if fold(role) in {fold(r) for r in p.may_assume})
        pod = _pod_tags(ev.request_parameters.get("tags"))
        who = (f"pod {pod.get('namespace') or '?'}/{pod.get('service_account') or '?'} of cluster "
               f"{(pod.get('cluster_arn') or '?').rsplit('/', 1)[-1]}")
        if assumers:
            severity, why = Severity.HIGH, f"the model gives it only to {', '.join(assumers)} (may_assume)."
        elif target.auth != "role":
            severity, why = Severity.HIGH, f"the model declares it entered through {target.auth}."
        else:
            severity, why = Severity.LOW, "the model declares the role but not who enters it."
        return Verdict(
            severity=severity,
            reason=f"EKS Pod Identity gave declared role '{role}' ({target.id}) to {who}: {why}",
            target_arn=role_arn,
            breaks=breaks_of(target),
            group_key=f"pod-identity:{role_arn}:{pod.get('cluster_arn')}:{pod.get('namespace')}:"
                      f"{pod.get('service_account')}",
            details={"role_arn": role_arn, "declared": target.id, "may_assume_by": assumers, **pod},
        )


def _pod_tags(tags: object) -> dict[str, str | None]:
    """The cluster, namespace, service account and pod EKS tagged the session with (any shape)."""
    out: dict[str, str | None] = dict.fromkeys(TAGS.values())
    for tag in tags if isinstance(tags, list) else ():
        if isinstance(tag, dict) and (key := as_str(tag.get("key"))) in TAGS:
            out[TAGS[key]] = as_str(tag.get("value"))
    return out
