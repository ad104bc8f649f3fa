"""Which resources are Trailwarden's: exact names from settings, never a look-alike."""

from __future__ import annotations

import json
from pathlib import Path

from chalice.app import CloudWatchEventConfig, ScheduledEventConfig

from chalicelib.watch.own import OwnResources, config_stages
from chalicelib.watch.routing import blinding_pattern, pipeline_pattern


def test_every_handler_of_app_has_its_function_rule_and_role_among_the_derived_names() -> None:
    import app

    own = OwnResources.from_env({"TRAILWARDEN_STAGE": "prod"})
    for source in app.app.event_sources:
        assert isinstance(source, (CloudWatchEventConfig, ScheduledEventConfig))
        name = f"trailwarden-prod-{source.name}"
        assert own.function(name) and own.rule(name) and own.role(name), name


def test_without_a_stage_every_stage_of_the_chalice_config_is_ours() -> None:
    own = OwnResources.from_env({})
    assert {"dev", "prod"} <= own.stages
    assert own.rule("trailwarden-prod-root") and own.rule("trailwarden-dev-root")
    assert own.table("trailwarden-prod-incidents") and own.parameter("/trailwarden/dev/slack-webhook-url")


def test_a_deployed_stage_owns_only_its_own_names() -> None:
    own = OwnResources.from_env({"TRAILWARDEN_STAGE": "prod"})
    assert own.rule("trailwarden-prod-root") and not own.rule("trailwarden-dev-root")


def test_look_alikes_are_not_ours() -> None:
    own = OwnResources.from_env({"TRAILWARDEN_STAGE": "prod"})
    assert not own.rule("trailwarden-prod-root2")
    assert not own.function("my-trailwarden-prod-iam")
    assert not own.topic("arn:aws:sns:us-east-1:1:trailwarden-prod-alerts-archive")
    assert not own.stack("trailwarden-prod-2")
    assert not own.parameter("/trailwarden/prod/slack-webhook-url-old")


def test_arn_and_partial_arn_forms_are_recognised() -> None:
    own = OwnResources.from_env({"TRAILWARDEN_STAGE": "prod"})
    assert own.rule("arn:aws:events:us-east-1:630287363158:rule/trailwarden-prod-root")
    assert own.function("630287363158:function:trailwarden-prod-iam:$LATEST")
    assert own.parameter("arn:aws:ssm:us-east-1:630287363158:parameter/trailwarden/prod/slack-webhook-url")
    assert own.stack("arn:aws:cloudformation:us-east-1:630287363158:stack/trailwarden-prod/0a1b2c3d")
    assert own.key(["alias/trailwarden-prod"])


def test_an_unreadable_chalice_config_falls_back_to_prod(tmp_path: Path) -> None:
    broken = tmp_path / "config.json"
    broken.write_text("{not json")
    assert config_stages(broken) == {"prod": {}}
    broken.write_text(json.dumps({"stages": {"blue": {"environment_variables": {"TRAILWARDEN_TABLE": "t"}}}}))
    assert OwnResources.from_env({}, config=broken).tables == {"t"}


def test_both_patterns_fit_eventbridges_default_size_quota() -> None:
    for pattern in (blinding_pattern(), pipeline_pattern({})):
        assert len(json.dumps(pattern, separators=(",", ":"))) <= 2048


def test_an_organization_members_forwarding_rule_of_each_family_is_ours() -> None:
    own = OwnResources.from_env({"TRAILWARDEN_STAGE": "prod"})
    assert own.rule("trailwarden-forward-sts") and own.rule("trailwarden-forward-blinding")
    assert not own.rule("trailwarden-forward-anything")
