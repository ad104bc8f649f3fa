"""``simulate --org``: events put in member regions reach the central monitor once, with account and region.

One run (a moto server, the member template deployed per account and region) is shared by the
tests of this module: a CI user refused AssumeRole in prod's eu-west-1, root in an undeclared
staging account in ap-southeast-2, and a routine service read in prod's eu-central-1.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from chalicelib.cli import build_parser
from chalicelib.cli import simulate as simulate_cli
from chalicelib.identity.loader import DEFAULT_MODEL

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "org"
BAD = Path(__file__).resolve().parents[1] / "fixtures" / "org-bad"
PROD, STAGING = "502938471625", "710294836152"
PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")


def org_model(folder: Path) -> Path:
    """The bundled model with prod added (staging stays undeclared)."""
    data = yaml.safe_load(DEFAULT_MODEL.read_text())
    data["accounts"].append({"id": PROD, "name": "prod", "root": "never"})
    path = folder / "org-model.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def run(template: Path, model: Path, capsys: Any, *paths: Path) -> tuple[int, list[dict[str, Any]], str]:
    args = build_parser().parse_args(["simulate", "--org", "--format", "json", "--model", str(model),
                                      "--member-template", str(template), *map(str, paths)])
    code = simulate_cli.run(args)
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, member_template: dict[str, Any]) -> Path:
    path = tmp_path_factory.mktemp("org") / "member.json"
    path.write_text(json.dumps(member_template))
    return path


@pytest.fixture(scope="module")
def outcome(template: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[int, list[dict[str, Any]], str]:
    """One run for the module (capsys is per test: stdout and stderr are captured here by hand)."""
    mp = pytest.MonkeyPatch()
    for name in (*PROXIES, "TRAILWARDEN_MODEL", "TRAILWARDEN_SLACK_WEBHOOK"):
        mp.delenv(name, raising=False)
    model = org_model(tmp_path_factory.mktemp("model"))
    err = io.StringIO()
    buffer = io.BytesIO()
    wrapper = io.TextIOWrapper(buffer, encoding="utf-8", write_through=True)
    try:
        with contextlib.redirect_stdout(wrapper), contextlib.redirect_stderr(err):
            args = build_parser().parse_args(["simulate", "--org", "--format", "json", "--model", str(model),
                                              "--member-template", str(template), str(FIXTURES)])
            code = simulate_cli.run(args)
    finally:
        mp.undo()
    lines = [json.loads(line) for line in buffer.getvalue().decode().splitlines()]
    return code, lines, err.getvalue()


def kinds(lines: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [x for x in lines if x["kind"] == kind]


def test_every_invocation_succeeds(outcome: tuple[int, list[dict[str, Any]], str]) -> None:
    code, lines, err = outcome
    assert code == 0, err
    assert kinds(lines, "invocation-error") == []


def test_an_event_in_a_member_region_keeps_its_account_region_and_name(outcome: Any) -> None:
    _, lines, _ = outcome
    (refused,) = [i for i in kinds(lines, "incident") if i["rule"] == "sts-assume-role-failed"]
    assert (refused["account"], refused["region"]) == (PROD, "eu-west-1")
    assert refused["place"] == f"prod ({PROD}) eu-west-1"


def test_an_undeclared_member_account_is_judged_in_its_own_region(outcome: Any) -> None:
    _, lines, _ = outcome
    staging = {i["rule"]: i for i in kinds(lines, "incident") if i["account"] == STAGING}
    assert set(staging) == {"root-api-use", "identity-undeclared-account"}
    assert {i["region"] for i in staging.values()} == {"ap-southeast-2"}


def test_each_loud_event_alerts_exactly_once_and_the_quiet_one_not_at_all(outcome: Any) -> None:
    _, lines, _ = outcome
    incidents = kinds(lines, "incident")
    assert len(kinds(lines, "slack")) == len(incidents) == 3
    assert not any(i["event_name"] == "DescribeInstances" for i in incidents)


def test_every_member_account_and_region_is_covered(outcome: Any) -> None:
    _, lines, _ = outcome
    cells = {(c["account"], c["region"]): c["status"] for c in kinds(lines, "coverage")}
    assert cells[(PROD, "eu-west-1")] == cells[(STAGING, "ap-southeast-2")] == "OK"
    assert set(cells.values()) == {"OK"}


def test_a_record_naming_a_region_that_does_not_exist_is_bad_input_and_the_rest_is_judged(
        template: Path, tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*PROXIES, "TRAILWARDEN_MODEL", "TRAILWARDEN_SLACK_WEBHOOK"):
        monkeypatch.delenv(name, raising=False)
    code, lines, err = run(template, org_model(tmp_path), capsys, BAD,
                           FIXTURES / "prod-ci-assume-role-denied-eu-west-1.json")
    assert code == 1
    assert "bad input: event 0e9c1400-0000-4000-8000-000000000004: awsRegion 'eu-westt-1' is not an AWS region name" \
        in err
    assert [i["rule"] for i in kinds(lines, "incident")] == ["sts-assume-role-failed"]


def test_a_missing_member_template_is_one_error_line(tmp_path: Path, capsys: Any) -> None:
    from chalicelib.cli import main

    assert main(["simulate", "--org", "--member-template", str(tmp_path / "member.json"), str(FIXTURES)]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {tmp_path / 'member.json'}: not found: build it with `make package`\n"
