"""sso-group-membership-added: a user added to an IAM Identity Center group, which hands that user
every permission set the group is assigned, in every account, without any assignment changing
(the Identity Center twin of ``AddUserToGroup``). The identity store API records it as
``identitystore:CreateGroupMembership``, the Identity Center console as
``sso-directory:AddMemberToGroup``.

Groups are not in the model, so what the group grants is unknown: only an IAM manager adding a
member, or Identity Center itself syncing its connected directory (an AWS service), is routine
(low); anyone else is acting outside the model (high), also through another service that relays its
call (a CloudFormation stack adding the membership with the caller's credentials).
"""

from __future__ import annotations

from chalicelib.events import as_dict, as_str
from chalicelib.findings import Severity
from chalicelib.rules.base import Context, Rule, Verdict, failed_suffix, service_invoked
from chalicelib.rules.registry import register

SOURCES = {"CreateGroupMembership": "identitystore.amazonaws.com", "AddMemberToGroup": "sso-directory.amazonaws.com"}
# Identity Center's own services: a membership they relay is its directory sync. Any other service relaying
# a principal's call (CloudFormation's AWS::IdentityStore::GroupMembership) acts with that principal's credentials.
IDENTITY_CENTER = frozenset({"sso.amazonaws.com", "identitystore.amazonaws.com", "sso-directory.amazonaws.com"})


@register
class SsoGroupMembershipAdded(Rule):
    id = "sso-group-membership-added"
    severity = Severity.HIGH
    title = "User added to an IAM Identity Center group"
    event_names = frozenset(SOURCES)
    memo_fields = (("eventSource",),)  # every such call from Identity Center is a finding
    reference = "https://docs.aws.amazon.com/singlesignon/latest/IdentityStoreAPIReference/API_CreateGroupMembership.html"
    runbook = (
        "Find the group's account assignments (`aws sso-admin list-account-assignments-for-principal "
        "--instance-arn ARN --principal-type GROUP --principal-id GROUP_ID`) to see what the member now gets. "
        "If nobody asked for it, remove the membership "
        "(`aws identitystore delete-group-membership`), review the member's SSO sign-ins and sessions since, "
        "and treat the actor's credentials as compromised."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev, actor = ctx.event, ctx.actor
        if SOURCES.get(ev.event_name) != ev.event_source:
            return None
        req = ev.request_parameters
        group = ev.param("groupId")
        member = as_str(as_dict(req.get("memberId")).get("userId")) or ev.param("memberId") or ev.param("userId")
        if actor.is_service or ev.invoked_by in IDENTITY_CENTER:
            severity, why = Severity.LOW, ("an AWS service made it (Identity Center syncing its connected "
                                           "directory): the change was made in the directory.")
        elif actor.manages_iam:
            severity, why = Severity.LOW, "the actor may manage IAM."
        else:
            severity, why = Severity.HIGH, ("the actor is not declared as allowed to manage identities: the member "
                                            "now holds every permission set the group is assigned.")
        if service_invoked(ev) and ev.invoked_by not in IDENTITY_CENTER:  # e.g. a stack's GroupMembership
            why += f" It came through {ev.invoked_by}, with the actor's own credentials."
        if ev.failed:
            severity = min(severity, Severity.MEDIUM)
        return Verdict(
            reason=f"{actor.describe()} added user {member or '?'} to Identity Center group {group or '?'} "
                   f"({ev.event_name}): {why}{failed_suffix(ctx)}",
            severity=severity,
            group_key=f"sso-group:{ev.param('identityStoreId') or '?'}:{group or '?'}",
            details={"group_id": group, "member_user_id": member, "identity_store_id": ev.param("identityStoreId"),
                     "actor_manages_iam": actor.manages_iam},
        )
