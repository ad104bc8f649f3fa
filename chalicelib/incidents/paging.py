"""Opaque pagination tokens.

Both backends page by keyset (``first_seen#incident_id`` of the last item returned), so a
page never skips or repeats an item when new incidents arrive between calls. The token is
that cursor wrapped in versioned, url-safe base64 JSON so callers treat it as opaque and
the format can change without breaking a CLI user's pasted token silently.
"""

from __future__ import annotations

import base64
import binascii
import json

from chalicelib.errors import ConfigError

_VERSION = 1


def encode_token(cursor: str) -> str:
    raw = json.dumps({"v": _VERSION, "c": cursor}, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_token(token: str | None) -> str | None:
    """The cursor inside a token; ``ConfigError`` for anything we did not issue."""
    if not token:
        return None
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        cursor = data["c"] if data.get("v") == _VERSION else None
    except (binascii.Error, ValueError, UnicodeError, TypeError, KeyError, AttributeError):
        cursor = None
    if not isinstance(cursor, str) or "#" not in cursor:
        raise ConfigError(f"invalid next_token {token!r}")
    return cursor
