"""Who a resource policy or sharing attribute lets in, placed against the model's accounts.

A bucket, key, secret or repository policy, a snapshot's ``createVolumePermission``, an AMI's
``launchPermission`` and an RDS snapshot's ``restore`` attribute each name who may now read the
account's data. The model knows which accounts are ours, so each grantee is placed exactly: one of
them (inside), another account, everyone, an organization, or a principal that names no account.
Nothing here raises on bad input: what cannot be read is reported, never guessed.

Conditions: an Allow to ``"*"`` or to an AWS service is pinned when a Condition with a positive
operator (``StringEquals``, ``StringLike``, ``ArnEquals``, ``ArnLike``, without ``IfExists``) limits
``aws:PrincipalAccount`` / ``aws:SourceAccount`` / ``aws:SourceOwner`` to accounts, or
``aws:PrincipalArn`` / ``aws:SourceArn`` to ARNs of accounts: inside when every such account is
declared. ``aws:PrincipalOrgID`` / ``aws:PrincipalOrgPaths`` / ``aws:SourceOrgID`` pin to an
organization the model cannot confirm (it declares accounts, not an organization id). A wildcard under
a wildcard operator (``StringLike aws:PrincipalAccount "*"``, ``ArnLike aws:PrincipalArn arn:aws:iam::*:root``)
or a negated operator (``StringNotEquals``) pins no one: that key lets in every account it matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from chalicelib.events import json_kind
from chalicelib.identity import policy
from chalicelib.identity.model import IdentityModel

# An account id, its root, or a user or role of it, in any partition (Lambda's AddPermission takes any).
ACCOUNT = re.compile(r"^(?:arn:aws[a-z-]*:(?:iam|sts)::)?(\d{12})(?::(?:root|(?:user|role|assumed-role)/.+))?$")
ACCOUNT_IN_ARN = re.compile(r"^arn:aws[a-z-]*:[^:]*:[^:]*:(\d{12}):")
# A service principal: AWS's (s3.amazonaws.com, in China .amazonaws.com.cn) or Amazon's (Alexa skills'
# alexa-appkit.amazon.com).
SERVICE = re.compile(r"^[a-z0-9.-]+\.(?:amazonaws\.com(?:\.cn)?|amazon\.com)$")
# Sharing with an organization or organizational unit: the ARN holds its management account.
ORGANIZATION = re.compile(r"^arn:aws[a-z-]*:organizations::(\d{12}):(?:organization|ou)/(o-[a-z0-9]+)")
# CloudFront's origin access identities, a principal AWS itself holds (older S3 origins).
CLOUDFRONT_OAI = re.compile(r"^arn:aws[a-z-]*:iam::cloudfront:user/", re.IGNORECASE)
# Accounts AWS owns that bucket policies name for a service: Elastic Load Balancing's access-log writers
# in the Regions opened before August 2022 (newer ones use logdelivery.elasticloadbalancing.amazonaws.com).
ELB_LOG_ACCOUNTS = frozenset({
    "127311923021", "033677994240", "027434742980", "797873946194", "098369216593", "754344448648",
    "589379963580", "718504428378", "383597477331", "600734575887", "114774131450", "783225319266",
    "582318560864", "985666609251", "054676820928", "156460612806", "652711504416", "635631232127",
    "009996457667", "897822967062", "076674570225", "507241528517", "048591011584", "190560391635"})
# Services that read a resource for whichever account's resource asks (a CloudFront distribution fetching from
# its origin): a grant to one that no Condition pins to declared accounts lets any AWS customer read through it.
SERVES_ANY_ACCOUNT = frozenset({"cloudfront.amazonaws.com"})
EVERYONE = "everyone"  # Grantee kinds, loudest first
ACCOUNT_KIND = "account"
CONDITIONAL = "anyone-under-condition"  # "*" narrowed by a Condition the model cannot place (source IP, VPC)
UNPLACED = "unplaced"  # a principal that names no account (a unique id, a canonical user, a typo)
ORG = "organization"
UNCONFIRMED = "unconfirmed"  # a grantee that may well be the owner, the record cannot tell (an ACL header id)
ACCOUNT_KEYS = frozenset({"aws:principalaccount", "aws:sourceaccount", "aws:sourceowner", "kms:calleraccount"})
ARN_KEYS = frozenset({"aws:principalarn", "aws:sourcearn"})
ORG_KEYS = frozenset({"aws:principalorgid", "aws:principalorgpaths", "aws:sourceorgid", "aws:sourceorgpaths"})
# ForAllValues (and IfExists) pass when the key is absent, so they pin nothing.
PINNING = re.compile(r"^(?:foranyvalue:)?(?:stringequals|stringequalsignorecase|stringlike|arnequals|"
                     r"arnlike)$", re.IGNORECASE)
# Operators whose values hold wildcards (ArnEquals matches like ArnLike); a wildcard elsewhere is a literal.
WILD_OPERATOR = re.compile(r"^(?:foranyvalue:)?(?:stringlike|arnequals|arnlike)$", re.IGNORECASE)
# A negated operator on an account key lets in every account but those it names: it pins no one in.
NEGATED = re.compile(r"^(?:foranyvalue:)?(?:stringnotequals|stringnotequalsignorecase|stringnotlike|arnnotequals|"
                     r"arnnotlike)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Grantee:
    """Someone outside the model a grant lets in: ``kind`` (EVERYONE, ACCOUNT_KIND, CONDITIONAL, UNPLACED, ORG),
    ``value`` (the account, ``*``, the principal) and ``what``, in words for a reason."""

    kind: str
    value: str
    what: str


def outsider(model: IdentityModel, account: str | None, home: str | None) -> bool:
    """An account id the model does not declare (None: no account, so not an outside one)."""
    return account is not None and not model.declares_account(account, home)


def account_of(arn: object) -> str | None:
    """The 12-digit account of an ARN (``arn:aws:sns:us-east-1:123456789012:feed``), else None."""
    m = ACCOUNT_IN_ARN.match(arn) if isinstance(arn, str) else None
    return m.group(1) if m else None


def place(model: IdentityModel, value: object, home: str | None) -> Grantee | None:
    """One sharing value (an account id, ``all``, an organization or OU ARN): None when inside the model."""
    if isinstance(value, int) and not isinstance(value, bool) and 10**9 <= value < 10**12:
        value = f"{value:012d}"  # an account id recorded as a number (leading zeros lost)
    if not isinstance(value, str):
        return Grantee(UNPLACED, repr(value), f"a grantee the record spells {value!r}") if value is not None else None
    text = value.strip()
    if not text:
        return None  # names no one
    if text.lower() == "all":
        return Grantee(EVERYONE, "all", "everyone (the \"all\" group: public)")
    if text == "*":
        return Grantee(EVERYONE, "*", "everyone (\"*\": public)")
    m = ACCOUNT.match(text)
    if m:
        account = m.group(1)
        return Grantee(ACCOUNT_KIND, account, f"account {account}, which the model does not declare") \
            if outsider(model, account, home) else None
    m = ORGANIZATION.match(text)
    if m:
        if not outsider(model, m.group(1), home):
            return None  # an organization whose management account is ours
        return Grantee(ACCOUNT_KIND, m.group(1), f"organization {m.group(2)} (unit or whole), managed from account "
                                                 f"{m.group(1)}, which the model does not declare")
    return Grantee(UNPLACED, text, f"{text!r}, which names no account the model declares")


@dataclass(frozen=True, slots=True)
class PolicyGrants:
    """What a resource policy lets in from outside the model; ``problem`` when (part of) it could not be read."""

    outside: tuple[Grantee, ...] = ()
    problem: str | None = None
    statements: int = 0


def policy_grants(model: IdentityModel, document: Any, home: str | None) -> PolicyGrants:
    """Every Allow statement's principals, placed (Deny statements let no one in)."""
    try:
        raw = policy.decode(document)
    except policy.PolicyError as err:
        return PolicyGrants(problem=err.message)
    if not isinstance(raw, dict):
        return PolicyGrants(problem=f"the policy document is {json_kind(raw)}, not an object")
    items = raw.get("Statement")
    items = [items] if isinstance(items, dict) else items
    if not isinstance(items, list):
        return PolicyGrants(problem="the policy document has no Statement list")
    outside: list[Grantee] = []
    problems: list[str] = []
    for index, item in enumerate(items):
        doc = policy.parse_policy({"Statement": [item]})  # the shared reader, one statement at a time
        if doc.problem:
            problems.append(f"Statement[{index}]: {doc.problem}")
        for statement in doc.statements:
            if statement.allows:
                condition = item.get("Condition") if isinstance(item, dict) else None
                outside += _statement_outside(model, statement, condition, home)
    return PolicyGrants(outside=tuple(dict.fromkeys(outside)), problem="; ".join(problems[:3]) or None,
                        statements=len(items))


