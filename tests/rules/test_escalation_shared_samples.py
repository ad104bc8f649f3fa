"""Real recordings from ../shared/cloudtrail-samples that the escalation rules judge (skipped where the
shared samples are not beside the checkout): Stratus Red Team's iam-create-admin-user detonation and
AWS's 2014 documentation record, which predates eventID and recipientAccountId."""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.findings import Severity
from chalicelib.sources import read_source

from .conftest import judge, model_from

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "cloudtrail-samples"
STRATUS_CREATE_USER = SAMPLES / "6-benign" / "stratus-createuser-by-iamuser.json"
AWSDOC_CREATE_USER = SAMPLES / "0-records-file-format" / "awsdoc-records-createuser-2014.json"

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"shared samples not found at {SAMPLES.resolve()}")

STRATUS_MODEL = model_from("""
    version: 1
    accounts: [{id: "229654561268", name: stratus}]
    principals:
      - {id: admin, kind: human, auth: access-key, iam_user: christophe, manages_iam: true}
      - {id: backup, kind: workload, auth: access-key, iam_user: malicious-iam-user}
""")


def the_event(path: Path):
    if not path.exists():
        pytest.skip(f"{path} is not in this copy of the shared samples")
    (event,) = list(read_source(str(path)))
    return event


def created(findings):
    return [f for f in findings if f.rule == "iam-user-created"]


def test_stratus_creating_an_undeclared_user_is_high():
    (f,) = created(judge(the_event(STRATUS_CREATE_USER)))
    assert f.severity is Severity.HIGH
    assert "malicious-iam-user" in f.reason


def test_the_same_user_declared_and_created_by_an_iam_manager_is_low():
    (f,) = created(judge(the_event(STRATUS_CREATE_USER), STRATUS_MODEL))
    assert f.severity is Severity.LOW


def test_a_2014_record_without_event_id_or_recipient_account_is_judged():
    (f,) = created(judge(the_event(AWSDOC_CREATE_USER)))
    assert f.severity is Severity.HIGH
    assert f.target_arn == "arn:aws:iam::123456789012:user/Bob"
