"""The coverage round's events reach exactly the families that judge them, through moto's EventBridge
with the packaged stage's rules and states (test_patterns.packaged_bus), and cost the writes pattern nothing.

Roles Anywhere's CreateSession: the reads family (ALL_EVENTS) when recorded read-only, writes otherwise.
The Identity Center portal's GetRoleCredentials (an AwsServiceEvent, read-only) and a role session's
GetSigninToken (when not recorded as a write): the signin family (ALL_EVENTS). Roles Anywhere's profile,
trust anchor and CRL changes are writes: the writes family, in prod.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

import app
from chalicelib.writes_pattern import delivered_whole

from .cloudtrail import api_call, envelope
from .conftest import ALL_EVENTS
from .coverage_calls import AGENT, ROLES_ANYWHERE_CHANGES
from .test_patterns import Bus

RECORDS = Path(__file__).resolve().parents[1] / "fixtures" / "records"
SERVICE_EVENT = "AWS Service Event via CloudTrail"


DROP: Any = object()


def fixture(name: str, **changes: Any) -> dict[str, Any]:
    """A fixture record with top-level fields replaced (``DROP`` removes one)."""
    record = json.loads((RECORDS / name).read_text(encoding="utf-8"))
    record.update({k: copy.deepcopy(v) for k, v in changes.items() if v is not DROP})
    return {k: v for k, v in record.items() if changes.get(k) is not DROP}


SESSION, PORTAL, TOKEN = ("rolesanywhere-create-session.json", "sso-get-role-credentials.json",
                          "signin-get-signin-token-role.json")

# (name, envelope, families in prod, families in dev)
CASES: list[tuple[str, dict[str, Any], set[str], set[str]]] = [
    ("rolesanywhere-session-read-only", envelope(fixture(SESSION)), {"reads"}, {"reads"}),
    ("rolesanywhere-session-as-a-write", envelope(fixture(SESSION, readOnly=False)), {"writes"}, set()),
    ("s3-express-session-is-not-rolesanywhere", envelope(fixture(SESSION, eventSource="s3express.amazonaws.com")),
     set(), set()),
    ("portal-role-credentials", envelope(fixture(PORTAL), detail_type=SERVICE_EVENT), {"signin"}, {"signin"}),
    ("portal-role-credentials-older-record", envelope(fixture("sso-get-role-credentials-named-user.json"),
                                                      detail_type=SERVICE_EVENT), {"signin"}, {"signin"}),
    ("portal-account-listing-is-not-routed", envelope(fixture(PORTAL, eventName="ListAccounts"),
                                                      detail_type=SERVICE_EVENT), set(), set()),
    ("role-console-token-without-readonly", envelope(fixture(TOKEN, readOnly=DROP)), {"signin"}, {"signin"}),
    ("role-console-token-as-a-write", envelope(fixture(TOKEN)), {"writes"}, set()),
    ("role-console-login-that-follows", envelope(fixture(TOKEN, eventName="ConsoleLogin",
                                                         responseElements={"ConsoleLogin": "Success"})),
     {"signin"}, {"signin"}),
    *[(f"rolesanywhere-{name.lower()}", envelope(api_call("rolesanywhere.amazonaws.com", name, AGENT,
                                                           read_only=False, request=request)), {"writes"}, set())
      for name, request in ROLES_ANYWHERE_CHANGES],
]


@pytest.mark.parametrize(("envelope_", "expected"), [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_prod_invokes_exactly_the_expected_families(prod_bus: Bus, envelope_: dict[str, Any],
                                                    expected: set[str]) -> None:
    assert prod_bus.deliver(envelope_) == expected


@pytest.mark.parametrize(("envelope_", "expected"), [(c[1], c[3]) for c in CASES], ids=[c[0] for c in CASES])
def test_dev_without_the_writes_family_delivers_the_read_only_ones(dev_bus: Bus, envelope_: dict[str, Any],
                                                                   expected: set[str]) -> None:
    assert dev_bus.deliver(envelope_) == expected


def test_the_families_taking_read_only_events_receive_every_management_event(prod_bus: Bus) -> None:
    assert prod_bus.states["reads"] == prod_bus.states["signin"] == ALL_EVENTS


def test_the_new_signin_branches_are_not_whole_so_the_writes_pattern_is_unchanged() -> None:
    assert delivered_whole(app.PATTERNS["signin"]) == {"signin.amazonaws.com": {"ConsoleLogin"}}
