"""A trail bucket laid out exactly as CloudTrail writes one, from the real records in tests/fixtures.

Two trails share the bucket: an organization trail (``AWSLogs/o-…/ACCOUNT/...``) and an
account trail under its own prefix (``team/AWSLogs/ACCOUNT/...``). Each log object is a
gzipped ``{"Records": [...]}`` on one line, named ``ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_UNIQUE.json.gz``,
whose records carry the key's account, region and day. Beside them: an hourly digest file, an
empty object, a corrupted gz, and objects that are not CloudTrail's.
"""

from __future__ import annotations

import gzip
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RECORDS = ROOT / "tests" / "fixtures" / "records"
DIGEST = ROOT / "tests" / "fixtures" / "trail-bucket" / "digest.json"
BUCKET = "aws-cloudtrail-logs-org-7f3a9c1e"
ORG = "AWSLogs/o-a1b2c3d4e5/"
TEAM = "team/AWSLogs/"
SAMPLES = ("root-console-signin-success", "create-access-key", "delete-user")
LOGS = [  # (trail prefix, account, region, day)
    (ORG, "111111111111", "us-east-1", "2026/11/19"),
    (ORG, "111111111111", "us-east-1", "2026/11/20"),
    (ORG, "111111111111", "eu-west-1", "2026/11/20"),
    (ORG, "222222222222", "us-east-1", "2026/11/20"),
    (ORG, "222222222222", "ap-southeast-2", "2026/12/01"),
    (TEAM, "333333333333", "us-east-1", "2026/11/21"),
]


def log_key(trail: str, account: str, region: str, day: str, hhmm: str = "0905", unique: str = "AbCd1234") -> str:
    stamp = day.replace("/", "") + f"T{hhmm}Z"
    return f"{trail}{account}/CloudTrail/{region}/{day}/{account}_CloudTrail_{region}_{stamp}_{unique}.json.gz"


def records(key: str, account: str, region: str, day: str) -> list[dict[str, Any]]:
    """The sample records as that account and region logged them that day, with ids unique to the key."""
    out = []
    for n, name in enumerate(SAMPLES):
        record = json.loads((RECORDS / f"{name}.json").read_text())
        record.update(eventID=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{key}#{n}")), awsRegion=region,
                      recipientAccountId=account, eventTime=f"{day.replace('/', '-')}T09:0{n}:00Z")
        out.append(record)
    return out


@dataclass
class Layout:
    """What was put where: each log key's event ids, and the keys of everything else."""

    logs: dict[str, list[str]] = field(default_factory=dict)
    bodies: dict[str, bytes] = field(default_factory=dict)
    digest: str = ""
    empty: str = ""
    corrupt: str = ""
    others: list[str] = field(default_factory=list)

    def ids(self, keys: list[str] | None = None) -> set[str]:
        return {i for k in (keys if keys is not None else self.logs) for i in self.logs[k]}

    def copy_to(self, folder: Path, keys: list[str]) -> list[Path]:
        """The same objects on disk, at the same relative paths, as `aws s3 sync` would write them."""
        paths = []
        for key in keys:
            path = folder / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(self.bodies[key])
            paths.append(path)
        return paths


def lay_out(s3: Any, bucket: str = BUCKET, logs: list[tuple[str, str, str, str]] = LOGS) -> Layout:
    """Create the bucket and its objects (moto must already be running)."""
    s3.create_bucket(Bucket=bucket)
    layout = Layout()

    def put(key: str, body: bytes) -> None:
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        layout.bodies[key] = body

    for trail, account, region, day in logs:
        key = log_key(trail, account, region, day)
        recs = records(key, account, region, day)
        put(key, gzip.compress(json.dumps({"Records": recs}).encode()))
        layout.logs[key] = [r["eventID"] for r in recs]
    layout.digest = (f"{ORG}111111111111/CloudTrail-Digest/us-east-1/2026/11/20/111111111111_CloudTrail-Digest_"
                     "us-east-1_org-trail_us-east-1_20261120T100000Z.json.gz")
    put(layout.digest, gzip.compress(DIGEST.read_bytes()))
    layout.empty = log_key(ORG, "111111111111", "us-east-1", "2026/11/20", "1005", "Empty000")
    put(layout.empty, b"")
    layout.corrupt = log_key(ORG, "111111111111", "us-east-1", "2026/11/20", "1105", "Broken00")
    whole = gzip.compress(json.dumps({"Records": records(layout.corrupt, "111111111111", "us-east-1",
                                                         "2026/11/20")}).encode())
    put(layout.corrupt, whole[:40] + b"\x00" * 24 + whole[64:])
    layout.others = [f"{ORG}111111111111/CloudTrail/us-east-1/2026/11/20/export.csv", "README.txt"]
    for key in layout.others:
        put(key, b"account,event\n")
    put(f"{ORG}111111111111/elasticloadbalancing/us-east-1/2026/11/20/lb.log.gz", gzip.compress(b"h2 x"))
    return layout
