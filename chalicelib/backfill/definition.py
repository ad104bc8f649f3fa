"""The backfill state machine and what it needs, as CloudFormation the template builder merges in.

One execution judges the trail objects under one prefix: a Distributed Map whose ItemReader
lists them (``s3:listObjectsV2``, no copy, no manifest to build), whose ItemBatcher hands
``BATCH_ITEMS`` consecutive keys to each child execution, which invokes the ``backfill_worker``
Lambda once. ``MaxConcurrencyPath`` lets ``backfill start`` split ``CONCURRENCY`` between the
executions it starts, and the worker's reserved concurrency (the same number) is the hard cap:
a backfill never takes more of the account's Lambda quota, whatever is started. A batch that
still fails after its retries counts against ``TOLERATED_FAILURE_PERCENT``; the ResultWriter
lists every failed batch (with its keys) in the results bucket, where ``backfill status`` reads it.

The bucket to backfill is a stack parameter (the roles name it; an organization trail bucket
in a log-archive account must also grant this account's roles in its bucket policy). Left
empty, no state machine is created.
"""

from __future__ import annotations

from typing import Any

CONCURRENCY = 40  # worker invocations at once, over every execution: reserved concurrency, and the maps' bound
BATCH_ITEMS = 100  # objects per worker invocation (a trail object is ~1-500 kB gzipped)
TOLERATED_FAILURE_PERCENT = 5
RESULTS_PREFIX = "backfill"  # batch summaries: backfill/<execution>/batches/; map results: backfill/map/<run>/
WORKER = "BackfillWorker"  # Chalice's logical id for the backfill_worker function
WORKER_TIMEOUT = 900
LAMBDA_RETRY = ["Lambda.TooManyRequestsException", "Lambda.ServiceException", "Lambda.AWSLambdaException",
                "Lambda.SdkClientException"]


def _sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def definition() -> dict[str, Any]:
    """The Amazon States Language document (``${WorkerArn}``/``${ResultsBucket}`` are substituted)."""
    judge = {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "${WorkerArn}", "Payload.$": "$"},
        "OutputPath": "$.Payload",
        "Retry": [
            # Throttled by the reserved concurrency: wait and try again, for a long while.
            {"ErrorEquals": LAMBDA_RETRY, "IntervalSeconds": 2, "MaxAttempts": 10, "BackoffRate": 2,
             "MaxDelaySeconds": 120, "JitterStrategy": "FULL"},
            # The store or S3 failed for the whole batch: twice more, then it is a failed item.
            {"ErrorEquals": ["States.TaskFailed", "States.Timeout"], "IntervalSeconds": 10, "MaxAttempts": 2,
             "BackoffRate": 3},
        ],
        "End": True,
    }
    return {
        "Comment": "Trailwarden backfill: judge a trail bucket's objects under a prefix into the incident store",
        "StartAt": "JudgeObjects",
        "States": {"JudgeObjects": {
            "Type": "Map",
            "ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2",
                           "Parameters": {"Bucket.$": "$.bucket", "Prefix.$": "$.prefix"}},
            "ItemBatcher": {"MaxItemsPerBatch": BATCH_ITEMS,
                            "BatchInput": {"bucket.$": "$.bucket", "filter.$": "$.filter", "alert.$": "$.alert",
                                           "execution.$": "$$.Execution.Name"}},
            "MaxConcurrencyPath": "$.concurrency",
            "ToleratedFailurePercentage": TOLERATED_FAILURE_PERCENT,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                              "StartAt": "JudgeBatch", "States": {"JudgeBatch": judge}},
            "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                             "Parameters": {"Bucket": "${ResultsBucket}", "Prefix": f"{RESULTS_PREFIX}/map"}},
            "End": True,
        }},
    }


def parameters() -> dict[str, Any]:
    return {"BackfillTrailBucket": {
        "Type": "String", "Default": "", "AllowedPattern": "^$|^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
        "Description": "Trail bucket the backfill state machine may read (empty: no backfill state machine)"},
        "BackfillTrailKeyArn": {
            "Type": "String", "Default": "", "AllowedPattern": "^$|^arn:aws[a-z-]*:kms:[a-z0-9-]+:\\d{12}:key/.+$",
            "Description": "KMS key of a trail that encrypts with SSE-KMS (empty: the trail uses SSE-S3)"}}


def conditions() -> dict[str, Any]:
    return {"BackfillEnabled": {"Fn::Not": [{"Fn::Equals": [{"Ref": "BackfillTrailBucket"}, ""]}]},
            "BackfillTrailEncrypted": {"Fn::Not": [{"Fn::Equals": [{"Ref": "BackfillTrailKeyArn"}, ""]}]}}


