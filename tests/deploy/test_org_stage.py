"""The org stage (TRAILWARDEN_EVENT_BUS set): handler rules on the custom bus, org grants only where needed."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Packaged, package


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Packaged:
    return package("org", tmp_path_factory.mktemp("package-org"))


def sids(pkg: Packaged, role: str) -> set[str]:
    return {s.get("Sid") for p in pkg.resources[role]["Properties"]["Policies"]
            for s in p["PolicyDocument"]["Statement"]}


def handler_rules(pkg: Packaged) -> dict[str, dict[str, Any]]:
    return {e: ev["Properties"] for e, (_, ev) in pkg.rules().items() if "Pattern" in ev["Properties"]}


def test_every_handler_rule_listens_on_the_central_bus(org: Packaged) -> None:
    rules = handler_rules(org)
    assert rules and all(p["EventBusName"] == {"Ref": "TrailwardenEventBus"} for p in rules.values())


def test_single_account_stages_keep_the_default_bus(prod: Packaged) -> None:
    assert all("EventBusName" not in p for p in handler_rules(prod).values())
    assert "TrailwardenEventBus" not in prod.resources and "Coverage" not in prod.resources


def test_only_the_coverage_and_audit_functions_may_assume_member_roles(org: Packaged) -> None:
    assert {"AssumeMemberReadOnly", "ListOrganizationAccounts", "ReadCentralBusRules"} <= sids(org, "CoverageRole")
    assert "AssumeMemberReadOnly" in sids(org, "DailyAuditRole")
    assert "AssumeMemberReadOnly" not in sids(org, "RootRole")


def test_the_monitor_reads_the_model_from_the_stack_bucket(org: Packaged) -> None:
    env = org.resources["Root"]["Properties"]["Environment"]["Variables"]
    assert env["TRAILWARDEN_MODEL"] == {"Fn::Sub": "s3://${ModelBucket}/identity_model.yaml"}
    assert "ReadModel" in sids(org, "RootRole")
    assert org.template["Outputs"]["CentralEventBusArn"]["Value"] == {"Fn::GetAtt": ["TrailwardenEventBus", "Arn"]}
