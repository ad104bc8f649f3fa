"""Who an S3 bucket ACL (``PutBucketAcl``) lets in, as CloudTrail records it.

Three spellings reach the record: a canned ACL (``x-amz-acl: ["public-read"]``), grant headers
(``x-amz-grant-read: ['uri="http://acs.amazonaws.com/groups/global/AllUsers"']``) and the XML body
(``AccessControlPolicy.AccessControlList.Grant``, one grant or a list). ACLs name grantees by S3
group URI, canonical user id or e-mail address, never by account id: the model can place the public
groups (everyone, or every AWS account) and the owner itself, and nothing else. Nothing here raises.
"""

from __future__ import annotations

import re
from typing import Any

from chalicelib.identity.grants import EVERYONE, UNCONFIRMED, UNPLACED, Grantee, items_of

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"  # any AWS account at all
PUBLIC_GROUPS = {ALL_USERS.lower(): "everyone (S3 group AllUsers: public)",
                 AUTHENTICATED.lower(): "every AWS account in the world (S3 group AuthenticatedUsers)"}
# Canned ACLs that open the bucket; the others (private, bucket-owner-*, log-delivery-write,
# aws-exec-read) keep it to the owner and AWS services.
PUBLIC_CANNED = {"public-read": ALL_USERS, "public-read-write": ALL_USERS, "authenticated-read": AUTHENTICATED}
GRANT_HEADERS = ("x-amz-grant-read", "x-amz-grant-write", "x-amz-grant-read-acp", "x-amz-grant-write-acp",
                 "x-amz-grant-full-control")
# The canonical id of the account AWS delivers CloudFront and other service logs from (awslogsdelivery).
AWS_LOG_DELIVERY = "c4c1ede66af53448b93c283ce9448c4ba468c9432aa01d700d3878632f77d2d0"
HEADER_GRANTEE = re.compile(r'^\s*(uri|id|emailaddress)\s*=\s*"?([^",]*)"?\s*$', re.IGNORECASE)


def acl_grantees(params: dict[str, Any]) -> list[Grantee]:
    """Everyone the new ACL lets in that is neither the owner nor AWS; empty when none (or none recorded)."""
    found: list[Grantee] = []
    for canned in _strings(params.get("x-amz-acl")):
        uri = PUBLIC_CANNED.get(canned.strip().lower())
        if uri is not None:
            found.append(Grantee(EVERYONE, canned, f"{PUBLIC_GROUPS[uri.lower()]}, through canned ACL '{canned}'"))
    for header in GRANT_HEADERS:
        for value in _strings(params.get(header)):
            for part in value.split(","):
                m = HEADER_GRANTEE.match(part)
                if m:
                    found += _grantee(m.group(1).lower(), m.group(2), None, header.removeprefix("x-amz-grant-"))
    policy = params.get("AccessControlPolicy")
    if isinstance(policy, dict):
        owner = policy.get("Owner")
        owner_id = owner.get("ID") if isinstance(owner, dict) else None
        acl = policy.get("AccessControlList")
        for grant in items_of(acl.get("Grant") if isinstance(acl, dict) else None):
            grantee = grant.get("Grantee") if isinstance(grant, dict) else None
            if not isinstance(grantee, dict):
                continue
            permission = grant.get("Permission")
            what = permission.lower() if isinstance(permission, str) else "?"
            if isinstance(grantee.get("URI"), str):
                found += _grantee("uri", grantee["URI"], owner_id, what)
            elif isinstance(grantee.get("ID"), str):
                found += _grantee("id", grantee["ID"], owner_id, what)
            elif isinstance(grantee.get("EmailAddress"), str):
                found += _grantee("emailaddress", grantee["EmailAddress"], owner_id, what)
    return list(dict.fromkeys(found))


def _grantee(kind: str, value: str, owner_id: Any, permission: str) -> list[Grantee]:
    if kind == "uri":
        label = PUBLIC_GROUPS.get(value.strip().lower())
        if label is None:
            return []  # LogDelivery and other AWS groups
        if permission in ("read-acp", "read_acp"):  # the ACL itself, not the data
            return [Grantee(UNPLACED, value, f"{label}, allowed to read the ACL only")]
        return [Grantee(EVERYONE, value, f"{label} ({permission.replace('_', '-')})")]
    if kind == "id" and (value in (owner_id, AWS_LOG_DELIVERY) or not value.strip()):
        return []  # the bucket's owner, or AWS's log delivery
    spelled = "canonical user" if kind == "id" else "e-mail address"
    what = f"{spelled} {value!r} ({permission.replace('_', '-')}), which the model cannot tie to a declared account"
    if kind == "id" and owner_id is None:  # a grant header: the record does not say who owns the bucket
        return [Grantee(UNCONFIRMED, value, f"{what} (perhaps the bucket's owner: the record does not name it)")]
    return [Grantee(UNPLACED, value, what)]


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
