"""Slack delivery through an incoming webhook, with the webhook URL kept secret.

The URL is a bearer credential: it is read from SSM (SecureString) at run time, never put in
an error message or a log line, and slack_sdk's own logger is silenced because it prints the
URL at debug/info level. ``WebhookClient`` returns rather than raises on HTTP errors and only
retries connection errors by default, so this module adds the 429 handler and turns every
non-2xx answer into a :class:`DeliveryError`.
"""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler, RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.webhook import WebhookClient

from chalicelib import deadline
from chalicelib.awserrors import error_code
from chalicelib.errors import ChannelNotConfigured, DeliveryError
from chalicelib.notify.message import WEBHOOK_PLACEHOLDER, redact

_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_BODY_SNIPPET = 200


@runtime_checkable
class SlackSender(Protocol):
    """Anything that can post a Block Kit payload; raises DeliveryError when it cannot."""

    def send(self, payload: dict[str, Any]) -> None: ...


TimeLeft = Callable[[], float]
NO_HEADER_WAIT = 2.0  # slack_sdk waits 1-2 s on a 429 without Retry-After


class CappedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """slack_sdk's 429 handler (sleeps for ``Retry-After``), but gives up on long waits.

    A wait longer than ``max_wait_seconds``, or than the invocation has left (``time_left``,
    see ``chalicelib.deadline``), fails the send at once: sleeping through it would get the
    Lambda killed before the SNS fallback, where failing fast lets the notifier fall back.
    """

    def __init__(self, max_retry_count: int = 2, max_wait_seconds: int = 10,
                 time_left: TimeLeft = deadline.time_left) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait_seconds = max_wait_seconds
        self.time_left = time_left

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        for name, values in response.headers.items():
            if name.lower() == "retry-after":
                value = values[0] if values else ""
                try:
                    wait = int(str(value).strip())
                except ValueError:
                    return False  # an HTTP-date; the parent would crash parsing it
                return 0 <= wait <= min(self.max_wait_seconds, self.time_left())
        return self.time_left() >= NO_HEADER_WAIT


class DeadlineConnectionRetryHandler(ConnectionErrorRetryHandler):
    """slack_sdk's retry of connection errors (resets, timeouts), only while the invocation has
    time for another attempt (``attempt_seconds``: the request timeout)."""

    def __init__(self, max_retry_count: int = 2, attempt_seconds: float = 10,
                 time_left: TimeLeft = deadline.time_left) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.attempt_seconds = attempt_seconds
        self.time_left = time_left

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return (super()._can_retry(state=state, request=request, response=response, error=error)
                and self.time_left() >= self.attempt_seconds)


def default_retry_handlers(rate_limit_retries: int = 2, connection_retries: int = 2, *, timeout: float = 10,
                           time_left: TimeLeft = deadline.time_left) -> list[RetryHandler]:
    """429 with Retry-After, plus connection resets and timeouts, from slack_sdk's built-ins, within the deadline."""
    return [
        CappedRateLimitRetryHandler(max_retry_count=rate_limit_retries, time_left=time_left),
        DeadlineConnectionRetryHandler(max_retry_count=connection_retries, attempt_seconds=timeout,
                                       time_left=time_left),
    ]


def _quiet_logger() -> logging.Logger:
    """A logger for slack_sdk that never emits: its debug/info lines contain the webhook URL."""
    quiet = logging.Logger("trailwarden.notify.slack_sdk", level=logging.CRITICAL + 1)
    quiet.disabled = True
    quiet.propagate = False
    return quiet


