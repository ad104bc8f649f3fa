"""iam-create-access-key: a new static key; expected only as a declared access-key principal's rotation.

A key made usable again (``UpdateAccessKey`` to Active) is judged as a new one: an attacker holding a key
that was deactivated, not deleted, needs no CreateAccessKey to get back in."""

from __future__ import annotations

from chalicelib.events import as_dict, as_str
from chalicelib.findings import Severity, mask_key
from chalicelib.provenance import rotation_evidence
from chalicelib.rules.base import Context, Rule, Verdict, breaks_of, failed_suffix
from chalicelib.rules.registry import register

REACTIVATE = "UpdateAccessKey"


@register
class IamCreateAccessKey(Rule):
    id = "iam-create-access-key"
    severity = Severity.HIGH
    title = "IAM access key created or reactivated"
    event_names = frozenset({"CreateAccessKey", REACTIVATE})
    memo_fields = None  # the verdict rests on history (sources, key counts): never skipped as quiet
    reads_history = True  # source and key counts (chalicelib/provenance.py)
    reference = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html"
    runbook = (
        "A static key is a long-lived secret. If this is not a planned rotation of a declared CI key, "
        "deactivate it now: `aws iam update-access-key --user-name USER --access-key-id KEY "
        "--status Inactive`, then find who created it. For a planned rotation, store the new key where "
        "the model says it lives and delete the old one."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev, actor = ctx.event, ctx.actor
        reactivated = ev.event_name == REACTIVATE
        if reactivated and (ev.param("status") or "").lower() != "active":
            return None  # a deactivation is credential-revoked's
        key = as_dict(ev.response_elements.get("accessKey"))
        new_key = as_str(key.get("accessKeyId")) or (ev.param("accessKeyId") if reactivated else None)
        name = ev.param("userName") or as_str(key.get("userName"))
        if name is None and actor.kind == "iam-user":
            name = actor.name
        for_root = name is None and actor.is_root
        target = None if for_root else ctx.model.iam_user(name, ev.account)
        self_made = target is not None and actor.principal is target
        if for_root:
            target_arn, label = f"arn:{ev.partition}:iam::{ev.account}:root", "the root user"
        else:
            target_arn = f"arn:{ev.partition}:iam::{ev.account}:user/{name}" if name and ev.account else None
            label = f"IAM user '{name}'"
        who = actor.describe()
        made = "reactivated a deactivated key of" if reactivated else "created a key for"
        evidence = None
        if target is not None and target.auth == "access-key" and (actor.manages_iam or self_made):
            evidence = rotation_evidence(ctx, target, name, new_key, adds_key=True)
        if evidence is not None and evidence.routine:
            severity = Severity.LOW
            reason = f"{who} {made} {label} (declared '{target.id}', auth access-key): expected rotation."
        elif evidence is not None:
            severity = Severity.HIGH
            reason = (f"{who} {made} {label} (declared '{target.id}'), but not in the declared way of "
                      f"rotating: {evidence.explain()}.")
        elif for_root:
            severity = Severity.HIGH
            reason = (f"{who} reactivated a deactivated access key of the root user." if reactivated
                      else f"{who} created an access key for the root user.")
        elif target is None:
            severity, reason = Severity.HIGH, f"{who} {made} {label}, which the model does not declare."
        elif target.auth != "access-key":
            severity = Severity.HIGH
            reason = (f"{who} {made} {label} (declared '{target.id}', {target.kind}), whose declared "
                      f"auth is '{target.auth}', not a static key.")
        else:
            severity = Severity.HIGH
            reason = f"{who} {made} {label} but is neither that principal nor allowed to manage IAM."
        if new_key:
            reason += f" {'Key' if reactivated else 'New key'} {mask_key(new_key)}."
        return Verdict(
            reason=reason + failed_suffix(ctx),
            severity=min(severity, Severity.MEDIUM) if ev.failed else severity,
            target_arn=target_arn,
            breaks=breaks_of(target),
            details={"target_user": name, "target_principal": target.id if target else None,
                     "new_key": mask_key(new_key), "actor_trusted": severity == Severity.LOW,
                     "missing_evidence": list(evidence.missing) if evidence else [],
                     "active_keys_after": evidence.active_after if evidence else None},
        )
