"""``aws_error``: the botocore failures the CLI tests cannot provoke cheaply, built as botocore raises them.

Timeouts need a network that swallows packets and SSO needs a token cache, so these cases use
botocore's own exception classes with the keyword arguments botocore passes; the everyday
cases (no region, no credentials, expired, denied, missing table, unreachable) run end to end
in ``tests/cli/test_aws_failures.py``.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ProfileNotFound,
    ReadTimeoutError,
    UnauthorizedSSOTokenError,
)

from chalicelib.awserrors import aws_error, error_code
from chalicelib.errors import AwsError


def client_error(code: str, message: str, operation: str = "GetItem") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


@pytest.mark.parametrize("err", [
    ConnectTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com/"),
    ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com/"),
])
def test_a_timeout_names_the_endpoint_and_what_to_check(err: Exception) -> None:
    translated = aws_error(err)
    assert translated is not None and translated.kind == "timeout"
    assert "timed out talking to https://dynamodb.us-east-1.amazonaws.com/" in str(translated)


def test_an_expired_sso_session_says_to_log_in_again() -> None:
    translated = aws_error(UnauthorizedSSOTokenError())
    assert translated is not None and translated.kind == "expired" and "aws sso login" in str(translated)


def test_a_missing_profile_is_named() -> None:
    translated = aws_error(ProfileNotFound(profile="prod-audit"))
    assert translated is not None and "prod-audit" in str(translated) and "AWS_PROFILE" in str(translated)


def test_provisioned_throughput_exceeded_counts_as_throttling() -> None:
    translated = aws_error(client_error("ProvisionedThroughputExceededException", "Rate exceeded"))
    assert translated is not None and translated.kind == "throttled" and translated.code is not None


def test_an_unknown_aws_error_keeps_its_code_and_message_on_one_line() -> None:
    translated = aws_error(client_error("ValidationException", "One or more parameter values\nwere invalid"))
    assert str(translated) == ("GetItem failed (ValidationException) "
                               "(AWS said: One or more parameter values were invalid)")


def test_an_html_error_page_is_named_as_such_not_quoted() -> None:
    page = ("<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n"
            "<h1>Internal Server Error</h1>")  # moto's answer to a call it does not implement
    message = str(aws_error(client_error("500", page, "LookupEvents"), action="cloudtrail:LookupEvents"))
    assert message.startswith("cloudtrail:LookupEvents failed (500) (AWS said: an HTML error page, not an AWS answer")
    assert "<" not in message


def test_access_key_ids_in_aws_messages_are_masked() -> None:
    translated = aws_error(client_error("AccessDeniedException", "key AKIAIOSFODNN7EXAMPLE may not call GetItem"))
    assert translated is not None and "AKIAIOSFODNN7EXAMPLE" not in str(translated) and "…MPLE" in str(translated)


def test_credentials_in_an_endpoint_url_are_not_repeated() -> None:
    translated = aws_error(EndpointConnectionError(endpoint_url="http://user:s3cret@127.0.0.1:9/"))
    assert translated is not None and "s3cret" not in str(translated) and "http://127.0.0.1:9/" in str(translated)


def test_an_error_that_is_not_from_botocore_is_left_alone() -> None:
    assert aws_error(ValueError("a bug")) is None


def test_an_aws_error_is_returned_as_it_is() -> None:
    err = AwsError("already explained", kind="no-region")
    assert aws_error(err) is err


def test_the_error_code_is_found_behind_a_wrapping_exception() -> None:
    try:
        try:
            raise client_error("ParameterNotFound", "no such parameter", "GetParameter")
        except ClientError as inner:
            raise RuntimeError(str(inner))  # noqa: B904 - what Powertools' GetParameterError does
    except RuntimeError as outer:
        assert error_code(outer) == "ParameterNotFound"


def test_an_exception_without_an_aws_response_has_no_error_code() -> None:
    assert error_code(RuntimeError("ParameterNotFound")) is None
