"""identity-undeclared-account: activity in an AWS account the model does not list."""

from __future__ import annotations

from chalicelib.findings import Severity
from chalicelib.rules.base import Context, Rule, Verdict
from chalicelib.rules.registry import register


@register
class IdentityUndeclaredAccount(Rule):
    id = "identity-undeclared-account"
    severity = Severity.MEDIUM
    title = "Event from an account the model does not declare"
    event_names = None
    memo_fields = ()  # reads only event.account and the model
    reference = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts.html"
    runbook = (
        "The trail delivers events from an account the identity model does not list, so nothing there "
        "is judged against a declared principal (root use is still alerted). Add the account under "
        "`accounts:` with its principals, or remove it from the trail / organization."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        account = ctx.event.account
        if account is None or not ctx.model.accounts or account in ctx.model.accounts:
            return None
        declared = ", ".join(sorted(ctx.model.accounts))
        return Verdict(
            reason=f"Account {account} is not declared in the model (declared: {declared}).",
            target_arn=f"arn:{ctx.event.partition}:iam::{account}:root",  # the account; the actor is the offender
            group_key=f"account:{account}",
            details={"account": account},
        )
