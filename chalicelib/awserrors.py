"""The one translation of botocore failures into a one-line, fixable ``AwsError``.

A user who runs ``incidents`` with an expired session needs "your session expired: run
``aws sso login``", not forty lines of botocore. Every CLI command (at ``cli.main``), the
audit and the DynamoDB store describe AWS failures through ``aws_error`` so the wording is
the same everywhere. botocore is only consulted when it is already imported: a command that
never touched AWS cannot hold a botocore exception, and need not pay for importing it.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from chalicelib.errors import AwsError

ACCESS_DENIED = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess",
    "AuthorizationError", "AuthorizationErrorException", "Forbidden",
})
EXPIRED = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"})
BAD_CREDENTIALS = frozenset({
    "InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch", "InvalidAccessKeyId",
    "InvalidSignatureException", "IncompleteSignature", "AuthFailure", "MissingAuthenticationToken",
})
NOT_FOUND = frozenset({
    "ResourceNotFoundException", "ParameterNotFound", "NotFound", "NotFoundException", "NoSuchEntity",
    "NoSuchBucket", "NoSuchKey", "AWS.SimpleQueueService.NonExistentQueue", "TableNotFoundException",
})
THROTTLED = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException", "RequestThrottled",
    "TooManyRequestsException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
    "SlowDown", "BandwidthLimitExceeded", "PriorRequestNotComplete",
})
_ACCESS_KEY_RE = re.compile(r"(?:AKIA|ASIA)[A-Z0-9]{16}")  # as in notify.message, without importing slack_sdk
_USERINFO_RE = re.compile(r"//[^/@\s]+@")
_HTML_RE = re.compile(r"^\s*<(!doctype html|html)[\s>]", re.IGNORECASE)
_HTML_SAID = ("an HTML error page, not an AWS answer: AWS_ENDPOINT_URL or a proxy points at a server that does "
              "not implement this call (moto does not implement every API)")
_REGION_FIX = "set AWS_DEFAULT_REGION (boto3 does not read AWS_REGION), or `region = ...` in your AWS profile"
_CREDENTIALS_FIX = ("set AWS_PROFILE (and run `aws sso login` for an SSO profile), "
                    "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")


def error_code(err: BaseException | None) -> str | None:
    """AWS's error code (``ExpiredToken``…) of a ClientError, looking through wrapping exceptions."""
    seen = 0
    while err is not None and seen < 8:
        response = getattr(err, "response", None)
        if isinstance(response, dict):
            code = (response.get("Error") or {}).get("Code")
            if code:
                return str(code)
        err, seen = err.__cause__ or err.__context__, seen + 1
    return None


def _clean(text: Any) -> str:
    """One line, access key ids masked, no credentials from an endpoint URL."""
    flat = " ".join(str(text).split())
    flat = _ACCESS_KEY_RE.sub(lambda m: "…" + m.group(0)[-4:], flat)
    return _USERINFO_RE.sub("//", flat)


def _client_error(err: Any, action: str | None, resource: str | None, region: str | None,
                  needs: str | None) -> AwsError:
    error = err.response.get("Error") or {}
    code = str(error.get("Code") or "")
    aws_said = _clean(error.get("Message") or "")
    if _HTML_RE.match(aws_said):  # a web server's 500 page (moto's NotImplementedError): its markup helps nobody
        aws_said = _HTML_SAID
    api = action or getattr(err, "operation_name", None) or "the AWS call"
    said = f" (AWS said: {aws_said})" if aws_said else ""
    where = f" in {region}" if region else ""
    if code in EXPIRED:
        return AwsError(f"the AWS session has expired ({code}) calling {api}: refresh the credentials "
                        "(`aws sso login`, or new temporary keys in AWS_SESSION_TOKEN) and run again",
                        kind="expired", code=code)
    if code in BAD_CREDENTIALS:
        return AwsError(f"AWS rejected the credentials ({code}) calling {api}: check AWS_PROFILE or "
                        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (the key may be deleted or inactive)",
                        kind="bad-credentials", code=code)
    if code in ACCESS_DENIED:
        fix = needs or f"grant the caller permission for {api} on {resource or 'the resource'}"
        return AwsError(f"access denied calling {api} ({code}): {fix}{said}", kind="access-denied", code=code)
    if code in NOT_FOUND:
        what = resource or f"the resource {api} asked for"
        return AwsError(f"{what} does not exist{where} ({code}): check its name and the region "
                        "(AWS_DEFAULT_REGION), or deploy the stack that creates it", kind="not-found", code=code)
    if code in THROTTLED:
        return AwsError(f"AWS throttled {api} ({code}) even after retries: wait a minute and run again, or "
                        "raise AWS_MAX_ATTEMPTS", kind="throttled", code=code)
    target = f" on {resource}" if resource else ""
    return AwsError(f"{api} failed{target} ({code or 'error'}){said}", kind="aws", code=code or None)