def _statement_outside(model: IdentityModel, s: policy.Statement, condition: Any,
                       home: str | None) -> list[Grantee]:
    refs = [policy.PrincipalRef("*", "*")] if s.not_principal else list(s.principals)
    out: list[Grantee] = []
    for ref in refs:
        if ref.kind == "*" or ref.kind == "Service":
            pin = _pinned(model, condition, home)
            if pin and ref.kind == "Service":  # a wildcard pin pins a service no more than none (below)
                pin = [g for g in pin if g.kind != EVERYONE] or None
            if pin is not None:
                out += pin
            elif ref.kind == "*" and s.conditional:
                out.append(Grantee(CONDITIONAL, "*", "anyone (Principal \"*\") who meets a Condition that names no "
                                                     "account (a source address or network, say): check it"))
            elif ref.kind == "*":
                out.append(Grantee(EVERYONE, "*", "everyone (Principal \"*\")"))
            elif ref.value.lower() in SERVES_ANY_ACCOUNT:
                out.append(Grantee(EVERYONE, ref.value, f"any AWS account's distribution (Service {ref.value} with no "
                                                        "aws:SourceArn or aws:SourceAccount pin): as good as public"))
            continue  # a service, for this account or one it cannot pin: the service's own
        if ref.kind == "AWS" and CLOUDFRONT_OAI.match(ref.value):
            continue
        account = policy.principal_account(ref) if ref.kind in ("AWS", "Federated") else None
        if account in ELB_LOG_ACCOUNTS:
            continue  # Elastic Load Balancing writing access logs: AWS's account, not an outsider
        if account is not None:
            if outsider(model, account, home):
                out.append(Grantee(ACCOUNT_KIND, account, f"account {account} ({ref.value}), which the model does "
                                                          "not declare"))
            continue
        out.append(Grantee(UNPLACED, f"{ref.kind}:{ref.value}", f"{ref.kind} principal {ref.value!r}, which names "
                                                                 "no account the model declares"))
    return out


