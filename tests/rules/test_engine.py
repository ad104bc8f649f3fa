"""The engine: a crashing rule is a visible finding, rules only see their events, and the rule catalog."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import ClassVar

import pytest

from chalicelib.engine import RULE_ERROR, Engine
from chalicelib.errors import RegistryError
from chalicelib.findings import Severity
from chalicelib.rules import load_rules
from chalicelib.rules.base import Context, Rule, Verdict
from chalicelib.rules.registry import REGISTRY, Registry
from chalicelib.rules.root_api_use import RootApiUse

from .conftest import DECLARED_ACCOUNT, record, to_event

HERE = Path(__file__).resolve().parent
DESIGN_IDS = {
    "root-signin", "root-signin-failed", "root-api-use", "iam-delete-user", "iam-create-access-key",
    "sts-assume-role-failed", "identity-undeclared-principal", "identity-auth-mismatch", "secret-read-undeclared",
    "identity-undeclared-account", "credential-revoked",
}
load_rules()


class Exploding(Rule):
    id = "test-exploding"
    severity = Severity.HIGH
    title = "always raises"
    runbook = "none"
    reference = "https://example.invalid/exploding"

    def evaluate(self, ctx: Context) -> Verdict | None:
        raise KeyError("sessionIssuer")


class Recording(Rule):
    """Remembers which events it was asked about and never fires."""

    id = "test-recording"
    severity = Severity.LOW
    title = "records calls"
    runbook = "none"
    reference = "https://example.invalid/recording"
    event_names: ClassVar[frozenset[str] | None] = frozenset({"DeleteUser"})

    def __init__(self, event_names: frozenset[str] | None = frozenset({"DeleteUser"})) -> None:
        self.event_names = event_names  # type: ignore[misc]
        self.seen: list[str] = []

    def evaluate(self, ctx: Context) -> Verdict | None:
        self.seen.append(ctx.event.event_name)
        return None


def test_rule_that_raises_becomes_a_rule_error_finding_naming_the_rule(bundled_model):
    event = to_event(record("root-cli-call.json"))
    (f,) = Engine(bundled_model, rules=[Exploding()]).judge(event)
    assert f.rule == RULE_ERROR
    assert f.details["failed_rule"] == "test-exploding"
    assert "test-exploding" in f.title
    assert "'test-exploding' raised KeyError" in f.reason
    assert f.severity is Severity.MEDIUM
    assert f.event_id == event.event_id
    assert f.runbook


def test_other_rules_still_judge_an_event_when_one_rule_raises(bundled_model):
    findings = Engine(bundled_model, rules=[Exploding(), RootApiUse()]).judge(to_event(record("root-cli-call.json")))
    assert sorted(f.rule for f in findings) == sorted([RULE_ERROR, "root-api-use"])


def test_rule_with_event_names_is_not_asked_about_other_events(bundled_model):
    rule = Recording()
    engine = Engine(bundled_model, rules=[rule])
    engine.judge(to_event(record("root-cli-call.json")))
    engine.judge(to_event(record("create-access-key.json")))
    assert rule.seen == []
    engine.judge(to_event(record("delete-user.json")))
    assert rule.seen == ["DeleteUser"]


def test_rule_without_event_names_is_asked_about_every_event(bundled_model):
    rule = Recording(event_names=None)
    named = Recording()
    engine = Engine(bundled_model, rules=[rule, named])
    for name in ("root-cli-call.json", "delete-user.json", "aws-service-event.json"):
        engine.judge(to_event(record(name)))
    assert rule.seen == ["CreateBucket", "DeleteUser", "RotateKey"]
    assert named.seen == ["DeleteUser"]


def test_finding_copies_the_event_fields_design_requires(bundled_model):
    event = to_event(record("root-cli-call.json"))
    (f,) = Engine(bundled_model, rules=[RootApiUse()]).judge(event)
    d = f.to_dict()
    assert d["event_id"] == event.event_id
    assert (d["event_source"], d["event_time"], d["region"]) == ("s3.amazonaws.com", "2026-11-20T10:06:02Z",
                                                                 "us-east-1")
    assert (d["account"], d["source_ip"]) == (DECLARED_ACCOUNT, "203.0.113.77")
    assert d["user_agent"].startswith("aws-cli/")
    assert d["runbook"] == RootApiUse.runbook and d["reference"] == RootApiUse.reference
    assert d["severity"] == "critical"


def test_registry_holds_every_detection_the_design_names():
    assert set(REGISTRY.ids()) >= DESIGN_IDS


def _test_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]


@pytest.mark.parametrize("rule_id", sorted(REGISTRY.ids()))
def test_every_registered_rule_has_metadata_and_its_own_test_file(rule_id):
    cls = REGISTRY.get(rule_id)
    assert cls.id == rule_id
    assert isinstance(cls.severity, Severity)
    assert cls.title.strip() and cls.runbook.strip()
    assert cls.reference.startswith("https://")
    test_file = HERE / f"test_{rule_id.replace('-', '_')}.py"
    assert test_file.is_file(), f"{rule_id} has no {test_file.name}"
    assert _test_functions(test_file), f"{test_file.name} holds no test"


def test_registering_a_duplicate_rule_id_raises():
    registry = Registry()

    class First(Exploding):
        id = "dup-rule"

    class Second(Exploding):
        id = "dup-rule"

    registry.register(First)
    with pytest.raises(RegistryError, match="duplicate rule id 'dup-rule'"):
        registry.register(Second)
    assert registry.ids() == ["dup-rule"]


def test_registering_a_rule_without_a_runbook_raises():
    class NoRunbook(Exploding):
        id = "no-runbook"
        runbook = ""

    with pytest.raises(RegistryError, match="runbook"):
        Registry().register(NoRunbook)
