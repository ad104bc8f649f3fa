"""The audit catalog: every id DESIGN §5 promises exists once, with severity, title, runbook and reference."""

from __future__ import annotations

import string

import pytest

from chalicelib.audit import AUDIT_CHECKS
from chalicelib.findings import Severity

DESIGN_IDS = {
    "inventory-undeclared-user",
    "inventory-missing-principal",
    "inventory-key-overdue",
    "inventory-key-unused",
    "inventory-extra-key",
    "inventory-root-credentials",
    "inventory-secret-overdue",
    "identity-undeclared-account",
}


def test_the_catalog_has_exactly_the_ids_the_design_promises():
    assert set(AUDIT_CHECKS) == DESIGN_IDS


@pytest.mark.parametrize("check_id", sorted(DESIGN_IDS))
def test_each_check_has_a_severity_title_runbook_and_reference(check_id):
    check = AUDIT_CHECKS[check_id]
    assert check.id == check_id
    assert isinstance(check.severity, Severity)
    assert check.title and check.severity_logic
    assert "aws " in check.runbook, "a runbook names the aws CLI command that fixes the drift"
    assert check.reference.startswith("https://docs.aws.amazon.com/")


@pytest.mark.parametrize("check_id", sorted(DESIGN_IDS))
def test_runbook_templates_name_only_simple_placeholders(check_id):
    fields = [name for _, name, _, _ in string.Formatter().parse(AUDIT_CHECKS[check_id].runbook) if name]
    assert all(name.isidentifier() for name in fields)
