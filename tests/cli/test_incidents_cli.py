"""``replay --store`` and ``incidents list|show|verify|report|purge``: what an auditor runs, end to end.

The seed story (``examples/story``) replayed into a SQLite file makes 7 incidents: root-signin,
two root-api-use sessions (Nov 2 and Nov 20), secret-read-undeclared, iam-delete-user,
iam-create-access-key — all by root — and sts-assume-role-failed by the CI user.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chalicelib.cli import main
from chalicelib.findings import FINDING_FIELDS
from chalicelib.notify.message import redact_value
from tests.report.htmltree import parse

STORY = Path(__file__).resolve().parents[2] / "examples" / "story"
ROOT_ARN = "arn:aws:iam::630287363158:root"
CI_ARN = "arn:aws:iam::630287363158:user/github-actions-aws-deployer"
ROOT_RULES = ["root-signin", "root-api-use", "root-api-use", "secret-read-undeclared", "iam-delete-user",
              "iam-create-access-key"]
ALL_INCIDENTS = 7
INCIDENT_COLUMNS = [*FINDING_FIELDS, "incident_id", "count", "first_seen", "last_seen"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "incidents.db"


@pytest.fixture
def store(db: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """The seed story replayed into a fresh SQLite incident log; returns its URL."""
    url = f"sqlite:///{db}"
    code, _, err = run(capsys, "replay", "--format", "json", "--store", url, str(STORY))
    assert code == 0, err
    return url


def incidents(capsys: pytest.CaptureFixture[str], store: str, *args: str) -> tuple[int, str, str]:
    return run(capsys, "incidents", "--store", store, *args)


def listed(capsys: pytest.CaptureFixture[str], store: str, *filters: str) -> list[dict]:
    code, out, err = incidents(capsys, store, "list", "--format", "json", "--limit", "1000", *filters)
    assert code == 0, err
    return json_lines(out)


def incident_id(capsys: pytest.CaptureFixture[str], store: str, rule: str) -> str:
    [row] = listed(capsys, store, "--rule", rule)
    return row["incident_id"]


def tamper(db: Path, sql: str, *args: object) -> None:
    """What someone with write access to the file could do, going around Trailwarden entirely."""
    with sqlite3.connect(db) as conn:
        assert conn.execute(sql, args).rowcount == 1


# -- replay --store ---------------------------------------------------------------------------
def test_replay_with_a_store_reports_the_new_incidents(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "replay", "--format", "json", "--store", f"sqlite:///{db}", str(STORY))
    assert code == 0
    assert f"{ALL_INCIDENTS} new incidents, 4 grouped into open incidents, 0 already stored" in err


def test_replaying_the_same_files_again_adds_nothing(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "replay", "--format", "json", "--store", store, str(STORY))
    assert code == 0
    assert "0 new incidents, 0 grouped into open incidents, 11 already stored" in err
    assert len(listed(capsys, store)) == ALL_INCIDENTS


# -- list: filters and formats ----------------------------------------------------------------
def test_list_by_principal_as_csv_shows_exactly_the_root_incidents_under_a_header(
        store: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = incidents(capsys, store, "list", "--principal", ROOT_ARN, "--format", "csv")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == INCIDENT_COLUMNS
    body = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert sorted(r["rule"] for r in body) == sorted(ROOT_RULES)
    assert {r["principal_arn"] for r in body} == {ROOT_ARN}


def test_csv_keeps_counts_and_leaves_missing_values_empty(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = incidents(capsys, store, "list", "--rule", "root-api-use", "--format", "csv")
    body = list(csv.DictReader(io.StringIO(out)))
    assert sorted(r["count"] for r in body) == ["3", "3"]
    assert {r["principal"] for r in body} == {""}  # root is no declared principal


def test_list_by_rule_shows_only_that_rule(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    rows = listed(capsys, store, "--rule", "sts-assume-role-failed")
    assert [(r["rule"], r["principal_arn"], r["principal"]) for r in rows] == [
        ("sts-assume-role-failed", CI_ARN, "github-actions")]


def test_list_by_severity_at_least_critical_leaves_out_the_high_ones(
        store: str, capsys: pytest.CaptureFixture[str]) -> None:
    rows = listed(capsys, store, "--severity-at-least", "critical")
    assert sorted(r["rule"] for r in rows) == ["root-api-use", "root-api-use", "root-signin"]


def test_list_since_an_iso_date_leaves_out_older_incidents(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    rows = listed(capsys, store, "--since", "2026-11-19")
    assert len(rows) == 5 and all(r["first_seen"] >= "2026-11-19" for r in rows)


def test_list_since_a_look_back_counts_from_now(tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    now = datetime.now(UTC)
    signin = json.loads((STORY / "01-root-console-signin.eventbridge.json").read_text())["detail"]
    delete = json.loads((STORY / "04-root-deletes-ci-user.eventbridge.json").read_text())["detail"]
    signin["eventTime"] = f"{now - timedelta(days=30):%Y-%m-%dT%H:%M:%SZ}"
    delete["eventTime"] = f"{now - timedelta(days=2):%Y-%m-%dT%H:%M:%SZ}"
    events = tmp_path / "recent.jsonl"
    events.write_text(f"{json.dumps(signin)}\n{json.dumps(delete)}\n")
    url = f"sqlite:///{db}"
    assert run(capsys, "replay", "--format", "json", "--store", url, str(events))[0] == 0
    assert sorted(r["rule"] for r in listed(capsys, url, "--since", "7d")) == ["iam-delete-user", "root-api-use"]
    assert len(listed(capsys, url, "--since", "45d")) == 3


def test_filters_combine(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    rows = listed(capsys, store, "--principal", ROOT_ARN, "--severity-at-least", "critical", "--since", "2026-11-19")
    assert [r["rule"] for r in rows] == ["root-api-use"]


def test_json_lines_carry_the_design_fields_and_the_incident_fields(
        store: str, capsys: pytest.CaptureFixture[str]) -> None:
    rows = listed(capsys, store)
    assert len(rows) == ALL_INCIDENTS
    for row in rows:
        assert set(INCIDENT_COLUMNS) <= set(row)
        assert "raw_event" not in row
    session = next(r for r in rows if r["rule"] == "root-api-use" and r["first_seen"].startswith("2026-11-02"))
    assert (session["count"], session["first_seen"], session["last_seen"]) == (
        3, "2026-11-02T09:05:12Z", "2026-11-02T09:06:02Z")


def test_list_is_newest_first(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    seen = [r["first_seen"] for r in listed(capsys, store)]
    assert seen == sorted(seen, reverse=True)


def test_the_table_names_each_incident_id(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = incidents(capsys, store, "list", "--rule", "iam-delete-user")
    assert code == 0
    assert "iam-delete-user" in out and ROOT_ARN in out and "Terraform CI in GitHub Actions" in out
    assert f"id {incident_id(capsys, store, 'iam-delete-user')}" in out


def test_an_empty_result_says_so(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = incidents(capsys, store, "list", "--rule", "no-such-rule")
    assert code == 0 and out.strip() == "no incidents"


def test_a_bad_severity_filter_exits_2_naming_the_flag(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = incidents(capsys, store, "list", "--severity-at-least", "urgent")
    assert code == 2 and out == ""
    assert err.startswith("error: --severity-at-least: ") and "'urgent'" in err and "Traceback" not in err


def test_a_bad_time_filter_exits_2_naming_the_flag(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = incidents(capsys, store, "list", "--since", "last tuesday")
    assert code == 2 and err.startswith("error: --since: 'last tuesday' is neither")


def test_a_next_token_that_was_not_given_out_exits_2_naming_the_flag(
        store: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = incidents(capsys, store, "list", "--next-token", "garbage")
    assert code == 2 and err.startswith("error: --next-token: 'garbage' is not a token this log gave out")


def test_a_limit_out_of_range_exits_2_naming_the_flag(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = incidents(capsys, store, "list", "--limit", "0")
    assert code == 2 and err == "error: --limit: must be between 1 and 1000, got 0\n"


@pytest.mark.parametrize("action", [["verify"], ["list"], ["report", "--format", "md"]])
def test_a_store_path_that_does_not_exist_is_an_error_not_an_empty_log(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], action: list[str]) -> None:
    # A typo in --store must not verify as "ok: 0 incidents" (nor leave an empty file behind).
    missing = tmp_path / "typo.db"
    code, out, err = incidents(capsys, f"sqlite:///{missing}", *action)
    assert code == 2 and out == ""
    assert str(missing) in err and "Traceback" not in err
    assert not missing.exists()


# -- pagination -------------------------------------------------------------------------------
NEXT = re.compile(r"--next-token (\S+)")


def test_a_limited_page_prints_a_next_token(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = incidents(capsys, store, "list", "--format", "json", "--limit", "2")
    assert code == 0 and len(json_lines(out)) == 2
    assert NEXT.search(err)


def test_next_token_pages_through_every_incident_without_repeats(
        store: str, capsys: pytest.CaptureFixture[str]) -> None:
    ids: list[str] = []
    token: list[str] = []
    for _ in range(ALL_INCIDENTS):  # 4 pages expected; bounded in case the token never ends
        code, out, err = incidents(capsys, store, "list", "--format", "json", "--limit", "2", *token)
        assert code == 0
        page = json_lines(out)
        assert 1 <= len(page) <= 2
        ids += [r["incident_id"] for r in page]
        match = NEXT.search(err)
        if match is None:
            break
        token = ["--next-token", match.group(1)]
    assert len(ids) == len(set(ids)) == ALL_INCIDENTS


def test_all_follows_every_page(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = incidents(capsys, store, "list", "--format", "json", "--limit", "2", "--all")
    assert code == 0 and len(json_lines(out)) == ALL_INCIDENTS and not NEXT.search(err)


# -- show -------------------------------------------------------------------------------------
def test_show_prints_the_raw_cloudtrail_record(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    wanted = incident_id(capsys, store, "iam-delete-user")
    code, out, _ = incidents(capsys, store, "show", wanted)
    assert code == 0
    shown = json.loads(out)
    record = json.loads((STORY / "04-root-deletes-ci-user.eventbridge.json").read_text())["detail"]
    assert shown["incident_id"] == wanted
    assert shown["raw_event"] == redact_value(record)


def test_show_masks_access_key_ids_in_the_record(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    wanted = incident_id(capsys, store, "iam-delete-user")
    _, out, _ = incidents(capsys, store, "show", wanted)
    assert "AKIAZ7EXAMPLEROOTKEY" not in out and "…TKEY" in out


def test_show_of_an_unknown_incident_exits_1(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = incidents(capsys, store, "show", "inc-000000000000000000000000")
    assert code == 1 and out == "" and "inc-000000000000000000000000" in err


# -- verify -----------------------------------------------------------------------------------
def test_verify_of_an_untouched_log_exits_0_and_says_how_much_it_checked(
        store: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = incidents(capsys, store, "verify")
    assert code == 0
    assert out.startswith("ok: checked 11 chain entries covering 7 incidents")


def test_verify_names_an_incident_whose_reason_was_edited(
        store: str, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    victim = incident_id(capsys, store, "iam-delete-user")
    tamper(db, "UPDATE incidents SET reason = ? WHERE incident_id = ?", "routine clean-up", victim)
    code, out, _ = incidents(capsys, store, "verify")
    assert code == 1
    assert "TAMPERED" in out and victim in out


def test_verify_catches_a_deleted_incident(store: str, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    victim = incident_id(capsys, store, "root-signin")
    tamper(db, "DELETE FROM incidents WHERE incident_id = ?", victim)
    code, out, _ = incidents(capsys, store, "verify")
    assert code == 1
    assert "TAMPERED" in out and victim in out


def test_verify_catches_an_edited_count(store: str, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Hiding how big the Nov 20 root session was: 3 calls → 1.
    victim = next(r["incident_id"] for r in listed(capsys, store, "--rule", "root-api-use", "--since", "2026-11-19"))
    tamper(db, "UPDATE incidents SET count = 1 WHERE incident_id = ?", victim)
    code, out, _ = incidents(capsys, store, "verify")
    assert code == 1 and victim in out


def test_verify_catches_a_deleted_chain_entry(store: str, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tamper(db, "DELETE FROM chain WHERE seq = (SELECT MAX(seq) FROM chain)")
    code, out, _ = incidents(capsys, store, "verify")
    assert code == 1 and "TAMPERED" in out and "missing" in out


def test_verify_of_a_wiped_chain_says_what_is_missing_without_a_placeholder_id(
        store: str, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM chain")
        conn.execute("DELETE FROM incidents")
    code, out, _ = incidents(capsys, store, "verify")
    assert code == 1
    assert out.startswith("TAMPERED: chain entries 1..11 are missing") and "None" not in out


def test_verify_catches_an_incident_hidden_from_the_severity_filter(
        store: str, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The row's content is untouched, but its index column no longer says critical.
    victim = incident_id(capsys, store, "root-signin")
    tamper(db, "UPDATE incidents SET severity_rank = 10 WHERE incident_id = ?", victim)
    assert "root-signin" not in {r["rule"] for r in listed(capsys, store, "--severity-at-least", "critical")}
    code, out, _ = incidents(capsys, store, "verify")
    assert code == 1 and victim in out


# -- report -----------------------------------------------------------------------------------
def test_report_html_writes_a_page_with_the_incident_table(
        store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "report.html"
    code, _, err = incidents(capsys, store, "report", "--html", str(page))
    assert code == 0
    assert f"wrote {page}: {ALL_INCIDENTS} incidents" in err
    doc = parse(page.read_text(encoding="utf-8"))
    cells = " ".join(cell.text for cell in doc.iter() if cell.tag in ("td", "th"))
    assert len(doc.find_all("table")) >= 1
    for rule in set(ROOT_RULES) | {"sts-assume-role-failed"}:
        assert rule in cells
    assert CI_ARN in cells


def test_report_html_into_a_missing_folder_is_one_error_line_naming_it(
        store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "no-such-folder" / "report.html"
    code, _, err = incidents(capsys, store, "report", "--html", str(page))
    assert code == 2
    assert err == f"error: --html {page}: cannot write the report: No such file or directory\n"


def test_report_markdown_prints_the_summary_with_the_verification(
        store: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = incidents(capsys, store, "report", "--format", "md")
    assert code == 0
    assert out.startswith("# ")
    assert "Hash chain verified: 11 entries, 7 incidents intact." in out
    assert "sts-assume-role-failed" in out and "|" in out


def test_report_of_a_tampered_log_says_so_and_exits_1(
        store: str, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    victim = incident_id(capsys, store, "iam-delete-user")
    tamper(db, "UPDATE incidents SET reason = ? WHERE incident_id = ?", "routine clean-up", victim)
    code, out, _ = incidents(capsys, store, "report", "--format", "md")
    assert code == 1 and f"FAILED verification at incident {victim}" in out


def test_report_without_an_output_exits_2(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = incidents(capsys, store, "report")
    assert code == 2 and "--html" in err


# -- purge ------------------------------------------------------------------------------------
def test_purge_removes_incidents_last_seen_before_the_cutoff(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = incidents(capsys, store, "purge", "--older-than", "2026-11-10")
    assert code == 0 and out.startswith("purged 2 incidents last seen before 2026-11-10T00:00:00Z")
    remaining = listed(capsys, store)
    assert len(remaining) == 5 and all(r["last_seen"] >= "2026-11-10" for r in remaining)


def test_purging_one_incident_says_one_incident(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = incidents(capsys, store, "purge", "--older-than", "2026-11-02T09:00:00Z")  # the root sign-in only
    assert code == 0 and out.startswith("purged 1 incident last seen before")


def test_verify_stays_ok_after_a_purge(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    incidents(capsys, store, "purge", "--older-than", "2026-11-10")
    code, out, _ = incidents(capsys, store, "verify")
    assert code == 0 and "covering 5 incidents" in out


def test_a_purged_event_replayed_later_is_stored_anew_and_the_log_still_verifies(
        store: str, capsys: pytest.CaptureFixture[str]) -> None:
    # Retention forgets everything about a purged incident, its de-duplication marker included.
    incidents(capsys, store, "purge", "--older-than", "2026-11-10")
    run(capsys, "replay", "--format", "json", "--store", store, str(STORY / "01-root-console-signin.eventbridge.json"))
    assert "root-signin" in {r["rule"] for r in listed(capsys, store)}
    code, out, _ = incidents(capsys, store, "verify")
    assert code == 0 and "covering 6 incidents" in out
