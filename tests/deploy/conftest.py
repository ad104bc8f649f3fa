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
