"""Every packaged event pattern fits EventBridge's pattern size quota (deploy/pattern_quota.py)."""

from __future__ import annotations

import importlib.util
import json
from typing import Any

import pytest
from moto.events.models import EventPattern

from .conftest import ROOT, Packaged

_spec = importlib.util.spec_from_file_location("pattern_quota", ROOT / "deploy" / "pattern_quota.py")
assert _spec is not None and _spec.loader is not None
quota = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(quota)

LIMIT = 400  # small, so a short test pattern is over it


def _pattern(n: int) -> dict[str, Any]:
    return {"source": [{"prefix": "aws."}], "detail": {"readOnly": [True], "$or": [
        {"eventName": [f"Call{i}Alpha", f"Call{i}Beta"], "userIdentity": {"type": ["IAMUser"]}} for i in range(n)]}}


def _matches(pattern: dict[str, Any], detail: dict[str, Any]) -> bool:
    return EventPattern.load(json.dumps(pattern)).matches_event({"source": "aws.iam", "detail": detail})


def test_a_pattern_within_the_quota_stays_one_rule() -> None:
    assert quota.split_for_quota("small", _pattern(2), LIMIT) == [_pattern(2)]


def test_a_pattern_over_the_quota_is_spread_over_rules_each_within_it() -> None:
    parts = quota.split_for_quota("big", _pattern(12), LIMIT)
    assert len(parts) > 1
    assert all(quota.pattern_size(p) <= LIMIT for p in parts)


@pytest.mark.parametrize("detail", [
    {"readOnly": True, "eventName": "Call7Beta", "userIdentity": {"type": "IAMUser"}},
    {"readOnly": True, "eventName": "Call0Alpha", "userIdentity": {"type": "IAMUser"}},
    {"readOnly": False, "eventName": "Call7Beta", "userIdentity": {"type": "IAMUser"}},
    {"readOnly": True, "eventName": "Call7Beta", "userIdentity": {"type": "AssumedRole"}},
    {"readOnly": True, "eventName": "Other", "userIdentity": {"type": "IAMUser"}},
])
def test_the_split_rules_together_match_exactly_what_the_pattern_matched(detail: dict[str, Any]) -> None:
    whole = _pattern(12)
    parts = quota.split_for_quota("big", whole, LIMIT)
    assert any(_matches(p, detail) for p in parts) == _matches(whole, detail)


def test_a_branch_over_the_quota_by_itself_is_refused_naming_the_family() -> None:
    huge = {"detail": {"$or": [{"eventName": [f"N{i:04d}" for i in range(100)]}, {"eventName": ["X"]}]}}
    with pytest.raises(quota.PatternTooLarge, match="family 'huge'"):
        quota.split_for_quota("huge", huge, LIMIT)


def test_a_pattern_without_branches_over_the_quota_is_refused() -> None:
    with pytest.raises(quota.PatternTooLarge, match="no \\$or branches"):
        quota.split_for_quota("flat", {"detail": {"eventName": [f"N{i:04d}" for i in range(100)]}}, LIMIT)


def test_every_packaged_rule_pattern_fits_eventbridges_default_quota(prod: Packaged) -> None:
    patterns = [e["Properties"]["Pattern"] for _, e in prod.rules().values() if "Pattern" in e["Properties"]]
    assert patterns
    assert max(quota.pattern_size(p) for p in patterns) <= quota.PATTERN_LIMIT


def test_every_member_forwarding_pattern_fits_eventbridges_default_quota(prod: Packaged) -> None:
    member = json.loads((prod.directory / "member.json").read_text())
    patterns = [r["Properties"]["EventPattern"] for r in member["Resources"].values()
                if r["Type"] == "AWS::Events::Rule"]
    assert patterns
    assert max(quota.pattern_size(p) for p in patterns) <= quota.PATTERN_LIMIT
