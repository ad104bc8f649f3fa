"""``incidents ack|resolve|list --status``: the on-call queue from the terminal, over the seed story."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.cli.test_incidents_cli import ALL_INCIDENTS, incident_id, incidents, listed, run

STORY = Path(__file__).resolve().parents[2] / "examples" / "story"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "incidents.db"


@pytest.fixture
def store(db: Path, capsys: pytest.CaptureFixture[str]) -> str:
    url = f"sqlite:///{db}"
    code, _, err = run(capsys, "replay", "--format", "json", "--store", url, str(STORY))
    assert code == 0, err
    return url


def test_every_incident_starts_open(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert len(listed(capsys, store, "--status", "open")) == ALL_INCIDENTS


def test_ack_takes_an_incident_off_the_open_queue(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    target = incident_id(capsys, store, "iam-delete-user")
    code, out, _ = incidents(capsys, store, "ack", target, "--as", "jared")
    assert code == 0 and "acknowledged by jared" in out
    assert target not in {r["incident_id"] for r in listed(capsys, store, "--status", "open")}
    [row] = listed(capsys, store, "--status", "acknowledged")
    assert (row["incident_id"], row["triage"]["acknowledged_by"]) == (target, "jared")


def test_resolve_records_the_resolution_and_note(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    target = incident_id(capsys, store, "iam-delete-user")
    code, _, err = incidents(capsys, store, "resolve", target, "--as", "maria", "--resolution", "expected",
                             "--note", "offboarding")
    assert code == 0, err
    [row] = listed(capsys, store, "--status", "resolved")
    assert (row["triage"]["resolution"], row["triage"]["resolved_by"], row["triage"]["note"]) == (
        "expected", "maria", "offboarding")


def test_the_open_queue_filters_by_severity_too(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    rows = listed(capsys, store, "--status", "open", "--severity-at-least", "critical")
    assert rows and {r["severity"] for r in rows} == {"critical"}


def test_acknowledging_twice_exits_1_saying_why(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    target = incident_id(capsys, store, "iam-delete-user")
    incidents(capsys, store, "ack", target, "--as", "jared")
    code, _, err = incidents(capsys, store, "ack", target, "--as", "jared")
    assert code == 1 and "is acknowledged: cannot ack it" in err


def test_an_unknown_status_is_an_error_naming_it(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = incidents(capsys, store, "list", "--status", "closed")
    assert code == 2 and err.startswith("error: --status: unknown status 'closed' (expected one of: open,")


def test_verify_passes_after_triage_and_fails_after_a_note_is_edited(
    db: Path, store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target = incident_id(capsys, store, "iam-delete-user")
    incidents(capsys, store, "resolve", target, "--as", "maria", "--resolution", "expected", "--note", "ok")
    assert incidents(capsys, store, "verify")[0] == 0
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE triage SET note = 'approved' WHERE incident_id = ?", (target,))
    code, out, _ = incidents(capsys, store, "verify")
    assert code == 1 and target in out


def test_the_report_shows_who_resolved_and_the_chain_head(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    target = incident_id(capsys, store, "iam-delete-user")
    incidents(capsys, store, "resolve", target, "--as", "maria", "--resolution", "expected")
    code, out, _ = incidents(capsys, store, "report", "--format", "md")
    [row] = [line for line in out.splitlines() if target in line]
    assert code == 0 and "resolved (expected)" in row and "maria" in row
    assert "- **Chain head:** seq 12, hash `" in out and "| Never acknowledged | 6 |" in out


def test_a_suppressed_finding_is_listed_only_with_suppressed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import UTC, datetime, timedelta

    from chalicelib.identity.loader import DEFAULT_MODEL

    expires = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    model = tmp_path / "model.yaml"
    model.write_text(DEFAULT_MODEL.read_text(encoding="utf-8") + "\nsuppressions:\n  - rule: root-signin\n"
                     f"    account: \"630287363158\"\n    reason: drill\n    owner: jared\n    expires: {expires}\n",
                     encoding="utf-8")  # fmt: skip
    url = f"sqlite:///{tmp_path / 'incidents.db'}"
    code, _, err = run(capsys, "replay", "--format", "json", "--model", str(model), "--store", url, str(STORY))
    assert code == 0, err
    [row] = listed(capsys, url, "--suppressed")
    assert (row["rule"], row["details"]["suppressed"]["owner"]) == ("root-signin", "jared")
    assert "root-signin" not in {r["rule"] for r in listed(capsys, url)}


def test_a_resolved_incident_table_fits_an_80_column_terminal(
        store: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    target = incident_id(capsys, store, "iam-delete-user")
    incidents(capsys, store, "resolve", target, "--as", "maria", "--resolution", "false-positive")
    monkeypatch.setenv("COLUMNS", "80")
    code, table, _ = incidents(capsys, store, "list", "--status", "resolved")
    assert code == 0 and f"id {target}  resolved (false-positive) by maria" in table
    assert max(len(line) for line in table.splitlines()) <= 80


def test_acknowledging_an_unknown_incident_names_the_log_it_looked_in(
        store: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = incidents(capsys, store, "ack", "inc-nope", "--as", "jared")
    assert code == 1 and err == f"error: no incident 'inc-nope' in {store}\n"
