"""One root error for Trailwarden; every error can say where it happened.

Modelled on pySigma: callers catch ``TrailwardenError`` and print ``str(err)``, which
already names the file, line or key path, so no traceback is ever needed to act on it.
"""

from __future__ import annotations


class TrailwardenError(Exception):
    """Root of every error Trailwarden raises on purpose."""

    def __init__(self, message: str, location: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class ModelError(TrailwardenError):
    """The identity model file is missing, unreadable or invalid."""

    def __init__(self, errors: list[str], location: str | None = None) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(self.errors) if self.errors else "invalid model", location)

    def __str__(self) -> str:
        head = f"{self.location}: " if self.location else ""
        if len(self.errors) == 1:
            return f"{head}{self.errors[0]}"
        lines = [f"{head}{len(self.errors)} errors in identity model:"]
        lines += [f"  - {e}" for e in self.errors]
        return "\n".join(lines)


class InputError(TrailwardenError):
    """One input (file, line, record or envelope) could not be read as a CloudTrail event."""


class RegistryError(TrailwardenError):
    """A rule was registered twice or is missing required metadata."""


class StoreError(TrailwardenError):
    """The incident store could not be opened or written."""


class ChainConflict(StoreError):
    """Another writer advanced the hash chain first; the caller retries."""


class DeliveryError(TrailwardenError):
    """An alert could not be delivered to a channel (Slack, SNS)."""


class ChannelNotConfigured(DeliveryError):
    """A routed channel has no destination yet (no Slack webhook parameter): skipped, not failed.

    The README's deployment order sets the webhook after the first deploy, so its absence is a
    state to log and route around, not a reason to retry an invocation for hours.
    """


class ConfigError(TrailwardenError):
    """A setting from the environment or the command line is invalid."""


class AwsError(TrailwardenError):
    """An AWS call failed for a reason the user fixes outside the code: region, credentials,
    permissions, a missing resource, throttling or the network (see ``chalicelib.awserrors``).

    Not a ``ConfigError``: the auditor API answers a ConfigError with 400 (a bad filter), and an
    AWS outage behind it is not the caller's fault.

    ``kind`` says which (``no-region``, ``no-credentials``, ``expired``, ``bad-credentials``,
    ``access-denied``, ``not-found``, ``throttled``, ``unreachable``, ``timeout``, ``config``,
    ``aws``) and ``code`` is AWS's error code when there is one, so callers can branch without
    parsing text.
    """

    def __init__(self, message: str, location: str | None = None, *, kind: str = "aws",
                 code: str | None = None) -> None:
        super().__init__(message, location)
        self.kind = kind
        self.code = code
