"""secret-read-undeclared: a declared secret decrypted by someone who is not one of its readers."""

from __future__ import annotations

from chalicelib.events import CloudTrailEvent, as_bool, as_dict
from chalicelib.findings import Severity
from chalicelib.identity.model import IdentityModel
from chalicelib.identity.schema import SecretSpec
from chalicelib.rules.base import Context, Rule, Verdict, breaks_of
from chalicelib.rules.identity_undeclared_principal import is_service_role
from chalicelib.rules.registry import register


def requested_secrets(ev: CloudTrailEvent, model: IdentityModel) -> list[SecretSpec]:
    """Declared secrets named by a GetParameter / GetParameters / GetParametersByPath call, or by
    the encryption context of a kms:Decrypt (SSM encrypts a SecureString under its parameter ARN)."""
    params = ev.request_parameters
    if ev.event_name in SECRETSMANAGER_READS:
        return secretsmanager_secrets(ev, model)
    if ev.event_name in KMS_READS:
        arn = as_dict(params.get(KMS_READS[ev.event_name])).get("PARAMETER_ARN")
        found = _secret(model, arn) if isinstance(arn, str) else None
        return [found] if found is not None else []
    if ev.event_name == "GetParametersByPath":
        return model.secrets_under(ev.param("path"), as_bool(params.get("recursive")) is True)
    names = params.get("names") if ev.event_name == "GetParameters" else [params.get("name")]
    found = [_secret(model, n) for n in names if isinstance(n, str)] if isinstance(names, list) else []
    return [s for s in found if s is not None]


def secretsmanager_secrets(ev: CloudTrailEvent, model: IdentityModel) -> list[SecretSpec]:
    """Declared Secrets Manager secrets a GetSecretValue or BatchGetSecretValue returns: by id
    (name, partial or full ARN), by id list, or every declared secret its filters can match (a
    batch read naming neither, e.g. a record without parameters, may have read any of them)."""
    params = ev.request_parameters
    if ev.event_name == "GetSecretValue":
        ids: object = [params.get("secretId")]
    else:
        ids = params.get("secretIdList")
        if not isinstance(ids, list) or not ids:
            return model.secretsmanager_filtered(params.get("filters"))
    found = [model.secretsmanager_secret(i) for i in ids if isinstance(i, str)] if isinstance(ids, list) else []
    return list({id(s): s for s in found if s is not None}.values())  # once each (specs are unhashable)


# Parameter Store hands back a Secrets Manager secret's value for GetParameter(s) of this path plus the
# secret's id (with decryption): the same read as a GetSecretValue, recorded by SSM.
SM_REFERENCE = "/aws/reference/secretsmanager/"


def _secret(model: IdentityModel, name: str) -> SecretSpec | None:
    """``name``, or ``name:version`` / ``name:label`` (names hold no ':'), so a selector cannot hide a read;
    a Secrets Manager secret when ``name`` (or its parameter ARN) is under ``SM_REFERENCE``."""
    path = name.split(":parameter", 1)[1] if name.startswith("arn:") and ":parameter" in name else name
    if path.startswith(SM_REFERENCE):
        secret_id = path[len(SM_REFERENCE):]
        return model.secretsmanager_secret(secret_id) or (
            model.secretsmanager_secret(secret_id.split(":", 1)[0]) if ":" in secret_id else None)
    return model.secret(name) or (model.secret(name.rsplit(":", 1)[0]) if ":" in name else None)


SECRETSMANAGER_READS = frozenset({"GetSecretValue", "BatchGetSecretValue"})
# KMS calls that take a parameter's ciphertext, with where SSM's encryption context is: Decrypt returns the
# plaintext; ReEncrypt re-wraps it under a key the caller names (its own, or another account's), to read there.
KMS_READS = {"Decrypt": "encryptionContext", "ReEncrypt": "sourceEncryptionContext"}


def _decrypting(event: CloudTrailEvent) -> bool:
    """Whether the call returns plaintext: Secrets Manager reads always do; an SSM read only with
    decryption; a Decrypt only when made directly (not by SSM for a GetParameter, judged itself)."""
    if event.event_name in SECRETSMANAGER_READS:
        return True
    if event.event_name in KMS_READS:
        return not event.invoked_by
    return as_bool(event.request_parameters.get("withDecryption")) is True


