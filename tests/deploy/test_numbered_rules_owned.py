"""A family over EventBridge's pattern quota is spread over numbered rules (``reads-2``, ``writes-3``);
those rules are Trailwarden's own too, so disabling one is monitor tampering like disabling the first."""

from __future__ import annotations

from chalicelib.watch.own import ENV_RULES, OwnResources

from .conftest import Packaged


def _exported(stage: Packaged) -> set[str]:
    values = {fn["Properties"]["Environment"]["Variables"][ENV_RULES] for fn in stage.functions().values()}
    assert len(values) == 1, "every function exports the same rule names"
    return set(values.pop().split(","))


def test_every_packaged_handler_rule_is_exported_as_trailwardens_own(prod: Packaged) -> None:
    names = {event["Properties"]["RuleName"] for _, event in prod.rules().values() if "RuleName" in event["Properties"]}
    assert any(name.rsplit("-", 1)[-1].isdigit() for name in names), "the prod package has a split family"
    assert names <= _exported(prod)


def test_a_numbered_rule_is_recognised_as_own_from_the_deployed_environment(prod: Packaged) -> None:
    exported = _exported(prod)
    numbered = sorted(n for n in exported if n.rsplit("-", 1)[-1].isdigit())
    own = OwnResources.from_env({"TRAILWARDEN_STAGE": "prod", ENV_RULES: ",".join(exported)})
    assert numbered and all(own.rule(n) and own.rule(f"arn:aws:events:us-east-1:630287363158:rule/{n}")
                            for n in numbered)
    assert own.rule("trailwarden-prod-reads-99") is None  # exact names only
