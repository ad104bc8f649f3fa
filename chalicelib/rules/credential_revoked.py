"""credential-revoked: a declared credential was deleted or disabled; say what breaks."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.events import as_str
from chalicelib.findings import Severity, mask_key
from chalicelib.identity.schema import PrincipalSpec, SecretSpec
from chalicelib.provenance import rotation_evidence
from chalicelib.rules.base import Context, Rule, Verdict, breaks_of, failed_suffix
from chalicelib.rules.registry import register

IAM_EVENTS = frozenset({"DeleteAccessKey", "UpdateAccessKey", "DeleteLoginProfile"})
SSM_EVENTS = frozenset({"DeleteParameter", "DeleteParameters"})


@register
class CredentialRevoked(Rule):
    id = "credential-revoked"
    severity = Severity.HIGH
    title = "Declared credential revoked"
    event_names = IAM_EVENTS | SSM_EVENTS
    memo_fields = None  # whether a revocation is a trusted rotation rests on history: never skipped
    reads_history = True  # source and key counts (chalicelib/provenance.py)
    reference = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html#rotating_access_keys_console"
    runbook = (
        "A credential the model depends on stopped working. If this is a planned rotation, make sure "
        "the replacement is stored where the model says it lives before the old one goes; otherwise "
        "restore it (re-activate: `aws iam update-access-key --user-name USER --access-key-id KEY --status "
        "Active`, or recreate the "
        "parameter) and tell the owners of what breaks."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev = ctx.event
        if ev.event_name in SSM_EVENTS:
            return self._parameters(ctx)
        if ev.event_name == "UpdateAccessKey" and (ev.param("status") or "").lower() != "inactive":
            return None
        name = ev.param("userName") or (ctx.actor.name if ctx.actor.kind == "iam-user" else None)
        target = ctx.model.iam_user(name, ev.account)
        if target is None:
            return None
        if ev.event_name == "DeleteLoginProfile":
            return self._password(ctx, target, name)
        key = ev.param("accessKeyId")
        what = {
            "DeleteAccessKey": f"deleted access key {mask_key(key)}",
            "UpdateAccessKey": f"deactivated access key {mask_key(key)}",
        }[ev.event_name]
        return self._verdict(ctx, target, f"of IAM user '{name}' (principal '{target.id}')", what,
                             f"arn:{ev.partition}:iam::{ev.account}:user/{name}", key)

    def _password(self, ctx: Context, target: PrincipalSpec, name: str | None) -> Verdict:
        """Only a principal declared ``auth: console`` depends on its password; for any other,
        removing one breaks nothing the model knows of.

        Still worth a (medium) finding: the principal had a password the model did not declare, and
        someone touched its credentials.
        """
        verdict = self._verdict(ctx, target, f"of IAM user '{name}' (principal '{target.id}')",
                                "deleted the console password",
                                f"arn:{ctx.event.partition}:iam::{ctx.event.account}:user/{name}", None)
        if target.auth == "console":
            return verdict
        return replace(verdict, severity=min(verdict.severity, Severity.MEDIUM),
                       breaks=f"nothing the model declares: '{target.id}' authenticates with {target.auth}, "
                              "not a console password")

    def _parameters(self, ctx: Context) -> Verdict | None:
        ev = ctx.event
        raw = ev.request_parameters.get("names") if ev.event_name == "DeleteParameters" else [ev.param("name")]
        names = [as_str(n) for n in raw] if isinstance(raw, list) else []
        secrets = [s for s in (ctx.model.secret(n) for n in names) if s is not None]
        if not secrets:
            return None
        listed = ", ".join(s.name for s in secrets)
        return self._verdict(ctx, secrets[0], f"declared secret {listed}", "deleted",
                             f"arn:{ev.partition}:ssm:{ev.region}:{ev.account}:parameter{secrets[0].name}", None,
                             *secrets[1:])

    def _verdict(self, ctx: Context, spec: PrincipalSpec | SecretSpec, label: str, what: str,
                 target_arn: str, key: str | None, *more: SecretSpec) -> Verdict:
        ev = ctx.event
        trusted, missing = False, ()
        if isinstance(spec, PrincipalSpec) and spec.auth == "access-key" and key:
            evidence = rotation_evidence(ctx, spec, ev.param("userName") or ctx.actor.name, key, adds_key=False)
            trusted, missing = evidence.routine, evidence.missing
        return Verdict(
            reason=f"{ctx.actor.describe()} {what} {label}.{failed_suffix(ctx)}",
            severity=Severity.MEDIUM if ev.failed else Severity.HIGH,
            target_arn=target_arn,
            breaks=breaks_of(spec, *more) or "nothing declared (no 'breaks' in the model)",
            # Same key as iam-create-access-key's target, so a replacement can be linked to it.
            group_key=f"credential:{target_arn}",
            # Whether this is the declared way of rotating (an IAM manager, or the principal from its
            # known source): rotation linking quietens only such a pair.
            details={"action": ev.event_name, "key": mask_key(key),
                     "actor_trusted": trusted, "missing_evidence": list(missing)},
        )
