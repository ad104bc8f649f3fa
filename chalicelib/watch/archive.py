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
from chalicelib.identity import grants
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
# Where the new policy is in the record of a policy call.
POLICY_DOCUMENTS = {"PutBucketPolicy": "bucketPolicy", "PutKeyPolicy": "policy"}
LOST = ("new log files of the trail (CloudTrail cannot write or encrypt them), or the files already kept: "
        "the archive replay and investigations read. EventBridge delivery, and so the heartbeat, is not affected")


def _key_values(event: CloudTrailEvent) -> list[object]:
    resources = event.raw.get("resources")
    arns = [r.get("ARN") for r in resources if isinstance(r, dict)] if isinstance(resources, list) else []
    return [event.request_parameters.get("keyId"), *arns]


def archived(event: CloudTrailEvent, own: OwnResources) -> str | None:
    """The trail's declared bucket or key this call changes, or None (not one of them, or not such a call)."""
    if event.event_source == S3 and event.event_name in BUCKET_CALLS:
        return own.trail_bucket(as_str(event.request_parameters.get("bucketName")))
    if event.event_source == KMS and event.event_name in KEY_CALLS:
        return own.trail_key(_key_values(event))
    return None


def archive_verdict(ctx: Context, own: OwnResources) -> Verdict | None:
    """A change to the trail's declared bucket or key, or None (not one of them, or not such a call)."""
    ev = ctx.event
    bucket = archived(ev, own)
    if bucket is None:
        return None
    verb, base = (BUCKET_CALLS if ev.event_source == S3 else KEY_CALLS)[ev.event_name]
    kind = "log bucket" if ev.event_source == S3 else "KMS key"
    lost, allowed, (opened, orgs) = LOST, True, _opened_to(ctx)
    if opened:  # resource-policy-outside leaves the archive to this rule: one finding, the louder one
        base, allowed = Severity.CRITICAL, False
        lost = f"{LOST}; and the new policy lets in {opened}, who can read every log file the trail kept"
    elif orgs:  # an organization id is the caller's text: never lowered for a monitoring manager
        allowed = False
        lost = f"{LOST}; and the new policy lets in {orgs}, who can read every log file the trail kept"
    return blinding_verdict(ctx, base=base, control=f"the trail's {kind} {bucket}",
                            action=f"{verb} the trail's {kind} {bucket} ({ev.event_name})", blind_to=lost,
                            target_arn=bucket if bucket.startswith("arn:") else None, archive=bucket,
                            allowed=allowed, **({"opened_to": opened} if opened else {}))


def _opened_to(ctx: Context) -> tuple[str | None, str | None]:
    """Who outside the model a new bucket or key policy lets in, in words (grants.py places them), and apart
    the organizations it names (an aws:PrincipalOrgID the caller wrote, which the model cannot confirm)."""
    name = ctx.event.event_name
    if name not in POLICY_DOCUMENTS:
        return None, None
    document = ctx.event.request_parameters.get(POLICY_DOCUMENTS[name])
    found = grants.policy_grants(ctx.model, document, ctx.event.account).outside
    return ("; ".join(g.what for g in found if g.kind != grants.ORG) or None,
            "; ".join(g.what for g in found if g.kind == grants.ORG) or None)
