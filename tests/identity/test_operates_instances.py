"""The principal key ``operates_instances``: validated strictly, shown by ``model check``."""

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
  - id: oncall
    kind: human
    auth: sso
    sso_users: [oncall@example.com]
"""


def test_a_principal_may_be_declared_as_operating_instances() -> None:
    model = parse_model(BASE + "    operates_instances: true\n", source="m.yaml")
    assert model.principals["oncall"].operates_instances is True


def test_it_defaults_to_false() -> None:
    assert parse_model(BASE, source="m.yaml").principals["oncall"].operates_instances is False


@pytest.mark.parametrize("line", ["    operates_instances: sometimes\n", '    operates_instances: "true"\n',
                                  "    operate_instances: true\n"])
def test_anything_but_a_boolean_under_the_exact_spelling_is_an_error_with_its_line(line: str) -> None:
    with pytest.raises(ModelError) as err:
        parse_model(BASE + line, source="m.yaml")
    assert "m.yaml:" in str(err.value) and "instances" in str(err.value)


def test_model_check_names_the_principals_that_may_operate_instances(tmp_path, capsys) -> None:
    path = tmp_path / "model.yaml"
    path.write_text(textwrap.dedent(BASE) + "    operates_instances: true\n")
    args = build_parser().parse_args(["model", "check", "--offline", "--model", str(path)])
    assert args.func(args) == 0
    assert "may operate instances (SSM commands and sessions, Instance Connect, user data): oncall" in \
        capsys.readouterr().err
