"""SQLite-only behaviour: WAL, bounded retries when the write lock is held, index lookups."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from chalicelib.errors import ChainConflict
from chalicelib.incidents import IncidentQuery
from chalicelib.incidents.sqlite import SQLiteIncidentStore

from .factories import ROLE_ARN, USER_ARN, make_finding


def test_the_log_file_uses_write_ahead_logging(tmp_path: Path) -> None:
    SQLiteIncidentStore(tmp_path / "log.db")
    with sqlite3.connect(tmp_path / "log.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_writer_that_cannot_take_the_lock_gives_up_after_bounded_retries(tmp_path: Path) -> None:
    store = SQLiteIncidentStore(tmp_path / "log.db", timeout=0.01, max_attempts=3, backoff_seconds=0)
    blocker = sqlite3.connect(tmp_path / "log.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    with pytest.raises(ChainConflict, match="after 3 attempts"):
        store.record(make_finding())
    assert store.conflicts == 3
    blocker.execute("ROLLBACK")
    assert store.record(make_finding()).status == "new"
    assert store.verify().ok


@pytest.mark.parametrize(
    ("criteria", "index"),
    [
        ({"principal_arn": USER_ARN}, "ix_incidents_principal"),
        ({"principal_arn": ROLE_ARN}, "ix_incidents_principal_key"),
        ({"rule": "root-api-use"}, "ix_incidents_rule"),
        ({"account": "111122223333"}, "ix_incidents_account"),
        ({}, "ix_incidents_first_seen"),
    ],
)
def test_auditor_filters_are_index_lookups(tmp_path: Path, criteria: dict[str, Any], index: str) -> None:
    store = SQLiteIncidentStore(tmp_path / "log.db")
    sql, args = store.select(IncidentQuery(**criteria))
    with sqlite3.connect(tmp_path / "log.db") as conn:
        plan = " ".join(str(row[-1]) for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", args))
    assert f"INDEX {index} " in plan + " "
