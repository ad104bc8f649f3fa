"""credential-quarantined: AWS found a user's access key in public and attached its quarantine
policy; the key is compromised, so say what breaks when it is rotated and where it lives."""

from __future__ import annotations

import re

from chalicelib.findings import Severity
from chalicelib.identity import policy
from chalicelib.rules.base import Context, Rule, Verdict, breaks_of
from chalicelib.rules.registry import register

# AWSCompromisedKeyQuarantine, ...V2, ...V3 (managed), and the older inline policy name.
# IAM finds a policy by any ASCII case of its name, so the record may spell it so.
QUARANTINE = re.compile(r"^AWSCompromisedKeyQuarantine(?:V\d+)?$", re.IGNORECASE)
EXPOSED = "AWSExposedCredentialPolicy_DO_NOT_REMOVE"


@register
class CredentialQuarantined(Rule):
    id = "credential-quarantined"
    severity = Severity.CRITICAL
    title = "AWS quarantined a leaked access key"
    event_names = frozenset({"AttachUserPolicy", "PutUserPolicy"})
    memo_fields = (("requestParameters", "policyArn"), ("requestParameters", "policyName"))
    reference = "https://docs.aws.amazon.com/IAM/latest/UserGuide/security-creds-compromised.html"
    runbook = (
        "AWS saw this user's key in public (a repository, a paste) and limited it. The key is compromised: "
        "create a replacement, store it where the model says the key lives, deactivate and delete the old "
        "one (`aws iam update-access-key --user-name USER --access-key-id KEY --status Inactive`, then "
        "`delete-access-key`), answer the AWS "
        "support case, and review everything the key did since it leaked. Detach the quarantine policy last."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev = ctx.event
        name = policy.managed_policy_name(ev.param("policyArn")) if ev.event_name == "AttachUserPolicy" \
            else ev.param("policyName")
        if name is None or not (QUARANTINE.match(name) or name == EXPOSED):
            return None
        user = ev.param("userName")
        target = ctx.model.iam_user(user, ev.account)
        lives_in = target.key.lives_in if target is not None and target.key is not None else None
        if target is not None:
            whose = f"declared principal '{target.id}' (IAM user '{user}')"
            rotate = f"Rotate its key{f' (it lives in {lives_in})' if lives_in else ''}."
        else:
            whose = f"IAM user '{user or '?'}', which the model does not declare"
            rotate = "Rotate or delete its keys."
        failed = f" The call failed ({ev.error_code}), so the key may not be limited." if ev.failed else ""
        return Verdict(
            reason=f"{policy_source(ctx)} attached {name} to {whose}: AWS found its access key exposed in "
                   f"public. {rotate}{failed}",
            severity=Severity.CRITICAL,
            target_arn=f"arn:{ev.partition}:iam::{ev.account}:user/{user}" if user and ev.account else None,
            breaks=breaks_of(target) or "nothing declared (no 'breaks' in the model)",
            group_key=f"quarantine:{ev.account}:{(user or '?').casefold()}",
            details={"policy": name, "target_user": user, "target_principal": target.id if target else None,
                     "key_lives_in": lives_in},
        )


def policy_source(ctx: Context) -> str:
    """AWS attaches it through an internal role; anyone else attaching it is quarantining by hand."""
    return "AWS" if ctx.actor.is_service else ctx.actor.describe()
