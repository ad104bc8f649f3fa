"""Narrow a family's packaged pattern to what the packaged model does not declare as routine.

Every routed event is a Lambda invocation; the model knows which callers' reads and
assumptions cannot be findings (e.g. the CI user's Terraform reads), so the builder leaves
them out of the ``reads`` / ``sts`` patterns and fills in the ``ssm`` and ``home`` families'
names from the model (deploy/build_merge_template.py and the member template use this).
"""

from __future__ import annotations

import copy
import os
import re
from typing import Any


def narrowed_pattern(family: str, pattern: dict[str, Any], env: dict[str, str]) -> dict[str, Any] | None:
    """The ``reads`` / ``sts`` pattern without what the model declares as routine.

    Every routed event is an invocation, and some cannot be findings of the rules they would
    feed: a declared access-key user's static-key reads (the CI user's Terraform plans read
    thousands of resources), a declared IAM user's or role's reads of the sensitive services,
    and a declared caller assuming the one role its ``may_assume`` names. The deployed rules
    leave those out. Names come from the model bundled with this package (or TRAILWARDEN_MODEL
    at package time): change those principals, and package and deploy again. Only exact names
    and AWS-set ARNs are used, so a look-alike name is still routed.
    """
    if family == "home":
        return home_pattern(pattern, env)
    if family == "ssm":
        return secrets_pattern(pattern, env)
    if family not in ("reads", "sts"):
        return None
    model = packaged_model(env)
    if model is None:
        return None  # not readable at package time: everything stays routed
    principals = model.spec.principals
    key_users = _names_where(model, lambda p: [p.iam_user] if p.auth == "access-key" and p.iam_user else [])
    users = _names_where(model, lambda p: [p.iam_user] if p.iam_user else [])
    roles = _names_where(model, lambda p: list(p.roles))
    narrowed = copy.deepcopy(pattern)
    branches = narrowed["detail"]["$or"]
    for branch in list(branches):
        if family == "sts" and "eventName" in branch:
            continue  # a branch for other STS calls (session tokens): never narrowed
        identity = branch.get("userIdentity", {})
        kind = identity.get("type")
        if family == "reads" and kind == ["IAMUser"]:
            # An AKIA key, or a session of one that is not a console's: the access-key users'.
            static = identity.get("accessKeyId") in ([{"prefix": "AKIA"}], [{"prefix": "ASIA"}])
            _exclude(branches, branch, ("userIdentity", "userName"), key_users if static else users)
        elif family == "reads" and kind == ["AssumedRole"] and _sso_only(identity):
            whole = copy.deepcopy(branch)
            _exclude(branches, branch, ("userIdentity", "arn"), _sso_sessions(model))
            # A declared user under a permission set no principal lists (one made and assigned by
            # whoever took over an admin) is identity-auth-mismatch on every call.
            listed = sorted({n for p in principals for n in p.permission_sets})
            if listed:
                _put(whole, ("userIdentity", "sessionContext", "sessionIssuer", "userName"),
                     [{"anything-but": {"wildcard": [f"AWSReservedSSO_{n}_*" for n in listed]}}])
                branches.append(whole)
        elif family == "reads" and kind == ["AssumedRole"]:
            _exclude(branches, branch, ("userIdentity", "sessionContext", "sessionIssuer", "userName"), roles)
        elif family == "sts" and kind in (["IAMUser"], ["AssumedRole"]):
            path = (("userIdentity", "userName") if kind == ["IAMUser"]
                    else ("userIdentity", "sessionContext", "sessionIssuer", "userName"))

            def names(p: Any, kind: list[str] = kind) -> list[str]:
                if kind == ["IAMUser"]:
                    return [p.iam_user] if p.iam_user else []
                return list(p.roles)

            # A declared caller with no may_assume may assume any role (nothing to judge); one
            # with a single may_assume role is routed for every other role.
            unrestricted = _names_where(model, lambda p: names(p) if not p.may_assume else [])
            single = [p for p in principals if len(p.may_assume) == 1]
            callers = {**unrestricted, **_names_where(model, lambda p: names(p) if len(p.may_assume) == 1 else [])}
            if not callers:
                continue
            _exclude(branches, branch, path, callers)
            # Its own role, in the accounts the model declares (the same name elsewhere is not it).
            where = sorted(model.accounts) or ["*"]
            for p in single:
                for name in names(p):
                    if name in unrestricted:
                        continue
                    extra: dict[str, Any] = {"userIdentity": {"type": kind}, "requestParameters": {"roleArn": [
                        {"anything-but": {"wildcard": [f"arn:aws*:iam::{a}:role/{p.may_assume[0]}" for a in where]}}]}}
                    _put(extra, path, [name])
                    account = _accounts_of(model, p)
                    if account is not None:
                        _put(extra, ("userIdentity", "accountId"), account)
                    branches.append(extra)
    if family == "sts":
        branches.extend(_reader_role_entries(model))
        return narrowed
    instance_roles = sorted({r for p in principals if p.auth == "instance-profile" for r in p.roles})
    if instance_roles:
        # An instance role's session without the ec2RoleDelivery AWS sets on instance credentials was
        # not delivered to an instance (identity-auth-mismatch on every call; IMDS sessions carry it).
        branches.append({"userIdentity": {
            "type": ["AssumedRole"], "sessionContext": {"sessionIssuer": {"userName": instance_roles},
                                                        "ec2RoleDelivery": [{"exists": False}]}}})
    if key_users:
        # A declared access-key user's console session contradicts its declared auth on every
        # call (identity-auth-mismatch), even where the trail holds no ConsoleLogin (another region).
        branches.append({"sessionCredentialFromConsole": [{"exists": True}], "userIdentity": {
            "type": ["IAMUser"], "userName": sorted(key_users)}})
    return narrowed


