"""sso-role-credentials-unexpected: the IAM Identity Center portal gave a user role credentials the model
does not declare for them.

``GetRoleCredentials`` (``sso.amazonaws.com``) turns an Identity Center access token into credentials
for one account and permission set: what ``aws sso login`` does, and what a device-code phish's token is
spent on (sso-device-code-token). AWS records it in the Identity Center's account as an
``AwsServiceEvent`` (read-only), the user as ``userIdentity`` (``IdentityCenterUser`` with
``onBehalfOf.userId`` today, ``Unknown`` with ``userName`` in older records) and the target in
``serviceEventDetails`` (``role_name``: the permission set; ``account_id``). Judged: a user the model
does not declare (by name, or by id once any principal lists ``sso_user_ids``: medium, as its calls are),
an account the user is not declared in, a permission set outside the user's ``permission_sets`` (high).
A record naming only an id the model cannot place is judged on its target alone: an undeclared account,
or a permission set no principal lists.
"""

from __future__ import annotations

from chalicelib.events import CloudTrailEvent, as_dict, as_str
from chalicelib.findings import Severity
from chalicelib.identity.model import IdentityModel, fold
from chalicelib.identity.schema import PrincipalSpec
from chalicelib.rules.base import Context, Rule, Verdict, breaks_of, failed_suffix
from chalicelib.rules.registry import register

SOURCE = "sso.amazonaws.com"


@register
class SsoRoleCredentials(Rule):
    id = "sso-role-credentials-unexpected"
    severity = Severity.HIGH
    title = "IAM Identity Center role credentials outside the model"
    event_names = frozenset({"GetRoleCredentials"})
    # The user is in userIdentity (every key); the source, the outcome and the target are read.
    memo_fields = (("eventSource",), ("errorCode",), ("serviceEventDetails", "role_name"),
                   ("serviceEventDetails", "account_id"), ("requestParameters", "roleName"),
                   ("requestParameters", "accountId"))
    reference = "https://docs.aws.amazon.com/singlesignon/latest/PortalAPIReference/API_GetRoleCredentials.html"
    runbook = (
        "A user's Identity Center token became role credentials. Ask the user whether they signed in from the "
        "source IP and time shown. If not (a phished device code, a stolen token cache under ~/.aws/sso/cache): "
        "in the IAM Identity Center console, Users → the user → Active sessions, delete every session; revoke "
        "the AWSReservedSSO_* role's sessions in the target account; review its calls since. If it is expected, "
        "declare the user (sso_users, sso_user_ids), its accounts and permission_sets."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev = ctx.event
        if ev.event_source != SOURCE:
            return None
        name, user_id = portal_user(ev)
        role, account = target(ev)
        candidates = _candidates(ctx.model, name, user_id)
        problem = _problem(ctx.model, candidates, name, user_id, role, account)
        if problem is None:
            return None
        severity, why = problem
        if ev.failed:
            severity = Severity.LOW
        who = f"'{name}'" if name else f"user id {user_id or '?'}"
        return Verdict(
            reason=f"IAM Identity Center gave {who} credentials for permission set '{role or '?'}' in account "
                   f"{account or '?'} from {ev.source_ip or 'an unrecorded address'}. {why}{failed_suffix(ctx)}",
            severity=severity,
            breaks=breaks_of(*candidates[:1]),
            group_key=f"sso-role-credentials:{fold(name) if name else user_id}:{account}:{role}",
            details={"user": name, "user_id": user_id, "permission_set": role, "target_account": account,
                     "principal": candidates[0].id if candidates else None},
        )


def portal_user(ev: CloudTrailEvent) -> tuple[str | None, str | None]:
    """(user name, Identity Center user id) as the portal's record names them."""
    ui = ev.user_identity
    name = as_str(ui.get("userName"))
    user_id = as_str(as_dict(ui.get("onBehalfOf")).get("userId")) or as_str(ui.get("principalId"))
    return name, user_id.lower() if user_id else None


def target(ev: CloudTrailEvent) -> tuple[str | None, str | None]:
    """(permission set name, account id) the credentials are for."""
    details = as_dict(ev.raw.get("serviceEventDetails"))
    role = as_str(details.get("role_name")) or ev.param("roleName")
    account = as_str(details.get("account_id")) or ev.param("accountId")
    return role, account


def _candidates(model: IdentityModel, name: str | None, user_id: str | None) -> tuple[PrincipalSpec, ...]:
    found = model.by_sso_user.get(fold(name), ()) if name else ()
    return found or (model.by_sso_user_id.get(user_id, ()) if user_id else ())


def _problem(model: IdentityModel, candidates: tuple[PrincipalSpec, ...], name: str | None, user_id: str | None,
             role: str | None, account: str | None) -> tuple[Severity, str] | None:
    """Why the model does not vouch for these credentials (severity, sentence), or None."""
    if candidates:
        in_account = [p for p in candidates if model.exists_in(p, account)]
        if not in_account:
            return Severity.HIGH, (f"Principal '{candidates[0].id}' is not declared in account {account or '?'}.")
        if any(not p.permission_sets or _listed(role, p.permission_sets) for p in in_account):
            return None
        sets = sorted({s for p in in_account for s in p.permission_sets})
        return Severity.HIGH, (f"Principal '{in_account[0].id}' is declared for permission sets {', '.join(sets)}, "
                               f"not '{role or '?'}'.")
    if name or (user_id and model.by_sso_user_id):
        # Medium, as the same user's calls (identity-undeclared-principal) and device-code token: the model is
        # silent on this person, while a declared user outside its accounts or permission sets contradicts it.
        return Severity.MEDIUM, "The user is not declared in the model, so nothing vouches for this sign-in."
    # Only an id the model cannot place (no principal lists sso_user_ids): judge where the credentials lead.
    if model.accounts and account not in model.accounts:
        return Severity.MEDIUM, f"Account {account or '?'} is outside the model."
    listed = [s for p in model.spec.principals for s in p.permission_sets]
    if listed and not _listed(role, listed):
        return Severity.MEDIUM, f"No declared principal uses permission set '{role or '?'}'."
    return None


def _listed(role: str | None, names: list[str]) -> bool:
    return role is not None and role.casefold() in {n.casefold() for n in names}
