"""IAM policy documents as CloudTrail records them: decoded, parsed, and asked what they grant.

A policy in ``requestParameters`` is a string: URL-encoded JSON (IAM's wire form), plain JSON,
or something a tool mangled. Detections must never substring-match it ("AdministratorAccess" in
a comment, ``"Action": "iam:*"`` inside a Deny), so this module parses it into statements and
answers questions about them. Nothing here raises on bad input: a document that cannot be read
comes back with ``problem`` set (and whatever statements could be read), so the rule still
reports the call and says why it could not judge the document.

Reading is conservative where IAM semantics widen access: ``NotAction`` and ``NotResource`` in
an Allow grant everything they do not name, and ``NotPrincipal`` in an Allow trusts everyone
it does not name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import unquote, unquote_plus

from chalicelib.errors import TrailwardenError
from chalicelib.events import json_kind

MAX_CHARS = 131_072  # IAM caps documents at 10,240 (inline) / 6,144 (managed) characters; trust 2,048+
PRINCIPAL_KINDS = ("AWS", "Federated", "Service", "CanonicalUser")
# Names no real action or ARN has: a pattern that matches one matches every name of its kind.
ANY_ACTION = "\x00:\x00"
ANY_IAM_ACTION = "iam:\x00"
PASS_ROLE = "iam:passrole"
ANY_RESOURCE = "arn:aws:\x00:\x00:\x00:\x00"
ANY_ROLE = "arn:aws:iam::\x00:role/\x00"
ANY_IAM_RESOURCE = "arn:aws:iam::\x00:\x00"
# A statement's resources name their partition (arn:aws-us-gov:iam::*:role/* is every GovCloud role): the probes
# above are tried in each, as a document is only ever evaluated in its own.
PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc")
# AWS managed policies that are admin-equivalent by themselves: every attachable one whose current version
# admin_grants() flags without a Condition (read over zoph-io/MAMIP's copy of every AWS managed policy, 2026-02):
# every action, all of IAM, or iam:PassRole on every role beside ec2:RunInstances (an instance runs as any role).
# PowerUserAccess is not: it allows everything but iam:*, so it can pass no role and grant itself nothing. The
# deprecated ones (AWSLambdaFullAccess, AmazonEC2SpotFleetRole, AWSOpsWorksRole...) can no longer be attached.
ADMIN_MANAGED = frozenset({"AdministratorAccess", "IAMFullAccess", "AmazonElasticMapReduceFullAccess",
                           "AmazonElasticMapReduceRole", "AWSElasticBeanstalkService",
                           "AmazonDynamoDBFullAccesswithDataPipeline"})
# IAM finds an AWS managed policy by its ARN in any case (awslabs/mcp#4101: 'administratoraccess' attaches
# AdministratorAccess), and CloudTrail records the caller's spelling: compared without ASCII case.
AWS_MANAGED = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(?:[^/]+/)*([^/]+)$", re.IGNORECASE)
_ADMIN_MANAGED_FOLDED = frozenset(n.lower() for n in ADMIN_MANAGED)


class PolicyError(TrailwardenError):
    """A policy document that could not be read; the message says what is wrong with it."""


@dataclass(frozen=True, slots=True)
class PrincipalRef:
    """One entry of a statement's ``Principal``: ``kind`` is AWS, Federated, Service, CanonicalUser or "*"."""

    kind: str
    value: str


@dataclass(frozen=True, slots=True)
class Statement:
    effect: str
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] | None = None
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] | None = None
    principals: tuple[PrincipalRef, ...] = ()
    not_principal: bool = False
    conditional: bool = False

    @property
    def allows(self) -> bool:
        return self.effect == "Allow"

    def grants_action(self, action: str) -> bool:
        """Whether this Allow covers ``action`` (NotAction: everything it does not list)."""
        if not self.allows:
            return False
        if self.not_actions is not None:
            return not any(glob_matches(p, action) for p in self.not_actions)
        return any(glob_matches(p, action) for p in self.actions)

    def covers_resource(self, arn: str) -> bool:
        """Whether this statement applies to ``arn``; a statement without Resource (trust) covers all."""
        if self.not_resources is not None:
            return not any(glob_matches(p, arn) for p in self.not_resources)
        return not self.resources or any(glob_matches(p, arn) for p in self.resources)


