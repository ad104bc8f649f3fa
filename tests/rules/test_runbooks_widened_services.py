"""A rule widened to another service's calls tells the on-call engineer how to undo them there: its runbook gives
an `aws <service> …` command for each service it now judges (the commands themselves are checked against botocore
by test_runbooks.py)."""

from __future__ import annotations

import re

import pytest

from chalicelib.rules import load_rules

RULES = {rule.id: rule for rule in load_rules()}
# rule id → CLI service names its runbook must use, one per service the rule judges beyond its first.
WIDENED = {
    "ssm-instance-access": ("ssm", "ecs", "sagemaker"),
    "ec2-instance-connect-key-sent": ("ec2", "glue"),
    "ec2-user-data-modified": ("ec2", "sagemaker"),
}


@pytest.mark.parametrize(("rule", "services"), sorted(WIDENED.items()))
def test_the_runbook_has_a_command_for_every_service_the_rule_judges(rule, services):
    used = {m.group(1) for m in re.finditer(r"`aws ([a-z0-9-]+) ", RULES[rule].runbook)}
    assert set(services) <= used, f"{rule}: no `aws {sorted(set(services) - used)} …` command"
