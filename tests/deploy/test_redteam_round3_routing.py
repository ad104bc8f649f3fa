"""The calls red-team round 3 made the rules read reach a handler in production: each is a write, so prod's
``writes`` family (every write, less what other families deliver whole) takes those no always-on family
delivers (SageMaker's UpdateNotebookInstance already comes whole through ``iam``, for iam-role-passed), with
no pattern change (invocations per 1,000 unchanged); the dev stage, which has no
``writes`` family, does not see them, as for the other writes-only calls (README, "Routing").

Each call is put on moto's EventBridge, holding the packaged prod template's rules, as a real-shaped
envelope made by the leaked CI key.
"""

from __future__ import annotations

from typing import Any

import pytest

from .cloudtrail import api_call, envelope, iam_user
from .round3_calls import CASES
from .test_patterns import Bus


@pytest.mark.parametrize(("source", "name", "request_"), CASES, ids=[f"{s.split('.')[0]}-{n}" for s, n, _ in CASES])
def test_the_call_reaches_one_handler_in_production(prod_bus: Bus, source: str, name: str,
                                                    request_: dict[str, Any]) -> None:
    record = api_call(source, name, iam_user("github-actions-aws-deployer"), read_only=False, request=request_)
    assert len(prod_bus.deliver(envelope(record))) == 1  # delivered, and once (one invocation)


def test_every_detector_switch_left_to_writes_has_a_routing_case() -> None:
    from chalicelib.watch.detectors import WRITES_ONLY_DETECTOR_CALLS

    cased = {(source, name) for source, name, _ in CASES}
    assert {(spec[0], name) for name, spec in WRITES_ONLY_DETECTOR_CALLS.items()} <= cased
