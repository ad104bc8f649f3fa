"""Pure pieces both backends share: hashing, grouping, keys and tokens."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import replace

import pytest

from chalicelib.errors import ConfigError
from chalicelib.findings import Finding, Severity
from chalicelib.incidents.chain import (
    CHECKPOINT,
    GENESIS_HASH,
    ChainEntry,
    ChainHead,
    canonical_json,
    content_hash,
    link_hash,
    verify_chain,
)
from chalicelib.incidents.grouping import GroupPolicy, RecordPlan, plan_record
from chalicelib.incidents.keys import epoch, months_descending, principal_key, role_arn
from chalicelib.incidents.paging import decode_token, encode_token
from chalicelib.incidents.store import MAX_MEMBERS, Incident

from .factories import ACCOUNT, ROLE_ARN, SESSION_ARN, T0, USER_ARN, at, make_finding


def test_the_entry_hash_is_sha256_of_the_canonical_json_of_every_other_entry_field() -> None:
    incident = Incident.open(make_finding("e1"), "inc-1", T0, None)
    entry = ChainEntry.append(ChainHead(), incident, 1_800_000_000)
    canonical = json.dumps(incident.content(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert entry.content_hash == hashlib.sha256(canonical.encode()).hexdigest()
    hashed = (
        f'{{"content_hash":"{entry.content_hash}","expires_at":1800000000,"incident_id":"inc-1","kind":"incident",'
        f'"last_seen":"2026-11-20T10:00:00Z","prev_hash":"{GENESIS_HASH}","seq":1,"through_hash":null,'
        '"through_seq":null}'
    )
    expected = hashlib.sha256(hashed.encode()).hexdigest()
    assert (entry.seq, entry.prev_hash, entry.hash) == (1, GENESIS_HASH, expected)
    assert link_hash(GENESIS_HASH, entry.content_hash, 1, "inc-1", "2026-11-20T10:00:00Z", 1_800_000_000) == expected
    assert entry.intact()
    for edit in ({"expires_at": 1}, {"expires_at": None}, {"last_seen": "2000-01-01T00:00:00Z"}, {"kind": CHECKPOINT}):
        assert not replace(entry, **edit).intact(), edit


def test_a_checkpoint_entry_hashes_the_point_it_purged_through_and_becomes_the_head() -> None:
    head = ChainHead(seq=7, hash="b" * 64, checkpoint_seq=0)
    entry = ChainEntry.checkpoint(head, 4, "a" * 64)
    hashed = (
        '{"content_hash":"","expires_at":null,"incident_id":"","kind":"checkpoint","last_seen":"",'
        f'"prev_hash":"{"b" * 64}","seq":8,"through_hash":"{"a" * 64}","through_seq":4}}'
    )
    assert entry.hash == hashlib.sha256(hashed.encode()).hexdigest() and entry.intact()
    assert entry.head_after == ChainHead(seq=8, hash=entry.hash, checkpoint_seq=4, checkpoint_hash="a" * 64)
    assert not replace(entry, through_seq=5).intact() and not replace(entry, through_hash="c" * 64).intact()


def test_a_missing_incident_counts_as_expired_only_with_retention_and_after_its_expiry() -> None:
    incident = Incident.open(make_finding("e1"), "inc-1", T0, None)
    entry = ChainEntry.append(ChainHead(), incident, epoch(at(days=30)))
    head = ChainHead(seq=1, hash=entry.hash)
    for retention, now, pruned in ((True, at(days=31), 1), (True, at(days=29), 0), (False, at(days=31), 0)):
        report = verify_chain(head, [entry], [], now, retention=retention)
        assert (report.ok, report.pruned) == (bool(pruned), pruned), (retention, now)


def test_the_content_hash_ignores_the_chain_fields_but_nothing_else() -> None:
    incident = Incident.open(make_finding("e1"), "inc-1", T0, None)
    assert content_hash(incident) == content_hash(incident.chained(7, "x" * 64))
    assert content_hash(incident) != content_hash(replace(incident, count=2))
    assert canonical_json({"b": 1, "a": [1, "é"]}) == '{"a":[1,"é"],"b":1}'


def test_member_event_ids_keep_the_latest_hundred_while_count_keeps_the_total() -> None:
    members = tuple(f"e{n}" for n in range(MAX_MEMBERS))
    open_incident = replace(
        Incident.open(make_finding("e0", group_key="g"), "inc-1", T0, None), count=MAX_MEMBERS, member_event_ids=members
    )
    plan = plan_record(
        make_finding("e-new", when=at(1), group_key="g"),
        raw_event=None,
        now=T0,
        dedup_key="k",
        head=ChainHead(seq=100, hash="a" * 64),
        open_incident=open_incident,
        policy=GroupPolicy(),
        retention=None,
    )
    assert plan.status == "grouped"
    assert plan.incident.count == MAX_MEMBERS + 1
    assert len(plan.incident.member_event_ids) == MAX_MEMBERS
    assert plan.incident.member_event_ids[-1] == "e-new" and plan.incident.event_id == "e0"
    assert (plan.entry.seq, plan.entry.prev_hash) == (101, "a" * 64)


def test_a_grouped_finding_raises_the_severity_only_when_it_is_worse() -> None:
    open_incident = Incident.open(make_finding("e0", severity=Severity.MEDIUM, group_key="g"), "inc-1", T0, None)

    def plan(severity: Severity) -> RecordPlan:
        finding = make_finding("e1", when=at(1), severity=severity, group_key="g", title="other")
        return plan_record(finding, raw_event=None, now=T0, dedup_key="k", head=ChainHead(),
                           open_incident=open_incident, policy=GroupPolicy(), retention=None)  # fmt: skip

    worse, milder = plan(Severity.CRITICAL), plan(Severity.LOW)
    assert (worse.escalated, worse.incident.severity) == (True, Severity.CRITICAL)
    assert (milder.escalated, milder.incident.severity) == (False, Severity.MEDIUM)
    assert (worse.incident.title, worse.incident.event_id, worse.incident.count) == (open_incident.title, "e0", 2)


def test_an_incident_carries_exactly_the_finding_fields_and_gives_the_finding_back() -> None:
    finding = make_finding("e1", details={"mfa": False}, reference="ref", observed_auth="console", group_key="g")
    incident = Incident.open(finding, "inc-1", T0, None)
    names = [f.name for f in dataclasses.fields(Incident)]
    assert names[1 : 1 + len(dataclasses.fields(Finding))] == [f.name for f in dataclasses.fields(Finding)]
    assert incident.finding == finding
    assert list(incident.to_dict()) == [*finding.to_dict(), "incident_id", "count", "first_seen", "last_seen",
                                        "member_event_ids", "raw_event", "seq", "hash"]  # fmt: skip
    assert Incident.from_dict(incident.to_dict()) == incident


def test_a_late_event_inside_the_window_widens_the_incident_backwards() -> None:
    policy = GroupPolicy()
    incident = Incident.open(make_finding("e0", group_key="g"), "inc-1", at(30), None)
    assert policy.accepts(incident, at(0)) and not policy.accepts(incident, at(-31))


@pytest.mark.parametrize(
    ("arn", "role"),
    [
        (SESSION_ARN, ROLE_ARN),
        (ROLE_ARN, ROLE_ARN),
        (ROLE_ARN.replace(":role/", ":role/agents/"), ROLE_ARN),
        ("arn:aws-us-gov:sts::1:assumed-role/R/s", "arn:aws-us-gov:iam::1:role/R"),
        (USER_ARN, None),
        (f"arn:aws:iam::{ACCOUNT}:root", None),
        (None, None),
    ],
)
def test_role_arn_is_derived_from_roles_and_their_sessions(arn: str | None, role: str | None) -> None:
    assert role_arn(arn) == role
    assert principal_key(arn) == (role or arn)


def test_months_run_newest_to_oldest_across_a_year_boundary() -> None:
    assert list(months_descending("2026-02", "2025-11")) == ["2026-02", "2026-01", "2025-12", "2025-11"]


def test_page_tokens_round_trip_and_reject_anything_else() -> None:
    cursor = "2026-11-20T10:00:00Z#inc-1"
    assert decode_token(encode_token(cursor)) == cursor
    assert decode_token(None) is None
    for bad in ("x", encode_token("no-hash-sign"), "eyJ2IjoyLCJjIjoiYSNiIn0"):
        with pytest.raises(ConfigError):
            decode_token(bad)
