"""Every rule's runbook: each `aws …` command it gives is one the AWS CLI takes, checked against botocore's
service models (the CLI's own): a real service and operation, real options, and, once it names any option,
every option the operation requires (an on-call engineer pastes it at 3 a.m.; a missing --key-id fails)."""

from __future__ import annotations

import re

import botocore.session
import pytest
from botocore import xform_name

from chalicelib.rules import load_rules

CLI_SERVICES = {"configservice": "config", "s3api": "s3"}  # CLI names that differ from the model's
CUSTOMIZATIONS = {("cloudformation", "deploy")}  # CLI-only commands with no API operation behind them
GLOBAL_OPTIONS = {"region", "profile", "output", "query", "no-paginate", "max-items", "page-size", "starting-token"}
SESSION = botocore.session.get_session()
COMMANDS = sorted({(rule.id, cmd) for rule in load_rules() for cmd in re.findall(r"`(aws [^`]+)`", rule.runbook)})


def problems(command: str) -> list[str]:
    """What is wrong with one CLI command line (an empty list: nothing)."""
    words = command.replace("…", "").split()
    if len(words) < 3:
        return [f"{command!r} names no operation"]
    service, operation = CLI_SERVICES.get(words[1], words[1]), words[2]
    if (service, operation) in CUSTOMIZATIONS:
        return []
    model = SESSION.get_service_model(service)
    operations = {xform_name(name, "-"): name for name in model.operation_names}
    if operation not in operations:
        return [f"aws {words[1]} has no {operation!r}"]
    shape = model.operation_model(operations[operation]).input_shape
    members = {xform_name(name, "-"): name for name in (shape.members if shape else {})}
    given, out = set(), []
    for word in words[3:]:
        if word.startswith("--"):
            option = word[2:].removeprefix("no-") if word[2:].removeprefix("no-") in members else word[2:]
            if option in members:
                given.add(members[option])
            elif option not in GLOBAL_OPTIONS:
                out.append(f"{operation} takes no --{option}")
    missing = set(shape.required_members if shape else ()) - given
    if given and missing:
        out.append(f"{operation} also needs {', '.join('--' + xform_name(m, '-') for m in sorted(missing))}")
    return out


def test_there_are_runbook_commands_to_check():
    assert len(COMMANDS) > 30


@pytest.mark.parametrize(("rule", "command"), COMMANDS)
def test_each_runbook_command_is_one_the_aws_cli_takes(rule, command):
    assert problems(command) == [], f"{rule}: {command}"


@pytest.mark.parametrize("command", [
    "aws kms get-key-policy --policy-name default",  # no --key-id
    "aws rds modify-db-snapshot-attribute --attribute-name restore --values-to-remove 1",
    "aws iam update-access-key --status Inactive",
    "aws ec2 modify-snapshot-attribute --snapshot-id X --user-id 1",  # a misspelt option
    "aws guardduty disable-detector --detector-id X",  # no such operation
])
def test_a_broken_command_is_caught(command):
    assert problems(command)
