"""A role session is attributed to whoever assumed it, and secret reads through kms:Decrypt count as reads."""

from __future__ import annotations

import json
from pathlib import Path

from chalicelib.findings import Severity
from chalicelib.history import MemoryHistory

from .conftest import finding, judge, record

STORIES = Path(__file__).resolve().parents[1] / "fixtures" / "stories"
CI_INTO_AGENT = STORIES / "ci-assumes-agent-role-and-reads-its-secret.jsonl"


def story() -> list[dict]:
    return [json.loads(line) for line in CI_INTO_AGENT.read_text(encoding="utf-8").splitlines()]


def test_an_agent_session_obtained_by_the_ci_user_reading_the_agent_secret_is_a_non_reader_read():
    assume, read = story()
    history = MemoryHistory()
    judge(assume, history=history)
    f = finding(read, "secret-read-undeclared", history=history)
    assert f is not None and f.severity is Severity.HIGH
    assert "obtained by principal 'github-actions'" in f.reason


def test_the_agent_reading_its_own_secret_in_its_own_session_is_not_a_finding():
    _, read = story()
    assert finding(read, "secret-read-undeclared", history=MemoryHistory()) is None


def test_a_direct_kms_decrypt_of_a_declared_parameter_by_a_non_reader_is_a_secret_read():
    f = finding(record("kms-decrypt-parameter.json"), "secret-read-undeclared")
    assert f is not None and f.severity is Severity.HIGH
    assert "kms:Decrypt" in f.reason


def test_a_kms_decrypt_that_ssm_made_for_a_get_parameter_is_not_judged_twice():
    rec = record("kms-decrypt-parameter.json", userIdentity={"invokedBy": "ssm.amazonaws.com"})
    assert finding(rec, "secret-read-undeclared") is None


def test_a_kms_decrypt_of_an_undeclared_parameter_is_not_a_secret_read():
    rec = record("kms-decrypt-parameter.json", requestParameters={"encryptionContext": {
        "PARAMETER_ARN": "arn:aws:ssm:us-east-1:630287363158:parameter/app/feature-flags"}})
    assert finding(rec, "secret-read-undeclared") is None
