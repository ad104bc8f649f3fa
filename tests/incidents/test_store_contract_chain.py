"""The incident log contract, continued: what the chain covers beyond incident content.

Run against every backend (SQLite file and DynamoDB on moto), like ``test_store_contract``:
the expiry that lets verify accept a deleted incident as pruned, the retention checkpoint
verify starts from, and the incident's own TTL must all be evidence, not advice.
"""

from __future__ import annotations

from chalicelib.incidents.store import IncidentStore, RecordOutcome

from .factories import at, make_finding
from .harness import Harness


def incident_id(outcome: RecordOutcome) -> str:
    assert outcome.incident is not None
    return outcome.incident.incident_id


def record_three(store: IncidentStore) -> list[str]:
    """Three ungrouped incidents at seq 1, 2, 3; returns their ids in that order."""
    return [incident_id(store.record(make_finding(f"evt-{n}", when=at(n)))) for n in range(3)]


def record_old_and_new(store: IncidentStore) -> None:
    """Four incidents last seen 400 days ago (seq 1-4), then three recent ones (seq 5-7)."""
    for n in range(4):
        store.record(make_finding(f"old-{n}", when=at(n, days=-400)))
    for n in range(3):
        store.record(make_finding(f"new-{n}", when=at(n)))


# -- expiry ------------------------------------------------------------------------------------
def test_a_deleted_incident_does_not_pass_as_expired_by_editing_its_entry_without_retention(harness: Harness) -> None:
    store = harness.open(retention_days=None)
    _, victim, _ = record_three(store)
    harness.delete_incident(victim)
    harness.set_entry_field(2, "expires_at", 1)
    report = store.verify()
    assert (report.ok, report.first_bad_incident_id, report.pruned) == (False, victim, 0)
    assert "altered" in (report.problem or "")


def test_a_deleted_incident_does_not_pass_as_expired_by_editing_its_entry_with_retention(harness: Harness) -> None:
    store = harness.open(retention_days=30)
    _, victim, _ = record_three(store)
    harness.delete_incident(victim)
    harness.set_entry_field(2, "expires_at", 1)
    report = store.verify(now=at(days=1))
    assert (report.ok, report.first_bad_incident_id, report.pruned) == (False, victim, 0)


def test_editing_an_entrys_last_seen_is_reported_as_altering_it(harness: Harness, store: IncidentStore) -> None:
    _, victim, _ = record_three(store)
    harness.set_entry_field(2, "last_seen", "2000-01-01T00:00:00Z")
    report = store.verify()
    assert (report.ok, report.first_bad_incident_id) == (False, victim)
    assert "altered" in (report.problem or "")


def test_only_a_store_with_retention_accepts_an_incident_gone_after_its_expiry(harness: Harness) -> None:
    written = harness.open(retention_days=30)
    _, gone, _ = record_three(written)
    harness.delete_incident(gone)
    after_expiry = at(days=31)
    assert written.verify(now=after_expiry).pruned == 1 and written.verify(now=after_expiry).ok
    report = harness.open(retention_days=None).verify(now=after_expiry)
    assert (report.ok, report.first_bad_incident_id, report.pruned) == (False, gone, 0)
    assert "removed" in (report.problem or "")


def test_shortening_an_incidents_own_expiry_is_reported(harness: Harness) -> None:
    store = harness.open(retention_days=30)
    _, victim, _ = record_three(store)
    harness.set_field(victim, "expires_at", 1)  # DynamoDB TTL would delete it at the next sweep
    report = store.verify(now=at(days=1))
    assert (report.ok, report.first_bad_incident_id) == (False, victim)
    assert "expiry" in (report.problem or "")


# -- the retention checkpoint ------------------------------------------------------------------
def test_a_purge_chains_a_checkpoint_entry_so_the_head_hash_changes(store: IncidentStore) -> None:
    record_old_and_new(store)
    before = store.verify()
    assert store.purge(older_than=at(days=-30)) == 4
    after = store.verify()
    assert after.ok, after.problem
    assert (before.head_seq, after.head_seq) == (7, 8)
    assert after.head_hash != before.head_hash


def test_verify_reports_a_checkpoint_moved_to_hide_a_deleted_prefix(harness: Harness, store: IncidentStore) -> None:
    first, _, _ = record_three(store)
    harness.move_checkpoint(1)
    harness.delete_entries_through(1)
    harness.delete_incident(first)
    report = store.verify()
    assert not report.ok
    assert "checkpoint at seq 1" in (report.problem or "")


def test_verify_reports_a_checkpoint_moved_past_the_one_a_purge_recorded(
    harness: Harness, store: IncidentStore
) -> None:
    record_old_and_new(store)
    store.purge(older_than=at(days=-30))  # checkpoint at seq 4, checkpoint entry at seq 8
    (victim,) = [i.incident_id for i in store.iter_all() if i.event_id == "new-0"]  # seq 5
    harness.move_checkpoint(5)
    harness.delete_entries_through(5)
    harness.delete_incident(victim)
    report = store.verify()
    assert not report.ok
    assert "the last checkpoint entry (seq 8) records seq 4" in (report.problem or "")


def test_editing_the_checkpoint_entry_to_match_a_moved_checkpoint_is_reported(
    harness: Harness, store: IncidentStore
) -> None:
    record_old_and_new(store)
    store.purge(older_than=at(days=-30))
    harness.move_checkpoint(5)
    harness.set_entry_field(8, "through_seq", 5)
    report = store.verify()
    assert not report.ok
    assert "checkpoint at seq 5" in (report.problem or "") and "was altered" in (report.problem or "")


def test_purge_leaves_an_incident_deleted_with_its_entry_edited_to_look_old_for_verify(
    harness: Harness, store: IncidentStore
) -> None:
    record_old_and_new(store)
    (victim,) = [i.incident_id for i in store.iter_all() if i.event_id == "new-0"]  # seq 5
    harness.delete_incident(victim)
    harness.set_entry_field(5, "last_seen", "2000-01-01T00:00:00Z")
    assert store.purge(older_than=at(days=-30)) == 4  # stops before the altered entry
    report = store.verify()
    assert (report.ok, report.first_bad_incident_id) == (False, victim)


def test_purge_does_not_delete_an_incident_whose_last_seen_was_edited_to_look_old(
    harness: Harness, store: IncidentStore
) -> None:
    record_old_and_new(store)
    (victim,) = [i.incident_id for i in store.iter_all() if i.event_id == "new-0"]  # seq 5
    harness.set_field(victim, "last_seen", "2000-01-01T00:00:00Z")
    assert store.purge(older_than=at(days=-30)) == 4
    report = store.verify()
    assert (report.ok, report.first_bad_incident_id) == (False, victim)
    assert "altered" in (report.problem or "")


def test_successive_purges_keep_verify_green(store: IncidentStore) -> None:
    record_old_and_new(store)
    assert store.purge(older_than=at(days=-30)) == 4  # checkpoint entry at seq 8
    store.record(make_finding("later", when=at(days=60)))  # seq 9
    assert store.purge(older_than=at(days=30)) == 3  # truncates through 7; checkpoint entry at seq 10
    report = store.verify()
    assert report.ok, report.problem
    assert (report.checked, report.incidents, report.head_seq) == (3, 1, 10)
    assert store.purge(older_than=at(days=30)) == 0
    assert store.verify() == report