Names = dict[str, list[str] | None]  # a name → the accounts it is declared in (None: every account)


def _accounts_of(model: Any, p: Any) -> list[str] | None:
    """Where the principal exists (IdentityModel.exists_in): its accounts, else every declared one."""
    accounts = list(p.accounts) or sorted(model.accounts)
    return accounts or None


def _names_where(model: Any, names_of: Any) -> Names:
    """Each name ``names_of`` gives a principal, with the accounts it is declared in."""
    out: Names = {}
    for p in model.spec.principals:
        for name in names_of(p):
            where = _accounts_of(model, p)
            if name in out and (out[name] is None or where is None):
                out[name] = None
            elif name in out:
                out[name] = sorted({*(out[name] or []), *(where or [])})
            else:
                out[name] = where
    return out


def _exclude(branches: list[Any], branch: dict[str, Any], path: tuple[str, ...], names: Names) -> None:
    """Leave ``names`` out of ``branch``, but only in the accounts each is declared in.

    A name is its owner's to pick: the CI user's name or a declared role's, made in an account
    where the model does not declare it, is an undeclared principal and stays routed. EventBridge
    has no "not (name and account)", so the branch excludes the names everywhere and one more
    branch per set of accounts takes those names back outside their accounts. An ``arn`` path
    holds wildcards, any other path exact names.
    """
    if not names:
        return
    arn = path[-1] == "arn"
    _put(branch, path, [{"anything-but": {"wildcard": sorted(names)} if arn else sorted(names)}])
    by_accounts: dict[tuple[str, ...], list[str]] = {}
    for name, where in names.items():
        if where is not None:
            by_accounts.setdefault(tuple(where), []).append(name)
    for where, group in sorted(by_accounts.items()):
        back = copy.deepcopy(branch)
        _put(back, path, [{"wildcard": sorted(group)}] if arn else sorted(group))
        _put(back, ("userIdentity", "accountId"), [{"anything-but": list(where)}])
        branches.append(back)


def _sso_only(identity: dict[str, Any]) -> bool:
    """The reads branch for IAM Identity Center sessions (its issuer ARN *is* the reserved path)."""
    issuer = identity.get("sessionContext", {}).get("sessionIssuer", {}).get("arn")
    return isinstance(issuer, list) and any(isinstance(f, dict) and "wildcard" in f for f in issuer)


def _sso_sessions(model: Any) -> Names:
    """Declared SSO users' session ARNs (wildcards on any permission set), with their accounts.
    Short (the branch already pins the issuer to the reserved path), so twenty users fit the quota."""
    return _names_where(model, lambda p: [f"*/AWSReservedSSO_*/{u}" for u in p.sso_users])


def _reader_role_entries(model: Any) -> list[dict[str, Any]]:
    """Every entry into a role that reads a declared secret, whoever the caller.

    A session's reads are judged for whoever obtained it (chalicelib/history.py), and only an
    assumption that reaches a handler teaches that: a declared role free to assume any role
    (no ``may_assume``) entering the agent role must still be seen. The role is matched on the
    session ARN AWS returns, which spells the role as IAM does.
    """
    readers = {r for s in model.spec.secrets for r in s.readers}
    roles = sorted({r for p in model.spec.principals if p.id in readers for r in p.roles})
    if not roles:
        return []
    return [{"userIdentity": {"type": ["IAMUser", "AssumedRole"]}, "responseElements": {"assumedRoleUser": {
        "arn": [{"wildcard": f"arn:aws*:sts::*:assumed-role/{r}/*"} for r in roles]}}}]


