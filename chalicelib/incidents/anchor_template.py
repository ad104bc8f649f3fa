"""The anchor bucket as CloudFormation: where the daily schedule publishes the chain head.

Read by ``deploy/build_merge_template.py`` (beside ``table_definition``, so the bucket and the
code that writes to it are described in one package). What makes the anchors trustworthy:

* Object Lock in **compliance** mode with a default retention as long as the incident log's
  (``TRAILWARDEN_RETENTION_DAYS``): no one, the account root included, can delete or shorten
  the retention of a published head before then; versioning is on (Object Lock requires it),
  so a new object written over an anchor adds a version and the locked one stays readable;
* the monitor's roles get ``s3:PutObject`` on ``heads/*`` only (statement ``PublishChainHead``
  of the stage policy, granted to the daily audit): no read, list, delete or retention change;
* public access is blocked, objects are encrypted (SSE-S3), plain HTTP is refused, and the
  bucket is retained when the stack is deleted (its locked objects could not be deleted anyway).
"""

from __future__ import annotations

from typing import Any

ANCHOR_PREFIX = "heads/"
ANCHOR_BUCKET = "AnchorBucket"


def anchors_url() -> dict[str, str]:
    """``TRAILWARDEN_ANCHORS`` for the functions: ``s3://<bucket>/heads/``."""
    return {"Fn::Sub": f"s3://${{{ANCHOR_BUCKET}}}/{ANCHOR_PREFIX}"}


def anchor_resources(retention_days: int, tags: list[dict[str, str]]) -> dict[str, Any]:
    """The bucket (Object Lock, compliance, ``retention_days``) and its TLS-only policy."""
    bucket_arn = {"Fn::GetAtt": [ANCHOR_BUCKET, "Arn"]}
    return {
        ANCHOR_BUCKET: {
            "Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": {
                "ObjectLockEnabled": True,
                "ObjectLockConfiguration": {"ObjectLockEnabled": "Enabled", "Rule": {
                    "DefaultRetention": {"Mode": "COMPLIANCE", "Days": int(retention_days)}}},
                "VersioningConfiguration": {"Status": "Enabled"},
                "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                                   "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
                "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "Tags": tags,
            },
        },
        f"{ANCHOR_BUCKET}Policy": {"Type": "AWS::S3::BucketPolicy", "Properties": {
            "Bucket": {"Ref": ANCHOR_BUCKET},
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                "Resource": [bucket_arn, {"Fn::Sub": f"${{{ANCHOR_BUCKET}.Arn}}/*"}],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}}},
    }