def check_url(url: str) -> None:
    """An https webhook (plain http only for a local test server); else DeliveryError, never quoting the URL."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.netloc:
        return
    if parts.scheme == "http" and parts.hostname in _LOCAL_HOSTS:
        return  # a local test server
    raise DeliveryError("Slack webhook URL is not an https URL (check the SSM parameter)")


class WebhookSlackSender:
    """Posts payloads to a Slack incoming webhook whose URL comes from ``url_provider``.

    The provider is called at send time, not at construction, so a cold start that never
    alerts never reads the secret, and a rotated URL is picked up once its cache expires.
    No request outlasts ``time_left`` (the invocation's deadline less a reserve for the SNS
    fallback): with under a second left Slack is not called at all, and the send fails so that
    the notifier falls back.
    """

    def __init__(
        self,
        url_provider: Callable[[], str],
        *,
        timeout: int = 10,
        retry_handlers: list[RetryHandler] | None = None,
        time_left: TimeLeft = deadline.time_left,
    ) -> None:
        self._url_provider = url_provider
        self._timeout = timeout
        self._time_left = time_left
        self._retry_handlers = (retry_handlers if retry_handlers is not None
                                else default_retry_handlers(timeout=timeout, time_left=time_left))
        self._client: WebhookClient | None = None
        self._client_url: str | None = None

    def _scrub(self, text: str, url: str | None) -> str:
        if url:
            text = text.replace(url, WEBHOOK_PLACEHOLDER)
            path = urlsplit(url).path
            if len(path) > 1:
                text = text.replace(path, "/<webhook-path>")
        return redact(text)

    def _resolve_client(self) -> WebhookClient:
        try:
            url = self._url_provider()
        except ChannelNotConfigured:
            raise  # not set yet: the notifier skips Slack (and falls back), it does not fail
        except Exception as err:  # noqa: BLE001 - any other provider failure is a delivery failure
            reason = f"{type(err).__name__}: {redact(str(err))}"
            raise DeliveryError(f"could not read the Slack webhook URL: {reason}") from None
        if not isinstance(url, str) or not url.strip():
            raise ChannelNotConfigured("the Slack webhook URL is empty")
        url = url.strip()
        check_url(url)
        if self._client is None or self._client_url != url:
            self._client = WebhookClient(
                url, timeout=self._timeout, retry_handlers=self._retry_handlers, logger=_quiet_logger()
            )
            self._client_url = url
        return self._client

    def send(self, payload: dict[str, Any]) -> None:
        """POST the payload; any failure after retries raises DeliveryError without the URL."""
        left = self._time_left()
        if left < 1:
            raise DeliveryError("Slack not called: the invocation has no time left for it (the alert falls back)")
        client = self._resolve_client()
        client.timeout = self._timeout if math.isinf(left) else min(self._timeout, int(left))
        url = self._client_url
        try:
            response = client.send_dict(payload)
        except Exception as err:  # noqa: BLE001 - urllib/slack_sdk errors vary; all mean "not delivered"
            detail = self._scrub(f"{type(err).__name__}: {err}", url)
            # `from None`: the original exception may carry the URL into a Lambda traceback.
            raise DeliveryError(f"Slack webhook request failed: {detail}") from None
        if not 200 <= response.status_code < 300:
            body = self._scrub((response.body or "").strip()[:_BODY_SNIPPET], url)
            raise DeliveryError(f"Slack webhook answered HTTP {response.status_code}: {body or '(empty body)'}")


class CapturingSlackSender:
    """Keeps payloads in memory: the local ``simulate`` command and tests use it."""

    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []

    def send(self, payload: dict[str, Any]) -> None:
        self.payloads.append(copy.deepcopy(payload))


def ssm_webhook_url(parameter_name: str, *, max_age: int = 300) -> Callable[[], str]:
    """A url_provider reading a SecureString through Powertools (cached ``max_age`` seconds).

    A parameter that does not exist yet (the README sets it after the first deploy) raises
    ``ChannelNotConfigured``, so the notifier skips Slack rather than failing the invocation.
    """

    def provider() -> str:
        # Imported here so that the CLI and tests that never touch SSM do not load it.
        from aws_lambda_powertools.utilities.parameters import get_parameter

        try:
            value = get_parameter(parameter_name, decrypt=True, max_age=max_age)
        except Exception as err:
            if error_code(err) == "ParameterNotFound":  # Powertools keeps the ClientError as the context
                raise ChannelNotConfigured(f"the Slack webhook parameter {parameter_name} does not exist yet "
                                           "(put it as a SecureString; README, Deploying)") from None
            raise
        if not isinstance(value, str):
            raise DeliveryError(f"SSM parameter {parameter_name} is not a string")
        return value

    return provider
