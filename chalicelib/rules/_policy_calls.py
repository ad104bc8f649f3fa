"""The calls that set a resource policy, and where each record keeps the policy (resource-policy-outside).

Shapes as CloudTrail records them: S3's ``bucketPolicy`` is an object, the others a JSON string;
SNS and SQS keep it among the topic's or queue's attributes, Glacier one level down. A create call
without a policy gets the service's default (the owner only), as does a set-attributes call that
sets something else: neither changes who is let in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.events import CloudTrailEvent, as_str

S3 = "s3.amazonaws.com"
KMS = "kms.amazonaws.com"


@dataclass(frozen=True, slots=True)
class PolicyCall:
    """Where a call's new policy and its resource are, under ``requestParameters`` (``resource`` from the
    record's root when it starts with ``responseElements``)."""

    document: tuple[str, ...]
    resource: tuple[str, ...]
    kind: str
    optional: bool = False  # a record without a policy changed no policy (quiet), not one we cannot see
    when: tuple[str, str] | None = None  # (parameter, value): only then does the call set the policy


POLICY_CALLS: dict[tuple[str, str], PolicyCall] = {
    (S3, "PutBucketPolicy"): PolicyCall(("bucketPolicy",), ("bucketName",), "S3 bucket"),
    (KMS, "PutKeyPolicy"): PolicyCall(("policy",), ("keyId",), "KMS key"),
    (KMS, "CreateKey"): PolicyCall(("policy",), ("responseElements", "keyMetadata", "arn"), "KMS key", optional=True),
    # A multi-Region key's replica takes its own policy: the same backdoor, in another Region.
    (KMS, "ReplicateKey"): PolicyCall(("policy",), ("responseElements", "replicaKeyMetadata", "arn"), "KMS key",
                                      optional=True),
    ("secretsmanager.amazonaws.com", "PutResourcePolicy"): PolicyCall(("resourcePolicy",), ("secretId",), "secret"),
    ("ecr.amazonaws.com", "SetRepositoryPolicy"): PolicyCall(("policyText",), ("repositoryName",), "ECR repository"),
    ("sns.amazonaws.com", "SetTopicAttributes"): PolicyCall(("attributeValue",), ("topicArn",), "SNS topic",
                                                            when=("attributeName", "policy")),
    ("sns.amazonaws.com", "CreateTopic"): PolicyCall(("attributes", "Policy"), ("name",), "SNS topic", optional=True),
    ("sqs.amazonaws.com", "SetQueueAttributes"): PolicyCall(("attributes", "Policy"), ("queueUrl",), "SQS queue",
                                                            optional=True),
    ("sqs.amazonaws.com", "CreateQueue"): PolicyCall(("attributes", "Policy"), ("queueName",), "SQS queue",
                                                     optional=True),
    ("glacier.amazonaws.com", "SetVaultAccessPolicy"): PolicyCall(("policy", "policy"), ("vaultName",),
                                                                  "Glacier vault"),
}


def _at(root: Any, path: tuple[str, ...]) -> Any:
    for step in path:
        root = root.get(step) if isinstance(root, dict) else None
    return root


def sets_policy(event: CloudTrailEvent, call: PolicyCall) -> bool:
    """Whether this call changes the resource's policy at all (SNS: only ``attributeName: Policy``)."""
    if call.when is None:
        return True
    param, value = call.when
    return (as_str(event.request_parameters.get(param)) or "").lower() == value


def document_of(event: CloudTrailEvent, call: PolicyCall) -> Any:
    return _at(event.request_parameters, call.document)


def resource_of(event: CloudTrailEvent, call: PolicyCall) -> str:
    root = event.raw if call.resource[0] == "responseElements" else event.request_parameters
    return as_str(_at(root, call.resource)) or "(not named in the record)"


# SNS's and SQS's AddPermission: a statement added for named accounts. (The request keys that may hold the accounts,
# as CloudTrail lower-cases the API's AWSAccountId(s) and as it is spelt elsewhere; the resource's key; what it is.)
PERMISSION_CALLS: dict[tuple[str, str], tuple[tuple[str, ...], str, str]] = {
    ("sns.amazonaws.com", "AddPermission"): (("aWSAccountId", "AWSAccountId", "awsAccountId"), "topicArn", "SNS topic"),
    ("sqs.amazonaws.com", "AddPermission"): (("aWSAccountIds", "AWSAccountIds", "awsAccountIds"), "queueUrl",
                                             "SQS queue"),
}
