"""Who may assume a member's read-only role: the central account's Trailwarden roles and the declared auditors only.

The trust policy is evaluated here as IAM would (moto does not enforce trust policies): the
CloudFormation functions in it are resolved for given parameters, then ``ArnLike`` is applied to
``aws:PrincipalArn``, the role ARN AWS sets for the caller.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from chalicelib.org.names import MEMBER_ROLE

from .conftest import Packaged
from .test_member import member_template

CENTRAL = "111122223333"
BUS_ARN = f"arn:aws:events:us-east-1:{CENTRAL}:event-bus/trailwarden-org"
AUDITOR = f"arn:aws:iam::{CENTRAL}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_SecurityAudit_0a1b2c"


def resolve(node: Any, params: dict[str, str], conditions: dict[str, Any]) -> Any:
    """The value of a template node for ``params``: the functions the member template uses."""
    if isinstance(node, list):
        return [resolve(v, params, conditions) for v in node]
    if not isinstance(node, dict):
        return node
    if len(node) != 1 or not next(iter(node)).startswith(("Fn::", "Ref", "Condition")):
        return {k: resolve(v, params, conditions) for k, v in node.items()}
    (fn, arg), = node.items()
    if fn == "Ref":
        return {"AWS::Partition": "aws", "AWS::Region": "us-east-1"}.get(arg, params.get(arg))
    if fn == "Fn::Select":
        return resolve(arg[1], params, conditions)[int(arg[0])]
    if fn == "Fn::Split":
        return resolve(arg[1], params, conditions).split(arg[0])
    if fn == "Fn::Join":
        return arg[0].join(resolve(arg[1], params, conditions))
    if fn == "Fn::Sub":
        text, variables = arg if isinstance(arg, list) else (arg, {})
        for name, value in {**params, "AWS::Partition": "aws",
                            **{k: resolve(v, params, conditions) for k, v in variables.items()}}.items():
            text = text.replace("${" + name + "}", value)
        return text
    if fn == "Fn::If":
        return resolve(arg[1] if resolve(conditions[arg[0]], params, conditions) else arg[2], params, conditions)
    if fn == "Fn::Not":
        return not resolve(arg[0], params, conditions)
    if fn == "Fn::Equals":
        return resolve(arg[0], params, conditions) == resolve(arg[1], params, conditions)
    if fn == "Condition":
        return resolve(conditions[arg], params, conditions)
    raise AssertionError(f"the member template uses {fn}, which this test does not resolve")


def may_assume(pkg: Packaged, caller_role_arn: str, auditors: str = "") -> bool:
    template = member_template(pkg)
    params = {"CentralEventBusArn": BUS_ARN, "AuditorRoleArns": auditors}
    (role,) = [r for r in template["Resources"].values()
               if r["Type"] == "AWS::IAM::Role" and r["Properties"].get("RoleName") == MEMBER_ROLE]
    caller_account = caller_role_arn.split(":")[4]
    trust = resolve(role["Properties"]["AssumeRolePolicyDocument"], params, template["Conditions"])
    for statement in trust["Statement"]:
        trusted_account = statement["Principal"]["AWS"].split(":")[4]
        patterns = statement.get("Condition", {}).get("ArnLike", {}).get("aws:PrincipalArn", ["*"])
        if caller_account == trusted_account and any(fnmatch.fnmatchcase(caller_role_arn, p) for p in patterns):
            return True
    return False


def test_the_central_coverage_function_role_may_assume_the_member_read_only_role(prod: Packaged) -> None:
    assert may_assume(prod, f"arn:aws:iam::{CENTRAL}:role/trailwarden-org-coverage")


def test_any_other_role_of_the_central_account_may_not(prod: Packaged) -> None:
    assert not may_assume(prod, f"arn:aws:iam::{CENTRAL}:role/developer")


def test_a_declared_auditor_role_may_assume_it_when_given_as_a_parameter(prod: Packaged) -> None:
    pattern = f"arn:aws:iam::{CENTRAL}:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_SecurityAudit_*"
    assert may_assume(prod, AUDITOR, auditors=pattern)


def test_the_auditor_role_may_not_assume_it_when_the_parameter_is_left_empty(prod: Packaged) -> None:
    assert not may_assume(prod, AUDITOR)


def test_a_trailwarden_named_role_of_another_account_may_not(prod: Packaged) -> None:
    assert not may_assume(prod, "arn:aws:iam::999988887777:role/trailwarden-org-coverage")
