"""Generate a large, realistic CloudTrail JSON-lines file for the replay benchmark.

Templates are the real-shaped records in ``examples/story/``, the routine record kinds in
``bench/routine.py`` and, when present, the public samples in ``../shared/cloudtrail-samples/``
(read in place, never copied). Each output
record is a template with a fresh eventID/requestID, a monotonic eventTime, a source IP, an
account drawn from ``bench/model.yaml`` (rarely an undeclared one) and an actor drawn from
the model's principals (a few per cent undeclared). Actors act through live sessions, as in a
real trail: an SSO role's name is stable per account, an IAM user keeps its key, and a role
session keeps its key and name for about ``SESSION_CALLS`` calls before it rotates. The
template mix is weighted like a real trail: mostly routine service and role activity (services
assuming roles and using KMS, role reads, CI reads in Terraform-plan bursts), about 11%
writes, a few per cent IAM / sign-in / secret events, and root use only rarely (see WEIGHTS).

Output is deterministic for a given ``--records`` and ``--seed``, so ``bench/run`` reuses a
file it already made. Everything is written under the ``--out`` path (``bench/data/`` by
default, which git ignores).

    .venv/bin/python bench/gen.py --records 200000 --out bench/data/trail-200000.jsonl
    .venv/bin/python bench/gen.py --records 500 --out DIR --files 4     # JSON-lines shards
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import routine  # noqa: E402
from chalicelib.events import records_in  # noqa: E402

STORY = ROOT / "examples" / "story"
SAMPLES = ROOT.parent / "shared" / "cloudtrail-samples"
VERSION = "3"  # bump when the output for a given seed changes, so cached files are rebuilt

DECLARED_ACCOUNTS = ("630287363158", "222222222222", "111122223333")
UNDECLARED_ACCOUNTS = ("123456789012", "444455556666")
REGIONS = ("us-east-1",) * 6 + ("eu-west-1", "us-west-2", "eu-central-1")

SSO_USERS = {  # user → permission sets it uses (the first ones are the declared ones)
    "jared": ["AdministratorAccess"], "alice": ["AdministratorAccess", "ReadOnlyAccess"],
    "bob": ["PowerUserAccess", "ReadOnlyAccess"], "carol": ["PowerUserAccess"], "dave": ["PowerUserAccess"],
    "erin": ["ReadOnlyAccess"], "frank": ["PowerUserAccess"], "grace": ["AdministratorAccess"],
    "heidi": ["PowerUserAccess"], "ivan": ["ReadOnlyAccess"], "judy": ["PowerUserAccess", "ReadOnlyAccess"],
    "mallory": ["ReadOnlyAccess"], "niaj": ["PowerUserAccess"], "olivia": ["ReadOnlyAccess"],
    "peggy": ["AdministratorAccess"], "rupert": ["PowerUserAccess"], "sybil": ["ReadOnlyAccess"],
    "trent": ["PowerUserAccess"], "victor": ["PowerUserAccess"], "walter": ["ReadOnlyAccess"],
}
UNDECLARED_SSO = ["contractor1", "temp-auditor"]
INSTANCE_ROLES = ["abt-app-instance-role", "ecs-cluster-instance", "batch-worker-instance", "bastion-instance-role",
                  "web-frontend-instance", "ci-runner-instance"]
SESSION_ROLES = {"paperclip-agent": "paperclip-run", "report-generator-lambda": "report-generator-lambda",
                 "ingest-pipeline-lambda": "ingest-pipeline-lambda", "support-agent-role": "support-bot",
                 "terraform-deploy": "terraform-ci", "github-oidc-deploy": "GitHubActions",
                 "github-oidc-app-deploy": "GitHubActions"}
UNDECLARED_ROLES = {"legacy-etl-role": "etl", "OrganizationAccountAccessRole": "admin-switch",
                    "aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS": "ecs-service"}
IAM_USERS = ["github-actions-aws-deployer", "github-actions-aws-deployer", "metrics-exporter", "nightly-backup"]
UNDECLARED_IAM_USERS = ["legacy-admin", "old-jenkins"]
CONSOLE_IAM_USERS = ["legacy-admin", "break-glass-admin"]  # IAM users with a password: never declared
# Principals that exist in one account only (bench/model.yaml says so).
HOME_ACCOUNT = {"batch-worker-instance": "222222222222", "ci-runner-instance": "111122223333",
                "nightly-backup": "222222222222"}
# Who reads which secret (the declared readers' roles); other secrets are read by anyone.
SECRET_READER_ROLE = {"/paperclip-app/api-key": "paperclip-agent", "/app/db-password": "abt-app-instance-role",
                      "/app/stripe-key": "abt-app-instance-role", "/ci/npm-token": "ci-runner-instance",
                      "/reports/smtp-password": "report-generator-lambda",
                      "/support/zendesk-token": "support-agent-role"}
SECRETS = ["/paperclip-app/api-key", "/app/db-password", "/app/stripe-key", "/ci/npm-token",
           "/reports/smtp-password", "/support/zendesk-token", "/app/feature-flags", "/shared/region"]

# Per cent of output records per template class (see classify and routine.kinds); classes with no
# template drop out. Why these numbers: bench/RESULTS.md, "Trail mix". In short: the routine
# kinds (service AssumeRole and KMS, role and CI reads) are what a real trail is mostly made of;
# the security-relevant kinds keep their v2 shares (more than a healthy account has); the
# sample-derived bulk kinds, which are error- and write-heavy, are cut to about a quarter.
WEIGHTS = {
    # routine kinds (bench/routine.py)
    "service-assume": 14.0, "role-read": 22.7, "ci-plan": 8.0, "service-kms": 5.0, "role-kms": 5.0,
    "ssm-kms": 3.0, "role-assume": 3.0, "caller-identity": 2.0, "role-write": 1.5, "kms-direct": 0.3,
    # security-relevant kinds, as in v2
    "secret-read": 4.0, "console": 2.5, "iam-admin": 1.5, "assume-failed": 1.5, "root": 0.3,
    # sample-derived bulk (v2: assumed 52, service 20, iam-user 14, web-identity 2, other 1, federated 0.5)
    "assumed": 15.0, "service": 5.0, "iam-user": 4.0, "web-identity": 1.0, "other": 0.5, "federated": 0.2,
}
# The sample-derived bulk kinds: without ../shared their share goes to the routine kinds (``class_weights``).
SAMPLE_BULK = ("assumed", "service", "iam-user", "web-identity", "other", "federated")
SESSION_CALLS = 200  # calls a session makes, on average, before its credentials rotate
SIGNIN_MARKERS = ("ConsoleLogin", "ExternalIdPDirectoryLogin", "CheckMfa")


def template_files() -> list[Path]:
    roots = [STORY] + ([SAMPLES] if SAMPLES.is_dir() else [])
    out: list[Path] = []
    for root in roots:
        out += sorted(p for p in root.rglob("*") if p.is_file() and p.name.endswith((".json", ".jsonl")))
    return out


def load_templates() -> list[dict[str, Any]]:
    seen: set[bytes] = set()
    out: list[dict[str, Any]] = []
    for path in template_files():
        data = path.read_bytes()
        docs = [orjson.loads(line) for line in data.splitlines() if line.strip()] if path.suffix == ".jsonl" \
            else [orjson.loads(data)]
        for doc in docs:
            for _loc, rec, _meta in records_in(doc):
                if not isinstance(rec, dict) or "eventName" not in rec:
                    continue
                key = orjson.dumps(rec, option=orjson.OPT_SORT_KEYS)
                if key not in seen:
                    seen.add(key)
                    out.append(rec)
    return out


def classify(rec: dict[str, Any]) -> str:
    ui = rec.get("userIdentity") if isinstance(rec.get("userIdentity"), dict) else {}
    kind, name = ui.get("type"), rec.get("eventName")
    if kind == "Root":
        return "root"
    if name in SIGNIN_MARKERS:
        return "console"
    if str(name).startswith("AssumeRole") and rec.get("errorCode"):
        return "assume-failed"
    if name in ("DeleteUser", "CreateAccessKey", "CreateUser", "DeleteAccessKey", "UpdateAccessKey"):
        return "iam-admin"
    if name in ("GetParameter", "GetParameters"):
        return "secret-read"
    return {"AssumedRole": "assumed", "IAMUser": "iam-user", "AWSService": "service", "AWSAccount": "service",
            "WebIdentityUser": "web-identity", "FederatedUser": "federated"}.get(kind, "other")


def class_weights(with_samples: bool) -> dict[str, float]:
    """WEIGHTS, or without the shared samples the same mix with the sample-derived bulk's share
    spread over the routine kinds (the security-relevant kinds keep theirs)."""
    if with_samples:
        return dict(WEIGHTS)
    kinds = routine.kinds()
    moved = sum(WEIGHTS[c] for c in SAMPLE_BULK)
    base = sum(w for c, w in WEIGHTS.items() if c in kinds)
    return {c: (w * (1 + moved / base) if c in kinds else w) for c, w in WEIGHTS.items() if c not in SAMPLE_BULK}


def trail_tag() -> str:
    """The generated trail's version as file names carry it: a trail made without the shared
    samples is another trail, and is never reused for one made with them (or the reverse)."""
    return f"v{VERSION}" if SAMPLES.is_dir() else f"v{VERSION}-nosamples"


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        templates = load_templates()
        by_class: dict[str, list[bytes]] = {}
        for rec in templates:
            by_class.setdefault(classify(rec), []).append(orjson.dumps(rec))
        for cls, recs in routine.kinds().items():
            by_class.setdefault(cls, []).extend(orjson.dumps(rec) for rec in recs)
        shares = class_weights(SAMPLES.is_dir())
        self.classes = [c for c in shares if c in by_class]
        # A burst class is picked less often, so that its records still make up its share.
        self.weights = [shares[c] / (sum(routine.BURSTS[c]) / 2 if c in routine.BURSTS else 1) for c in self.classes]
        self.templates = by_class
        self.burst: list[bytes] = []  # templates left in the current burst, all by burst_actor
        self.burst_actor: dict[str, Any] | None = None
        self.time = datetime(2026, 11, 1, tzinfo=UTC)
        self.n_templates = len(templates)
        self.sessions: dict[tuple[str, ...], dict[str, Any]] = {}

    # -- small random values ------------------------------------------------------------
    def hex(self, n: int) -> str:
        return f"{self.rng.getrandbits(4 * n):0{n}x}"

    def uuid(self) -> str:
        h = self.hex(32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    def key(self, prefix: str) -> str:
        return prefix + "".join(self.rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", k=16))

    def ip(self) -> str:
        r = self.rng.random()
        if r < 0.7:
            return f"203.0.113.{self.rng.randrange(1, 60)}"
        if r < 0.9:
            return f"198.51.100.{self.rng.randrange(1, 255)}"
        r = self.rng.randrange
        return f"{r(11, 223)}.{r(256)}.{r(256)}.{r(1, 255)}"

    def account(self) -> str:
        return self.rng.choice(UNDECLARED_ACCOUNTS) if self.rng.random() < 0.01 else self.rng.choice(DECLARED_ACCOUNTS)

    # -- actors -----------------------------------------------------------------------------
    def assumed_role(self, acct: str, ui: dict[str, Any], role_path: str | None = None) -> dict[str, Any]:
        """An assumed-role identity: SSO human, instance profile, workload role or (rarely) undeclared.

        Like a real trail, calls come from live sessions: each (principal, account) keeps its
        session (key, session name, creation time) for a while, then rotates to a new one.
        """
        r = self.rng.random() if role_path is None else 0.5
        ec2 = False
        if r < 0.45:  # a human on SSO
            undeclared = self.rng.random() < 0.03
            user = self.rng.choice(UNDECLARED_SSO if undeclared else list(SSO_USERS))
            sets = SSO_USERS.get(user, ["AdministratorAccess"])
            pset = self.rng.choice(sets) if self.rng.random() < 0.99 else "ViewOnlyAccess"
            role = f"AWSReservedSSO_{pset}_{self.stable_hex('sso', pset, acct)}"
            role_path, who = f"aws-reserved/sso.amazonaws.com/{role}", f"{user}@example.com"
        elif r < 0.96:
            if role_path is None:
                role_path = self.rng.choice(INSTANCE_ROLES if r < 0.75 else list(SESSION_ROLES))
            role, who = role_path, f"{role_path}#{self.rng.randrange(6)}"  # one of a few instances / runners
            ec2 = role in INSTANCE_ROLES
        else:
            role_path = self.rng.choice(list(UNDECLARED_ROLES))
            role, who = role_path.rsplit("/", 1)[-1], role_path
        acct = HOME_ACCOUNT.get(role, acct)
        live = self.session(("role", who, role, acct), lambda: {
            "session": who if "@" in who else f"i-{self.hex(17)}" if ec2
            else f"{SESSION_ROLES.get(role) or UNDECLARED_ROLES.get(role_path, 'session')}-{self.rng.randrange(10000)}",
            "key": self.key("ASIA"),
            "created": self.stamp(-self.rng.randrange(0, 60)),
        })
        role_id = self.stable_key("AROA", role, acct)
        session = live["session"]
        out = {
            "type": "AssumedRole",
            "principalId": f"{role_id}:{session}",
            "arn": f"arn:aws:sts::{acct}:assumed-role/{role}/{session}",
            "accountId": acct,
            "accessKeyId": live["key"],
            "sessionContext": {
                "sessionIssuer": {"type": "Role", "principalId": role_id,
                                  "arn": f"arn:aws:iam::{acct}:role/{role_path}", "accountId": acct, "userName": role},
                "webIdFederationData": {},
                "attributes": {"creationDate": live["created"], "mfaAuthenticated": "false"},
                **({"ec2RoleDelivery": "2.0"} if ec2 else {}),
            },
        }
        if "invokedBy" in ui:
            out["invokedBy"] = ui["invokedBy"]
        return out

    def iam_user(self, acct: str, ui: dict[str, Any], console: bool) -> dict[str, Any]:
        """A CI user with its long-lived key; console sessions belong to (undeclared) password users."""
        if ui.get("userName") == "HIDDEN_DUE_TO_SECURITY_REASONS":
            return {**ui, "accountId": acct}
        if console:
            name = self.rng.choice(CONSOLE_IAM_USERS)
        else:
            name = self.rng.choice(UNDECLARED_IAM_USERS if self.rng.random() < 0.03 else IAM_USERS)
        acct = HOME_ACCOUNT.get(name, acct)
        prefix = str(ui.get("accessKeyId") or "AKIA")[:4]
        out = {**ui, "principalId": self.stable_key("AIDA", name, acct), "arn": f"arn:aws:iam::{acct}:user/{name}",
               "accountId": acct, "userName": name}
        if "accessKeyId" in ui:  # AKIA: the user's static key; ASIA: a console / STS session's key
            out["accessKeyId"] = self.stable_key("AKIA", name, acct) if prefix != "ASIA" else \
                self.session(("user", name, acct), lambda: {"key": self.key("ASIA")})["key"]
        return out

    def session(self, who: tuple[str, ...], new: Any) -> dict[str, Any]:
        """The live session of ``who``, rotated after a random number of calls (mean SESSION_CALLS)."""
        live = self.sessions.get(who)
        if live is None or self.rng.random() < 1 / SESSION_CALLS:
            live = self.sessions[who] = new()
        return live

    def stable_hex(self, *what: str) -> str:
        return hashlib.sha256("/".join(what).encode()).hexdigest()[:16]

    def stable_key(self, prefix: str, *what: str) -> str:
        digest = hashlib.sha256("/".join(what).encode()).digest()
        return prefix + "".join("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[b % 32] for b in digest[:16])

    def stamp(self, offset: float = 0.0) -> str:
        return (self.time + timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%SZ")

    # -- records -----------------------------------------------------------------------------
    def pick(self) -> bytes:
        """The next template: the rest of a running burst, or a class drawn by weight."""
        if self.burst:
            return self.burst.pop()
        self.burst_actor = None
        cls = self.rng.choices(self.classes, self.weights)[0]
        if cls in routine.BURSTS:
            n = self.rng.randint(*routine.BURSTS[cls])
            self.burst = [self.rng.choice(self.templates[cls]) for _ in range(n - 1)]
        return self.rng.choice(self.templates[cls])

    def record(self) -> bytes:
        in_burst = bool(self.burst)
        rec = orjson.loads(self.pick())
        self.time += timedelta(seconds=self.rng.expovariate(2.0))
        acct = self.account()
        secret = self.vary_request(rec)
        ui = rec.get("userIdentity") if isinstance(rec.get("userIdentity"), dict) else None
        if ui is not None:
            kind = ui.get("type")
            if in_burst and self.burst_actor is not None:  # one CI run: the same user and key throughout
                ui = rec["userIdentity"] = self.burst_actor
            elif kind == "AssumedRole" and rec.get("eventName") != "ConsoleLogin":
                reader = SECRET_READER_ROLE.get(secret or "") if self.rng.random() < 0.95 else None
                ui = rec["userIdentity"] = self.assumed_role(acct, ui, reader)
            elif kind == "IAMUser":
                console = rec.get("eventName") in SIGNIN_MARKERS or rec.get("sessionCredentialFromConsole") \
                    or ui.get("invokedBy") == "signin.amazonaws.com"
                ui = rec["userIdentity"] = self.iam_user(acct, ui, bool(console))
            elif kind == "Root":
                ui = rec["userIdentity"] = {**ui, "principalId": acct, "arn": f"arn:aws:iam::{acct}:root",
                                            "accountId": acct}
            elif "accountId" in ui:
                ui = rec["userIdentity"] = {**ui, "accountId": acct}
            acct = ui.get("accountId") or acct
            if self.burst and self.burst_actor is None:
                self.burst_actor = ui
        if "recipientAccountId" in rec or self.rng.random() < 0.98:
            rec["recipientAccountId"] = acct
        rec["eventTime"] = self.stamp()
        rec["eventID"] = self.uuid()
        if "requestID" in rec:
            rec["requestID"] = self.uuid()
        if "awsRegion" in rec and rec["awsRegion"] != "global":
            rec["awsRegion"] = self.rng.choice(REGIONS)
        src = rec.get("sourceIPAddress")
        if isinstance(src, str) and src[:1].isdigit():
            rec["sourceIPAddress"] = self.ip()
        return orjson.dumps(rec)

    def vary_request(self, rec: dict[str, Any]) -> str | None:
        """Vary the target of IAM and secret calls; return the secret a GetParameter names."""
        params = rec.get("requestParameters")
        if not isinstance(params, dict):
            return None
        name = rec.get("eventName")
        if name in ("DeleteUser", "CreateAccessKey", "CreateUser") and "userName" in params:
            params["userName"] = self.rng.choice(IAM_USERS + UNDECLARED_IAM_USERS + ["new-admin", "temp-user"])
        elif name == "GetParameter" and "name" in params:
            params["name"] = self.rng.choice(SECRETS)
            params["withDecryption"] = self.rng.random() < 0.7
            return params["name"]
        return None

    def records(self, n: int) -> Iterator[bytes]:
        for _ in range(n):
            yield self.record()


def write(out: Path, n: int, seed: int, files: int = 1) -> list[Path]:
    """Write ``n`` records as one JSON-lines file, or as ``files`` shards in directory ``out``."""
    gen = Generator(seed)
    if files <= 1:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        with open(tmp, "wb") as fh:
            for rec in gen.records(n):
                fh.write(rec + b"\n")
        tmp.replace(out)
        return [out]
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    per = -(-n // files)
    records = gen.records(n)
    for i in range(files):
        path = out / f"part-{i:03d}.jsonl"
        with open(path, "wb") as fh:
            for _ in range(min(per, n - i * per)):
                fh.write(next(records) + b"\n")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--records", type=int, default=200_000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--out", type=Path, required=True, help="a .jsonl file, or a directory with --files")
    p.add_argument("--files", type=int, default=1, help="split into this many JSON-lines files in --out")
    args = p.parse_args(argv)
    paths = write(args.out, args.records, args.seed, args.files)
    size = sum(p.stat().st_size for p in paths)
    print(f"wrote {args.records} records, {size / 1e6:.1f} MB, in {len(paths)} file(s) under {args.out}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