def secrets_pattern(pattern: dict[str, Any], env: dict[str, str]) -> dict[str, Any] | None:
    """The ``ssm`` pattern with Secrets Manager value reads narrowed to the declared secrets.

    A GetSecretValue can only be a finding when it names a secret the packaged model declares,
    so it is routed only when its ``secretId`` (a name, or a partial or full ARN) can be one of
    them: a glob's ``?`` and ``[...]`` widen to ``*`` (EventBridge wildcards know only ``*``), and
    an ARN may end in any suffix. A BatchGetSecretValue is routed whenever any Secrets Manager
    secret is declared (its filters may match any). None declared: neither is routed here.
    """
    model = packaged_model(env)
    if model is None:
        return None  # not readable at package time: every Secrets Manager value read stays routed
    narrowed = copy.deepcopy(pattern)
    branches = narrowed["detail"]["$or"]
    (sm,) = [b for b in branches if b.get("eventSource") == ["secretsmanager.amazonaws.com"]]
    branches.remove(sm)
    ids: list[str] = []
    for _, spec in model.sm_secrets:
        for name in sm_patterns(spec):
            loose = re.sub(r"\?|\[[^\]]*\]", "*", name)
            ids += [loose, f"arn:aws*:secretsmanager:*:secret:{loose}*"]
    if ids:
        branches.append({**sm, "eventName": ["GetSecretValue"], "requestParameters": {"secretId": [
            {"wildcard": re.sub(r"\*+", "*", w)} for w in dict.fromkeys(ids)]}})
        branches.append({**sm, "eventName": ["BatchGetSecretValue"]})
    return narrowed


def home_pattern(pattern: dict[str, Any], env: dict[str, str]) -> dict[str, Any] | None:
    """Every call by the packaged model's principals that declare where they run.

    credential-used-outside-home judges *any* call of such a principal, which the narrowed
    reads/sts families and the switchable writes family would miss, so this family routes
    them all, read or write, in every stage: its IAM user (and that user's federated
    sessions), its roles' sessions, its SSO users' sessions. Names compare ignoring case, as
    IAM does. Each such call is one invocation (plus one more when another family also takes
    it). No such principal, or a model on S3: the app's pattern, which matches nothing.
    """
    model = packaged_model(env)
    homes = [p for p in model.spec.principals if p.declares_home] if model is not None else []
    users = sorted({p.iam_user for p in homes if p.iam_user})
    roles = sorted({r for p in homes for r in p.roles})
    sso = sorted({u for p in homes for u in p.sso_users})
    branches: list[dict[str, Any]] = []
    if users:
        names = [{"equals-ignore-case": u} for u in users]
        branches.append({"userIdentity": {"type": ["IAMUser"], "userName": names}})
        branches.append({"userIdentity": {"type": ["FederatedUser"], "sessionContext": {"sessionIssuer": {
            "userName": names}}}})
    if roles:
        branches.append({"userIdentity": {"type": ["AssumedRole"], "sessionContext": {"sessionIssuer": {
            "userName": [{"equals-ignore-case": r} for r in roles]}}}})
    if sso:
        branches.append({"userIdentity": {"type": ["AssumedRole"], "arn": [
            {"wildcard": f"arn:aws*:sts::*:assumed-role/AWSReservedSSO_*/{u}"} for u in sso]}})
    if not branches:
        return None
    return {"source": pattern["source"], "detail": {"$or": branches}}


def _put(node: dict[str, Any], path: tuple[str, ...], value: list[Any]) -> None:
    """Set ``value`` at ``path`` in a pattern, making the dicts on the way."""
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value


def sm_patterns(spec: Any) -> tuple[str, ...]:
    from chalicelib.identity.secrets import sm_patterns as patterns

    return patterns(spec)


def packaged_model(env: dict[str, str]) -> Any:
    """The identity model the package is narrowed for (None when it is on S3)."""
    from chalicelib.identity import load_model

    source = env.get("TRAILWARDEN_MODEL") or os.environ.get("TRAILWARDEN_PACKAGE_MODEL")
    if source and source.startswith("s3://"):
        return None
    return load_model(source or None)
