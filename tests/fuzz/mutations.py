"""Hypothesis strategies that turn real CloudTrail records into what real and hostile input looks like.

Seeds are every record of the project's fixtures (``tests/fixtures/records``, ``examples/story``)
and of ``../shared/cloudtrail-samples`` when it is beside the checkout (read in place, never
copied). A mutant is a seed with one to four changes: a field deleted, nulled or retyped
(string, number, list, object, bool), a very long or non-ASCII/control-character string, a deeply
nested ``requestParameters``, a ``userIdentity`` of any type with parts missing, or a field set to
a value the rules look for (so mutants reach the rules' branches, not only the readers). A mutant
is then written as JSON text — sometimes with a repeated key, which orjson and msgspec both
resolve to the last value — and sometimes wrapped in an EventBridge envelope or a Records file.
"""

from __future__ import annotations

import copy
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from hypothesis import strategies as st

PROJECT = Path(__file__).resolve().parents[2]
FIXTURES = PROJECT / "tests" / "fixtures" / "records"
STORY = PROJECT / "examples" / "story"
SAMPLES = PROJECT / ".." / "shared" / "cloudtrail-samples"

IDENTITY_TYPES = ("Root", "IAMUser", "AssumedRole", "FederatedUser", "AWSAccount", "AWSService", "Unknown",
                  "WebIdentityUser", "SAMLUser", "IdentityCenterUser", "Directory", "", "root", "assumedrole")
# Values the rules and the resolver branch on, so mutants take those branches.
EVENT_NAMES = ("ConsoleLogin", "CreateAccessKey", "DeleteAccessKey", "UpdateAccessKey", "DeleteUser",
               "DeleteLoginProfile", "AssumeRole", "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML",
               "GetParameter", "GetParameters", "GetParametersByPath", "DeleteParameter", "Decrypt",
               "GetSecretValue", "ListUsers", "GetCallerIdentity", "PutObject", "CreateUser")
INTERESTING: dict[tuple[str, ...], tuple[Any, ...]] = {
    ("eventName",): EVENT_NAMES,
    ("eventSource",): ("iam.amazonaws.com", "sts.amazonaws.com", "signin.amazonaws.com", "ssm.amazonaws.com",
                       "kms.amazonaws.com", "secretsmanager.amazonaws.com", "s3.amazonaws.com"),
    ("errorCode",): ("AccessDenied", "Client.UnauthorizedOperation", "", None),
    ("readOnly",): (True, False, "true", "false"),
    ("eventType",): ("AwsApiCall", "AwsConsoleSignIn", "AwsServiceEvent", "AwsCloudTrailInsight"),
    ("recipientAccountId",): ("630287363158", "402918375610", "000000000000", ""),
    ("responseElements", "ConsoleLogin"): ("Success", "Failure", "failure"),
    ("additionalEventData", "MFAUsed"): ("Yes", "No"),
    ("requestParameters", "userName"): ("github-actions-aws-deployer", "root", ""),
    ("requestParameters", "roleArn"): ("arn:aws:iam::630287363158:role/agent", "arn:aws:iam::1:role/x", "arn:"),
    ("requestParameters", "name"): ("/paperclip-app/api-key", "/other", ""),
    ("requestParameters", "withDecryption"): (True, "true"),
    ("responseElements", "accessKey", "accessKeyId"): ("AKIAZ7EXAMPLEROTATE1", "ASIA0000", ""),
    ("userIdentity", "sessionContext", "sessionIssuer", "type"): ("Role", "IAMUser", "Root"),
    ("userIdentity", "invokedBy"): ("signin.amazonaws.com", "AWS Internal", "ec2.amazonaws.com"),
    ("sessionCredentialFromConsole",): ("true", True),
}


def _records_of(doc: Any) -> list[dict[str, Any]]:
    """The records in a fixture: itself, its ``Records``, or an envelope's ``detail``."""
    if isinstance(doc, list):
        return [r for d in doc for r in _records_of(d)]
    if not isinstance(doc, dict):
        return []
    if isinstance(doc.get("Records"), list):
        return [r for r in doc["Records"] if isinstance(r, dict)]
    if isinstance(doc.get("detail"), dict):
        return [doc["detail"]]
    return [doc] if "eventName" in doc or "eventSource" in doc else []


