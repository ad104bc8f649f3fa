"""The incident log contract, run against every backend (SQLite file and DynamoDB on moto)."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from chalicelib.errors import ConfigError
from chalicelib.findings import Severity
from chalicelib.incidents import IncidentQuery, open_store
from chalicelib.incidents.dynamodb import DynamoDBIncidentStore
from chalicelib.incidents.store import IncidentStore, RecordOutcome

from .factories import ACCOUNT, ROLE_ARN, SESSION_ARN, USER_ARN, at, make_finding, raw_event
from .harness import Harness

OTHER_SESSION = SESSION_ARN.replace("i-0abc123", "i-0def456")
OTHER_ROLE_SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/abt-app-instance-role/i-0aaa"


def ids(store: IncidentStore, **criteria: Any) -> list[str]:
    return [i.incident_id for i in store.iter_all(IncidentQuery(limit=1000, **criteria))]


def incident_id(outcome: RecordOutcome) -> str:
    assert outcome.incident is not None
    return outcome.incident.incident_id


def record_three(store: IncidentStore) -> list[str]:
    """Three ungrouped incidents at seq 1, 2, 3; returns their ids in that order."""
    return [incident_id(store.record(make_finding(f"evt-{n}", when=at(n)))) for n in range(3)]


# -- idempotency -------------------------------------------------------------------------------
def test_same_event_twice_is_one_incident_and_the_second_is_a_duplicate(store: IncidentStore) -> None:
    first = store.record(make_finding("evt-1"), raw_event=raw_event("evt-1"))
    second = store.record(make_finding("evt-1"), raw_event=raw_event("evt-1"))
    assert (first.status, second.status) == ("new", "duplicate")
    assert second.incident == first.incident
    assert len(ids(store)) == 1


def test_the_same_event_under_two_rules_is_two_incidents(store: IncidentStore) -> None:
    store.record(make_finding("evt-1", rule="root-api-use"))
    assert store.record(make_finding("evt-1", rule="secret-read-undeclared")).status == "new"


def test_audit_findings_without_event_id_dedup_on_the_finding_dedup_key(store: IncidentStore) -> None:
    audit = make_finding(None, rule="inventory-key-overdue", group_key=None, principal_arn=USER_ARN)
    assert store.record(audit, now=at(0)).status == "new"
    assert store.record(audit, now=at(60)).status == "duplicate"
    assert store.record(audit, now=at(days=1), dedup_key=f"{audit.dedup_key}#2026-11-21").status == "new"


def test_a_recorded_incident_reads_back_identically_with_its_raw_event(store: IncidentStore) -> None:
    outcome = store.record(make_finding("evt-1", details={"mfa": False}), raw_event=raw_event("evt-1"))
    assert outcome.incident is not None
    assert store.get(outcome.incident.incident_id) == outcome.incident
    assert outcome.incident.raw_event == raw_event("evt-1")
    assert store.get("inc-does-not-exist") is None


# -- grouping ----------------------------------------------------------------------------------
def test_fifty_grouped_findings_are_one_incident_with_count_fifty_keeping_the_first_event(
    store: IncidentStore,
) -> None:
    outcomes = [store.record(make_finding(f"evt-{n}", when=at(n), group_key="session-1")) for n in range(50)]
    assert [o.status for o in outcomes] == ["new"] + ["grouped"] * 49
    (incident,) = store.iter_all()
    assert (incident.count, incident.event_id) == (50, "evt-0")
    assert (incident.first_seen, incident.last_seen) == (at(0), at(49))
    assert incident.member_event_ids[0] == "evt-0" and incident.member_event_ids[-1] == "evt-49"


def test_the_same_event_twice_inside_a_group_does_not_bump_the_count(store: IncidentStore) -> None:
    store.record(make_finding("evt-0", group_key="session-1"))
    store.record(make_finding("evt-1", when=at(1), group_key="session-1"))
    again = store.record(make_finding("evt-1", when=at(1), group_key="session-1"))
    assert again.status == "duplicate"
    assert again.incident is not None and again.incident.count == 2


def test_a_worse_finding_grouped_into_an_incident_raises_its_severity_and_says_so(store: IncidentStore) -> None:
    first = store.record(make_finding("evt-0", severity=Severity.LOW, group_key="session-1", title="first"))
    worse = store.record(make_finding("evt-1", when=at(1), severity=Severity.HIGH, group_key="session-1"))
    milder = store.record(make_finding("evt-2", when=at(2), severity=Severity.MEDIUM, group_key="session-1"))
    assert (first.escalated, worse.escalated, milder.escalated) == (False, True, False)
    assert worse.status == milder.status == "grouped"
    incident = store.get(incident_id(first))
    assert incident is not None and incident == milder.incident
    assert (incident.severity, incident.count) == (Severity.HIGH, 3)
    assert (incident.event_id, incident.title) == ("evt-0", "first")  # the rest stays the first finding's
    assert ids(store, min_severity=Severity.HIGH) == [incident.incident_id]  # index columns/attributes follow
    assert store.verify().ok


def test_a_grouped_finding_outside_the_window_opens_a_new_incident(harness: Harness) -> None:
    store = harness.open(group_window=timedelta(minutes=30))
    first = store.record(make_finding("evt-0", group_key="session-1"))
    inside = store.record(make_finding("evt-1", when=at(20), group_key="session-1"))
    outside = store.record(make_finding("evt-2", when=at(120), group_key="session-1"))
    assert (first.status, inside.status, outside.status) == ("new", "grouped", "new")
    assert len(ids(store)) == 2


def test_a_per_rule_window_overrides_the_default(harness: Harness) -> None:
    store = harness.open(group_window=timedelta(minutes=5), group_windows={"root-api-use": timedelta(hours=6)})
    store.record(make_finding("evt-0", group_key="session-1"))
    assert store.record(make_finding("evt-1", when=at(180), group_key="session-1")).status == "grouped"


# -- queries -----------------------------------------------------------------------------------
@pytest.fixture
def populated(store: IncidentStore) -> IncidentStore:
    """Six incidents across principals, rules, accounts, severities and two months."""
    rows = [
        ("e1", at(1), "root-api-use", Severity.CRITICAL, SESSION_ARN, ACCOUNT),
        ("e2", at(2), "iam-create-access-key", Severity.HIGH, OTHER_SESSION, ACCOUNT),
        ("e3", at(3), "iam-delete-user", Severity.LOW, USER_ARN, "111122223333"),
        ("e4", at(4), "root-api-use", Severity.MEDIUM, ROLE_ARN, ACCOUNT),
        ("e5", at(5), "sts-assume-role-failed", Severity.MEDIUM, OTHER_ROLE_SESSION, ACCOUNT),
        ("e6", at(days=-40), "root-api-use", Severity.HIGH, USER_ARN, ACCOUNT),
    ]
    for event_id, when, rule, severity, arn, account in rows:
        store.record(
            make_finding(event_id, when=when, rule=rule, severity=severity, principal_arn=arn, account=account)
        )
    return store


def event_ids(store: IncidentStore, **criteria: Any) -> list[str]:
    return [i.event_id or "" for i in store.iter_all(IncidentQuery(limit=1000, **criteria))]


def test_query_by_exact_principal_arn_matches_only_that_principal(populated: IncidentStore) -> None:
    assert event_ids(populated, principal_arn=SESSION_ARN) == ["e1"]
    assert event_ids(populated, principal_arn=USER_ARN) == ["e3", "e6"]


def test_query_by_role_arn_matches_the_role_and_its_sessions(populated: IncidentStore) -> None:
    assert event_ids(populated, principal_arn=ROLE_ARN) == ["e4", "e2", "e1"]
    with_path = ROLE_ARN.replace(":role/", ":role/agents/")
    assert event_ids(populated, principal_arn=with_path) == ["e4", "e2", "e1"]


def test_query_by_rule(populated: IncidentStore) -> None:
    assert event_ids(populated, rule="root-api-use") == ["e4", "e1", "e6"]


def test_query_by_account(populated: IncidentStore) -> None:
    assert event_ids(populated, account="111122223333") == ["e3"]


def test_query_by_min_severity(populated: IncidentStore) -> None:
    assert event_ids(populated, min_severity="high") == ["e2", "e1", "e6"]
    assert event_ids(populated, rule="root-api-use", min_severity=Severity.HIGH) == ["e1", "e6"]


def test_query_by_since_and_until_bounds_first_seen(populated: IncidentStore) -> None:
    assert event_ids(populated, since=at(2), until=at(4)) == ["e3", "e2"]
    assert event_ids(populated, until=at(days=-1)) == ["e6"]
    assert event_ids(populated, since=at(4), principal_arn=ROLE_ARN) == ["e4"]


def test_query_returns_newest_first(populated: IncidentStore) -> None:
    found = populated.iter_all()
    assert [i.first_seen for i in found] == sorted((i.first_seen for i in found), reverse=True)
    assert [i.event_id for i in found] == ["e5", "e4", "e3", "e2", "e1", "e6"]


def test_pagination_covers_every_item_exactly_once(store: IncidentStore) -> None:
    for n in range(23):
        store.record(make_finding(f"evt-{n}", when=at(n // 2, days=-(n % 3) * 20)))  # ties and three months
    seen: list[str] = []
    query = IncidentQuery(limit=5)
    pages = 0
    while True:
        page = store.query(query)
        pages += 1
        assert len(page.items) <= 5
        seen += [i.incident_id for i in page.items]
        if page.next_token is None:
            break
        query = replace(query, next_token=page.next_token)
    assert pages == 5
    assert len(seen) == len(set(seen)) == 23
    assert seen == ids(store)


def test_a_next_token_we_did_not_issue_is_a_config_error(store: IncidentStore) -> None:
    with pytest.raises(ConfigError, match="next_token"):
        store.query(IncidentQuery(next_token="not-a-token"))


# -- verification ------------------------------------------------------------------------------
def test_verify_is_ok_on_a_clean_log_and_says_how_many_it_checked(store: IncidentStore) -> None:
    record_three(store)
    for n in range(4):
        store.record(make_finding(f"grp-{n}", when=at(n), group_key="session-1"))
    report = store.verify()
    assert report.ok, report.problem
    assert (report.checked, report.incidents, report.head_seq) == (7, 4, 7)
    assert report.first_bad_incident_id is None


def test_verify_names_an_incident_whose_field_was_changed(harness: Harness, store: IncidentStore) -> None:
    _, victim, _ = record_three(store)
    harness.set_field(victim, "title", "nothing to see here")
    report = store.verify()
    assert not report.ok
    assert report.first_bad_incident_id == victim
    assert "altered" in (report.problem or "")


def test_verify_names_an_incident_whose_index_key_was_changed(harness: Harness, store: IncidentStore) -> None:
    _, victim, _ = record_three(store)
    harness.set_field(victim, "principal_key" if harness.name == "sqlite" else "g_principal", "arn:aws:iam::1:root")
    assert store.verify().first_bad_incident_id == victim


def test_verify_names_a_deleted_incident(harness: Harness, store: IncidentStore) -> None:
    _, victim, _ = record_three(store)
    harness.delete_incident(victim)
    report = store.verify()
    assert (report.ok, report.first_bad_incident_id) == (False, victim)
    assert "removed" in (report.problem or "")


def test_verify_names_the_incident_whose_chain_entry_was_deleted(harness: Harness, store: IncidentStore) -> None:
    _, victim, _ = record_three(store)
    harness.delete_entry(2)
    report = store.verify()
    assert (report.ok, report.first_bad_incident_id) == (False, victim)
    assert "missing" in (report.problem or "")


def test_verify_names_the_incident_whose_last_chain_entry_was_deleted(harness: Harness, store: IncidentStore) -> None:
    *_, victim = record_three(store)
    harness.delete_entry(3)
    assert store.verify().first_bad_incident_id == victim


def test_verify_names_the_first_entry_out_of_order_when_entries_are_swapped(
    harness: Harness, store: IncidentStore
) -> None:
    *_, third = record_three(store)
    harness.swap_entries(2, 3)
    report = store.verify()
    assert (report.ok, report.first_bad_incident_id) == (False, third)
    assert "inserted or reordered" in (report.problem or "")


def test_verify_names_an_incident_inserted_without_a_chain_entry(harness: Harness, store: IncidentStore) -> None:
    _, source, _ = record_three(store)
    harness.insert_copy(source, "inc-forged00000000000000000")
    report = store.verify()
    assert (report.ok, report.first_bad_incident_id) == (False, "inc-forged00000000000000000")
    assert "no chain entry" in (report.problem or "")


# -- concurrency -------------------------------------------------------------------------------
def test_two_writers_on_one_log_never_fork_the_chain(harness: Harness) -> None:
    writers = [harness.open(), harness.open()]
    errors: list[BaseException] = []

    def write(store: IncidentStore, name: str) -> None:
        try:
            for n in range(25):
                assert store.record(make_finding(f"{name}-{n}", when=at(n))).status == "new"
        except Exception as exc:  # noqa: BLE001 - surfaced below: a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(s, f"w{i}")) for i, s in enumerate(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(ids(writers[0])) == 50
    report = writers[1].verify()
    assert report.ok, report.problem
    assert (report.checked, report.head_seq) == (50, 50)


# -- retention ---------------------------------------------------------------------------------
def test_purge_deletes_old_incidents_and_verify_stays_ok(store: IncidentStore) -> None:
    for n in range(4):
        store.record(make_finding(f"old-{n}", when=at(n, days=-400)))
    for n in range(3):
        store.record(make_finding(f"new-{n}", when=at(n)))
    assert store.purge(older_than=at(days=-30)) == 4
    assert [i.event_id for i in store.iter_all()] == ["new-2", "new-1", "new-0"]
    report = store.verify()
    assert report.ok, report.problem
    assert (report.checked, report.head_seq) == (4, 8)  # three incidents' entries and the checkpoint entry
    assert store.record(make_finding("new-3", when=at(3))).status == "new"
    assert store.verify().ok


def test_purge_keeps_a_surviving_incident_whose_older_entries_it_truncates(harness: Harness) -> None:
    store = harness.open(group_windows={"root-api-use": timedelta(days=500)})
    store.record(make_finding("survivor-0", when=at(days=-400), group_key="long-session"))
    store.record(make_finding("old-0", when=at(days=-399), rule="iam-delete-user"))
    store.record(make_finding("survivor-1", when=at(0), group_key="long-session"))
    assert store.purge(older_than=at(days=-30)) == 1
    (survivor,) = store.iter_all()
    assert (survivor.event_id, survivor.count) == ("survivor-0", 2)
    assert store.verify().ok


def test_purge_never_breaks_the_chain_to_delete_a_due_incident_recorded_after_a_live_one(
    store: IncidentStore,
) -> None:
    store.record(make_finding("live", when=at(0)))
    store.record(make_finding("replayed-old", when=at(days=-400)))
    assert store.purge(older_than=at(days=-30)) == 0
    assert len(ids(store)) == 2 and store.verify().ok


# -- opening -----------------------------------------------------------------------------------
def test_open_store_understands_sqlite_urls(tmp_path: Path) -> None:
    memory = open_store("sqlite:///:memory:")
    assert memory.record(make_finding()).status == "new"
    on_disk = open_store(f"sqlite:///{tmp_path / 'log.db'}")
    assert on_disk.verify().ok and (tmp_path / "log.db").exists()


def test_open_store_makes_no_aws_call_for_a_dynamodb_url() -> None:
    store = open_store("dynamodb://trailwarden-incidents", retention_days=30)
    assert isinstance(store, DynamoDBIncidentStore)
    assert (store.table_name, store._client) == ("trailwarden-incidents", None)


@pytest.mark.parametrize("url", ["", "postgres://db/incidents", "sqlite://relative.db", "dynamodb://", "sqlite:///"])
def test_open_store_rejects_a_bad_url_naming_it(url: str) -> None:
    with pytest.raises(ConfigError) as err:
        open_store(url)
    assert repr(url) in str(err.value)
