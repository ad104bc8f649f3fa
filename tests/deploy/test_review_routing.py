"""The calls the review round made the rules read reach one handler in production: each is a write that no
always-on family delivers, so prod's ``writes`` family takes it (no pattern change); the dev stage does not,
as for the other writes-only calls (README, "Routing")."""

from __future__ import annotations

from typing import Any

import pytest

from .cloudtrail import api_call, envelope, iam_user
from .review_calls import CASES
from .test_patterns import Bus


@pytest.mark.parametrize(("source", "name", "request_"), CASES, ids=[f"{s.split('.')[0]}-{n}" for s, n, _ in CASES])
def test_the_call_reaches_one_handler_in_production(prod_bus: Bus, source: str, name: str,
                                                    request_: dict[str, Any]) -> None:
    record = api_call(source, name, iam_user("github-actions-aws-deployer"), read_only=False, request=request_)
    assert len(prod_bus.deliver(envelope(record))) == 1  # delivered, and once (one invocation)
