"""organization-guardrail-removed: the organization's permission guardrails taken off accounts without
the account leaving (organization-left's case): a service or resource control policy detached
(``DetachPolicy``), the policy type turned off for the whole organization (``DisablePolicyType``), a
policy's text replaced (``UpdatePolicy``), a Control Tower control disabled (``DisableControl``), or
an account moved out of the organizational unit whose policies bound it (``MoveAccount``; a move out of
the root, as account vending makes, removes nothing: the root's policies bind every account). Whatever
those policies denied (leaving the organization, turning off CloudTrail or GuardDuty, creating IAM users,
regions) is allowed again: defense evasion and, for a principal the policies held back, privilege
escalation.

Only fields AWS sets are graded: the AWS-managed full-access policies' fixed ids (``p-FullAWSAccess``,
``p-RCPFullAWSAccess``: detaching one narrows what accounts may do, so it is quiet), the policy type
in a ``DisablePolicyType`` request or an ``UpdatePolicy`` response, never a policy or OU name. A
detached policy's type is not in the record (tag and backup policies share the call), so it is judged.

Critical when a caller not declared to manage IAM turns SCPs or RCPs off for the organization; high for
its other changes; low by ``manages_iam`` (medium for turning the type off); refused calls at most medium;
AWS acting (Control Tower's guardrails, ``invokedBy``) is left alone.
"""

from __future__ import annotations

from chalicelib.events import as_dict, as_str
from chalicelib.findings import Severity
from chalicelib.rules._aws_acting import aws_acting
from chalicelib.rules.base import Context, Rule, Verdict, failed_suffix, fingerprint
from chalicelib.rules.registry import register
from chalicelib.watch.detectors import ORGANIZATION_SOURCE

GUARDRAIL_TYPES = frozenset({"SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"})
FULL_ACCESS = frozenset({"p-fullawsaccess", "p-rcpfullawsaccess"})  # AWS's own allow-everything policies
_RP = "requestParameters"
# An organization root's id (AWS's: r- then 4 to 32 lower-case letters or digits). Every account is under the
# root, so its policies bind an account wherever it moves: a move out of the root removes none (account vending
# moves each new account from the root into its OU).
ROOT_PREFIX = "r-"
UPDATED_TYPE = ("responseElements", "policy", "policySummary", "type")
# Control Tower's spelling of taking a guardrail off an OU: it then rewrites its own SCP (or Config rule, or hook)
# as AWS, which is left alone; the caller is judged here.
CONTROL_TOWER, DISABLE_CONTROL = "controltower.amazonaws.com", "DisableControl"


@register
class OrganizationGuardrailRemoved(Rule):
    id = "organization-guardrail-removed"
    severity = Severity.HIGH
    title = "Organization guardrail (SCP/RCP) removed or changed"
    event_names = frozenset({"DetachPolicy", "DisablePolicyType", "UpdatePolicy", "MoveAccount", DISABLE_CONTROL})
    # Quiet for another service, AWS acting (userIdentity), the full-access policies, other policy types, an
    # account moved out of the root.
    memo_fields = (("eventSource",), (_RP, "policyId"), (_RP, "policyType"), UPDATED_TYPE, (_RP, "sourceParentId"))
    reference = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html"
    runbook = (
        "Compare the organization's policies with the intended ones (`aws organizations list-policies-for-target "
        "--target-id ID --filter SERVICE_CONTROL_POLICY`, `list-roots` for the enabled types, `describe-policy`). "
        "If nobody planned the change: re-attach or restore the policy (`attach-policy`, `update-policy`, "
        "`enable-policy-type`, `move-account` back; a Control Tower control: `aws controltower enable-control "
        "--control-identifier ARN --target-identifier OU_ARN`), then review what the accounts did while it was off."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev, actor = ctx.event, ctx.actor
        wanted = CONTROL_TOWER if ev.event_name == DISABLE_CONTROL else ORGANIZATION_SOURCE
        if ev.event_source != wanted or aws_acting(ctx):
            return None
        params = ev.request_parameters
        name = ev.event_name
        whole = False
        if name == "DetachPolicy":
            policy, target = ev.param("policyId"), ev.param("targetId")
            if policy and policy.casefold() in FULL_ACCESS:
                return None  # detaching AWS's allow-everything policy narrows, never widens
            what = f"detached policy {policy or '?'} from {target or '?'}"
        elif name == "DisablePolicyType":
            kind = ev.param("policyType")
            if kind not in GUARDRAIL_TYPES:
                return None  # tag, backup, AI opt-out, chat policies: not permissions
            whole = True
            what = f"turned off {kind} for the whole organization (root {ev.param('rootId') or '?'})"
        elif name == "UpdatePolicy":
            summary = as_dict(as_dict(ev.response_elements.get("policy")).get("policySummary"))
            kind = as_str(summary.get("type"))
            if kind is not None and kind not in GUARDRAIL_TYPES:
                return None
            what = f"replaced the text of {kind or 'policy'} {ev.param('policyId') or '?'}"
        elif name == DISABLE_CONTROL:
            control = ev.param("controlIdentifier") or ev.param("enabledControlIdentifier")
            what = (f"disabled Control Tower control {control.rsplit('/', 1)[-1] if control else '?'} on "
                    f"{(ev.param('targetIdentifier') or '?').rsplit('/', 1)[-1]}")
        elif name == "MoveAccount":
            if (ev.param("sourceParentId") or "").startswith(ROOT_PREFIX):
                return None  # out of the root into an OU: the root's policies still bind it, the OU's are added
            what = (f"moved account {ev.param('accountId') or '?'} from {ev.param('sourceParentId') or '?'} to "
                    f"{ev.param('destinationParentId') or '?'} (out of its organizational unit's policies)")
        else:
            return None
        if actor.manages_iam:
            severity = Severity.MEDIUM if whole else Severity.LOW
            why = "the actor may manage IAM; guardrails still changed."
        else:
            severity = Severity.CRITICAL if whole else Severity.HIGH
            why = "the actor is not declared to manage IAM: what the guardrails denied is allowed again."
        if ev.failed:
            severity = min(severity, Severity.MEDIUM)
        return Verdict(
            reason=f"{actor.describe()} {what} ({name}): {why}{failed_suffix(ctx)}",
            severity=severity,
            group_key=f"org-guardrail:{ev.account}:{fingerprint(actor.arn or actor.name or '?')}",
            details={"policy_id": as_str(params.get("policyId")), "target_id": as_str(params.get("targetId")),
                     "policy_type": as_str(params.get("policyType")), "actor_manages_iam": actor.manages_iam},
        )
