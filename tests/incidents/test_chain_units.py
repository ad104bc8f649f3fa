"""Pure pieces both backends share: hashing, grouping, keys and tokens."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import pytest

from chalicelib.errors import ConfigError
from chalicelib.incidents.chain import GENESIS_HASH, ChainEntry, ChainHead, canonical_json, content_hash, link_hash
from chalicelib.incidents.grouping import GroupPolicy, plan_record
from chalicelib.incidents.keys import months_descending, principal_key, role_arn
from chalicelib.incidents.paging import decode_token, encode_token
from chalicelib.incidents.store import MAX_MEMBERS, Incident

from .factories import ACCOUNT, ROLE_ARN, SESSION_ARN, T0, USER_ARN, at, make_finding


def test_the_entry_hash_is_sha256_of_prev_content_seq_and_id() -> None:
    incident = Incident.open(make_finding("e1"), "inc-1", T0, None)
    entry = ChainEntry.append(ChainHead(), incident, None)
    canonical = json.dumps(incident.content(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert entry.content_hash == hashlib.sha256(canonical.encode()).hexdigest()
    expected = hashlib.sha256(f"{GENESIS_HASH}|{entry.content_hash}|1|inc-1".encode()).hexdigest()
    assert (entry.seq, entry.prev_hash, entry.hash) == (1, GENESIS_HASH, expected)
    assert link_hash(GENESIS_HASH, entry.content_hash, 1, "inc-1") == expected


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
