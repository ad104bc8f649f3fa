"""Where a call came from, as CloudTrail writes it, and whether that is inside a declared home.

``sourceIPAddress`` is not always an IP address. CloudTrail writes an AWS service's host name
(``ssm.amazonaws.com``) or ``AWS Internal`` when a service made the call for the principal, and
published (scrubbed) records carry zero-padded octets such as ``075.050.255.67`` that Python's
``ipaddress`` refuses. Each form is classified once here, and only a plain IP address can ever
be *inside* a declared range, so an odd form never widens what the model allows:

* ``ip``: a plain IPv4 or IPv6 address; inside a range only of its own version (an IPv4-mapped
  IPv6 address is not inside an IPv4 range);
* ``service``: ``AWS Internal`` or an ``*.amazonaws.com`` host name: an AWS service acted, so
  the address says nothing about where the credential is; neither inside nor outside;
* ``unplaceable``: anything else (zero-padded octets, another host name, garbage): never
  inside, so outside any declared range; zero-padded dotted quads are also read as decimal
  (``reading``) only to say whether the address is public;
* ``absent``: no address in the record: nothing to judge.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

SERVICE_HOST = re.compile(r"^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(?:\.cn)?$")
AWS_INTERNAL = "AWS Internal"
ZERO_PADDED = re.compile(r"(?:^|\.)0\d")
DOTTED_QUAD = re.compile(r"^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$")

IP_KIND, SERVICE_KIND, UNPLACEABLE, ABSENT = "ip", "service", "unplaceable", "absent"


@dataclass(frozen=True, slots=True)
class Source:
    """One ``sourceIPAddress`` classified. ``reading`` is the address used to tell public from
    private: the IP itself, or a zero-padded quad read as decimal (never used for "inside")."""

    text: str | None
    kind: str
    ip: IP | None = None
    reading: IP | None = None

    @property
    def public(self) -> bool:
        """A globally routable address (not private, loopback, link-local, shared or reserved)."""
        return self.reading is not None and self.reading.is_global

    def describe(self) -> str:
        if self.kind == UNPLACEABLE:
            read = f", read as {self.reading}" if self.reading is not None else ""
            return f"'{self.text}' (not a plain IP address{read}; never inside a declared range)"
        return f"'{self.text}'"


@lru_cache(maxsize=4096)
def classify(text: str | None) -> Source:
    """Classify a ``sourceIPAddress`` value (cached: a trail repeats a few addresses)."""
    if not text:
        return Source(text, ABSENT)
    if text == AWS_INTERNAL or SERVICE_HOST.match(text.lower()):
        return Source(text, SERVICE_KIND)
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return Source(text, UNPLACEABLE, reading=_decimal_quad(text))
    return Source(text, IP_KIND, ip, ip)


def _decimal_quad(text: str) -> ipaddress.IPv4Address | None:
    """``075.050.255.67`` → 75.50.255.67 when every octet is 0-255 read as decimal, else None."""
    match = DOTTED_QUAD.match(text)
    if match is None:
        return None
    octets = [int(part) for part in match.groups()]
    if any(o > 255 for o in octets):
        return None
    return ipaddress.IPv4Address(".".join(map(str, octets)))


def parse_cidr(text: str) -> Network:
    """A declared range; ValueError says what is wrong (host bits set, not a CIDR, padded octets)."""
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError as err:
        try:
            loose = ipaddress.ip_network(text, strict=False)
        except ValueError:
            if ZERO_PADDED.search(text):
                raise ValueError(f"{text!r} has zero-padded octets; write them without leading zeros") from None
            raise ValueError(f"{text!r} is not an IPv4 or IPv6 CIDR ({err})") from None
        raise ValueError(f"{text!r} has host bits set; did you mean {loose}?") from None


def inside(source: Source, networks: tuple[Network, ...]) -> bool:
    """Only a plain IP address can be inside, and only a range of its own IP version."""
    ip = source.ip
    if ip is None:
        return False
    return any(ip.version == net.version and ip in net for net in networks)


def agent_matches(agent: str, globs: tuple[str, ...]) -> bool:
    """A user agent fits one of the declared globs (``*`` matches anything, case ignored)."""
    folded = agent.casefold()
    return any(fnmatch.fnmatchcase(folded, g.casefold()) for g in globs)
