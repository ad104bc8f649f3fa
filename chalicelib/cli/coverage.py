"""``python -m chalicelib coverage``: which account × region of the organization is actually watched.

Run with the central (security) account's credentials. Exit 0 when every cell is OK, 1 on a gap,
2 on an error (bad arguments, the central bus or the organization cannot be read).
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

from chalicelib.errors import ConfigError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("coverage", help="check every account and region forwards to the central monitor "
                                        "(trail, forwarding rules, heartbeat); exit 1 on a gap")
    p.add_argument("--regions", default=os.environ.get("TRAILWARDEN_REGIONS", ""),
                   help="comma-separated regions the organization uses (us-east-1 is always checked; "
                        "default $TRAILWARDEN_REGIONS)")
    p.add_argument("--accounts", default=None,
                   help="comma-separated account ids (default: the organization's active accounts and the model's)")
    p.add_argument("--bus", default=os.environ.get("TRAILWARDEN_EVENT_BUS", "trailwarden-org"),
                   help="the central event bus name (default $TRAILWARDEN_EVENT_BUS)")
    p.add_argument("--stage", default=os.environ.get("TRAILWARDEN_STAGE", "org"),
                   help="the central stack's stage: its handler rules are named trailwarden-STAGE-FAMILY")
    p.add_argument("--store", default=os.environ.get("TRAILWARDEN_STORE"),
                   help="the monitor's store URL, to check heartbeats (default $TRAILWARDEN_STORE; unset: not checked)")
    p.add_argument("--model", metavar="FILE", help="identity model (account names; default: the bundled one)")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, *, session: Any = None, now: datetime | None = None) -> int:
    from chalicelib.org import names

    regions = names.regions(args.regions, "--regions")
    bus = names.bus_name(args.bus, "--bus")
    if bus == names.DEFAULT_BUS:
        raise ConfigError("coverage needs the central custom bus (--bus or TRAILWARDEN_EVENT_BUS)")
    cells, labels = check(regions, bus, args, session=session, now=now or datetime.now(UTC))
    emit(cells, labels, args.format)
    return 0 if all(c.ok for c in cells) else 1


def check(regions: tuple[str, ...], bus: str, args: argparse.Namespace, *, session: Any,
          now: datetime) -> tuple[list[Any], dict[str, str]]:
    import boto3

    from chalicelib.identity import load_model
    from chalicelib.org import coverage, names
    from chalicelib.org.accounts import list_org_accounts
    from chalicelib.org.assume import Assumer

    model = load_model(args.model)
    labels = {a.id: a.name for a in model.spec.accounts}
    session = session or boto3.session.Session()
    home = session.region_name or names.GLOBAL_REGION
    if args.accounts:
        accounts = [names.account_id(a.strip(), "--accounts") for a in args.accounts.split(",") if a.strip()]
    else:
        org = list_org_accounts(session.client("organizations", region_name=names.GLOBAL_REGION))
        labels.update({a.id: a.name for a in org if a.id not in labels})
        accounts = sorted({a.id for a in org if a.status == "ACTIVE"} | set(model.accounts))
    heartbeats = None
    if args.store:
        from chalicelib.incidents.state import open_state
        from chalicelib.watch.heartbeat import HEARTBEAT_KIND

        heartbeats = open_state(args.store).all(HEARTBEAT_KIND)
    want = coverage.central_expectation(session, bus, home, f"trailwarden-{args.stage}-", heartbeats=heartbeats,
                                        now=now)
    if not want.states:
        raise ConfigError(f"no Trailwarden handler rule on bus {bus!r} in {home}: is the central stack deployed?")
    cells = coverage.run({a: labels.get(a) for a in accounts}, regions, Assumer(session).session, want)
    return cells, labels


def emit(cells: list[Any], labels: dict[str, str], fmt: str) -> None:
    from chalicelib.org import coverage

    out = sys.stdout
    if fmt == "json":
        for cell in cells:
            out.write(orjson.dumps(cell.to_dict()).decode() + "\n")
    else:
        out.write(coverage.matrix(cells, labels) + "\n")
        gaps = sum(1 for c in cells if not c.ok)
        out.write(f"\n{len(cells)} account-regions checked, {gaps} with a gap\n")
    out.flush()
