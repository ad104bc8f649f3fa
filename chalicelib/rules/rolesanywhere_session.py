"""rolesanywhere-session-unexpected: IAM Roles Anywhere gave role credentials to an X.509 certificate
the model does not vouch for.

``CreateSession`` (``rolesanywhere.amazonaws.com``) turns a certificate that chains to a trust anchor into
a session of a role its profile lists: no IAM key, no OIDC token. The model declares such workloads with
``auth: roles-anywhere``, their ``roles``, the ``trust_anchors`` their certificates chain to and globs on the
certificate's subject (``x509_subjects``). Anything else is a finding: a role the model does not declare,
a role declared to authenticate otherwise, another trust anchor (a CA an intruder added or controls), or a
certificate subject no glob covers.

Read from the record only, never from ``userIdentity`` (the caller holds a certificate, not an AWS
identity): ``requestParameters`` (``roleArn``, ``trustAnchorArn``, ``profileArn``) and the session AWS
issued (``responseElements.credentialSet[].sourceIdentity``: the certificate's subject, ``CN=…``).
"""

from __future__ import annotations

import fnmatch

from chalicelib.events import CloudTrailEvent, as_dict, as_str
from chalicelib.findings import Severity
from chalicelib.identity.model import IdentityModel
from chalicelib.identity.schema import PrincipalSpec
from chalicelib.rules.base import Context, Rule, Verdict, breaks_of, failed_suffix
from chalicelib.rules.registry import register

SOURCE = "rolesanywhere.amazonaws.com"  # S3 Express One Zone has a CreateSession too, never judged here
AUTH = "roles-anywhere"


@register
class RolesAnywhereSession(Rule):
    id = "rolesanywhere-session-unexpected"
    severity = Severity.HIGH
    title = "IAM Roles Anywhere session the model does not declare"
    event_names = frozenset({"CreateSession"})
    # The source (S3's CreateSession is quiet), the outcome, the role and trust anchor asked for, and the
    # session issued (a list: a line holding one is never memoized, so each is judged in full).
    memo_fields = (("eventSource",), ("errorCode",), ("requestParameters", "roleArn"),
                   ("requestParameters", "trustAnchorArn"), ("responseElements", "credentialSet"))
    reference = "https://docs.aws.amazon.com/rolesanywhere/latest/userguide/authentication-create-session.html"
    runbook = (
        "A certificate obtained role credentials. If the trust anchor is unknown, disable it at once (`aws "
        "rolesanywhere disable-trust-anchor --trust-anchor-id ID`) and find who created it (CreateTrustAnchor). "
        "If the certificate is unknown, revoke it in the CA and import the CRL (`aws rolesanywhere import-crl`). "
        "Revoke the role's sessions (IAM console, 'Revoke active sessions'), review the calls of the session named "
        "after the certificate's serial number, then declare the workload (auth: roles-anywhere) if it is expected."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev = ctx.event
        if ev.event_source != SOURCE:
            return None
        role_arn = ev.param("roleArn")
        role = role_arn.rsplit("/", 1)[-1] if role_arn and "/" in role_arn else None
        account = _account(role_arn) or ev.account
        anchor = ev.param("trustAnchorArn")
        subject = certificate_subject(ev)
        principal = ctx.model.role(role, account)
        problems = _problems(ctx.model, principal, role, anchor, subject)
        if not problems:
            return None
        severity = Severity.LOW if ev.failed else Severity.HIGH
        cert = f"certificate '{subject}'" if subject else "a certificate (subject not in the record)"
        return Verdict(
            reason=f"IAM Roles Anywhere: {cert} from trust anchor {_anchor_id(anchor) or '?'} asked for a session "
                   f"of role '{role or '?'}' in account {account or '?'}. {' '.join(problems)}{failed_suffix(ctx)}",
            severity=severity,
            target_arn=role_arn,
            principal_arn=role_arn,
            breaks=breaks_of(principal),
            group_key=f"rolesanywhere:{account}:{role}:{_anchor_id(anchor)}:{subject}",
            details={"role_arn": role_arn, "trust_anchor_arn": anchor, "profile_arn": ev.param("profileArn"),
                     "certificate_subject": subject, "principal": principal.id if principal else None},
        )


def _problems(model: IdentityModel, p: PrincipalSpec | None, role: str | None, anchor: str | None,
              subject: str | None) -> list[str]:
    """What the model does not vouch for; empty when the declared workload entered its own role."""
    if p is None:
        return [f"The model declares no principal with role '{role or '?'}', so nothing vouches for this "
                "certificate or its trust anchor."]
    if p.auth != AUTH:
        return [f"Principal '{p.id}' is declared to authenticate with {p.auth}, never with a certificate "
                "through Roles Anywhere."]
    out = []
    if not anchor_declared(p, anchor):
        out.append(f"Trust anchor {_anchor_id(anchor) or '(not in the record)'} is not one principal '{p.id}' "
                   f"declares ({', '.join(_anchor_id(a) or a for a in p.trust_anchors)}).")
    if subject is not None and not any(fnmatch.fnmatchcase(subject, g) for g in p.x509_subjects):
        out.append(f"Subject '{subject}' matches none of principal '{p.id}''s x509_subjects "
                   f"({', '.join(p.x509_subjects)}).")
    return out


def anchor_declared(p: PrincipalSpec, anchor: str | None) -> bool:
    """Whether ``anchor`` (an ARN as recorded) is one of the principal's, declared by id or by ARN."""
    wanted = _anchor_id(anchor)
    return wanted is not None and any(_anchor_id(a) == wanted for a in p.trust_anchors)


def certificate_subject(ev: CloudTrailEvent) -> str | None:
    """The certificate's subject AWS made the session's source identity (``CN=…``), if recorded."""
    sets = ev.response_elements.get("credentialSet")
    for entry in sets if isinstance(sets, list) else []:
        subject = as_str(as_dict(entry).get("sourceIdentity"))
        if subject:
            return subject
    return None


def _anchor_id(anchor: str | None) -> str | None:
    """``arn:…:trust-anchor/ID`` or ``ID`` → ``id`` (lower case, as AWS issues them)."""
    return anchor.rsplit("/", 1)[-1].lower() if anchor else None


def _account(arn: str | None) -> str | None:
    parts = arn.split(":") if arn else []
    return parts[4] if len(parts) > 5 and parts[4].isdigit() else None
