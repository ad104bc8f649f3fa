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
    key_users = sorted({p.iam_user for p in principals if p.auth == "access-key" and p.iam_user})
    users = sorted({p.iam_user for p in principals if p.iam_user})
    roles = sorted({r for p in principals for r in p.roles})
    narrowed = copy.deepcopy(pattern)
    branches = narrowed["detail"]["$or"]
    for branch in list(branches):
        if family == "sts" and "eventName" in branch:
            continue  # a branch for other STS calls (session tokens): never narrowed
        identity = branch.get("userIdentity", {})
        kind = identity.get("type")
        if family == "reads" and kind == ["IAMUser"]:
            names = key_users if identity.get("accessKeyId") == [{"prefix": "AKIA"}] else users
            if names:
                identity["userName"] = [{"anything-but": names}]
        elif family == "reads" and kind == ["AssumedRole"] and roles:
            identity.setdefault("sessionContext", {}).setdefault("sessionIssuer", {})["userName"] = [
                {"anything-but": roles}]
        elif family == "sts" and kind in (["IAMUser"], ["AssumedRole"]):
            field = "userName" if kind == ["IAMUser"] else "sessionIssuer"

            def names(p: Any, kind: list[str] = kind) -> list[str]:
                if kind == ["IAMUser"]:
                    return [p.iam_user] if p.iam_user else []
                return list(p.roles)

            # A declared caller with no may_assume may assume any role (nothing to judge); one
            # with a single may_assume role is routed for every other role.
            unrestricted = {n for p in principals if not p.may_assume for n in names(p)}
            routine = {(n, p.may_assume[0]) for p in principals if len(p.may_assume) == 1 for n in names(p)}
            callers = sorted(unrestricted | {n for n, _ in routine})
            if not callers:
                continue
            _set_caller(identity, field, [{"anything-but": callers}])
            for name, role in sorted(routine):
                extra = {"userIdentity": {"type": kind}, "requestParameters": {"roleArn": [
                    {"anything-but": {"wildcard": f"arn:aws*:iam::*:role/{role}"}}]}}
                _set_caller(extra["userIdentity"], field, [name])
                branches.append(extra)
    return narrowed


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


def _set_caller(identity: dict[str, Any], field: str, value: list[Any]) -> None:
    if field == "userName":
        identity["userName"] = value
    else:
        identity.setdefault("sessionContext", {}).setdefault("sessionIssuer", {})["userName"] = value


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
