"""Which declared secret a request names: SSM parameter names, Secrets Manager names and ARNs, globs.

A Secrets Manager ``SecretId`` is a name, a partial ARN or a full ARN, whose last part is the
name followed by ``-`` and six random characters that Secrets Manager adds (``prod/db-AbCdEf``).
A request (or a model entry) that is an ARN therefore stands for its whole tail *or* that tail
without a six-character suffix; both are tried, the whole tail first. Secret names in the
model may be globs (``/credentials/ci/*``, ``prod/db-*``): ``*`` matches any run of
characters, ``/`` included. Names are case-sensitive, as in both services.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from typing import Any

from chalicelib.identity.schema import SECRETSMANAGER_ARN, SecretSpec

SM_ARN = re.compile(SECRETSMANAGER_ARN)
RANDOM_SUFFIX = re.compile(r"^(.+)-[A-Za-z0-9]{6}$")
GLOB_CHARS = frozenset("*?[")


def is_glob(name: str) -> bool:
    return any(c in GLOB_CHARS for c in name)


def literal_prefix(pattern: str) -> str:
    """The part of a glob before its first wildcard (the whole name when it has none)."""
    for i, c in enumerate(pattern):
        if c in GLOB_CHARS:
            return pattern[:i]
    return pattern


def sm_names(secret_id: str) -> tuple[str, ...]:
    """The secret names a Secrets Manager id may stand for (see the module docstring)."""
    match = SM_ARN.match(secret_id)
    if match is None:
        return (secret_id,)
    tail = match.group(1)
    bare = RANDOM_SUFFIX.match(tail)
    return (tail, bare.group(1)) if bare else (tail,)


def matches(names: Iterable[str], patterns: Iterable[str]) -> bool:
    pats = tuple(patterns)
    return any(fnmatch.fnmatchcase(n, p) for n in names for p in pats)


def could_start_with(prefix: str, patterns: Iterable[str]) -> bool:
    """Whether a name matching one of ``patterns`` may begin with ``prefix`` (case ignored, as the
    Secrets Manager ``name`` filter does); a glob is judged by its literal part, generously."""
    want = prefix.casefold()
    for pattern in patterns:
        if not is_glob(pattern):
            if pattern.casefold().startswith(want):
                return True
            continue
        lit = literal_prefix(pattern).casefold()
        if lit.startswith(want) or want.startswith(lit):
            return True
    return False


def filtered(secrets: Iterable[tuple[tuple[str, ...], SecretSpec]], filters: Any) -> list[SecretSpec]:
    """Declared Secrets Manager secrets a ``BatchGetSecretValue``/``ListSecrets`` filter list can return.

    Filters are ANDed. Only a ``name`` filter (prefix match) narrows what we know; a tag, a
    description, ``all``, a negated value (``!x``), an unknown key or a malformed filter can
    match any secret, so every declared secret stays in: a filter read reads all it may match.
    """
    kept = list(secrets)
    for item in filters if isinstance(filters, list) else ():
        if not isinstance(item, dict) or item.get("key") != "name":
            continue
        values = item.get("values")
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            continue
        if any(v.startswith("!") for v in values):
            continue
        kept = [(pats, s) for pats, s in kept if any(could_start_with(v, pats) for v in values)]
    return [s for _, s in kept]


def sm_patterns(spec: SecretSpec) -> tuple[str, ...]:
    """The names a Secrets Manager model entry stands for (its ARN's tail, and that without the suffix)."""
    return sm_names(spec.name)
