"""``make demo-org`` prints no moto noise: the member stack's unsupported resource types are not reported.

moto does not implement ``AWS::SQS::QueuePolicy`` or ``AWS::Scheduler::Schedule`` and says so twice
per stack and region (a ``moto`` log line and a UserWarning); only those two messages are dropped.
"""

from __future__ import annotations

import logging
import warnings

import pytest

from chalicelib.org.sandbox import unsupported_resources_quiet


def test_moto_unsupported_resource_messages_are_dropped_while_the_member_stack_is_created(
        caplog: pytest.LogCaptureFixture) -> None:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with unsupported_resources_quiet():
            logging.getLogger("moto").warning("No Moto CloudFormation support for %s", "AWS::SQS::QueuePolicy")
            warnings.warn("Tried to parse AWS::SQS::QueuePolicy but it's not supported by moto", UserWarning,
                          stacklevel=1)
    assert seen == [] and caplog.records == []


def test_other_moto_warnings_still_show(caplog: pytest.LogCaptureFixture) -> None:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with unsupported_resources_quiet():
            logging.getLogger("moto").warning("the template names a role that does not exist")
            warnings.warn("moto cannot delete this stack", UserWarning, stacklevel=1)
    assert [str(w.message) for w in seen] == ["moto cannot delete this stack"]
    assert [r.getMessage() for r in caplog.records] == ["the template names a role that does not exist"]


def test_the_filter_is_removed_afterwards(caplog: pytest.LogCaptureFixture) -> None:
    with unsupported_resources_quiet():
        pass
    logging.getLogger("moto").warning("No Moto CloudFormation support for %s", "AWS::Scheduler::Schedule")
    assert [r.getMessage() for r in caplog.records] == ["No Moto CloudFormation support for AWS::Scheduler::Schedule"]
