"""``incidents to-securityhub``: the incident log imported into Security Hub (moto), once per incident."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from chalicelib.cli import main

STORY = Path(__file__).resolve().parents[2] / "examples" / "story"
REGION = "us-east-1"


@pytest.fixture
def store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    url = f"sqlite:///{tmp_path / 'i.db'}"
    assert main(["replay", "--format", "json", "--store", url, str(STORY)]) == 0
    capsys.readouterr()
    return url


def test_every_incident_becomes_one_finding_even_when_imported_twice(store: str,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    with mock_aws():
        hub = boto3.client("securityhub", region_name=REGION)
        hub.enable_security_hub()
        for _ in range(2):
            assert main(["incidents", "to-securityhub", "--store", store, "--region", REGION]) == 0
        out = capsys.readouterr().out
        found = hub.get_findings()["Findings"]
    assert len(found) == 7 and {f["GeneratorId"] for f in found} >= {"root-signin", "iam-delete-user"}
    assert out.splitlines()[-1].startswith("imported 7 findings of 7 into Security Hub")
    assert "in 1 call; 0 retried, 0 failed" in out


def test_a_store_that_does_not_exist_is_refused_before_any_import(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["incidents", "to-securityhub", "--store", f"sqlite:///{tmp_path / 'none.db'}"]) == 2
    assert "no incident log" in capsys.readouterr().err
