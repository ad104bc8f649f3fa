"""The replay memo never hides a call from outside a declared home: a principal's like events are
remembered with their source address and agent (credential-used-outside-home is volatile for
principals that declare a home), so replay prints the same with and without the memo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.cli import main

from .conftest import record

MODEL = """\
version: 1
accounts: [{id: "630287363158", name: management}]
principals:
  - id: app-servers
    kind: workload
    auth: instance-profile
    roles: [abt-app-instance-role]
    network: {cidrs: ["10.0.0.0/16"]}
  - id: github-actions
    kind: ci
    auth: access-key
    iam_user: github-actions-aws-deployer
    user_agents: ["*Terraform/*"]
"""


def lines(tmp_path: Path) -> Path:
    """The same session calling from home many times, then from outside, then home again."""
    out = []
    for i, ip in enumerate(["10.0.9.115"] * 5 + ["45.33.32.156", "10.0.9.115", "198.51.100.9"]):
        out.append(record("instance-profile-session-call.json", sourceIPAddress=ip, eventID=f"instance-{i}"))
    for i, agent in enumerate(["APN/1.0 HashiCorp/1.0 Terraform/1.9.5"] * 4 + ["python-requests/2.32.3"]):
        out.append(record("iam-user-access-key-call.json", userAgent=agent, eventID=f"key-{i}"))
    path = tmp_path / "trail.jsonl"
    path.write_text("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in out))
    return path


def test_calls_from_outside_home_are_found_with_and_without_the_memo(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    model = tmp_path / "model.yaml"
    model.write_text(MODEL)
    trail = lines(tmp_path)
    main(["replay", "--format", "json", "--model", str(model), str(trail)])
    with_memo = capsys.readouterr().out
    main(["replay", "--format", "json", "--no-memo", "--model", str(model), str(trail)])
    assert capsys.readouterr().out == with_memo
    found = [json.loads(line) for line in with_memo.splitlines() if line.startswith("{")]
    outside = sorted(f["event_id"] for f in found if f.get("rule") == "credential-used-outside-home")
    assert outside == ["instance-5", "instance-7", "key-4"]
