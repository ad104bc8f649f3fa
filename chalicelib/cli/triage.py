"""``incidents ack|resolve ID --as NAME``: triage from the terminal, recorded in the hash chain."""

from __future__ import annotations

import argparse
import sys

from chalicelib.incidents.triage import RESOLUTIONS


def register(isub: argparse._SubParsersAction) -> None:
    ack = isub.add_parser("ack", help="acknowledge an open incident (recorded in the chain)")
    ack.add_argument("incident_id")
    ack.add_argument("--as", dest="actor", required=True, metavar="NAME", help="who acknowledges it")
    ack.add_argument("--note", metavar="TEXT")
    ack.set_defaults(func=run_triage, action="ack", resolution=None)

    resolve = isub.add_parser("resolve", help="resolve an open or acknowledged incident (recorded in the chain)")
    resolve.add_argument("incident_id")
    resolve.add_argument("--as", dest="actor", required=True, metavar="NAME", help="who resolves it")
    resolve.add_argument("--resolution", required=True, choices=RESOLUTIONS)
    resolve.add_argument("--note", metavar="TEXT")
    resolve.set_defaults(func=run_triage, action="resolve")


def run_triage(args: argparse.Namespace) -> int:
    """Exit 0 when recorded; 1 with one line saying why when the incident or its status forbids it."""
    from chalicelib.cli.incidents import open_cli_store
    from chalicelib.incidents.triage import IncidentNotFound, TriageError

    store = open_cli_store(args)
    from chalicelib.settings import Settings

    cfg = Settings.from_env()
    if cfg.securityhub_enabled:  # TRAILWARDEN_SECURITYHUB=true: mirror to the finding's workflow status too
        from chalicelib.notify.securityhub import SecurityHubPublisher

        store.observe_triage(SecurityHubPublisher(cfg.region).mirror)
    try:
        record = store.triage(args.incident_id, args.action, args.actor, resolution=args.resolution,
                              note=args.note, via="cli")  # fmt: skip
    except TriageError as err:
        where = f" in {args.store}" if isinstance(err, IncidentNotFound) else ""  # as `show` says it
        print(f"error: {err.message}{where}", file=sys.stderr)
        return 1
    what = f"resolved as {record.resolution}" if record.action == "resolve" else "acknowledged"
    print(f"{record.incident_id} {what} by {record.actor} at {record.to_dict()['at']} (chain seq {record.seq})")
    return 0