def _core_error(err: Any, exc: Any, action: str | None) -> AwsError:
    prefix = f"{action}: " if action else ""
    endpoint = _clean(getattr(err, "kwargs", {}).get("endpoint_url") or "the AWS endpoint")
    if isinstance(err, exc.NoRegionError):
        return AwsError(f"{prefix}no AWS region is configured: {_REGION_FIX}", kind="no-region")
    if isinstance(err, exc.NoCredentialsError):
        return AwsError(f"{prefix}no AWS credentials found: {_CREDENTIALS_FIX}", kind="no-credentials")
    if isinstance(err, exc.PartialCredentialsError):
        return AwsError(f"{prefix}incomplete AWS credentials ({_clean(err)}): set both AWS_ACCESS_KEY_ID and "
                        "AWS_SECRET_ACCESS_KEY, or unset them and use AWS_PROFILE", kind="no-credentials")
    if isinstance(err, exc.ProfileNotFound):
        return AwsError(f"{prefix}{_clean(err)}: fix AWS_PROFILE or add the profile to ~/.aws/config",
                        kind="no-credentials")
    if isinstance(err, exc.ConfigParseError | exc.InvalidConfigError):
        return AwsError(f"{prefix}the AWS configuration is unreadable ({_clean(err)}): fix the file, or point "
                        "AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE at a good one", kind="config")
    if isinstance(err, exc.SSOError | exc.TokenRetrievalError):
        return AwsError(f"{prefix}the AWS SSO session has expired or was never started: run `aws sso login`",
                        kind="expired")
    if isinstance(err, exc.ConnectTimeoutError | exc.ReadTimeoutError):
        return AwsError(f"{prefix}timed out talking to {endpoint}: check the network, the region, and "
                        "AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> if you set one", kind="timeout")
    if isinstance(err, exc.EndpointConnectionError | exc.ConnectionClosedError | exc.ProxyConnectionError
                  | exc.SSLError):
        return AwsError(f"{prefix}cannot reach {endpoint}: check the network, the region, and "
                        "AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> if you set one", kind="unreachable")
    return AwsError(f"{prefix}AWS call failed: {_clean(err)}", kind="aws")


def aws_error(err: BaseException, *, action: str | None = None, resource: str | None = None,
              region: str | None = None, needs: str | None = None) -> AwsError | None:
    """The ``AwsError`` describing a botocore failure ``err``, or None when ``err`` is not one.

    ``action`` names the call (``iam:ListRoles``), ``resource`` what it was about ("DynamoDB table
    'x'"), ``region`` where it was looked for, and ``needs`` replaces the generic advice for an
    access denial (the audit lists every permission it needs).
    """
    if isinstance(err, AwsError):
        return err
    exc = sys.modules.get("botocore.exceptions")
    if exc is None:
        return None
    if isinstance(err, exc.ClientError):
        return _client_error(err, action, resource, region, needs)
    if isinstance(err, exc.BotoCoreError):
        return _core_error(err, exc, action)
    return None
