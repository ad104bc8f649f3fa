"""``simulate --org``: the whole organization on moto, through the member template `make package` built.

A central (security) account holds the incident table, the alerts topic and the central bus with
the handler rules; every account the model declares and every account the events come from is a
member, under its real id, running ``dist/member.json`` as a stack in us-east-1 and in each
region its events name. Each event is put on the default bus of its own account and region
(``recipientAccountId``, ``awsRegion``), travels through the member's forwarding rules to the
central bus, and each handler rule it matches invokes the real Chalice handler. The account and
region of every finding come from the record (moto rewrites the envelope's when it forwards).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

from chalicelib.errors import ConfigError, InputError, TrailwardenError
from chalicelib.eventbridge import envelope_for
from chalicelib.org.names import handler_of
from chalicelib.sources import read_all

CENTRAL_ACCOUNT = "123456789012"  # moto's default account: the monitor's own resources live there
DEFAULT_TEMPLATE = Path(__file__).resolve().parents[2] / "dist" / "member.json"


def load_template(path: str | None) -> dict[str, Any]:
    target = Path(path) if path else DEFAULT_TEMPLATE
    try:
        return json.loads(target.read_text())
    except FileNotFoundError:
        raise ConfigError("not found: build it with `make package`", str(target)) from None
    except (OSError, ValueError) as err:
        raise ConfigError(f"not a readable JSON template ({err})", str(target)) from None


def placed(events: list[Any]) -> tuple[list[Any], list[InputError]]:
    """Events whose record names a known account and region; the others are bad input, one line each."""
    from chalicelib.org.names import known_regions

    good, bad = [], []
    for event in events:
        if not event.account or len(event.account) != 12 or not event.account.isdigit():
            bad.append(InputError(f"record names no 12-digit account (recipientAccountId {event.account!r})",
                                  f"event {event.event_id}"))
        elif (event.region or "us-east-1") not in known_regions():
            bad.append(InputError(f"awsRegion {event.region!r} is not an AWS region name", f"event {event.event_id}"))
        else:
            good.append(event)
    return good, bad


def run(args: argparse.Namespace, *, slack: Any = None, sns: Any = None) -> int:
    """Exit 0 only when every input was good and every invocation succeeded."""
    from chalicelib.cli.simulate import WithoutEmf, moto_server
    from chalicelib.identity import load_model

    if args.repeat < 1:
        raise TrailwardenError("--repeat must be at least 1")
    model = load_model(args.model)
    template = load_template(args.member_template)
    items = list(read_all(args.paths))
    bad = [i for i in items if isinstance(i, InputError)]
    events, misplaced = placed([i for i in items if not isinstance(i, InputError)])
    for problem in [*bad, *misplaced]:
        print(f"bad input: {problem}", file=sys.stderr)
    with moto_server(), redirect_stdout(WithoutEmf(sys.stderr)):  # the handlers' logs, less EMF metrics
        lines = simulate(events, model, template, args, slack=slack, sns=sns)
    emit(lines, args.format)
    failed = [x for x in lines if x["kind"] == "invocation-error"]
    for f in failed:
        print(f"error: invocation {f['attempt']} of the {f['family']} handler for event {f['event_id']} failed: "
              f"{f['error']}", file=sys.stderr)
    return 1 if bad or misplaced or failed else 0


def simulate(events: list[Any], model: Any, template: dict[str, Any], args: argparse.Namespace, *,
             slack: Any = None, sns: Any = None) -> list[dict[str, Any]]:
    import app as chalice_app
    from chalicelib import runtime
    from chalicelib.cli.simulate import PLACEHOLDER_WEBHOOK, REGION, TABLE, WEBHOOK_PARAMETER, CountingMetrics, Sandbox
    from chalicelib.cli.simulate_stage import stage_client
    from chalicelib.notify import CapturingSlackSender
    from chalicelib.org import coverage
    from chalicelib.org.accounts import place
    from chalicelib.org.assume import Assumer
    from chalicelib.org.sandbox import OrgSandbox
    from chalicelib.settings import Settings

    central = Sandbox({}, args.slack_webhook or PLACEHOLDER_WEBHOOK)  # table, topic, webhook: no default-bus rule
    # The handlers this process's app has (the writes family only where switched on): the central stack of
    # the stage would have exactly those rules; a member forwarding more costs money but judges nothing.
    org = OrgSandbox(template, CENTRAL_ACCOUNT, handled=frozenset(chalice_app.FAMILIES))
    # As a StackSet does: every member account gets a stack instance in every region the organization uses.
    accounts = sorted(set(model.accounts) | {e.account for e in events})
    used = tuple(sorted({e.region or REGION for e in events} | {REGION}))
    for account in accounts:
        org.add_member(account, used)
    names = {a: s.name for a, s in model.accounts.items()}
    cfg = Settings(model_path=args.model, store_url=f"dynamodb://{TABLE}", topic_arn=central.topic_arn,
                   slack_webhook_parameter=WEBHOOK_PARAMETER, stage="simulate", region=REGION)
    capture = None if args.slack_webhook or slack is not None else CapturingSlackSender()
    metrics = CountingMetrics()
    mon = runtime.build_monitor(cfg, metrics=metrics, slack=slack or capture, sns=sns)
    runtime.use(mon)
    invocations: Counter[str] = Counter()
    failures: list[dict[str, Any]] = []
    try:
        with stage_client(chalice_app.app) as client:
            for event in events:
                org.put(envelope_for(event.raw), event.account, event.region or REGION)
                for rule in org.queues:
                    family = handler_of(rule)  # a split pattern's rules serve one handler
                    for delivered in org.drain(rule):
                        # moto leaves the account out of a forwarded envelope and rewrites the region: the
                        # handlers must take both from the record, so give them the central account's.
                        delivered.setdefault("account", CENTRAL_ACCOUNT)
                        for attempt in range(1, args.repeat + 1):
                            invocations[family] += 1
                            try:
                                client.lambda_.invoke(family, delivered)
                            except Exception as err:  # noqa: BLE001 - a failed invocation is reported, as Lambda would
                                failures.append({"kind": "invocation-error", "family": family, "attempt": attempt,
                                                 "event_id": delivered.get("detail", {}).get("eventID"),
                                                 "error": f"{type(err).__name__}: {err}"})
    finally:
        runtime.use(None)
        from chalicelib import deadline

        deadline.start(None)  # the last handler's invocation is over: no deadline outlives it in this process
    incidents = [{"kind": "incident", **i.to_dict()} for i in mon.store.iter_all()]
    for row in incidents:
        row["account_name"] = names.get(row.get("account") or "")
        row["place"] = place(row.get("account"), row.get("region"), names)
    posted = [{"kind": "slack", "payload": p} for p in capture.payloads] if capture is not None else []
    published = [{"kind": "sns", "subject": m.get("Subject"), "message": json.loads(m["Message"]),
                  "attributes": {k: v.get("Value") for k, v in (m.get("MessageAttributes") or {}).items()}}
                 for m in central.drain(central.alerts_queue)]
    want = coverage.central_expectation(org.session(CENTRAL_ACCOUNT), org.bus, REGION, org.rule_prefix)
    cells = coverage.run({a: names.get(a) for a in accounts}, used, Assumer(org.session(CENTRAL_ACCOUNT)).session, want)
    matrix = [{"kind": "coverage", **c.to_dict()} for c in cells]
    summary = {"kind": "summary", "events": len(events), "repeat": args.repeat, "invocations": dict(invocations),
               "accounts": len(accounts), "regions": list(used), "incidents": len(incidents),
               "slack": len(posted) if capture is not None else "sent", "sns": len(published),
               "alert_fallbacks": metrics.counts["AlertFallbacks"], "failed_invocations": len(failures),
               "coverage_gaps": sum(1 for c in cells if not c.ok)}
    return [*incidents, *posted, *published, *failures, *matrix, summary]


def emit(lines: list[dict[str, Any]], fmt: str) -> None:
    from chalicelib.cli.simulate import emit as emit_single
    from chalicelib.org.coverage import Cell, matrix

    if fmt == "json":
        emit_single(lines, fmt)
        return
    emit_single([x for x in lines if x["kind"] != "coverage"], fmt)
    out = sys.stdout
    places = Counter(x["place"] for x in lines if x["kind"] == "incident")
    out.write("\nIncidents per account and region:\n")
    for where, count in sorted(places.items()):
        out.write(f"  {where}: {count}\n")
    cells = [Cell(x["account"], x["region"], tuple(x["gaps"]), x["account_name"]) for x in lines
             if x["kind"] == "coverage"]
    names = {c.account: c.name for c in cells if c.name}
    out.write("\nCoverage (account × region):\n" + matrix(cells, names) + "\n")
    out.flush()