def _pinned(model: IdentityModel, condition: Any, home: str | None) -> list[Grantee] | None:
    """For an Allow to anyone or a service: None when no Condition pins the caller; [] when it is pinned
    to declared accounts only; else who it is pinned to outside the model. Condition keys are ANDed, so
    one key pinned to declared accounts pins the statement; a key's values are ORed, so one wildcard value
    (``StringLike aws:PrincipalAccount "*"``) or a negated operator (``StringNotEquals``) widens that key."""
    if not isinstance(condition, dict):
        return None
    pins: list[list[Grantee]] = []  # one per account or ARN key: who that key lets in from outside
    org_pins: list[list[Grantee]] = []
    negations: list[Grantee] = []  # narrow nothing: they decide only when no key pins (ANDed, any pin is narrower)
    for operator, block in condition.items():
        if not isinstance(operator, str) or not isinstance(block, dict):
            continue
        negated, wild = bool(NEGATED.match(operator)), bool(WILD_OPERATOR.match(operator))
        if not negated and not PINNING.match(operator):
            continue
        for key, values in block.items():
            name = key.lower() if isinstance(key, str) else ""
            if name not in ACCOUNT_KEYS | ARN_KEYS | ORG_KEYS:
                continue
            if negated:
                negations.append(Grantee(EVERYONE, "*", f"everyone but those a {operator} {key} Condition names (a "
                                                        "negated operator pins no one in)"))
                continue
            found = _key_pin(model, str(key), _values(values), wild, home)
            if found is not None:
                (org_pins if name in ORG_KEYS else pins).append(found)
    for group in (pins, org_pins):  # an account pin is the narrower one: it decides
        if any(not found for found in group):
            return []  # one key (ANDed with the rest) admits declared accounts only
        narrow = [found for found in group if all(g.kind != EVERYONE for g in found)]
        if group:
            return list(dict.fromkeys(g for found in (narrow or group) for g in found))
    return negations[:1] or None