@dataclass(frozen=True, slots=True)
class PolicyDocument:
    statements: tuple[Statement, ...] = ()
    problem: str | None = None  # why (part of) the document could not be read

    @property
    def readable(self) -> bool:
        return self.problem is None


@lru_cache(maxsize=4096)
def _glob(pattern: str) -> re.Pattern[str]:
    """IAM wildcards: ``*`` any run, ``?`` one character; everything else literal; case-insensitive."""
    parts = (".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def glob_matches(pattern: str, value: str) -> bool:
    return _glob(pattern).fullmatch(value) is not None


def _decode(value: Any) -> Any:
    """The JSON object a policy string holds, URL-encoded or not; PolicyError when it holds none."""
    if isinstance(value, dict):
        return value  # already parsed (some exporters unfold it)
    if not isinstance(value, str):
        raise PolicyError(f"the policy document is {json_kind(value)}, not a JSON string")
    if len(value) > MAX_CHARS:
        raise PolicyError(f"the policy document is {len(value):,} characters, more than any IAM policy")
    text = value.strip()
    if not text:
        raise PolicyError("the policy document is empty")
    candidates = [text]
    if "%" in text or "+" in text:
        candidates += [unquote(text), unquote_plus(text)]
    last = "it is neither JSON nor URL-encoded JSON"
    for candidate in dict.fromkeys(candidates):
        try:
            return json.loads(candidate)
        except json.JSONDecodeError as err:
            cut = err.pos >= len(candidate.rstrip()) - 1
            if cut:
                last = "the JSON ends early (truncated)"
            elif candidate.startswith(("{", "[")):
                last = f"it is not valid JSON ({err.msg} at {err.pos})"
        except RecursionError:
            last = "the JSON is nested too deeply"
    raise PolicyError(f"the policy document could not be read: {last}")


def decode(value: Any) -> Any:
    """The JSON a policy document holds, URL-encoded or not (for readers of more than
    ``parse_policy`` keeps, such as Conditions); PolicyError when it holds none."""
    return _decode(value)


def _strings(value: Any, what: str, problems: list[str]) -> tuple[str, ...]:
    """A string or list of strings (IAM allows both); anything else is noted and skipped."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        kept = tuple(v for v in value if isinstance(v, str))
        if len(kept) != len(value):
            problems.append(f"{what} holds a value that is not a string")
        return kept
    problems.append(f"{what} is {json_kind(value)}, not a string or list")
    return ()


def _principals(value: Any, problems: list[str]) -> tuple[PrincipalRef, ...]:
    if value == "*":
        return (PrincipalRef("*", "*"),)
    if not isinstance(value, dict):
        problems.append("Principal is neither \"*\" nor an object")
        return ()
    out: list[PrincipalRef] = []
    for kind, names in value.items():
        label = kind if kind in PRINCIPAL_KINDS else str(kind)
        if kind not in PRINCIPAL_KINDS:
            problems.append(f"Principal has an unknown key {label!r}")
        for name in _strings(names, f"Principal.{label}", problems):
            out.append(PrincipalRef("*" if name == "*" and kind == "AWS" else label, name))
    return tuple(out)


def _statement(raw: Any, index: int, problems: list[str]) -> Statement | None:
    where = f"Statement[{index}]"
    if not isinstance(raw, dict):
        problems.append(f"{where} is not an object")
        return None
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        problems.append(f"{where} has Effect {effect!r}, not Allow or Deny")
        return None

    def field(name: str) -> tuple[str, ...] | None:
        return _strings(raw[name], f"{where}.{name}", problems) if name in raw else None

    principal_key = "NotPrincipal" if "NotPrincipal" in raw else "Principal"
    principals = _principals(raw[principal_key], problems) if principal_key in raw else ()
    return Statement(effect=effect, actions=field("Action") or (), not_actions=field("NotAction"),
                     resources=field("Resource") or (), not_resources=field("NotResource"),
                     principals=principals, not_principal=principal_key == "NotPrincipal",
                     conditional=bool(raw.get("Condition")))


def parse_policy(value: Any) -> PolicyDocument:
    """Read a policy document; never raises. ``problem`` says what could not be read."""
    try:
        doc = _decode(value)
    except PolicyError as err:
        return PolicyDocument(problem=err.message)
    if not isinstance(doc, dict):
        return PolicyDocument(problem=f"the policy document is {json_kind(doc)}, not an object")
    raw = doc.get("Statement")
    if raw is None:
        return PolicyDocument(problem="the policy document has no Statement")
    items = [raw] if isinstance(raw, dict) else raw if isinstance(raw, list) else None
    if items is None:
        return PolicyDocument(problem=f"Statement is {json_kind(raw)}, not an object or list")
    problems: list[str] = []
    statements = tuple(s for i, item in enumerate(items) if (s := _statement(item, i, problems)) is not None)
    problem = f"part of the policy document could not be read: {'; '.join(problems[:3])}" if problems else None
    return PolicyDocument(statements=statements, problem=problem)


def admin_grants(doc: PolicyDocument) -> list[str]:
    """What makes the document admin-equivalent, in words; empty when nothing does.

    Admin-equivalent: every action, all of IAM, or ``iam:PassRole`` on every role (hand any role
    to a new Lambda or instance and act as it), on every resource of that kind.
    """
    found: list[str] = []
    for s in doc.statements:
        when = " (under a condition)" if s.conditional else ""
        if s.grants_action(ANY_ACTION) and _covers_every(s, ANY_RESOURCE):
            found.append(_every_action(s) + when)
        elif s.grants_action(ANY_IAM_ACTION) and _covers_every(s, ANY_IAM_RESOURCE):
            found.append("every IAM action (iam:*) on every resource, so it can grant itself anything" + when)
        elif s.grants_action(PASS_ROLE) and _covers_every(s, ANY_ROLE):
            found.append("iam:PassRole on every role, so it can act as any role it hands to a service" + when)
    return list(dict.fromkeys(found))


def _covers_every(s: Statement, probe: str) -> bool:
    """Whether the statement covers every resource ``probe`` stands for, in some partition."""
    return any(s.covers_resource(probe.replace("arn:aws:", f"arn:{p}:", 1)) for p in PARTITIONS)


def _every_action(s: Statement) -> str:
    if s.not_actions is not None:
        return f"every action except {', '.join(s.not_actions) or 'none'} (NotAction) on every resource"
    return "every action (*) on every resource"


def managed_policy_name(arn: str | None) -> str | None:
    """``AdministratorAccess`` for ``arn:aws:iam::aws:policy/AdministratorAccess``; None if not AWS managed."""
    match = AWS_MANAGED.match(arn) if arn else None
    return match.group(1) if match else None


def admin_managed_policy(arn: str | None) -> bool:
    """An AWS managed policy that is admin-equivalent by itself (a customer policy's text is unknown)."""
    name = managed_policy_name(arn)
    return name is not None and name.isascii() and name.lower() in _ADMIN_MANAGED_FOLDED


def trusted(doc: PolicyDocument) -> list[PrincipalRef]:
    """Who the Allow statements of a trust policy let in; ``NotPrincipal`` reads as ``"*"``."""
    out: list[PrincipalRef] = []
    for s in doc.statements:
        if not s.allows:
            continue
        out.extend([PrincipalRef("*", "*")] if s.not_principal else s.principals)
    return list(dict.fromkeys(out))


def conditional_trust(doc: PolicyDocument) -> bool:
    """Whether an Allow that lets in a non-service principal carries a Condition (which may narrow it,
    e.g. ``aws:PrincipalOrgID`` or ``sts:ExternalId``; it never widens it)."""
    return any(s.allows and s.conditional and (s.not_principal or any(r.kind != "Service" for r in s.principals))
               for s in doc.statements)


def principal_account(ref: PrincipalRef) -> str | None:
    """The 12-digit account an AWS or Federated principal belongs to (an id, a root, user or role ARN)."""
    value = ref.value
    if re.fullmatch(r"\d{12}", value):
        return value
    parts = value.split(":")
    if value.startswith("arn:") and len(parts) >= 6 and re.fullmatch(r"\d{12}", parts[4]):
        return parts[4]
    return None


def provider_name(ref: PrincipalRef) -> str:
    """A federated principal's provider: ``Okta`` for a SAML ARN, the issuer host/path for OIDC."""
    for marker in (":saml-provider/", ":oidc-provider/"):
        if marker in ref.value:
            return ref.value.split(marker, 1)[1]
    return ref.value


def describe(refs: Iterable[PrincipalRef]) -> str:
    return ", ".join(f"{r.kind}:{r.value}" if r.kind != "*" else '"*" (anyone)' for r in refs)