def _read(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    try:
        return _records_of(json.loads(text))
    except json.JSONDecodeError:  # JSON lines
        return [r for line in text.splitlines() if line.strip() for r in _records_of(json.loads(line))]


def seed_records(shared: bool) -> list[dict[str, Any]]:
    """Every record of the project's fixtures, or of the shared samples (empty when absent)."""
    if shared:
        files = sorted(SAMPLES.rglob("*.json")) if SAMPLES.is_dir() else []
    else:
        files = sorted([*FIXTURES.glob("*.json"), *STORY.glob("*.json"), *STORY.glob("*.jsonl")])
    return [r for f in files for r in _read(f)]


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into ``doc`` (object keys and list indexes), at most 6 deep."""
    out: list[tuple[Any, ...]] = []
    if len(prefix) >= 6:
        return out
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for key, value in items:
        out.append((*prefix, key))
        out += _paths(value, (*prefix, key))
    return out


def _set(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    """Set ``path`` (making objects on the way; a scalar on the way is replaced by one)."""
    node: Any = doc
    for key, after in itertools.pairwise(path):
        child = node[key] if isinstance(node, list) else node.get(key)
        if not (isinstance(child, dict) if isinstance(after, str) else isinstance(child, list) and after < len(child)):
            child = {}
            node[key] = child
        node = child
    node[path[-1]] = value


def _delete(doc: dict[str, Any], path: tuple[Any, ...]) -> None:
    node: Any = doc
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]


def nested(depth: int) -> dict[str, Any]:
    """``{"a": {"a": ... {"a": 1}}}`` built without recursion."""
    inner: Any = 1
    for _ in range(depth):
        inner = {"a": inner, "b": [1, "x"]}
    return inner  # type: ignore[no-any-return]


_WEIRD = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
_CONTROL = st.text(st.characters(min_codepoint=0, max_codepoint=0x1F) | st.sampled_from("\u2028\u2029\ufeff\u202e"),
                   min_size=1, max_size=10)
# Lone surrogates: valid JSON escapes ("\\udcff") that Python's json (Lambda's runtime) turns into a str.
_SURROGATE = st.sampled_from(["\udcff", "a\ud800b", "\udfff\ud800", "ok\udc80"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**64), st.floats(allow_nan=False,
                    allow_infinity=False), _WEIRD, _CONTROL, _SURROGATE)


def values(long_max: int) -> st.SearchStrategy[Any]:
    """Any value a hostile record might hold where a field was: every JSON type, long and odd strings."""
    long = st.builds(lambda c, n: c * n, st.sampled_from(["x", "é", "\x00", "🙂", "A"]), st.integers(1000, long_max))
    return st.one_of(
        SCALARS,
        long,
        st.lists(SCALARS, max_size=4),
        st.dictionaries(_WEIRD, SCALARS, max_size=4),
        st.builds(nested, st.integers(1, 200)),
    )


@st.composite
def identities(draw: st.DrawFn) -> dict[str, Any]:
    """A ``userIdentity`` of any type, with any of its parts missing or odd."""
    account = draw(st.sampled_from(["630287363158", "402918375610", "123456789012", ""]))
    kind = draw(st.sampled_from(IDENTITY_TYPES))
    name = draw(st.sampled_from(["github-actions-aws-deployer", "agent", "AWSReservedSSO_Admin_1/jared", "x", ""]))
    full: dict[str, Any] = {
        "type": kind,
        "principalId": draw(st.sampled_from(["AIDAZ7TW0", "AROAZ7TW0:session", f"{account}", "anonymous"])),
        "arn": draw(st.sampled_from([f"arn:aws:iam::{account}:user/{name}", f"arn:aws:sts::{account}:assumed-role/"
                                     f"{name}/s", f"arn:aws:iam::{account}:root", "arn:aws:iam::", "not-an-arn"])),
        "accountId": account,
        "accessKeyId": draw(st.sampled_from(["AKIAZ7TW0LEGACYBK001", "ASIAZ7TW0SESSION0001", ""])),
        "userName": name,
        "invokedBy": draw(st.sampled_from(["signin.amazonaws.com", "AWS Internal", "ec2.amazonaws.com"])),
        "identityProvider": draw(st.sampled_from(["token.actions.githubusercontent.com", "accounts.google.com"])),
        "credentialId": "cred-1",
        "onBehalfOf": {"userId": "u-1", "identityStoreArn": "arn:aws:identitystore::1:identitystore/d-1"},
        "sessionContext": {
            "sessionIssuer": {"type": draw(st.sampled_from(["Role", "IAMUser", "Root", ""])),
                              "principalId": "AROAZ7TW0", "arn": f"arn:aws:iam::{account}:role/{name}",
                              "accountId": account, "userName": name},
            "attributes": {"creationDate": "2026-11-20T10:00:00Z",
                           "mfaAuthenticated": draw(st.sampled_from(["true", "false", True]))},
            "webIdFederationData": {"federatedProvider": "arn:aws:iam::1:oidc-provider/x", "attributes": {}},
            "sourceIdentity": name,
            "ec2RoleDelivery": "2.0",
        },
    }
    keep = draw(st.lists(st.sampled_from(sorted(full)), unique=True, max_size=len(full)))
    out = {k: full[k] for k in full if k in keep or k == "type"}
    if "type" not in keep and draw(st.booleans()):
        del out["type"]
    if isinstance(out.get("sessionContext"), dict):
        context = out["sessionContext"]
        for part in draw(st.lists(st.sampled_from(sorted(context)), unique=True)):
            context[part] = draw(st.sampled_from([None, {}, "x", [], 7]))
    return out


@st.composite
def mutated(draw: st.DrawFn, seeds: list[dict[str, Any]], long_max: int = 20_000) -> dict[str, Any]:
    """One seed with one to four hostile changes."""
    record = copy.deepcopy(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(record)
        op = draw(st.sampled_from(["delete", "null", "value", "interesting", "identity", "nested", "retype"]))
        if op in ("delete", "null", "value", "retype") and not paths:
            continue
        if op == "delete":
            _delete(record, draw(st.sampled_from(paths)))
        elif op == "null":
            _set(record, draw(st.sampled_from(paths)), None)
        elif op == "value":
            _set(record, draw(st.sampled_from(paths)), draw(values(long_max)))
        elif op == "retype":
            path = draw(st.sampled_from(paths))
            old = _get(record, path)
            _set(record, path, draw(st.sampled_from(_retyped(old))))
        elif op == "interesting":
            path = draw(st.sampled_from(sorted(INTERESTING)))
            _set(record, path, draw(st.sampled_from(INTERESTING[path])))
        elif op == "identity":
            record["userIdentity"] = draw(identities())
        else:
            record["requestParameters"] = nested(draw(st.integers(1, 600)))
    return record


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def _retyped(value: Any) -> list[Any]:
    """The same value as every other JSON type: string ↔ number ↔ list ↔ object ↔ bool."""
    text = value if isinstance(value, str) else json.dumps(value, default=str)[:100]
    number: Any = int(value) if isinstance(value, str) and value.isdigit() else len(text)
    return [text, number, float(number), [value], {"value": value}, bool(value), 1e308, -0.0]


@dataclass(frozen=True)
class Text:
    """A mutant as replay reads it (one JSON line) and as a handler gets it (the parsed document)."""

    line: bytes
    doc: Any


@st.composite
def as_text(draw: st.DrawFn, record: dict[str, Any]) -> Text:
    """The record as JSON text, maybe with a repeated key, maybe in an envelope or a Records file."""
    doc: Any = record
    wrap = draw(st.sampled_from(["bare", "bare", "envelope", "records"]))
    if wrap == "envelope":
        doc = {"version": "0", "id": draw(st.sampled_from(["e-1", "", None])),
               "detail-type": draw(st.sampled_from(["AWS API Call via CloudTrail", "AWS Console Sign In via "
                                                    "CloudTrail", "Other"])),
               "source": "aws.iam", "account": "630287363158", "time": "2026-11-20T10:00:00Z",
               "region": draw(st.sampled_from(["us-east-1", None, 5])), "resources": [], "detail": record}
    elif wrap == "records":
        doc = {"Records": [record]}
    try:
        body = orjson.dumps(record)
    except (orjson.JSONEncodeError, TypeError):  # nested beyond orjson's limit: the stdlib writes it
        body = json.dumps(record, separators=(",", ":")).encode()
    if draw(st.booleans()) and body.startswith(b"{") and len(body) > 2:
        key = draw(st.sampled_from(["eventName", "userIdentity", "eventID", "recipientAccountId", "readOnly",
                                    "requestParameters", "eventSource", "errorCode"]))
        value = json.dumps(draw(st.one_of(st.sampled_from(EVENT_NAMES), SCALARS, st.just({"type": "Root"}))))
        dup = f'"{key}":{value}'.encode()
        last = draw(st.booleans())  # a repeated key after the original wins; before it, loses
        body = body[:-1] + b"," + dup + b"}" if last else b"{" + dup + b"," + body[1:]
        record = json.loads(body)  # what every JSON reader makes of it: the last value wins
        doc = record if wrap == "bare" else {**doc, "detail": record} if wrap == "envelope" else {"Records": [record]}
    line = body if wrap == "bare" else _wrap_text(doc, body, wrap)
    return Text(line, doc)


def _wrap_text(doc: dict[str, Any], body: bytes, wrap: str) -> bytes:
    """The wrapper's JSON with the record's own text (repeated key and all) spliced in."""
    if wrap == "records":
        return b'{"Records":[' + body + b"]}"
    head = {k: v for k, v in doc.items() if k != "detail"}
    return orjson.dumps(head)[:-1] + b',"detail":' + body + b"}"
