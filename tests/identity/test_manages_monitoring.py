"""The principal key ``manages_monitoring`` (issue 12): validated strictly, shown by ``model check``."""

from __future__ import annotations

import textwrap

import pytest

from chalicelib.cli import build_parser
from chalicelib.errors import ModelError
from chalicelib.identity import parse_model

BASE = """
version: 1
accounts: [{id: "630287363158", name: management}]
principals:
  - id: deployer
    kind: ci
    auth: role
    roles: [deploy]
"""


def test_a_principal_may_be_declared_as_managing_monitoring() -> None:
    model = parse_model(BASE + "    manages_monitoring: true\n", source="m.yaml")
    assert model.principals["deployer"].manages_monitoring is True


def test_it_defaults_to_false() -> None:
    assert parse_model(BASE, source="m.yaml").principals["deployer"].manages_monitoring is False


@pytest.mark.parametrize("line", ["    manages_monitoring: yes-please\n", '    manages_monitoring: "true"\n',
                                  "    manage_monitoring: true\n"])
def test_anything_but_a_boolean_under_the_exact_spelling_is_an_error(line: str) -> None:
    with pytest.raises(ModelError) as err:
        parse_model(BASE + line, source="m.yaml")
    assert "m.yaml:" in str(err.value) and "monitoring" in str(err.value)


def test_model_check_names_the_principals_that_may_manage_monitoring(tmp_path, capsys) -> None:
    path = tmp_path / "model.yaml"
    path.write_text(textwrap.dedent(BASE) + "    manages_monitoring: true\n")
    args = build_parser().parse_args(["model", "check", "--offline", "--model", str(path)])
    assert args.func(args) == 0
    assert "may manage monitoring (trails, detectors, Trailwarden): deployer" in capsys.readouterr().err