def _key_pin(model: IdentityModel, key: str, values: list[str], wild: bool, home: str | None) -> list[Grantee] | None:
    """Who one positive Condition key lets in from outside the model (values ORed); None when it names nothing
    placeable (an S3 bucket ARN, which has no account field: no pin)."""
    name = key.lower()
    out: list[Grantee] = []
    pinned = False
    for value in values:
        if name in ORG_KEYS:
            org = value.split("/", 1)[0]  # aws:PrincipalOrgPaths: o-id/r-root/ou-…/*, the org id first
            if wild and _wildcard(org):
                out.append(_anyone(key, value) if not org.removeprefix("o-").strip("*?") else Grantee(
                    ACCOUNT_KIND, value, f"any organization whose id matches {value!r} (through a Condition)"))
            elif org:
                out.append(Grantee(ORG, org, f"any principal of organization {org} (aws:PrincipalOrgID or its like):"
                                             " the model declares accounts, not an organization id, so it cannot "
                                             "confirm this one is yours"))
            pinned = pinned or bool(org)
            continue
        if "${" in value:  # a policy variable: only the resource's own account is known to pin
            if name in ACCOUNT_KEYS and value.strip().lower() == "${aws:resourceaccount}":
                pinned = True
            continue
        field = value if name in ACCOUNT_KEYS else _account_field(value)
        if field is None:
            continue
        pinned = True
        if re.fullmatch(r"\d{12}", field):
            if outsider(model, field, home):
                out.append(Grantee(ACCOUNT_KIND, field, f"account {field} (through a Condition), which the model "
                                                        "does not declare"))
        elif wild and _wildcard(field):
            out.append(_anyone(key, value) if not field.strip("*?") else Grantee(
                ACCOUNT_KIND, value, f"any account matching {value!r} (a wildcard in a Condition): not only the "
                                     "model's accounts"))
        # else a literal that no account id equals: it lets no one in
    return list(dict.fromkeys(out)) if pinned else None


def _account_field(value: str) -> str | None:
    """The account field of an ARN a Condition names (wildcards kept); None for an ARN without one (S3)."""
    if value.strip("*?") == "":
        return value  # "*": any ARN, so any account
    parts = value.split(":")
    if not value.startswith("arn:") or len(parts) < 5 or parts[4] == "":
        return None
    return parts[4] if len(parts) > 5 or _wildcard(parts[4]) else None


def _wildcard(text: str) -> bool:
    return "*" in text or "?" in text


def _anyone(name: str, value: str) -> Grantee:
    return Grantee(EVERYONE, "*", f"everyone (Principal \"*\" under a Condition {name} {value!r}, which matches "
                                  "every account: no pin)")


def _values(values: Any) -> list[str]:
    """A Condition key's values as text; a number (an account id written unquoted) as its 12 digits."""
    items = values if isinstance(values, list) else [values]
    return [v if isinstance(v, str) else f"{v:012d}" for v in items
            if isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 10**12)]


def items_of(value: Any) -> list[Any]:
    """The entries of an EC2 list as CloudTrail records it (``{"items": [...]}``), a bare list or one entry."""
    if isinstance(value, dict):
        inner = value.get("items", value.get("item"))
        if inner is None:
            return [value] if value else []
        value = inner
    if isinstance(value, list):
        return value
    return [value] if value is not None else []


def loudest(grantees: Iterable[Grantee]) -> str | None:
    """The loudest kind among ``grantees`` (EVERYONE > ACCOUNT_KIND > CONDITIONAL > UNPLACED > ORG > UNCONFIRMED)."""
    kinds = {g.kind for g in grantees}
    return next((k for k in (EVERYONE, ACCOUNT_KIND, CONDITIONAL, UNPLACED, ORG, UNCONFIRMED) if k in kinds), None)


SHOWN = 5  # grantees a reason names; a finding's details list them all


def described(grantees: Iterable[Grantee]) -> str:
    """The grantees in words, loudest first, the first ``SHOWN`` only (a 20 kB policy can name 1,500 accounts)."""
    order = (EVERYONE, ACCOUNT_KIND, CONDITIONAL, UNPLACED, ORG, UNCONFIRMED)
    unique = sorted(dict.fromkeys(grantees), key=lambda g: order.index(g.kind) if g.kind in order else len(order))
    more = f"; and {len(unique) - SHOWN} more (the finding's details list them)" if len(unique) > SHOWN else ""
    return "; ".join(g.what for g in unique[:SHOWN]) + more
