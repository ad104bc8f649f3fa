"""iam-alternate-credential-created: an IAM user got a credential that is neither an access key nor
a password: an SSH key for CodeCommit, a service-specific credential (CodeCommit, Keyspaces,
Bedrock API keys) or an X.509 signing certificate. Each is a way back in that access-key rotation,
MFA and most inventories never look at, so persistence kits plant them beside a backdoor key.

The model declares no principal that works this way, so every one is a finding, graded by whose
user it is: a declared non-human principal (the CI user) is critical, anyone else high, and an
IAM manager issuing one for a declared human or a user the model does not declare is medium.
One made active again (``Update…`` with status Active) is judged as a new one: deactivating it kept it.
"""

from __future__ import annotations

from types import MappingProxyType

from chalicelib.events import as_dict, as_str
from chalicelib.findings import Severity
from chalicelib.rules.base import Context, Rule, Verdict, breaks_of, failed_suffix
from chalicelib.rules.registry import register

# eventName → (what it creates, where the response names the new credential's id)
KINDS = {
    "UploadSSHPublicKey": ("an SSH public key (CodeCommit)", ("sSHPublicKey", "sSHPublicKeyId")),
    "CreateServiceSpecificCredential": ("a service-specific credential",
                                        ("serviceSpecificCredential", "serviceSpecificCredentialId")),
    "ResetServiceSpecificCredential": ("a new password for a service-specific credential",
                                       ("serviceSpecificCredential", "serviceSpecificCredentialId")),
    "UploadSigningCertificate": ("an X.509 signing certificate", ("certificate", "certificateId")),
}
# eventName → the credential it can make active again (status Active); status Inactive is quiet.
REACTIVATIONS = {
    "UpdateSSHPublicKey": KINDS["UploadSSHPublicKey"],
    "UpdateServiceSpecificCredential": KINDS["CreateServiceSpecificCredential"],
    "UpdateSigningCertificate": KINDS["UploadSigningCertificate"],
}


@register
class IamAlternateCredentialCreated(Rule):
    id = "iam-alternate-credential-created"
    severity = Severity.HIGH
    title = "Non-key credential created for an IAM user"
    event_names = frozenset(KINDS) | frozenset(REACTIVATIONS)
    memo_fields = (("eventSource",),)  # every such IAM call is a finding, but a reactivation only to Active
    memo_fields_by_name = MappingProxyType({name: (("requestParameters", "status"),) for name in REACTIVATIONS})
    reference = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_ssh-keys.html"
    runbook = (
        "Unless someone asked for it, delete the credential now (`aws iam delete-ssh-public-key`, "
        "`delete-service-specific-credential`, `delete-signing-certificate` with the user name and the id in "
        "the finding), look for other credentials the actor created (access keys, passwords, MFA devices), "
        "and treat the actor's credentials as compromised."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev, actor = ctx.event, ctx.actor
        if ev.event_source != "iam.amazonaws.com":
            return None
        reactivated = ev.event_name in REACTIVATIONS
        if reactivated and (ev.param("status") or "").lower() != "active":
            return None  # a deactivation
        what, (holder, id_key) = REACTIVATIONS[ev.event_name] if reactivated else KINDS[ev.event_name]
        name = ev.param("userName") or (actor.name if actor.kind == "iam-user" else None)
        target = ctx.model.iam_user(name, ev.account)
        service = ev.param("serviceName")
        if target is not None and target.kind != "human":
            severity, why = Severity.CRITICAL, (f"it is principal '{target.id}' ({target.kind}, {target.auth}): a "
                                                "second way in that rotating its key does not revoke.")
        elif target is not None and actor.manages_iam:
            severity, why = Severity.MEDIUM, (f"it is principal '{target.id}', who the model says never works this "
                                              "way; the actor may manage IAM.")
        elif target is not None:
            severity, why = Severity.HIGH, f"it is principal '{target.id}', who the model says never works this way."
        elif actor.manages_iam:
            severity, why = Severity.MEDIUM, "the model does not declare this user; the actor may manage IAM."
        else:
            severity, why = Severity.HIGH, "the model does not declare this user: a way in outside the model."
        if ev.failed:
            severity = min(severity, Severity.MEDIUM)
        credential_id = as_str(as_dict(ev.response_elements.get(holder)).get(id_key)) or ev.param(id_key)
        for_service = f" for {service}" if service else ""
        return Verdict(
            reason=f"{actor.describe()} {'made active again' if reactivated else 'created'} {what}{for_service} "
                   f"for IAM user '{name or '?'}': {why}"
                   f"{failed_suffix(ctx)}",
            severity=severity,
            target_arn=f"arn:{ev.partition}:iam::{ev.account}:user/{name}" if name and ev.account else None,
            breaks=breaks_of(target),
            group_key=f"alternate-credential:{ev.account}:{(name or '?').casefold()}",
            details={"target_user": name, "target_principal": target.id if target else None,
                     "credential": ev.event_name, "credential_id": credential_id, "service": service,
                     "actor_manages_iam": actor.manages_iam},
        )
