"""Issue 10, second red-team: each variation of tests/rules/test_attacker_variations_round2.py is
also delivered by the packaged rules (prod; dev too where a family is always on), rule states applied.

The records are the same fixtures (tests/fixtures/records/); the verdict is the bundled model's.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelib.engine import Engine
from chalicelib.events import events_in
from chalicelib.history import MemoryHistory
from chalicelib.identity import load_model
from chalicelib.identity.loader import DEFAULT_MODEL

from .cloudtrail import envelope
from .conftest import Packaged
from .test_patterns import Bus, packaged_bus

RECORDS = Path(__file__).resolve().parents[1] / "fixtures" / "records"
MODEL = load_model(DEFAULT_MODEL)


def fixture(name: str) -> dict[str, Any]:
    return json.loads((RECORDS / name).read_text(encoding="utf-8"))


def judged(record: dict[str, Any]) -> set[str]:
    engine = Engine(MODEL)
    engine.history = MemoryHistory()
    (event,) = list(events_in(record))
    return {f.rule for f in engine.judge(event)}


# (id, fixture, the rule that must fire, the family that must receive it, stages it must reach it in)
CAUGHT: list[tuple[str, str, str, str, tuple[str, ...]]] = [
    ("handler-role-named-in-other-case", "iam-delete-role-policy-handler-role-other-case.json",
     "monitor-pipeline-tampered", "pipeline", ("prod", "dev")),
    ("instance-credentials-through-a-foreign-vpc-endpoint", "instance-session-read-through-foreign-vpc-endpoint.json",
     "credential-used-outside-home", "home", ("prod", "dev")),
    ("deactivated-ci-key-made-active-again", "update-access-key-reactivate-ci-key.json", "iam-create-access-key",
     "iam", ("prod", "dev")),
    ("guardduty-left-on-with-its-plans-off", "guardduty-update-detector-plans-disabled.json", "detector-disabled",
     "blinding", ("prod", "dev")),
    ("function-opened-to-an-organization-the-caller-names", "lambda-add-permission-any-organization.json",
     "lambda-exposed", "iam", ("prod", "dev")),
    ("task-run-with-a-role-override", "ecs-run-task-role-override.json", "iam-role-passed", "iam", ("prod", "dev")),
    ("build-started-with-a-role-override", "codebuild-start-build-role-override.json", "iam-role-passed", "iam",
     ("prod", "dev")),
    ("launch-template-naming-a-profile", "ec2-create-launch-template-profile.json", "iam-role-passed", "iam",
     ("prod", "dev")),
    ("admin-equivalent-managed-policy-created", "iam-create-policy-admin-equivalent.json", "iam-privilege-granted",
     "iam", ("prod", "dev")),
    ("dormant-service-credential-made-active", "iam-update-service-specific-credential-active.json",
     "iam-alternate-credential-created", "iam", ("prod", "dev")),
    ("declared-role-requested-under-a-service-linked-path", "assume-role-service-role-path-declared-role.json",
     "sts-assume-role-unexpected", "sts", ("prod", "dev")),
    ("incident-table-denied-by-a-resource-policy", "dynamodb-put-resource-policy-incidents-table.json",
     "monitor-pipeline-tampered", "pipeline", ("prod", "dev")),
    ("privileged-role-handed-over-through-a-stack", "lambda-create-function-through-cloudformation.json",
     "iam-role-passed", "iam", ("prod", "dev")),
    ("group-membership-added-through-a-stack", "identitystore-create-group-membership-through-cloudformation.json",
     "sso-group-membership-added", "iam", ("prod", "dev")),
    ("parameter-ciphertext-reencrypted-to-an-outside-key", "kms-reencrypt-parameter-to-outside-key.json",
     "secret-read-undeclared", "reads", ("prod", "dev")),
    ("own-boundary-replaced-with-administrator-access", "iam-put-user-permissions-boundary-own-admin.json",
     "iam-permissions-boundary-removed", "iam", ("prod", "dev")),
    ("guardduty-filter-archiving-every-finding", "guardduty-create-filter-archive-everything.json",
     "detector-disabled", "blinding", ("prod", "dev")),
    ("trail-log-files-moved-to-another-prefix", "cloudtrail-update-trail-key-prefix.json", "monitor-trail-tampered",
     "blinding", ("prod", "dev")),
    ("customer-policy-attached-to-a-permission-set", "sso-attach-customer-managed-policy-reference.json",
     "sso-assignment-changed", "iam", ("prod", "dev")),
    ("config-recorder-narrowed-to-one-type", "config-put-configuration-recorder-narrowed.json", "detector-disabled",
     "blinding", ("prod", "dev")),
    ("alerts-topic-denied-by-a-data-protection-policy", "sns-put-data-protection-policy-alerts-topic.json",
     "monitor-pipeline-tampered", "pipeline", ("prod", "dev")),
]


@pytest.fixture(scope="module", params=["prod", "dev"])
def staged_bus(request: pytest.FixtureRequest) -> Iterator[tuple[str, Bus]]:
    pkg: Packaged = request.getfixturevalue(request.param)
    with packaged_bus(pkg) as found:
        yield request.param, found


@pytest.mark.parametrize(("name", "rule", "family", "stages"), [c[1:] for c in CAUGHT], ids=[c[0] for c in CAUGHT])
def test_a_second_round_variation_is_judged_and_delivered(staged_bus: tuple[str, Bus], name: str, rule: str,
                                                          family: str, stages: tuple[str, ...]) -> None:
    stage, bus = staged_bus
    if stage not in stages:
        pytest.skip(f"{family} is not promised in {stage}")
    record = fixture(name)
    assert rule in judged(record)
    assert family in bus.deliver(envelope(copy.deepcopy(record)))


def test_a_secrets_manager_secret_read_through_parameter_store_reaches_the_ssm_family(
        staged_bus: tuple[str, Bus]) -> None:
    """Judged in tests/rules (the bundled model declares no Secrets Manager secret); the ssm family
    takes every decrypting GetParameter whatever its name, so the read is delivered in every stage."""
    _, bus = staged_bus
    record = fixture("get-parameter-secretsmanager-reference.json")
    assert "ssm" in bus.deliver(envelope(copy.deepcopy(record)))


def test_a_home_principals_console_call_reaches_the_home_family_of_a_model_that_declares_its_office(
        tmp_path: Path) -> None:
    """The bundled model declares no SSO user's office, so the home family is built here from one that
    does (as the builder does at package time); invokedBy signin.amazonaws.com does not keep it out."""
    from moto.events.models import EventPattern

    import app

    from .test_builder import load_builder

    model = tmp_path / "model.yaml"
    model.write_text('version: 1\naccounts: [{id: "630287363158", name: main}]\nprincipals:\n'
                     '  - {id: jared, kind: human, auth: sso, sso_users: [jared@example.com],\n'
                     '     network: {cidrs: ["198.51.100.0/24"]}}\n')
    home = load_builder().narrowed_pattern("home", app.PATTERNS["home"], {"TRAILWARDEN_MODEL": str(model)})
    record = fixture("sso-console-call-invoked-by-signin.json")
    assert EventPattern.load(json.dumps(home)).matches_event(envelope(record))
