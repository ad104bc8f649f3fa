"""organization-left: an account left (or was removed from) the organization, or it was deleted."""

from __future__ import annotations

from chalicelib.events import as_str
from chalicelib.findings import Severity
from chalicelib.rules.base import Context, Rule, Verdict
from chalicelib.rules.registry import register
from chalicelib.watch.detectors import ORGANIZATION_CALLS, ORGANIZATION_SOURCE
from chalicelib.watch.verdicts import blinding_verdict

LOST = ("the organization trail, the member StackSet's forwarding to Trailwarden and the organization's SCPs "
        "no longer cover {who}")


@register
class OrganizationLeft(Rule):
    id = "organization-left"
    severity = Severity.CRITICAL
    title = "Account left the organization"
    event_names = frozenset(ORGANIZATION_CALLS)
    memo_fields = (("eventSource",),)  # every such call from Organizations is a finding
    reference = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_remove.html"
    runbook = (
        "An account is outside the organization: no organization trail, no SCP guardrails, no forwarding. "
        "If this was not a planned move, treat the actor as compromised: invite the account back "
        "(`aws organizations invite-account-to-organization`), and, from the account itself, create a trail "
        "and look at everything done since the call. Being allowed to manage monitoring does not cover this."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev = ctx.event
        if ev.event_source not in (ORGANIZATION_SOURCE, "?"):
            return None
        if ev.event_name == "RemoveAccountFromOrganization":
            member = as_str(ev.request_parameters.get("accountId")) or "(account not named in the record)"
            who, action = f"account {member}", f"removed account {member} from the organization"
        elif ev.event_name == "DeleteOrganization":
            who, action = "any account of it", "deleted the organization"
        else:
            who = f"account {ev.account or 'unknown'}"
            action = f"made {who} leave the organization"
        return blinding_verdict(ctx, base=Severity.CRITICAL, control="organization membership", action=action,
                                blind_to=LOST.format(who=who), allowed=False)
