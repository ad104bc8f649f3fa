"""README.md is a newcomer's first contact: what it shows must be what the code does.

The model examples are pasted into files and validated, the error blocks it prints are compared with
what ``model check`` prints for the file they describe, and its Detections table must name every rule.
A README that drifts from the code fails here, not in a newcomer's terminal.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import textwrap
from pathlib import Path
from typing import get_args

import pytest
from pydantic import BaseModel

from chalicelib.cli import build_parser, main
from chalicelib.identity.loader import parse_model
from chalicelib.identity.schema import ModelSpec
from chalicelib.rules import load_rules

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
FENCE = re.compile(r"^( *)```(\w*)\n(.*?)^\1```$", re.M | re.S)
# Findings the Detections table lists that no rule module raises: the heartbeat check and a raising rule.
NOT_RULES = {"monitor-blind", "rule-error"}
# What the README's fragments (principals, secrets, suppressions) need around them to be a whole model.
HEADER = 'version: 1\naccounts:\n  - {id: "630287363158", name: management}\n'


def blocks(lang: str) -> list[str]:
    """Every fenced block of one language, dedented (a block may sit inside a list item)."""
    return [textwrap.dedent(m.group(3)) for m in FENCE.finditer(README) if m.group(2) == lang]


def error_block(start: str) -> list[str]:
    """The lines of the fenced block whose text starts with ``start``."""
    for m in FENCE.finditer(README):
        if m.group(3).startswith(start):
            return m.group(3).splitlines()
    raise AssertionError(f"README has no block starting {start!r}")


def whole(block: str) -> str:
    """A fragment as a model file: the header added unless the block already is a whole model."""
    return block if block.startswith("version:") else HEADER + block


def cli_examples() -> list[str]:
    """The arguments of every ``python -m chalicelib …`` command the README shows (continuations joined,
    pipes, redirects and trailing comments cut, placeholders such as ``3f9c…(64 hex)`` made one word)."""
    text = README.replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        for part in re.split(r"\||&&", line):
            m = re.search(r"(?<!`)python -m chalicelib ([^`#>]*)", part)  # not an inline `code span`
            if m:
                out.append(re.sub(r"…\([^)]*\)", "x", m.group(1)).strip())
    return out


def schema_keys(spec: type[BaseModel], prefix: str = "") -> set[str]:
    """Every key a model file may hold, as ``parent.key`` paths, walking nested specs and lists of them."""
    keys = set()
    for name, field in spec.model_fields.items():
        keys.add(prefix + name)
        for inner in (field.annotation, *get_args(field.annotation)):
            for kind in (inner, *get_args(inner)):
                if isinstance(kind, type) and issubclass(kind, BaseModel):
                    keys |= schema_keys(kind, f"{prefix}{name}.")
    return keys


def detections_table() -> list[str]:
    """The ids in the first column of the table under '## Detections' (up to the first blank line)."""
    section = README.split("\n## Detections\n", 1)[1]
    table = section[section.index("\n|"):].split("\n\n", 1)[0]
    return re.findall(r"^\| `([a-z0-9-]+)` \|", table, re.M)


def test_the_readme_shows_a_whole_example_model() -> None:
    assert any(b.startswith("version: 1") for b in blocks("yaml"))


@pytest.mark.parametrize("index", range(len(blocks("yaml"))))
def test_each_readme_model_example_validates(index: int) -> None:
    model = parse_model(whole(blocks("yaml")[index]), f"README yaml block {index + 1}")
    assert model.spec.principals or model.spec.secrets or model.spec.suppressions


def test_the_example_model_with_its_commented_out_keys_switched_on_validates() -> None:
    example = next(b for b in blocks("yaml") if b.startswith("version: 1"))
    switched = re.sub(r"^( +)# ([a-z_]+:)", r"\1\2", example, flags=re.M)
    assert switched != example
    assert parse_model(switched, "README example, optional keys on").spec.principals


def test_every_model_key_is_named_in_the_readme() -> None:
    spans = " ".join(re.findall(r"`[^`\n]+`", README))  # code spans: `key`, `key: value`, `parent.key`
    yaml_keys = set(re.findall(r"^ *(?:- )?(\w+):", "\n".join(blocks("yaml")), re.M))
    missing = sorted(k for k in schema_keys(ModelSpec) if (leaf := k.rsplit(".", 1)[-1]) not in yaml_keys
                     and not re.search(rf"(?<![\w-]){leaf}(?![\w-])", spans))
    assert missing == []


def test_the_readme_shows_cli_examples() -> None:
    assert len(cli_examples()) > 30


@pytest.mark.parametrize("example", cli_examples())
def test_each_readme_cli_example_is_a_command_the_cli_accepts(example: str) -> None:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            build_parser().parse_args(shlex.split(example))
        except SystemExit:
            pytest.fail(f"python -m chalicelib {example}: {err.getvalue().strip()}")


def test_the_invalid_model_example_prints_the_errors_the_readme_shows(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text('version: 1\naccounts:\n  - id: 630287363158\n    name: management\nprincipals:\n'
                   '  - id: jared\n    kind: human\n    auth: ssoo\n    sso_users: [jared@example.com]\n')
    shown = error_block("$ python -m chalicelib model check --model bad.yaml")
    assert main(["model", "check", "--offline", "--model", str(bad)]) == 2
    assert capsys.readouterr().err.replace(str(bad), "bad.yaml").splitlines() == shown[1:]


def test_the_did_you_mean_example_prints_the_errors_the_readme_shows(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    model = tmp_path / "model.yaml"
    model.write_text('version: 1\naccounts:\n  - id: "630287363158"\n    name: management\nprincipals:\n'
                     '  - id: jared\n    kind: human\n    auth: sso\n    sso_user: [jared@example.com]\n'
                     'secrets:\n  - name: /paperclip-app/api-key\n    readers:\n      - nobody\n')
    shown = error_block("error: 2 errors in identity model:\n  - model.yaml")
    assert main(["model", "check", "--offline", "--model", str(model)]) == 2
    assert capsys.readouterr().err.replace(str(model), "model.yaml").splitlines() == shown


def test_every_rule_has_a_row_in_the_detections_table() -> None:
    assert sorted({r.id for r in load_rules()} - set(detections_table())) == []


def test_every_detections_row_names_a_rule_or_a_known_finding() -> None:
    assert sorted(set(detections_table()) - {r.id for r in load_rules()} - NOT_RULES) == []


def test_the_detections_table_lists_each_rule_once() -> None:
    ids = detections_table()
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
