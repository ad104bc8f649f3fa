"""Which GitHub repositories a role's trust policy lets in, compared with the model's OIDC subjects.

A role trusting GitHub's OIDC issuer is only as narrow as the Condition on the token's ``sub``
claim (``repo:ORG/REPO:ref:…``). Without one, or with a pattern that leaves the organization open
(``repo:*``), any repository on GitHub can obtain the role's session: a misconfiguration Datadog
Security Labs and others found in many accounts, and an open door once made on purpose. The model
says which subjects are expected (``oidc_subjects``); a trusted subject none of them covers is
outside the model.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator
from typing import Any

from chalicelib.identity.policy import PolicyError, decode

GITHUB = "token.actions.githubusercontent.com"
# Operators that match ``sub`` as a string (``…IfExists`` also lets a token without the claim in).
MATCHING = ("stringequals", "stringlike", "stringequalsignorecase", "forallvalues:stringlike",
            "foranyvalue:stringlike", "forallvalues:stringequals", "foranyvalue:stringequals")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _issuer(federated: Any) -> str | None:
    """GitHub's issuer a Federated principal names (lower case): ``token.actions.githubusercontent.com``,
    or an enterprise's own issuer under it (``…/ENTERPRISE``), whose claims are keyed by that path."""
    if not isinstance(federated, str):
        return None
    issuer = federated.split(":oidc-provider/", 1)[-1].strip("/").lower()
    return issuer if issuer == GITHUB or issuer.startswith(GITHUB + "/") else None


def _github_statements(doc: Any) -> Iterator[tuple[dict[str, Any], str]]:
    """(statement, issuer) for each Allow statement whose Federated principal is GitHub's OIDC provider."""
    if not isinstance(doc, dict):
        return
    for s in _as_list(doc.get("Statement")):
        if not isinstance(s, dict) or s.get("Effect") != "Allow":
            continue
        principal = s.get("Principal")
        federated = principal.get("Federated") if isinstance(principal, dict) else None
        for issuer in dict.fromkeys(i for i in map(_issuer, _as_list(federated)) if i):
            yield s, issuer


def _subjects(statement: dict[str, Any], issuer: str = GITHUB) -> list[str] | None:
    """The ``sub`` patterns a statement requires, or None when nothing pins ``sub``."""
    sub = f"{issuer}:sub"
    condition = statement.get("Condition")
    if not isinstance(condition, dict):
        return None
    found: list[str] = []
    for operator, clauses in condition.items():
        if not isinstance(operator, str) or not isinstance(clauses, dict):
            continue
        op = operator.lower()
        if op.endswith("ifexists") or op not in MATCHING:
            continue
        for key, values in clauses.items():
            if isinstance(key, str) and key.lower() == sub:
                found += [v for v in _as_list(values) if isinstance(v, str)]
    return found or None


# Claims of a customized ``sub`` (GitHub's OIDC subject template) that pin the organization or repository;
# ``repo`` pins it by its ``ORG/`` prefix. Not ``job_workflow_ref``: any repository may call a reusable workflow.
PINNING_CLAIMS = frozenset({"repository_owner", "repository_owner_id", "repository_id"})
_WILD = ("*", "?", "[")


def org_open(pattern: str) -> bool:
    """Whether a ``sub`` pattern leaves the GitHub organization (or the whole claim) open: it pins
    neither ``repo:ORG/…`` nor, in a customized claim (``repository_owner_id:123:…``), an owner or
    repository without a wildcard."""
    tokens = pattern.split(":")
    for i in range(0, len(tokens) - 1, 2):
        key, value = tokens[i], tokens[i + 1]
        if key == "repo" and "/" in value:
            pinned = value.split("/", 1)[0]
        elif key in PINNING_CLAIMS and value:
            pinned = value
        else:
            continue
        # Everything up to the pinned value must be literal: a wildcard before it lets any claim in.
        if not any(w in ":".join([*tokens[:i + 1], pinned]) for w in _WILD):
            return False
    return True


def loose_subjects(document: Any, declared: Iterable[str]) -> list[str]:
    """What a trust policy lets in from GitHub beyond the model: ``"any repository"`` for a GitHub
    statement without a ``sub`` condition, else each trusted pattern no declared glob covers (with
    no globs declared, only patterns that leave the organization open). [] when none, or unreadable."""
    try:
        doc = decode(document)
    except PolicyError:
        return []
    globs = list(declared)
    out: list[str] = []
    for statement, issuer in _github_statements(doc):
        subjects = _subjects(statement, issuer)
        if subjects is None:
            out.append("any repository (no condition on the token's sub)")
            continue
        for pattern in subjects:
            covered = any(fnmatch.fnmatchcase(pattern, g) for g in globs) if globs else not org_open(pattern)
            if not covered:
                out.append(pattern)
    return list(dict.fromkeys(out))
