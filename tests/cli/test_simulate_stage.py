"""``simulate --stage dev|prod``: the stage's handler families, the events none of them would judge
named on stderr, and no raw EMF metrics among the handlers' output."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from chalicelib.cli import build_parser
from chalicelib.cli import simulate as simulate_cli
from chalicelib.cli.simulate_stage import stage_environment
from chalicelib.errors import ConfigError

ROUTINE = Path(__file__).resolve().parents[2] / "examples" / "story" / "07-routine-activity.jsonl"
PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")


@pytest.fixture(autouse=True)
def local_only(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*PROXIES, "TRAILWARDEN_MODEL", "TRAILWARDEN_SLACK_WEBHOOK", "TRAILWARDEN_WATCH_WRITES",
                 "POWERTOOLS_METRICS_DISABLED"):
        monkeypatch.delenv(name, raising=False)


def simulate(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[dict, str]:
    assert simulate_cli.run(build_parser().parse_args(["simulate", *argv, "--format", "json"])) == 0
    out, err = capsys.readouterr()
    return json.loads(out.splitlines()[-1]), err


def test_dev_names_the_writes_no_enabled_rule_matched(capsys: pytest.CaptureFixture[str]) -> None:
    summary, err = simulate(capsys, str(ROUTINE), "--stage", "dev")
    assert summary["unrouted"] == 3
    assert "not judged: 3 events matched no enabled rule of stage dev" in err
    assert "ec2.amazonaws.com CreateTags" in err


def test_prod_is_the_default_and_judges_the_writes_dev_leaves_out(capsys: pytest.CaptureFixture[str]) -> None:
    summary, err = simulate(capsys, str(ROUTINE))
    assert summary["unrouted"] == 0 and summary["invocations"].get("writes", 0) >= 3
    assert "not judged" not in err


def test_no_raw_metrics_json_reaches_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    _, err = simulate(capsys, str(ROUTINE))
    assert not [line for line in err.splitlines() if line.startswith('{"_aws"')]


def test_an_unknown_stage_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown stage 'qa'.*dev, org, prod"):
        stage_environment("qa")


def test_simulating_prod_leaves_the_imported_app_and_the_environment_as_they_were(
        capsys: pytest.CaptureFixture[str]) -> None:
    import app as app_module  # imported by this process as it was: no writes handler unless switched on

    before = (set(app_module.app.handler_map), app_module.FAMILIES)
    simulate(capsys, str(ROUTINE), "--stage", "prod")
    assert (set(app_module.app.handler_map), app_module.FAMILIES) == before
    assert not {"TRAILWARDEN_WATCH_WRITES", "POWERTOOLS_METRICS_DISABLED"} & set(os.environ)
