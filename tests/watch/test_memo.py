"""Replay skips routine events through the quiet memo: the blinding rules' memo_fields keep the output exact."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from chalicelib.cli import build_parser

RECORDS = Path(__file__).resolve().parents[1] / "fixtures" / "records"


def lines(tmp_path: Path) -> Path:
    """Declared callers (quiet verdicts are learnt), each quiet shape followed by its loud twin."""
    agent = json.loads((RECORDS / "role-session-call.json").read_text())["userIdentity"]
    guard = json.loads((RECORDS / "guardduty-update-detector.json").read_text())
    org = json.loads((RECORDS / "organizations-leave-organization.json").read_text())
    out = []
    shapes = [(guard, {"requestParameters": {"enable": True}}), (guard, {"requestParameters": {"enable": False}}),
              (guard, {"requestParameters": {"enable": True}}), (guard, {"requestParameters": {"enable": "false"}}),
              (guard, {"eventSource": "frauddetector.amazonaws.com", "requestParameters": {"enable": False}}),
              (guard, {"requestParameters": {"enable": False}}),
              (org, {"eventSource": "example.amazonaws.com"}), (org, {})]
    for i, (base, change) in enumerate(shapes):
        record = copy.deepcopy(base)
        record.update(change, userIdentity=agent, eventID=f"memo-{i}")
        out.append(json.dumps(record, separators=(",", ":")))
    path = tmp_path / "blinding.jsonl"
    path.write_text("\n".join(out * 2) + "\n")
    return path


def replay(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    args = build_parser().parse_args(["replay", "--format", "json", *argv])
    args.func(args)
    return capsys.readouterr().out


def test_replay_with_the_memo_equals_replay_without_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(lines(tmp_path))
    with_memo = replay(capsys, path)
    assert with_memo == replay(capsys, "--no-memo", path)
    rules = [json.loads(line)["rule"] for line in with_memo.splitlines()]
    assert rules.count("detector-disabled") == 6 and rules.count("organization-left") == 2
