"""ec2-password-data-read: ``ec2:GetPasswordData`` returns a Windows instance's administrator
password (encrypted to the key pair it was launched with), a credential-access step Stratus Red
Team detonates as a burst of refused calls from a stolen role (aws.credential-access.ec2-get-password-data).

The model declares nobody who reads instance passwords: only an IAM manager doing so is low; a
success by anyone else is high, a refusal (someone probing) medium, grouped per caller. Identity
Center sessions are left out, as for every read (their humans are vouched for by Identity Center).
"""

from __future__ import annotations

import re

from chalicelib.findings import Severity
from chalicelib.rules.base import Context, Rule, Verdict, failed_suffix, fingerprint, service_invoked
from chalicelib.rules.identity_undeclared_principal import SERVICE_ROLE
from chalicelib.rules.registry import register

# IAM Identity Center's roles live only under this reserved path: their sessions are vouched for by
# Identity Center and not routed for reads (app.py), so they are not judged here either.
SSO_ROLE = re.compile(r"^arn:aws[a-z-]*:iam::[^:/]*:role/aws-reserved/sso\.amazonaws\.com/")


@register
class Ec2PasswordDataRead(Rule):
    id = "ec2-password-data-read"
    severity = Severity.HIGH
    title = "Windows instance password read (GetPasswordData)"
    event_names = frozenset({"GetPasswordData"})
    memo_fields = (("eventSource",), ("errorCode",))  # every call from EC2 is a finding; its outcome grades it
    reference = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_GetPasswordData.html"
    runbook = (
        "Ask the caller why it needed the instance's administrator password. If nobody knows: rotate the "
        "instance's local administrator password, check who holds the launch key pair's private key, and "
        "treat the caller's credentials as compromised (many refused calls are someone probing with them)."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev, actor = ctx.event, ctx.actor
        role = actor.role_arn or ""
        if ev.event_source != "ec2.amazonaws.com" or actor.is_service or service_invoked(ev) \
                or SSO_ROLE.match(role) or SERVICE_ROLE.match(role):
            return None  # an AWS service (its service-linked role, which only it can assume) acting
        instance = ev.param("instanceId")
        if actor.manages_iam:
            severity, why = Severity.LOW, "the actor may manage IAM."
        elif ev.failed:
            severity, why = Severity.MEDIUM, "refused: someone is probing with these credentials."
        else:
            severity, why = Severity.HIGH, "the model declares nobody who reads instance passwords."
        return Verdict(
            reason=f"{actor.describe()} asked for the administrator password of instance {instance or '?'}: {why}"
                   f"{failed_suffix(ctx)}",
            severity=severity,
            group_key=f"password-data:{fingerprint(actor.arn or actor.name or '?')}",
            details={"instance_id": instance, "actor_manages_iam": actor.manages_iam},
        )
