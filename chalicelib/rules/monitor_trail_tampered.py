"""monitor-trail-tampered: the trail Trailwarden depends on was stopped, deleted or narrowed."""

from __future__ import annotations

from chalicelib.events import as_bool, as_str
from chalicelib.findings import Severity
from chalicelib.rules.base import Context, Rule, Verdict
from chalicelib.rules.registry import register
from chalicelib.watch.archive import EVENT_NAMES as ARCHIVE_CALLS
from chalicelib.watch.archive import archive_verdict
from chalicelib.watch.detectors import TRAIL_CALLS, TRAIL_SOURCE
from chalicelib.watch.own import ReadsOwnResources
from chalicelib.watch.selectors import coverage
from chalicelib.watch.verdicts import arn_in, blinding_verdict

LAKE = frozenset({"DeleteEventDataStore", "StopEventDataStoreIngestion"})
# UpdateTrail fields whose new value weakens the trail, and what is lost with each.
WEAKENING = {
    "isMultiRegionTrail": (False, "management events of every region but {region}"),
    "includeGlobalServiceEvents": (False, "global service events (IAM, STS and console sign-ins recorded in "
                                          "us-east-1)"),
    "isOrganizationTrail": (False, "the organization's member accounts"),
}


@register
class MonitorTrailTampered(ReadsOwnResources, Rule):
    id = "monitor-trail-tampered"
    severity = Severity.CRITICAL
    title = "CloudTrail logging stopped or narrowed"
    event_names = frozenset(TRAIL_CALLS) | ARCHIVE_CALLS  # and the trail's declared bucket and key
    # The verdict reads selector lists and several UpdateTrail fields in many shapes; these calls
    # are rare, so replay judges each in full rather than keying a memo on them.
    memo_fields = None
    reference = "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-update-a-trail-console.html"
    runbook = (
        "Trailwarden only sees what a logging trail delivers. Restore it now: `aws cloudtrail start-logging "
        "--name TRAIL`, or recreate the trail / put back its multi-region, global-events and management-event "
        "settings (`aws cloudtrail get-event-selectors --trail-name TRAIL`). Then treat the actor as "
        "compromised unless the change was planned: look at what it did while the trail was narrowed "
        "(the S3 log files of other trails, or CloudTrail's 90-day event history)."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev = ctx.event
        if ev.event_name in ARCHIVE_CALLS:
            return archive_verdict(ctx, self.own)
        if ev.event_source not in (TRAIL_SOURCE, "?"):
            return None
        params = ev.request_parameters
        named = as_str(params.get("name")) or as_str(params.get("trailName"))
        trail = named or "(not named in the record)"
        parts = (trail if trail.startswith("arn:") and ":trail/" in trail else "").split(":")
        home = parts[3] if len(parts) > 5 and parts[3] else ev.region
        where = f"trail '{trail.rsplit(':trail/', 1)[-1]}' (home region {home or 'unknown'})"
        arn = (trail if parts[0] else arn_in(ctx, "trail", named)) if named else None  # a bare name: the home region's
        name = ev.event_name
        if name == "StopLogging":
            return blinding_verdict(ctx, base=Severity.CRITICAL, control=f"logging of {where}",
                                    action=f"stopped logging on {where}", target_arn=arn, trail=trail,
                                    blind_to=f"every event recorded by {where}; if it is the trail feeding "
                                             "EventBridge, no CloudTrail event reaches Trailwarden at all")
        if name == "DeleteTrail":
            return blinding_verdict(ctx, base=Severity.CRITICAL, control=where, action=f"deleted {where}",
                                    target_arn=arn, trail=trail,
                                    blind_to=f"every event recorded by {where}, from now on")
        if name in LAKE:
            store = as_str(params.get("eventDataStore")) or "(event data store not named in the record)"
            verb = "deleted" if name == "DeleteEventDataStore" else "stopped ingestion into"
            return blinding_verdict(ctx, base=Severity.CRITICAL, control=f"CloudTrail Lake event data store {store}",
                                    action=f"{verb} CloudTrail Lake event data store {store}",
                                    target_arn=store if store.startswith("arn:") else None, event_data_store=store,
                                    blind_to="the events that store kept for investigation and queries")
        if name == "UpdateTrail":
            return self._update(ctx, where, trail, arn)
        return self._selectors(ctx, where, trail, arn)

    def _update(self, ctx: Context, where: str, trail: str, arn: str | None) -> Verdict | None:
        ev, params = ctx.event, ctx.event.request_parameters
        if not params:  # null or malformed: a successful update is tampering until shown otherwise
            return blinding_verdict(ctx, base=Severity.CRITICAL, control=f"the settings of {where}",
                                    action=f"updated {where}, and the record does not say what changed",
                                    target_arn=arn, trail=trail,
                                    blind_to="possibly other regions, global service events or management events")
        lost = [text.format(region=ev.region or "its home region") for field, (bad, text) in WEAKENING.items()
                if field in params and as_bool(params.get(field)) is bad]
        bucket = as_str(params.get("s3BucketName"))
        if bucket:
            lost.append(f"the log files now go to bucket '{bucket}' (replay from the old bucket misses them; "
                        "logging stops if that bucket refuses CloudTrail)")
        if "s3KeyPrefix" in params and not bucket:
            prefix = as_str(params.get("s3KeyPrefix")) or ""
            lost.append(f"the log files now go under prefix '{prefix}' of the bucket (replay and backfill reading "
                        "the old prefix miss them)")
        if "kmsKeyId" in params:
            lost.append(_key_change(params.get("kmsKeyId"), ev.account))
        if not lost:
            return None
        return blinding_verdict(ctx, base=Severity.CRITICAL, control=f"the coverage of {where}",
                                action=f"updated {where}", target_arn=arn, trail=trail, blind_to="; ".join(lost),
                                changed={k: params.get(k) for k in (*WEAKENING, "s3BucketName", "s3KeyPrefix",
                                                                    "kmsKeyId")
                                         if k in params})

    def _selectors(self, ctx: Context, where: str, trail: str, arn: str | None) -> Verdict | None:
        ev = ctx.event
        cover = coverage(ev.request_parameters)
        if cover.keeps_everything:
            return None  # still records every management event
        partial = cover.readable and cover.reads and cover.writes  # only some sources left out
        return blinding_verdict(ctx, base=Severity.MEDIUM if partial else Severity.CRITICAL,
                                control=f"the event selectors of {where}",
                                action=f"changed the event selectors of {where}", target_arn=arn, trail=trail,
                                blind_to=f"{cover.lost()} recorded by {where}",
                                selectors_readable=cover.readable)


def _key_change(key: object, account: str | None) -> str:
    """What a new trail key costs: the key's owner decides whether CloudTrail can write and who reads the logs."""
    name = as_str(key)
    if not name:
        return ("the log files are no longer encrypted with a KMS key (SSE-S3 only: whoever can read the bucket "
                "reads them)")
    parts = name.split(":")
    owner = parts[4] if name.startswith("arn:") and len(parts) > 5 else None
    where = f" in another account ({owner})" if owner and account and owner != account else ""
    return (f"the log files are now encrypted with KMS key '{name}'{where}: when that key is disabled, deleted or its "
            "policy stops CloudTrail, log files stop being delivered, and only who may use the key can read them")
