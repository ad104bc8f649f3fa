"""Package each stage once per session, exactly as `make package` does, and share the result.

The fixture runs ``deploy/package.sh`` (merge-template build + `chalice package`) into a
temporary directory; only cfn-lint is left to its own test. Chalice caches the dependency
layer by requirements.txt (``automatic_layer``), so after the first run on a machine
packaging takes about a second; the first run downloads Linux wheels from PyPI.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ALL_EVENTS = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
CHALICE_RULE_EVENT_TYPES = {"CloudWatchEvent", "EventBridgeRule", "Schedule"}


@dataclass(frozen=True)
class Packaged:
    """One stage's packaging output."""

    stage: str
    directory: Path
    template: dict[str, Any]
    merge: dict[str, Any]

    @property
    def resources(self) -> dict[str, Any]:
        return self.template["Resources"]

    def of_type(self, cfn_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v.get("Type") == cfn_type}

    def functions(self) -> dict[str, dict[str, Any]]:
        return self.of_type("AWS::Serverless::Function")

    def rules(self) -> dict[str, tuple[str, dict[str, Any]]]:
        """Every EventBridge rule the functions declare: event id → (function id, event)."""
        found = {}
        for function_id, function in self.functions().items():
            for event_id, event in (function["Properties"].get("Events") or {}).items():
                if event.get("Type") in CHALICE_RULE_EVENT_TYPES:
                    found[event_id] = (function_id, event)
        return found


def package(stage: str, out: Path) -> Packaged:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRAILWARDEN_")}
    env.update(SKIP_LINT="1", BIN=str(Path(sys.executable).parent))
    result = subprocess.run(["bash", str(ROOT / "deploy" / "package.sh"), stage, str(out)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        pytest.fail(f"packaging {stage} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return Packaged(stage, out, json.loads((out / "sam.json").read_text()),
                    json.loads((out / f"merge-{stage}.json").read_text()))


@pytest.fixture(scope="session")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Packaged:
    return package("prod", tmp_path_factory.mktemp("package-prod"))


@pytest.fixture(scope="session")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Packaged:
    return package("dev", tmp_path_factory.mktemp("package-dev"))


def family_of(rule_name: str, prefix: str) -> str:
    """The handler family a packaged rule belongs to: ``trailwarden-prod-reads-2`` → ``reads``
    (a family whose pattern is over EventBridge's size quota is spread over numbered rules)."""
    return re.sub(r"-\d+$", "", rule_name.removeprefix(prefix))


def family_rules(stage: Packaged, families: tuple[str, ...]) -> list[dict[str, Any]]:
    """The packaged rules of ``families`` (each one rule, or ``-NAME``, ``-NAME-2``, … over the size quota)."""
    wanted = re.compile(rf"-(?:{'|'.join(families)})(?:-\d+)?$")
    found = [event["Properties"] for _, event in stage.rules().values()
             if wanted.search(event["Properties"].get("RuleName", ""))]
    assert found, f"no {families} rules in the {stage.stage} package"
    return found


@contextmanager
def bus_to_queue(rules: list[dict[str, Any]], queue: str, region: str = "us-east-1") -> Iterator[tuple[Any, Any, str]]:
    """moto's default bus with ``rules`` (pattern and state as packaged) all targeting one SQS queue:
    (events client, sqs client, queue URL). No real credentials are read."""
    import boto3
    from moto import mock_aws

    with pytest.MonkeyPatch.context() as mp:
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
            mp.delenv(name, raising=False)
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        with mock_aws():
            events, sqs = boto3.client("events", region_name=region), boto3.client("sqs", region_name=region)
            url = sqs.create_queue(QueueName=queue)["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            for props in rules:
                events.put_rule(Name=props["RuleName"], EventPattern=json.dumps(props["Pattern"]),
                                State=props["State"])
                events.put_targets(Rule=props["RuleName"], Targets=[{"Id": "t", "Arn": arn}])
            yield events, sqs, url


@pytest.fixture(scope="module")
def prod_bus(prod: Packaged) -> Iterator[Any]:
    """The prod package's rules on moto's bus, one SQS queue per family (test_patterns.packaged_bus)."""
    from .test_patterns import packaged_bus  # that module imports this one: imported when first used

    with packaged_bus(prod) as bus:
        yield bus


@pytest.fixture(scope="module")
def dev_bus(dev: Packaged) -> Iterator[Any]:
    """The same for the dev package (no writes family)."""
    from .test_patterns import packaged_bus

    with packaged_bus(dev) as bus:
        yield bus
