"""Command-line conventions a new user (used to the AWS CLI) expects (issue 16, part 3)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from chalicelib.cli import main
from chalicelib.cli.output import plural, principal_label, table_header, table_row
from chalicelib.errors import ModelError
from chalicelib.identity.loader import parse_model
from chalicelib.runbooks import fill

STORY = Path(__file__).resolve().parents[2] / "examples" / "story"
SSO_ARN = ("arn:aws:sts::630287363158:assumed-role/AWSReservedSSO_AdministratorAccess_5f1c2d3e4b5a6978/"
           "jared@example.com")
RECORD = (STORY / "04-root-deletes-ci-user.eventbridge.json").read_bytes()
MODEL = """\
version: 1
accounts:
  - id: "630287363158"
    name: prod
principals:
  - id: jared
    kind: human
    auth: [sso]
    sso_user: jared@example.com
secrets:
  - name: /prod/db
    readers: [nobody]
"""


@pytest.fixture
def store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    url = f"sqlite:///{tmp_path / 'i.db'}"
    assert main(["replay", "--format", "json", "--store", url, str(STORY)]) == 0
    capsys.readouterr()
    return url


def test_store_is_accepted_after_the_action(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["incidents", "list", "--store", store, "--format", "json"]) == 0
    after = capsys.readouterr().out
    assert main(["incidents", "--store", store, "list", "--format", "json"]) == 0
    assert after == capsys.readouterr().out and after.count("\n") == 7


def test_store_after_the_action_wins_over_the_default(store: str, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    missing = f"sqlite:///{tmp_path / 'missing.db'}"
    assert main(["incidents", "--store", store, "list", "--store", missing]) == 2
    assert "missing.db" in capsys.readouterr().err


def test_the_table_shows_the_model_principal_not_a_cut_arn() -> None:
    row = {"severity": "high", "rule": "iam-delete-user", "principal": "jared", "principal_arn": SSO_ARN}
    first = table_row(row, width=120).splitlines()[0]
    assert "jared" in first and "AWSReservedS" not in first


def test_an_undeclared_sso_session_is_shown_by_permission_set_and_user() -> None:
    assert principal_label({"principal_arn": SSO_ARN}) == "sso AdministratorAccess/jared@example.com"


@pytest.mark.parametrize("width", [80, 120, 200])
def test_rows_fit_the_terminal_width(width: int) -> None:
    row = {"severity": "critical", "rule": "identity-undeclared-principal", "principal_arn": SSO_ARN,
           "event_name": "CreateAccessKey", "event_time": "2026-11-02T08:59:40Z", "account": "630287363158",
           "region": "us-east-1", "breaks": "CI deploys", "reason": "a long reason " * 30}
    lines = [table_header(width), *table_row(row, width).splitlines()]
    assert max(len(line) for line in lines) <= width


def test_replay_on_a_terminal_says_it_reads_stdin(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    class Terminal(io.TextIOWrapper):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Terminal(io.BytesIO(RECORD)))
    assert main(["replay"]) == 0
    assert "reading CloudTrail records from the terminal" in capsys.readouterr().err


def test_replay_from_a_pipe_prints_no_hint(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(RECORD)))
    assert main(["replay"]) == 0
    assert "reading CloudTrail records" not in capsys.readouterr().err


def test_model_errors_come_in_one_pass_with_a_did_you_mean_hint() -> None:
    with pytest.raises(ModelError) as caught:
        parse_model(MODEL, "m.yaml")
    errors = caught.value.errors
    assert any("sso_user: unknown key (did you mean 'sso_users'?)" in e for e in errors)
    assert any("secrets[0].readers[0]: unknown principal 'nobody'" in e for e in errors)


def test_an_item_that_fails_only_without_its_misspelt_key_still_lets_the_references_be_checked() -> None:
    # auth: sso without sso_users is itself invalid once the unknown sso_user is set aside
    with pytest.raises(ModelError) as caught:
        parse_model(MODEL.replace("auth: [sso]", "auth: sso"), "m.yaml")
    errors = caught.value.errors
    assert any("sso_user: unknown key (did you mean 'sso_users'?)" in e for e in errors)
    assert any("secrets[0].readers[0]: unknown principal 'nobody'" in e for e in errors)


def test_an_unknown_key_with_no_near_name_gets_no_hint() -> None:
    with pytest.raises(ModelError) as caught:
        parse_model(MODEL.replace("sso_user:", "zzzzzz:"), "m.yaml")
    assert any(e.endswith("zzzzzz: unknown key") for e in caught.value.errors)


def test_counts_read_as_english() -> None:
    assert (plural(1, "finding"), plural(2, "finding"), plural(0, "event")) == ("1 finding", "2 findings", "0 events")


def test_replay_of_one_event_says_judged_1_event(capsys: pytest.CaptureFixture[str]) -> None:
    main(["replay", str(STORY / "04-root-deletes-ci-user.eventbridge.json")])
    assert "judged 1 event: 2 findings" in capsys.readouterr().err


def test_runbook_fills_in_the_user_it_knows() -> None:
    text = fill("`aws iam update-access-key --user-name USER --access-key-id KEY`",
                "arn:aws:iam::630287363158:user/ci-deployer", "arn:aws:iam::630287363158:root")
    assert text == "`aws iam update-access-key --user-name ci-deployer --access-key-id KEY`"


def test_runbook_keeps_the_placeholder_when_the_user_is_unknown() -> None:
    text = fill("`aws iam get-role --role-name ROLE`", "arn:aws:s3:::bucket", "arn:aws:iam::630287363158:root")
    assert text == "`aws iam get-role --role-name ROLE`"


def test_replayed_findings_carry_filled_runbooks(capsys: pytest.CaptureFixture[str]) -> None:
    main(["replay", "--format", "json", str(STORY / "04-root-deletes-ci-user.eventbridge.json")])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    delete = next(r for r in rows if r["rule"] == "iam-delete-user")
    assert "--user-name github-actions-aws-deployer" in delete["runbook"]