def resources(prefix: str, tags: list[dict[str, str]]) -> dict[str, Any]:
    """The results bucket (always: the worker's environment names it), the state machine and its role."""
    machine = f"{prefix}-backfill"
    results_arn = {"Fn::GetAtt": ["BackfillResultsBucket", "Arn"]}
    trail_arn = _sub("arn:${AWS::Partition}:s3:::${BackfillTrailBucket}")
    executions = _sub(f"arn:${{AWS::Partition}}:states:${{AWS::Region}}:${{AWS::AccountId}}:execution:{machine}/*")
    machine_arn = _sub(f"arn:${{AWS::Partition}}:states:${{AWS::Region}}:${{AWS::AccountId}}:stateMachine:{machine}")
    worker_arn = {"Fn::GetAtt": [WORKER, "Arn"]}
    role_policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "InvokeWorker", "Effect": "Allow", "Action": "lambda:InvokeFunction",
         "Resource": [worker_arn, {"Fn::Join": [":", [worker_arn, "*"]]}]},
        {"Sid": "ListTrailBucket", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": trail_arn},
        {"Sid": "RunChildExecutions", "Effect": "Allow", "Action": "states:StartExecution", "Resource": machine_arn},
        {"Sid": "WatchChildExecutions", "Effect": "Allow", "Action": ["states:DescribeExecution",
                                                                    "states:StopExecution"], "Resource": executions},
        {"Sid": "WriteMapResults", "Effect": "Allow",
         "Action": ["s3:PutObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"],
         "Resource": {"Fn::Join": ["", [results_arn, f"/{RESULTS_PREFIX}/map/*"]]}},
    ]}
    return {
        "BackfillResultsBucket": {
            "Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": {
                "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
                "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                                   "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "LifecycleConfiguration": {"Rules": [{"Id": "ExpireBackfillResults", "Status": "Enabled",
                                                      "ExpirationInDays": 90}]},
                "Tags": tags}},
        "BackfillResultsBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {"Bucket": {"Ref": "BackfillResultsBucket"}, "PolicyDocument": {
                "Version": "2012-10-17", "Statement": [{
                    "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                    "Resource": [results_arn, {"Fn::Join": ["", [results_arn, "/*"]]}],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}}},
        # An SSE-KMS trail: the worker may decrypt its objects with the trail's key, through S3 only.
        "BackfillWorkerTrailKeyPolicy": {
            "Type": "AWS::IAM::Policy", "Condition": "BackfillTrailEncrypted",
            "Properties": {"PolicyName": "ReadEncryptedTrail", "Roles": [{"Ref": f"{WORKER}Role"}],
                           "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                               "Sid": "DecryptTrailObjectsViaS3", "Effect": "Allow", "Action": "kms:Decrypt",
                               "Resource": {"Ref": "BackfillTrailKeyArn"},
                               # the trail bucket's region, which need not be the stack's
                               "Condition": {"StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}},
                           }]}}},
        "BackfillStateMachineRole": {
            "Type": "AWS::IAM::Role", "Condition": "BackfillEnabled",
            "Properties": {
                "RoleName": machine, "Tags": tags,
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}}]},
                "Policies": [{"PolicyName": "BackfillStateMachine", "PolicyDocument": role_policy}]}},
        "BackfillStateMachine": {
            "Type": "AWS::StepFunctions::StateMachine", "Condition": "BackfillEnabled",
            "Properties": {
                "StateMachineName": machine, "StateMachineType": "STANDARD",
                "RoleArn": {"Fn::GetAtt": ["BackfillStateMachineRole", "Arn"]},
                "Definition": definition(),
                "DefinitionSubstitutions": {"WorkerArn": worker_arn, "ResultsBucket": {"Ref": "BackfillResultsBucket"}},
                "Tags": [{"Key": t["Key"], "Value": t["Value"]} for t in tags]}},
    }


def worker_properties() -> dict[str, Any]:
    """What the template adds to Chalice's function: the parallelism cap, and no async retry machinery
    (Step Functions invokes it synchronously and retries itself)."""
    return {"ReservedConcurrentExecutions": CONCURRENCY, "Timeout": WORKER_TIMEOUT, "MemorySize": 1024}


def outputs() -> dict[str, Any]:
    return {"BackfillStateMachineArn": {"Condition": "BackfillEnabled", "Value": {"Ref": "BackfillStateMachine"},
                                        "Description": "python -m chalicelib backfill start --state-machine ..."},
            "BackfillResultsBucketName": {"Value": {"Ref": "BackfillResultsBucket"}}}
