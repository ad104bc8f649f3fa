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
from chalicelib.identity import grants
from chalicelib.identity.grants import Grantee

S3 = "s3.amazonaws.com"
KMS = "kms.amazonaws.com"
ES = "es.amazonaws.com"  # OpenSearch Service records under Elasticsearch's source
# How far "*" reaches on a resource only a network path leads to (PolicyCall.reach).
MOUNT_TARGET = "mount-target"  # EFS: no policy already lets in every client that reaches a mount target
ENDPOINT = "endpoint"  # OpenSearch: "*" is public on a public endpoint, the VPC's on a VPC domain


@dataclass(frozen=True, slots=True)
class PolicyCall:
    """Where a call's new policy and its resource are, under ``requestParameters`` (``resource`` from the
    record's root when it starts with ``responseElements``)."""

    document: tuple[str, ...]
    resource: tuple[str, ...]
    kind: str
    optional: bool = False  # a record without a policy changed no policy (quiet), not one we cannot see
    when: tuple[str, str] | None = None  # (parameter, value): only then does the call set the policy
    also: tuple[tuple[str, ...], ...] = ()  # other places the document may be (S3 Control's XML bodies)
    reach: str | None = None  # MOUNT_TARGET or ENDPOINT: "*" reaches only who reaches the resource's network


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
    # The same backdoor on other data stores (API request members, as CloudTrail lower-cases their first letter).
    ("elasticfilesystem.amazonaws.com", "PutFileSystemPolicy"): PolicyCall(("policy",), ("fileSystemId",),
                                                                           "EFS file system", reach=MOUNT_TARGET),
    ("backup.amazonaws.com", "PutBackupVaultAccessPolicy"): PolicyCall(("policy",), ("backupVaultName",),
                                                                       "Backup vault"),
    ("glue.amazonaws.com", "PutResourcePolicy"): PolicyCall(("policyInJson",), ("resourceArn",), "Glue Data Catalog"),
    **{(ES, name): PolicyCall(("accessPolicies",), ("domainName",), "OpenSearch domain", optional=True,
                              reach=ENDPOINT)
       for name in ("CreateDomain", "UpdateDomainConfig", "CreateElasticsearchDomain",
                    "UpdateElasticsearchDomainConfig")},
    # S3 Control's access points: the XML body under its request element, or flat.
    **{(S3, name): PolicyCall((f"{name}Request", "Policy"), ("name",), kind, also=(("policy",), ("Policy",)))
       for name, kind in (("PutAccessPointPolicy", "S3 access point"),
                          ("PutAccessPointPolicyForObjectLambda", "S3 Object Lambda access point"))},
    (S3, "PutMultiRegionAccessPointPolicy"): PolicyCall(
        ("PutMultiRegionAccessPointPolicyRequest", "Details", "Policy"),
        ("PutMultiRegionAccessPointPolicyRequest", "Details", "Name"), "S3 Multi-Region Access Point",
        also=(("details", "policy"), ("Details", "Policy"))),
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
    for path in (call.document, *call.also):
        found = _at(event.request_parameters, path)
        if found is not None:
            return found
    return None


def within_reach(event: CloudTrailEvent, call: PolicyCall, outside: tuple[Grantee, ...]) -> list[Grantee]:
    """The grantees a network-bound resource really lets in. EFS: "*" is what no policy already allows (any
    client that reaches a mount target, in the account's VPCs), so only named outside accounts count.
    OpenSearch: "*" on a domain in a VPC (the request's ``vPCOptions`` with subnets) reaches only that VPC; a
    domain created without them has a public endpoint, so "*" is everyone; an update that names no VPC may be
    of either, which its record does not say: anyone who can reach the endpoint (high, not critical)."""
    if call.reach is None:
        return list(outside)
    anyone = [g for g in outside if g.kind in (grants.EVERYONE, grants.CONDITIONAL) and g.value == "*"]
    rest = [g for g in outside if g not in anyone]
    if not anyone or call.reach == MOUNT_TARGET or _in_vpc(event):
        return rest
    if event.event_name.startswith("Create"):
        return list(outside)  # a public endpoint: "*" is everyone
    return [Grantee(grants.CONDITIONAL, "*", "anyone who can reach the domain's endpoint (Principal \"*\"): the "
                                             "internet if the domain has a public endpoint"), *rest]


def _in_vpc(event: CloudTrailEvent) -> bool:
    params = event.request_parameters
    options = next((params[k] for k in ("vPCOptions", "vpcOptions", "VPCOptions") if k in params), None)
    subnets = options.get("subnetIds", options.get("SubnetIds")) if isinstance(options, dict) else None
    return isinstance(subnets, list) and any(isinstance(s, str) and s for s in subnets)


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
