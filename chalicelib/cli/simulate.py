"""``simulate``: the whole deployed path, locally, against a moto server.

Starts moto in server mode (boto3 speaks real HTTP to it), creates the incident table, the
KMS-encrypted topic, the webhook parameter and the EventBridge rules exactly as the
template defines them (``app.PATTERNS``, ``table_definition``), subscribes an SQS queue to
the topic, puts each event on the bus, and invokes the real Chalice handler of every rule
that matched — ``--repeat N`` times, as at-least-once delivery may. It then prints what
happened: the stored incidents, the Slack messages and the SNS messages. Like Lambda, a
handler that raises is a failed invocation: each is named on stderr and the exit status is 1.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import sys
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from typing import Any, TextIO

import orjson

from chalicelib.cli.output import json_line, plural, table_header, table_row
from chalicelib.errors import InputError, TrailwardenError
from chalicelib.eventbridge import envelope_for
from chalicelib.sources import read_all

TABLE = "trailwarden-incidents-sim"
WEBHOOK_PARAMETER = "/trailwarden/slack-webhook-url"
REGION = "us-east-1"
PLACEHOLDER_WEBHOOK = "https://hooks.slack.com/services/T000/B000/simulated"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("simulate", help="run events through the deployed path (EventBridge → Lambda → DynamoDB, "
                                        "Slack, SNS) on a local moto server")
    p.add_argument("paths", nargs="+", metavar="EVENTS", help="files or directories, read as replay reads them")
    p.add_argument("--model", metavar="FILE", help="identity model (default: the bundled one)")
    p.add_argument("--slack-webhook", metavar="URL",
                   help="post to this webhook for real (stored as the SSM SecureString); '-' prompts for it "
                        "without echo, and $TRAILWARDEN_SLACK_WEBHOOK is read when the flag is absent, so the "
                        "secret need not appear in argv or shell history; default: capture locally")
    p.add_argument("--repeat", type=int, default=1, metavar="N", help="deliver every matched event N times")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--stage", default="prod", help="the .chalice stage (dev, prod) whose environment and handler "
                                                  "families the handlers get, as its Lambda functions would (prod "
                                                  "watches every IAM write, dev does not; its resource names are "
                                                  "Trailwarden's own to monitor-pipeline-tampered); default prod")
    p.add_argument("--liveness", action="store_true",
                   help="after the events, run the heartbeat check with the clock past the threshold (monitor-blind "
                        "for each account/region the events came from), then deliver a heartbeat from each (closed)")
    p.add_argument("--org", action="store_true",
                   help="the whole organization: each event enters the default bus of its own account and region "
                        "and is forwarded by dist/member.json's rules to the central bus (see simulate_org.py)")
    p.add_argument("--member-template", metavar="FILE",
                   help="with --org: the member template (default dist/member.json)")
    p.set_defaults(func=run)


@contextmanager
def moto_server() -> Any:
    """A moto server on a free loopback port, with boto3 pointed at it through the environment."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    # moto keeps its accounts in this process: start each run from an empty one, as a new account would.
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never through a proxy
    direct.open(urllib.request.Request(f"http://{host}:{port}/moto-api/reset", method="POST"), timeout=10).close()
    saved = {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                            "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_REGION")}
    os.environ.update({"AWS_ENDPOINT_URL": f"http://{host}:{port}", "AWS_ACCESS_KEY_ID": "testing",
                       "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION})
    os.environ.pop("AWS_SESSION_TOKEN", None)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class Sandbox:
    """The AWS resources the template creates, made on moto the same way."""

    def __init__(self, families: dict[str, dict[str, Any]], webhook: str) -> None:
        import boto3

        from chalicelib.incidents.dynamodb_schema import table_definition

        self.sqs = boto3.client("sqs")
        self.events = boto3.client("events")
        boto3.client("dynamodb").create_table(**table_definition(TABLE))
        key = boto3.client("kms").create_key(Description="trailwarden alerts")["KeyMetadata"]["KeyId"]
        sns = boto3.client("sns")
        self.topic_arn = sns.create_topic(Name="trailwarden-alerts", Attributes={"KmsMasterKeyId": key})["TopicArn"]
        boto3.client("ssm").put_parameter(Name=WEBHOOK_PARAMETER, Value=webhook, Type="SecureString")
        self.alerts_queue = self._queue("trailwarden-sim-alerts")
        sns.subscribe(TopicArn=self.topic_arn, Protocol="sqs", Endpoint=self._arn(self.alerts_queue))
        self.family_queues: dict[str, str] = {}
        for family, pattern in families.items():
            url = self._queue(f"trailwarden-sim-{family}")
            self.family_queues[family] = url
            self.events.put_rule(Name=f"trailwarden-{family}", EventPattern=orjson.dumps(pattern).decode(),
                                 State="ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
            self.events.put_targets(Rule=f"trailwarden-{family}", Targets=[{"Id": "q", "Arn": self._arn(url)}])

    def _queue(self, name: str) -> str:
        return self.sqs.create_queue(QueueName=name)["QueueUrl"]

    def _arn(self, url: str) -> str:
        return self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def put(self, envelope: dict[str, Any]) -> None:
        entry = {"Source": envelope["source"], "DetailType": envelope["detail-type"],
                 "Detail": orjson.dumps(envelope["detail"]).decode(), "Resources": []}
        result = self.events.put_events(Entries=[entry])
        if result.get("FailedEntryCount"):
            raise TrailwardenError(f"EventBridge refused the event: {result['Entries']}")

    def drain(self, url: str) -> list[dict[str, Any]]:
        out = []
        while True:
            msgs = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                            MessageAttributeNames=["All"]).get("Messages", [])
            if not msgs:
                return out
            for m in msgs:
                out.append(orjson.loads(m["Body"]))
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


class CountingMetrics:
    """The handlers' Powertools metrics, counted locally (e.g. ``AlertFallbacks``) for the summary."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def add_metric(self, name: str, unit: Any, value: float, **_: Any) -> None:
        self.counts[name] += int(value)


def run(args: argparse.Namespace, *, slack: Any = None, sns: Any = None) -> int:
    """Exit 0, or 1 if any input was bad or any invocation failed; ``slack``/``sns`` replace the channels."""
    with quiet_metrics():
        return _run(args, slack=slack, sns=sns)


def _webhook(args: argparse.Namespace) -> str | None:
    """The webhook to post to for real ('-' prompts, else $TRAILWARDEN_SLACK_WEBHOOK), refused before moto
    starts rather than once per alert when it is not https; a secret, so never quoted."""
    url = args.slack_webhook
    if url is not None and not url.strip():  # `--slack-webhook "$WEBHOOK"` with the variable unset
        raise TrailwardenError("--slack-webhook: the URL is empty (an unset variable?); give the webhook URL, "
                               "'-' to be prompted for it, or leave the flag out to capture the messages locally")
    if url == "-":
        import getpass

        url = getpass.getpass("Slack webhook URL: ").strip() or None
    elif url is None:
        url = os.environ.get("TRAILWARDEN_SLACK_WEBHOOK") or None
    if url:
        from chalicelib.errors import DeliveryError
        from chalicelib.notify.slack import check_url

        try:
            check_url(url)
        except DeliveryError:
            raise TrailwardenError("--slack-webhook: not an https:// Slack webhook URL (plain http only for "
                                   "localhost)") from None
    return url


def _run(args: argparse.Namespace, *, slack: Any = None, sns: Any = None) -> int:
    args.slack_webhook = _webhook(args)  # simulate --org posts to it too
    if args.org:
        from chalicelib.cli import simulate_org

        return simulate_org.run(args, slack=slack, sns=sns)
    if args.repeat < 1:
        raise TrailwardenError("--repeat must be at least 1")
    from chalicelib.identity import load_model

    load_model(args.model)  # a model error stops here, before moto starts
    items = list(read_all(args.paths))
    bad = [i for i in items if isinstance(i, InputError)]
    for problem in bad:
        print(f"bad input: {problem}", file=sys.stderr)
    with moto_server():
        lines = simulate([i for i in items if not isinstance(i, InputError)], args, slack=slack, sns=sns)
    emit(lines, args.format)
    failed = [x for x in lines if x["kind"] == "invocation-error"]
    for f in failed:
        print(f"error: invocation {f['attempt']} of the {f['family']} handler for event {f['event_id']} failed: "
              f"{f['error']}", file=sys.stderr)
    from chalicelib.cli.simulate_stage import say_unrouted

    say_unrouted([x for x in lines if x["kind"] == "unrouted"])
    return 1 if bad or failed else 0


def simulate(events: list, args: argparse.Namespace, *, slack: Any = None, sns: Any = None) -> list[dict[str, Any]]:
    from chalicelib import runtime
    from chalicelib.cli.simulate_stage import app_for_stage, stage_client
    from chalicelib.notify import CapturingSlackSender
    from chalicelib.notify.notifier import FALLBACK_METRIC
    from chalicelib.settings import Settings

    stage = getattr(args, "stage", None) or "prod"
    from app import PATTERNS

    staged, enabled = app_for_stage(stage)  # the handler families the stage deploys (writes: prod only)
    families = {f: PATTERNS[f] for f in enabled}
    box = Sandbox(families, args.slack_webhook or PLACEHOLDER_WEBHOOK)
    cfg = Settings(model_path=args.model, store_url=f"dynamodb://{TABLE}", topic_arn=box.topic_arn,
                   slack_webhook_parameter=WEBHOOK_PARAMETER, stage="simulate", region=REGION)
    capture = None if args.slack_webhook or slack is not None else CapturingSlackSender()
    metrics = CountingMetrics()
    mon = runtime.build_monitor(cfg, metrics=metrics, slack=slack or capture, sns=sns)
    runtime.use(mon)
    invocations: Counter[str] = Counter()
    unrouted: list[dict[str, Any]] = []  # events no enabled rule of the stage matched: judged by nobody
    failures: list[dict[str, Any]] = []
    liveness: list[dict[str, Any]] = []
    try:
        # The handlers' Powertools logs and EMF metrics would go to CloudWatch: send them to stderr
        # so stdout carries only what happened (and stays valid JSON lines with --format json).
        with stage_client(staged, stage) as client, redirect_stdout(WithoutEmf(sys.stderr)):
            def deliver(record: dict[str, Any]) -> None:
                envelope = envelope_for(record)
                box.put(envelope)
                matched = False
                for family, url in box.family_queues.items():
                    for delivered in box.drain(url):
                        matched = True
                        delivered.setdefault("account", envelope["account"])  # moto leaves it out; AWS does not
                        for attempt in range(1, args.repeat + 1):
                            invocations[family] += 1
                            try:
                                client.lambda_.invoke(family, delivered)
                            except Exception as err:  # noqa: BLE001 - a failed invocation is reported, as Lambda would
                                failures.append({"kind": "invocation-error", "family": family, "attempt": attempt,
                                                 "event_id": delivered.get("detail", {}).get("eventID"),
                                                 "error": f"{type(err).__name__}: {err}"})
                if not matched:
                    unrouted.append({"kind": "unrouted", "stage": stage, "event_id": record.get("eventID"),
                                     "event_name": record.get("eventName"), "event_source": record.get("eventSource")})

            for event in events:
                deliver(event.raw)
            if getattr(args, "liveness", False):
                from chalicelib.cli.simulate_liveness import liveness_story

                liveness = liveness_story(events, deliver, stage)
    finally:
        runtime.use(None)
        from chalicelib import deadline

        deadline.start(None)  # the last handler's invocation is over: no deadline outlives it in this process
    incidents = [{"kind": "incident", **i.to_dict()} for i in mon.store.iter_all()]
    posted = [{"kind": "slack", "payload": p} for p in capture.payloads] if capture is not None else []
    published = [{"kind": "sns", "subject": m.get("Subject"), "message": orjson.loads(m["Message"]),
                  "attributes": {k: v.get("Value") for k, v in (m.get("MessageAttributes") or {}).items()}}
                 for m in box.drain(box.alerts_queue)]
    summary = {"kind": "summary", "events": len(events), "repeat": args.repeat, "invocations": dict(invocations),
               "incidents": len(incidents), "slack": len(posted) if capture is not None else "sent",
               "sns": len(published), "alert_fallbacks": metrics.counts[FALLBACK_METRIC],
               "failed_invocations": len(failures)}
    summary["unrouted"] = len(unrouted)
    return [*incidents, *posted, *published, *failures, *liveness, *unrouted, summary]


@contextmanager
def quiet_metrics() -> Iterator[None]:
    """The handlers' Powertools metrics would print one EMF JSON document per invocation: CloudWatch's
    input, noise on a terminal. simulate counts what it reports itself (CountingMetrics). Both the
    switch and the warning filter are undone afterwards: a later handler in the process (tests) flushes."""
    import warnings  # unflushed (disabled) metrics keep their dimensions, and each invocation re-adds them

    saved = os.environ.get("POWERTOOLS_METRICS_DISABLED")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Dimension '.*' has already been added")
            yield
    finally:
        if saved is None:
            os.environ.pop("POWERTOOLS_METRICS_DISABLED", None)


class WithoutEmf(io.TextIOBase):
    """The handlers' stdout on its way to stderr, less Powertools' EMF metric documents (``{"_aws": …}``):
    POWERTOOLS_METRICS_DISABLED stops the flushed metrics, but not the cold-start metric."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._partial = ""

    def write(self, text: str) -> int:
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        kept = [line for line in lines if not line.startswith('{"_aws":')]
        if kept:
            self.out.write("\n".join(kept) + "\n")
        return len(text)

    def flush(self) -> None:
        if self._partial and not self._partial.startswith('{"_aws":'):
            self.out.write(self._partial)
        self._partial = ""
        self.out.flush()


def emit(lines: list[dict[str, Any]], fmt: str) -> None:
    out = sys.stdout
    if fmt == "json":
        for line in lines:
            out.buffer.write(json_line(line))
        out.flush()
        return
    incidents = [x for x in lines if x["kind"] == "incident"]
    out.write(f"Incidents stored in DynamoDB ({len(incidents)}):\n")
    if incidents:
        out.write(table_header() + "\n")
    for row in incidents:
        out.write(table_row(row) + "\n")
    summary = lines[-1]
    for kind, title in (("slack", "Slack messages"), ("sns", "SNS messages")):
        msgs = [x for x in lines if x["kind"] == kind]
        if kind == "slack" and summary["slack"] == "sent":  # --slack-webhook: posted for real, not captured here
            out.write("\nSlack messages: posted to the --slack-webhook URL (not captured; failures are on stderr)\n")
            continue
        out.write(f"\n{title} ({len(msgs)}):\n")
        for m in msgs:
            text = m["payload"].get("text", "") if kind == "slack" else m["subject"]
            extra = "" if kind == "slack" else f"   attributes {m['attributes']}"
            out.write(f"  • {text.splitlines()[0] if text else ''}{extra}\n")
    for step in (x for x in lines if x["kind"] == "liveness"):
        out.write(f"\nLiveness check at {step['at']} (blind after {step['threshold_minutes']} min): "
                  f"blind {step['blind'] or 'none'}; closed {step['closed'] or 'none'}"
                  f"{' after a heartbeat from each' if step['heartbeats'] else ''}\n")
    for f in (x for x in lines if x["kind"] == "invocation-error"):
        out.write(f"\nINVOCATION FAILED ({f['family']}, event {f['event_id']}): {f['error']}\n")
    out.write(f"\n{plural(summary['events'], 'event')}, delivered ×{summary['repeat']}; handler invocations "
              f"{summary['invocations']}\n")
    if summary["alert_fallbacks"]:
        out.write(f"{plural(summary['alert_fallbacks'], 'alert')} fell back to SNS because their routed channels "
                  "failed\n")
    out.flush()
