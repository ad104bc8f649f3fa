"""Is every account and region actually watched? The coverage check (issue 14).

For each account (assuming its member read-only role) and each region it uses: a trail that
covers the region, logs management events both read and write, and is logging (an organization
trail counts: members see it as a shadow trail); every forwarding rule the central stack needs,
present, in its state, targeting the central bus through an existing role; and a recent
heartbeat when the monitor's heartbeat state is given. One cell per account × region: OK, or
the gaps by name. An account that cannot be assumed into is a gap, not a crash.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib.awserrors import aws_error
from chalicelib.findings import Finding, Severity
from chalicelib.org.accounts import place
from chalicelib.org.names import FORWARD_RULE_PREFIX, GLOBAL_REGION, MEMBER_ROLE, forward_rule

HEARTBEAT_MAX_AGE = timedelta(hours=1)
RULE = "coverage-gap"
RUNBOOK = ("Deploy or repair the Trailwarden member StackSet instance for this account and region (README: "
           "Organization), start or fix the trail, then run `python -m chalicelib coverage` again.")


@dataclass(frozen=True)
class Cell:
    """One account in one region: what is missing there (empty: covered)."""

    account: str
    region: str
    gaps: tuple[str, ...] = ()
    name: str | None = None

    @property
    def ok(self) -> bool:
        return not self.gaps

    def to_dict(self) -> dict[str, Any]:
        return {"account": self.account, "account_name": self.name, "region": self.region,
                "status": "OK" if self.ok else "GAP", "gaps": list(self.gaps)}


@dataclass(frozen=True)
class Expectation:
    """What the central stack needs from each member: family → rule state, and where to forward."""

    states: Mapping[str, str]
    bus_arn: str
    heartbeats: Mapping[str, datetime] | None = None  # "ACCOUNT/REGION" → newest heartbeat (issue 12 state)
    now: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _error_text(err: Exception) -> str:
    code = getattr(err, "response", {}).get("Error", {}).get("Code") if hasattr(err, "response") else None
    return code or type(err).__name__


def check_account(account: str, regions: tuple[str, ...], session_for: Callable[[str], Any],
                  want: Expectation, name: str | None = None) -> list[Cell]:
    """Every region of one account; an unassumable account is a gap in each of its regions."""
    try:
        session = session_for(account)
        session.client("iam", region_name=GLOBAL_REGION).get_role(RoleName=MEMBER_ROLE)
    except Exception as err:  # noqa: BLE001 - any failure to get in is the gap itself, named
        gap = f"cannot assume {MEMBER_ROLE} ({_error_text(err)})"
        return [Cell(account, r, (gap,), name) for r in regions]
    return [Cell(account, r, tuple(trail_gaps(session, r)) + tuple(rule_gaps(session, r, want))
                 + tuple(heartbeat_gaps(account, r, want)), name) for r in regions]


def trail_gaps(session: Any, region: str) -> list[str]:
    """Empty when some trail covers ``region``, logs management reads and writes, and is logging."""
    client = session.client("cloudtrail", region_name=region)
    trails = [t for t in client.describe_trails(includeShadowTrails=True).get("trailList", [])
              if t.get("IsMultiRegionTrail") or t.get("HomeRegion") == region]
    if not trails:
        return ["no trail covers the region"]
    reasons = []
    for trail in trails:
        home = session.client("cloudtrail", region_name=trail.get("HomeRegion") or region)
        arn = trail.get("TrailARN") or trail["Name"]
        problem = selector_problem(home.get_event_selectors(TrailName=arn))
        if problem is None and not home.get_trail_status(Name=arn).get("IsLogging"):
            problem = "is not logging"
        if problem is None:
            return []
        reasons.append(f"trail {trail['Name']} {problem}")
    return reasons


def selector_problem(selectors: Mapping[str, Any]) -> str | None:
    """None when the selectors record every management event, read and write."""
    advanced = selectors.get("AdvancedEventSelectors") or []
    if advanced:
        for selector in advanced:
            fields = {f.get("Field"): f for f in selector.get("FieldSelectors", [])}
            category = fields.get("eventCategory", {})
            if "Management" in (category.get("Equals") or []) and "readOnly" not in fields:
                return None
        return "excludes management events (or logs only reads or only writes)"
    basic = selectors.get("EventSelectors") or []
    if not basic:
        return None  # no selector at all: CloudTrail's default, every management event
    if not any(s.get("IncludeManagementEvents", True) for s in basic):
        return "excludes management events"
    if not any(s.get("IncludeManagementEvents", True) and s.get("ReadWriteType", "All") == "All" for s in basic):
        return "logs only read or only write management events"
    return None


def rule_gaps(session: Any, region: str, want: Expectation) -> list[str]:
    events = session.client("events", region_name=region)
    iam = session.client("iam", region_name=GLOBAL_REGION)
    present = {r["Name"]: r for page in events.get_paginator("list_rules").paginate(NamePrefix=FORWARD_RULE_PREFIX)
               for r in page.get("Rules", [])}
    gaps = []
    for family, state in sorted(want.states.items()):
        name = forward_rule(family)
        rule = present.get(name)
        if rule is None:
            gaps.append(f"rule {name} missing")
            continue
        if rule.get("State") != state:
            gaps.append(f"rule {name} is {rule.get('State')} (needs {state})")
            continue
        targets = events.list_targets_by_rule(Rule=name).get("Targets", [])
        target = next((t for t in targets if t.get("Arn") == want.bus_arn), None)
        if target is None:
            gaps.append(f"rule {name} does not target the central bus")
        elif not _role_exists(iam, target.get("RoleArn")):
            gaps.append(f"rule {name}: forwarding role {target.get('RoleArn') or '(none)'} missing")
    return gaps


def _role_exists(iam: Any, arn: str | None) -> bool:
    if not arn or ":role/" not in arn:
        return False
    try:
        iam.get_role(RoleName=arn.rsplit("/", 1)[-1])
    except Exception:  # noqa: BLE001 - NoSuchEntity (or no right to look) → not usable
        return False
    return True


def heartbeat_gaps(account: str, region: str, want: Expectation) -> list[str]:
    if want.heartbeats is None or want.now is None:
        return []
    seen = want.heartbeats.get(f"{account}/{region}")
    if seen is None:
        return ["no heartbeat received"]
    if want.now - seen > HEARTBEAT_MAX_AGE:
        return [f"no heartbeat since {seen.strftime('%Y-%m-%dT%H:%M:%SZ')}"]
    return []


def findings(cells: list[Cell], names: Mapping[str, str], now: datetime) -> list[Finding]:
    """One ``coverage-gap`` finding per account and region with a gap (grouped per account and region)."""
    when = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = []
    for cell in cells:
        if cell.ok:
            continue
        out.append(Finding(
            rule=RULE, severity=Severity.HIGH, title="Account and region not fully watched",
            principal_arn=None, principal=None, target_arn=f"arn:aws:iam::{cell.account}:root", event_id=None,
            event_name=None, event_source=None, event_time=when, account=cell.account, region=cell.region,
            source_ip=None, user_agent=None, breaks=None, runbook=RUNBOOK,
            reason=f"{place(cell.account, cell.region, names)}: {'; '.join(cell.gaps)}.",
            group_key=f"coverage:{cell.account}/{cell.region}", details={"gaps": list(cell.gaps)}))
    return out


def matrix(cells: list[Cell], names: Mapping[str, str]) -> str:
    """Account × region table of OK / GAP, then each gap by name under its account and region."""
    regions = list(dict.fromkeys(c.region for c in cells))
    accounts = list(dict.fromkeys(c.account for c in cells))
    by = {(c.account, c.region): c for c in cells}
    label = {a: place(a, None, names) for a in accounts}
    width = max([len("ACCOUNT"), *(len(v) for v in label.values())])
    widths = [max(len(r), 3) for r in regions]
    lines = ["  ".join([f"{'ACCOUNT':<{width}}", *(f"{r:<{w}}" for r, w in zip(regions, widths, strict=True))])]
    for a in accounts:
        cols = []
        for r, w in zip(regions, widths, strict=True):
            cell = by.get((a, r))
            cols.append(f"{'-' if cell is None else ('OK' if cell.ok else 'GAP'):<{w}}")
        lines.append("  ".join([f"{label[a]:<{width}}", *cols]).rstrip())
    gaps = [c for c in cells if not c.ok]
    if gaps:
        lines.append("")
        lines += [f"GAP {place(c.account, c.region, names)}: {'; '.join(c.gaps)}" for c in gaps]
    return "\n".join(lines)


def central_expectation(session: Any, bus: str, region: str, rule_prefix: str, **kw: Any) -> Expectation:
    """What members must forward: every handler rule on the central bus (family → state), read live.

    The central stack's own rules are the one source of truth: a family another change adds is
    expected from every member as soon as the central stack has it.
    """
    events = session.client("events", region_name=region)
    try:
        arn = events.describe_event_bus(Name=bus)["Arn"]
    except Exception as err:  # name the bus: "the resource DescribeEventBus asked for" says nothing to fix
        known = aws_error(err, action="events:DescribeEventBus", resource=f"the central event bus {bus!r}",
                          region=region)
        if known is None:
            raise
        raise known from None
    states = {r["Name"].removeprefix(rule_prefix): r["State"]
              for page in events.get_paginator("list_rules").paginate(EventBusName=bus, NamePrefix=rule_prefix)
              for r in page.get("Rules", []) if r.get("EventPattern")}
    return Expectation(states, arn, **kw)


def run(accounts: Mapping[str, str | None], regions: tuple[str, ...], session_for: Callable[[str], Any],
        want: Expectation) -> list[Cell]:
    """The whole matrix: ``accounts`` maps id → name (None when unknown)."""
    cells: list[Cell] = []
    for account in sorted(accounts):
        cells += check_account(account, regions, session_for, want, accounts[account])
    return cells
