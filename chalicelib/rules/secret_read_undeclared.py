"""secret-read-undeclared: a declared secret decrypted by someone who is not one of its readers."""

from __future__ import annotations

from chalicelib.events import CloudTrailEvent, as_bool, as_dict
from chalicelib.findings import Severity
from chalicelib.identity.model import IdentityModel
from chalicelib.identity.schema import SecretSpec
from chalicelib.rules.base import Context, Rule, Verdict, breaks_of
from chalicelib.rules.registry import register


def requested_secrets(ev: CloudTrailEvent, model: IdentityModel) -> list[SecretSpec]:
    """Declared secrets named by a GetParameter / GetParameters / GetParametersByPath call, or by
    the encryption context of a kms:Decrypt (SSM encrypts a SecureString under its parameter ARN)."""
    params = ev.request_parameters
    if ev.event_name == "Decrypt":
        arn = as_dict(params.get("encryptionContext")).get("PARAMETER_ARN")
        found = _secret(model, arn) if isinstance(arn, str) else None
        return [found] if found is not None else []
    if ev.event_name == "GetParametersByPath":
        return model.secrets_under(ev.param("path"), as_bool(params.get("recursive")) is True)
    names = params.get("names") if ev.event_name == "GetParameters" else [params.get("name")]
    found = [_secret(model, n) for n in names if isinstance(n, str)] if isinstance(names, list) else []
    return [s for s in found if s is not None]


def _secret(model: IdentityModel, name: str) -> SecretSpec | None:
    """``name``, or ``name:version`` / ``name:label`` (names hold no ':'), so a selector cannot hide a read."""
    return model.secret(name) or (model.secret(name.rsplit(":", 1)[0]) if ":" in name else None)


@register
class SecretReadUndeclared(Rule):
    id = "secret-read-undeclared"
    severity = Severity.HIGH
    title = "Declared secret read by a non-reader"
    # GetParameterHistory with decryption returns current and past plaintext values too; a direct
    # kms:Decrypt of a parameter's ciphertext is the same read without SSM's own decryption step.
    event_names = frozenset({"GetParameter", "GetParameters", "GetParametersByPath", "GetParameterHistory",
                             "Decrypt"})
    # What requested_secrets reads (a list of names has no memo key) and the actor, whose
    # userIdentity says whether a service made a Decrypt for the caller. A direct Decrypt reads
    # the encryption context, which differs call by call: it is volatile below, not in the key.
    memo_fields = tuple(("requestParameters", f) for f in ("withDecryption", "name", "names", "path", "recursive"))
    reads_assumer = True  # a role session reads for whoever obtained it
    reference = "https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-access.html"
    runbook = (
        "A secret's plaintext went to a principal the model does not list as a reader. If the read "
        "succeeded, rotate the secret (`aws ssm put-parameter --name NAME --type SecureString "
        "--overwrite`) and update its readers; tighten the parameter's IAM/KMS access so only the "
        "declared readers can decrypt it."
    )

    @staticmethod
    def wants_assumer(event: CloudTrailEvent, model: IdentityModel) -> bool:
        """Who obtained a session matters only when it decrypts a declared secret."""
        if event.event_name == "Decrypt":
            if event.invoked_by:
                return False
        elif as_bool(event.request_parameters.get("withDecryption")) is not True:
            return False
        return bool(requested_secrets(event, model))

    @staticmethod
    def volatile(ctx: Context) -> bool:
        """A quiet direct Decrypt was quiet because of its encryption context."""
        return ctx.event.event_name == "Decrypt" and not ctx.event.invoked_by and not ctx.actor.is_service

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev, actor = ctx.event, ctx.actor
        if actor.is_service:
            return None
        if ev.event_name == "Decrypt":
            if ev.invoked_by:  # SSM decrypting for a GetParameter, which is judged itself
                return None
        elif as_bool(ev.request_parameters.get("withDecryption")) is not True:
            return None
        # A role session read the secret for whoever obtained it: both must be readers.
        readers_needed = [actor.principal_id]
        if ctx.assumer is not None and ctx.assumer.principal_id != actor.principal_id:
            readers_needed.append(ctx.assumer.principal_id)
        unlisted = [s for s in requested_secrets(ev, ctx.model)
                    if any(r is None or r not in s.readers for r in readers_needed)]
        if not unlisted:
            return None
        names = ", ".join(s.name for s in unlisted)
        readers = "; ".join(f"{s.name}: {', '.join(s.readers) or 'nobody'}" for s in unlisted)
        outcome = f" The read was refused ({ev.error_code})." if ev.error_code else " The read succeeded."
        how = " with kms:Decrypt of its ciphertext" if ev.event_name == "Decrypt" else ""
        via = (f" The session was obtained by {ctx.assumer.describe()}, which is not a reader."
               if len(readers_needed) > 1 and ctx.assumer is not None else "")
        return Verdict(
            severity=Severity.MEDIUM if ev.error_code else Severity.HIGH,
            reason=f"{actor.describe()} decrypted {names}{how}, which only its readers may read ({readers})."
            f"{via}{outcome}",
            target_arn=f"arn:aws:ssm:{ev.region}:{ev.account}:parameter{unlisted[0].name}",
            breaks=breaks_of(*unlisted),
            group_key=f"secret-read:{actor.arn}:{names}",
            details={"secrets": [s.name for s in unlisted]},
        )
