"""The trail's archive: its S3 bucket and KMS key, declared in settings (``TRAILWARDEN_TRAIL_BUCKETS``,
``TRAILWARDEN_TRAIL_KEYS``).

EventBridge keeps delivering events when CloudTrail can no longer write its log files, so the
heartbeat stays green while the archive that ``replay`` and every investigation read is lost:
only the calls themselves show it. A bucket policy that stops CloudTrail, a lifecycle rule that
expires the files, a disabled or deleted key: each is judged here for ``monitor-trail-tampered``.
"""

from __future__ import annotations

from chalicelib.events import CloudTrailEvent, as_str
from chalicelib.findings import Severity
from chalicelib.rules.base import Context, Verdict
from chalicelib.watch.own import OwnResources
from chalicelib.watch.pipeline import KMS, S3
from chalicelib.watch.verdicts import blinding_verdict

# event name → (what it did, base severity); the names are pipeline.TRAIL_BUCKET_CALLS, which
# routing reads. A removal stops delivery for certain; a replacement may.
BUCKET_CALLS: dict[str, tuple[str, Severity]] = {
    "DeleteBucketPolicy": ("deleted the bucket policy of", Severity.CRITICAL),
    "DeleteBucket": ("deleted", Severity.CRITICAL),
    "PutBucketPolicy": ("replaced the bucket policy of", Severity.HIGH),
    "PutBucketLifecycle": ("set a lifecycle configuration (log files may expire) on", Severity.HIGH),
}
KEY_CALLS: dict[str, tuple[str, Severity]] = {
    "DisableKey": ("disabled", Severity.CRITICAL),
    "ScheduleKeyDeletion": ("scheduled the deletion of", Severity.CRITICAL),
    "PutKeyPolicy": ("replaced the key policy of", Severity.HIGH),
}
EVENT_NAMES = frozenset(BUCKET_CALLS) | frozenset(KEY_CALLS)
LOST = ("new log files of the trail (CloudTrail cannot write or encrypt them), or the files already kept: "
        "the archive replay and investigations read. EventBridge delivery, and so the heartbeat, is not affected")


def _key_values(event: CloudTrailEvent) -> list[object]:
    resources = event.raw.get("resources")
    arns = [r.get("ARN") for r in resources if isinstance(r, dict)] if isinstance(resources, list) else []
    return [event.request_parameters.get("keyId"), *arns]


def archive_verdict(ctx: Context, own: OwnResources) -> Verdict | None:
    """A change to the trail's declared bucket or key, or None (not one of them, or not such a call)."""
    ev = ctx.event
    if ev.event_source == S3 and ev.event_name in BUCKET_CALLS:
        bucket = own.trail_bucket(as_str(ev.request_parameters.get("bucketName")))
        verb, base = BUCKET_CALLS[ev.event_name]
        kind = "log bucket"
    elif ev.event_source == KMS and ev.event_name in KEY_CALLS:
        bucket = own.trail_key(_key_values(ev))
        verb, base = KEY_CALLS[ev.event_name]
        kind = "KMS key"
    else:
        return None
    if bucket is None:
        return None
    return blinding_verdict(ctx, base=base, control=f"the trail's {kind} {bucket}",
                            action=f"{verb} the trail's {kind} {bucket} ({ev.event_name})", blind_to=LOST,
                            target_arn=bucket if bucket.startswith("arn:") else None, archive=bucket)
