"""Logging, metrics and tracing around every Trailwarden handler (Powertools, as Chalice middleware).

Powertools decorators expect (event, context); ConvertToMiddleware adapts them to Chalice's
one-argument handlers. The correlation id is the CloudTrail eventID, the de-duplication key too
(DESIGN §8), so one id follows an event from log to incident. The Tracer is built on the first
invocation: creating it imports and patches the X-Ray SDK (~0.4 s), which a cold start must not pay.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from chalice import Chalice, ConvertToMiddleware, Response
from chalice.app import Request

CORRELATION_IDS = (("cloudwatch", "detail.eventID"), ("scheduled", "id"), ("http", "requestContext.requestId"))


@lru_cache(maxsize=1)
def tracer(service: str) -> Any:
    """The service's Tracer, built on first use."""
    from aws_lambda_powertools import Tracer

    return Tracer(service=service)


def install(app: Chalice, logger: Logger, metrics: Metrics, service: str) -> None:
    """Register the middleware on ``app``, outermost first."""
    for kind, id_path in CORRELATION_IDS:
        app.register_middleware(
            ConvertToMiddleware(logger.inject_lambda_context(correlation_id_path=id_path, clear_state=True)), kind)
    app.register_middleware(ConvertToMiddleware(metrics.log_metrics(capture_cold_start_metric=True)), "all")

    @app.middleware("all")
    def _trace_and_count(event: Any, get_response: Callable[[Any], Any]) -> Any:
        """One X-Ray subsegment per invocation; failures are logged and counted, then re-raised
        so Lambda's retries and on-failure destination still see them."""
        is_api = isinstance(event, Request)
        context = event.lambda_context if is_api else getattr(event, "context", None)
        name = getattr(context, "function_name", None) or service
        if is_api:
            metrics.add_metric(name="ApiRequests", unit=MetricUnit.Count, value=1)
        with tracer(service).provider.in_subsegment(f"## {name}") as subsegment:
            subsegment.put_annotation(key="Service", value=service)
            try:
                response = get_response(event)
            except Exception:
                metrics.add_metric(name="HandlerErrors", unit=MetricUnit.Count, value=1)
                logger.exception("handler failed")
                raise
        if isinstance(response, Response) and response.status_code >= 500:
            metrics.add_metric(name="ApiServerErrors", unit=MetricUnit.Count, value=1)
        return response
