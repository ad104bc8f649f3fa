"""deploy/build_merge_template.py on its own: placeholders, policy files, and loud failures."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from .conftest import ROOT


def load_builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_merge_template", ROOT / "deploy" / "build_merge_template.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


builder = load_builder()


def test_placeholders_become_fn_sub_with_only_the_variables_used() -> None:
    logs = "arn:aws:logs:x:log-group:/aws/lambda/${FunctionName}:*"
    doc = {"Resource": [logs, "${IncidentsTable.Arn}", "*"]}
    assert builder.substitute(doc, {"FunctionName": "trailwarden-prod-root"}) == {"Resource": [
        {"Fn::Sub": [logs, {"FunctionName": "trailwarden-prod-root"}]},
        {"Fn::Sub": "${IncidentsTable.Arn}"},
        "*",
    ]}


def test_a_placeholder_naming_nothing_is_rejected(tmp_path: Path) -> None:
    policy = {"Statement": [{"Sid": "X", "Resource": "${IncidentTable.Arn}"}]}  # typo: Incident*s*Table
    with pytest.raises(builder.BuildError, match=r"IncidentTable\.Arn"):
        builder.check_placeholders(policy, tmp_path / "policy.json")


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_stage_policy_files_grant_every_statement_to_someone(stage: str) -> None:
    policy, path = builder.load_policy(builder.load_config(stage), stage)
    assert path.name == f"policy-{stage}.json"
    assert {s["Sid"] for s in policy["Statement"]} == {sid for sids in builder.GRANTS.values() for sid in sids}


def test_every_family_of_the_app_has_a_rule_state() -> None:
    import app

    assert set(app.PATTERNS) == set(builder.RULE_STATES)


def test_unknown_stage_fails_with_a_message(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "deploy/build_merge_template.py", "--stage", "staging", "-o",
                             str(tmp_path / "m.json")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "no stage 'staging'" in result.stderr and not (tmp_path / "m.json").exists()


def test_config_stages_agree_on_shape() -> None:
    """Both stages set the variables the template wires; only values (and the switch) differ."""
    stages = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]
    keys = {name: set(cfg["environment_variables"]) for name, cfg in stages.items()}
    assert keys["dev"] == keys["prod"]
    assert stages["prod"]["environment_variables"]["TRAILWARDEN_WATCH_WRITES"] == "true"
    assert stages["dev"]["environment_variables"]["TRAILWARDEN_WATCH_WRITES"] == "false"
