"""``open_store(url)``: the one place that turns a store URL into a backend.

``sqlite:///PATH`` (read like a file URL, see ``sqlite_path``), ``sqlite:///:memory:``
and ``dynamodb://TABLE`` are understood; anything else is a ``ConfigError`` naming the URL,
raised before any handler runs. Backends are imported lazily so the SQLite CLI never
imports boto3 and the Lambda never opens a file.
"""

from __future__ import annotations

from typing import Any

from chalicelib.errors import ConfigError
from chalicelib.incidents.store import IncidentStore

_EXPECTED = "expected sqlite:///PATH, sqlite:///:memory: or dynamodb://TABLE"


def sqlite_path(url: str) -> str:
    """The file a ``sqlite:///`` URL names, read like a file URL.

    ``sqlite:///tmp/t.db`` → ``/tmp/t.db``; ``sqlite:///./t.db`` → ``./t.db`` (relative to the
    current directory); ``sqlite:////tmp/t.db`` (SQLAlchemy's absolute form) → ``/tmp/t.db``;
    ``sqlite:///:memory:`` → an in-memory database.
    """
    rest = url.strip().removeprefix("sqlite:///")
    if not rest:
        raise ConfigError(f"incident store URL {url!r} has no file path ({_EXPECTED})")
    if rest == ":memory:" or rest.startswith(("./", "../")):
        return rest
    return "/" + rest.lstrip("/")


def open_store(url: str, **options: Any) -> IncidentStore:
    """Open the store ``url`` names; ``options`` go to the backend (group_window, retention_days…)."""
    text = (url or "").strip()
    if text.startswith("sqlite:///"):
        path = sqlite_path(text)
        from chalicelib.incidents.sqlite import SQLiteIncidentStore

        return SQLiteIncidentStore(path, **options)
    if text.startswith("dynamodb://"):
        table = text.removeprefix("dynamodb://").strip("/")
        if not table or "/" in table:
            raise ConfigError(f"incident store URL {url!r} has no valid table name ({_EXPECTED})")
        from chalicelib.incidents.dynamodb import DynamoDBIncidentStore

        return DynamoDBIncidentStore(table, **options)
    raise ConfigError(f"unsupported incident store URL {url!r} ({_EXPECTED})")
