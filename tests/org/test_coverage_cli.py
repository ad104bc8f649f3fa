"""``python -m chalicelib coverage``: matrix or JSON lines, exit 0 / 1 on a gap / 2 with one error line."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.cli import build_parser, main
from chalicelib.cli import coverage as coverage_cli
from chalicelib.org.sandbox import OrgSandbox

from .conftest import CENTRAL

PROD = "502938471625"


@pytest.fixture
def org(aws: None, member_template: dict[str, Any]) -> OrgSandbox:
    box = OrgSandbox(member_template, CENTRAL)
    box.add_member(PROD, ("us-east-1", "eu-west-1"))
    return box


def run(box: OrgSandbox, *argv: str) -> int:
    args = build_parser().parse_args(["coverage", "--accounts", PROD, "--bus", box.bus, "--stage", "org", *argv])
    return coverage_cli.run(args, session=box.session(CENTRAL))


def test_json_lines_say_ok_per_account_and_region_and_exit_zero(org: OrgSandbox, capsys: Any) -> None:
    assert run(org, "--regions", "eu-west-1", "--format", "json") == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["account"], r["region"], r["status"]) for r in rows] == [(PROD, "us-east-1", "OK"),
                                                                         (PROD, "eu-west-1", "OK")]


def test_a_gap_exits_one_and_the_table_names_it(org: OrgSandbox, capsys: Any) -> None:
    org.session(PROD).client("events", region_name="eu-west-1").disable_rule(Name="trailwarden-forward-iam")
    assert run(org, "--regions", "eu-west-1") == 1
    out = capsys.readouterr().out
    assert f"GAP {PROD} eu-west-1: rule trailwarden-forward-iam is DISABLED (needs ENABLED)" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["--regions", "eu-west-9"], "error: --regions: 'eu-west-9' is not an AWS region name"),
    (["--accounts", "prod"], "error: --accounts: 'prod' is not a 12-digit AWS account id"),
    (["--bus", "default"], "error: coverage needs the central custom bus"),
])
def test_bad_input_is_refused_in_one_line_with_exit_two(argv: list[str], message: str, capsys: Any) -> None:
    assert main(["coverage", "--accounts", PROD, *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1


def test_a_central_bus_that_does_not_exist_is_named_in_one_error_line(aws: None, capsys: Any) -> None:
    assert main(["coverage", "--accounts", PROD, "--bus", "trailwarden-org", "--stage", "org"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the central event bus 'trailwarden-org' does not exist in us-east-1 "
                          "(ResourceNotFoundException)") and err.count("\n") == 1
