"""Which channels each severity goes to, parsed strictly from ``TRAILWARDEN_ROUTING``.

Format: ``critical=slack,sns;high=slack,sns;medium=slack;low=;info=`` (add ``securityhub`` to a
severity's list to import its findings into Security Hub). An empty channel
list means "log only". A typo must not silently drop alerts, so an unknown severity or
channel is a ConfigError that names it; a severity the text leaves out keeps its default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from chalicelib.errors import ConfigError
from chalicelib.findings import Severity

SLACK = "slack"
SNS = "sns"
SECURITYHUB = "securityhub"  # BatchImportFindings (notify/securityhub.py); routed by no default
CHANNELS: tuple[str, ...] = (SLACK, SNS, SECURITYHUB)  # also the order in which channels are tried
_LOCATION = "TRAILWARDEN_ROUTING"

DEFAULT_ROUTES: Mapping[Severity, tuple[str, ...]] = MappingProxyType(
    {
        Severity.CRITICAL: (SLACK, SNS),
        Severity.HIGH: (SLACK, SNS),
        Severity.MEDIUM: (SLACK,),
        Severity.LOW: (),
        Severity.INFO: (),
    }
)


def _parse_channels(severity: Severity, text: str) -> tuple[str, ...]:
    wanted: set[str] = set()
    for raw in text.split(","):
        name = raw.strip().lower()
        if not name:
            continue
        if name not in CHANNELS:
            raise ConfigError(
                f"unknown channel {name!r} for severity {severity.label} (expected: {', '.join(CHANNELS)})",
                location=_LOCATION,
            )
        wanted.add(name)
    return tuple(c for c in CHANNELS if c in wanted)


@dataclass(frozen=True)
class Routing:
    """Severity → channels (a tuple in try order; empty = log only)."""

    routes: Mapping[Severity, tuple[str, ...]] = field(default_factory=lambda: DEFAULT_ROUTES)

    @classmethod
    def default(cls) -> Routing:
        return cls()

    @classmethod
    def parse(cls, text: str | None) -> Routing:
        """Read ``sev=ch,ch;sev=`` text; blank text means the default routing."""
        routes = dict(DEFAULT_ROUTES)
        seen: set[Severity] = set()
        for raw in (text or "").replace("\n", ";").split(";"):
            entry = raw.strip()
            if not entry:
                continue
            name, sep, channels = entry.partition("=")
            if not sep:
                raise ConfigError(f"routing entry {entry!r} has no '=' (expected e.g. 'high=slack,sns')", _LOCATION)
            try:
                severity = Severity.parse(name)
            except ConfigError as err:
                raise ConfigError(err.message, location=_LOCATION) from None
            if severity in seen:
                raise ConfigError(f"severity {severity.label} is routed twice", location=_LOCATION)
            seen.add(severity)
            routes[severity] = _parse_channels(severity, channels)
        return cls(MappingProxyType(routes))

    def channels_for(self, severity: Severity) -> tuple[str, ...]:
        return self.routes.get(severity, ())

    def __str__(self) -> str:
        """Canonical text form, e.g. for ``--help`` output or a startup log line."""
        return ";".join(f"{s.label}={','.join(self.channels_for(s))}" for s in sorted(Severity, reverse=True))
