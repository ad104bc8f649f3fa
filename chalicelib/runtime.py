"""Process-wide wiring for the Lambda handlers: built lazily on first use, reused after.

(Being written: the functions below are the contract app.py calls.)
"""

from __future__ import annotations

from typing import Any


def handle_cloudtrail(envelope: dict[str, Any], family: str) -> dict[str, Any]:
    """Judge, store and alert on one EventBridge envelope delivered to handler ``family``."""
    raise NotImplementedError


def run_scheduled_audit() -> dict[str, Any]:
    """The daily inventory audit: findings stored and alerted like any other."""
    raise NotImplementedError


def list_incidents(params: dict[str, str]) -> dict[str, Any]:
    """Auditor API: ``GET /incidents`` with filters; raises ``ConfigError`` on a bad filter."""
    raise NotImplementedError


def get_incident(incident_id: str) -> dict[str, Any] | None:
    """Auditor API: ``GET /incidents/{id}``."""
    raise NotImplementedError