def _arn(ev: CloudTrailEvent, spec: SecretSpec) -> str:
    if spec.store == "secretsmanager":
        if spec.name.startswith("arn:"):
            return spec.name
        return f"arn:{ev.partition}:secretsmanager:{ev.region}:{ev.account}:secret:{spec.name}"
    return f"arn:{ev.partition}:ssm:{ev.region}:{ev.account}:parameter{spec.name}"


@register
class SecretReadUndeclared(Rule):
    id = "secret-read-undeclared"
    severity = Severity.HIGH
    title = "Declared secret read by a non-reader"
    # GetParameterHistory with decryption returns current and past plaintext values too; a direct
    # kms:Decrypt of a parameter's ciphertext is the same read without SSM's own decryption step.
    event_names = frozenset({"GetParameter", "GetParameters", "GetParametersByPath", "GetParameterHistory",
                             *KMS_READS, *SECRETSMANAGER_READS})
    # What requested_secrets reads (a list of names has no memo key, so such a line is judged in
    # full) and the actor, whose userIdentity says whether a service made a Decrypt for the caller.
    memo_fields = (*(("requestParameters", f) for f in ("withDecryption", "name", "names", "path", "recursive")),
                   ("requestParameters", "encryptionContext", "PARAMETER_ARN"),
                   ("requestParameters", "sourceEncryptionContext", "PARAMETER_ARN"), ("requestParameters", "secretId"))

    @staticmethod
    def volatile(ctx: Context) -> bool:
        """A BatchGetSecretValue reads its id list or filters, lists no memo key holds (declaring ``filters`` would
        cost every other call with a filter list its memo): replay never skips one as quiet."""
        return ctx.event.event_name == "BatchGetSecretValue"

    reads_assumer = True  # a role session reads for whoever obtained it
    reference = "https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-access.html"
    runbook = (
        "A secret's plaintext went to a principal the model does not list as a reader. If the read "
        "succeeded, rotate the secret (`aws ssm put-parameter --name NAME --type SecureString --value NEW "
        "--overwrite`) and update its readers; tighten the parameter's IAM/KMS access so only the "
        "declared readers can decrypt it. For a Secrets Manager secret, rotate it "
        "(`aws secretsmanager rotate-secret --secret-id NAME`, or put a new value) and tighten its "
        "resource policy."
    )

    @staticmethod
    def wants_assumer(event: CloudTrailEvent, model: IdentityModel) -> bool:
        """Who obtained a session matters only when it decrypts a declared secret."""
        return _decrypting(event) and bool(requested_secrets(event, model))

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev, actor = ctx.event, ctx.actor
        if actor.is_service or is_service_role(actor.role_arn):
            return None  # AWS under its own identity or service-linked role (RDS, Redshift managing a secret)
        if not _decrypting(ev):
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
        if ev.event_name == "ReEncrypt":
            how = (f" with kms:ReEncrypt of its ciphertext to key {ev.param('destinationKeyId') or '?'} (whoever may "
                   "use that key can now decrypt it)")
        verb = "read" if ev.event_name in SECRETSMANAGER_READS else "exported" if ev.event_name == "ReEncrypt" \
            else "decrypted"
        if ev.event_name == "BatchGetSecretValue" and not isinstance(ev.request_parameters.get("secretIdList"), list):
            how = " with a filtered batch read that can return them"
        elif ev.event_source == "ssm.amazonaws.com" and any(s.store == "secretsmanager" for s in unlisted):
            how = f" through Parameter Store's {SM_REFERENCE} path"
        via = (f" The session was obtained by {ctx.assumer.describe()}, which is not a reader."
               if len(readers_needed) > 1 and ctx.assumer is not None else "")
        return Verdict(
            severity=Severity.MEDIUM if ev.error_code else Severity.HIGH,
            reason=f"{actor.describe()} {verb} {names}{how}, which only its readers may read ({readers})."
            f"{via}{outcome}",
            target_arn=_arn(ev, unlisted[0]),
            breaks=breaks_of(*unlisted),
            group_key=f"secret-read:{actor.arn}:{names}",
            details={"secrets": [s.name for s in unlisted]},
        )
