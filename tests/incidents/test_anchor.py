"""Anchoring: the log must extend every head published to the Object Lock bucket.

The heads are real ones, taken from SQLite stores written through ``record``; the rewrite is
what someone with write access to the table can do — replace the whole chain with a new,
self-consistent one that ``verify`` alone accepts.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from chalicelib.errors import InputError
from chalicelib.incidents import open_store
from chalicelib.incidents.anchor import Anchor, check_heads, check_store, parse_s3_url, store_head
from chalicelib.incidents.chain import GENESIS_HASH, ChainHead
from chalicelib.incidents.keys import format_ts

from .factories import T0, at, make_finding


def _record(store: object, *event_ids: str) -> None:
    for i, event_id in enumerate(event_ids):
        store.record(make_finding(event_id, when=at(i)), now=at(i))  # type: ignore[attr-defined]


def _anchor(store: object) -> Anchor:
    return Anchor.of_head(store_head(store), T0)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "incidents.db"


def test_a_log_extends_its_own_earlier_head(db: Path) -> None:
    store = open_store(f"sqlite:///{db}")
    _record(store, "e1", "e2")
    earlier = _anchor(store)
    _record(store, "e3")
    check = check_store(store, [earlier])
    assert (check.ok, check.checked) == (True, 1)


def test_a_rewritten_chain_does_not_extend_the_anchored_head(db: Path) -> None:
    store = open_store(f"sqlite:///{db}")
    _record(store, "e1", "e2", "e3")
    anchored = _anchor(store)
    with sqlite3.connect(db) as conn:  # someone with write access replaces the whole log
        for table in ("incidents", "dedup", "chain", "open_groups"):
            conn.execute(f"DELETE FROM {table}")
        conn.execute(f"UPDATE chain_head SET seq = 0, hash = '{GENESIS_HASH}'")
    forged = open_store(f"sqlite:///{db}")
    _record(forged, "e1", "e3", "e4")
    assert forged.verify().ok  # self-consistent: the chain alone cannot tell
    check = check_store(forged, [anchored])
    assert not check.ok
    assert "does not extend anchored head seq 3" in str(check.problem)


def test_a_head_cut_from_the_end_lies_beyond_the_log(db: Path) -> None:
    store = open_store(f"sqlite:///{db}")
    _record(store, "e1", "e2")
    anchored = Anchor(5, "a" * 64, format_ts(T0))
    check = check_store(store, [anchored])
    assert "beyond the log's head (seq 2)" in str(check.problem)


def test_a_hash_without_seq_is_found_anywhere_in_the_chain(db: Path) -> None:
    store = open_store(f"sqlite:///{db}")
    _record(store, "e1")
    first = store_head(store).hash
    _record(store, "e2", "e3")
    assert check_store(store, [Anchor(None, first)]).ok


def test_a_hash_without_seq_that_the_chain_never_had_fails(db: Path) -> None:
    store = open_store(f"sqlite:///{db}")
    _record(store, "e1")
    check = check_store(store, [Anchor(None, "b" * 64, location="--expect-head")])
    assert not check.ok
    assert "--expect-head" in str(check.problem)


def test_anchors_older_than_the_retention_checkpoint_are_counted_not_failed() -> None:
    head = ChainHead(seq=10, hash="c" * 64, checkpoint_seq=6, checkpoint_hash="d" * 64)
    check = check_heads(head, [], [Anchor(3, "e" * 64, "t1"), Anchor(10, "c" * 64, "t2")])
    assert (check.ok, check.checked, check.before_checkpoint) == (True, 1, 1)


def test_a_checkpoint_moved_past_every_anchor_fails() -> None:
    head = ChainHead(seq=10, hash="c" * 64, checkpoint_seq=9, checkpoint_hash="d" * 64)
    check = check_heads(head, [], [Anchor(3, "e" * 64, "t1"), Anchor(5, "f" * 64, "t2")])
    assert not check.ok
    assert "cut past all of them" in str(check.problem)


def test_an_anchor_at_the_checkpoint_must_carry_its_hash() -> None:
    head = ChainHead(seq=10, hash="c" * 64, checkpoint_seq=6, checkpoint_hash="d" * 64)
    assert check_heads(head, [], [Anchor(6, "d" * 64, "t")]).ok
    assert not check_heads(head, [], [Anchor(6, "9" * 64, "t")]).ok


def test_a_head_hash_that_is_not_64_hex_characters_is_refused() -> None:
    with pytest.raises(InputError, match="64 hex"):
        Anchor(None, "deadbeef", location="--expect-head")


def test_an_anchor_object_without_seq_is_refused_naming_it() -> None:
    with pytest.raises(InputError, match=r"s3://b/k\.json"):
        Anchor.from_json(b'{"hash": "' + b"a" * 64 + b'"}', "s3://b/k.json")


def test_anchor_objects_are_named_by_day_time_and_seq() -> None:
    anchor = Anchor(42, "a" * 64, "2026-11-20T10:00:00Z")
    assert anchor.key("heads/") == "heads/2026/11/20/2026-11-20T10:00:00Z-seq000000000042.json"


def test_an_s3_url_splits_into_bucket_and_prefix() -> None:
    assert parse_s3_url("s3://anchors/heads") == ("anchors", "heads/")
    assert parse_s3_url("s3://anchors") == ("anchors", "")
