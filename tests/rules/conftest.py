"""Helpers for the detection tests: fixture records with overrides, an engine, and finding lookups.

A test starts from a real-shaped CloudTrail record in ``tests/fixtures/records/`` and changes only
what it is about::

    record("root-cli-call.json", eventName="ListBuckets", readOnly=True)
    record("sso-session-call.json", userIdentity={"sessionContext": {"attributes": {"creationDate": "..."}}})
    record("delete-user.json", userIdentity=identity_of("role-session-call.json"))

Dict values merge into the record recursively; ``Replace(value)`` swaps a value whole and ``DROP``
removes a key. ``judge`` runs every registered rule (bundled model unless a model is given) and
fails the test if any rule raised, so every test also checks that no detection crashed.

Test modules import these helpers (``from .conftest import record, finding``); the only fixture
is ``bundled_model``.
"""

from __future__ import annotations

import copy
import json
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chalicelib.engine import RULE_ERROR, Engine
from chalicelib.errors import InputError
from chalicelib.events import CloudTrailEvent, events_in
from chalicelib.findings import Finding
from chalicelib.history import History, MemoryHistory
from chalicelib.identity import IdentityModel, load_model, parse_model
from chalicelib.identity.loader import DEFAULT_MODEL

RECORDS = Path(__file__).resolve().parents[1] / "fixtures" / "records"
DECLARED_ACCOUNT = "630287363158"  # the bundled example model's account
UNDECLARED_ACCOUNT = "402918375610"


class _Drop:
    def __repr__(self) -> str:
        return "DROP"


DROP: Any = _Drop()


@dataclass(frozen=True)
class Replace:
    """An override value that replaces the record's value instead of merging into it."""

    value: Any


def merge(base: Any, override: Any) -> Any:
    if isinstance(override, Replace):
        return copy.deepcopy(override.value)
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for key, value in override.items():
            if value is DROP:
                out.pop(key, None)
            else:
                out[key] = merge(base.get(key), value)
        return out
    return copy.deepcopy(override)


def record(name: str, **overrides: Any) -> dict[str, Any]:
    """A fixture file as a dict, with ``overrides`` merged in (see the module docstring)."""
    doc = json.loads((RECORDS / name).read_text(encoding="utf-8"))
    return merge(doc, overrides)


def identity_of(name: str) -> Replace:
    """The ``userIdentity`` of another fixture, to make a different actor do this record's call."""
    return Replace(record(name)["userIdentity"])


def to_event(doc: dict[str, Any] | CloudTrailEvent) -> CloudTrailEvent:
    """The one event in a record or EventBridge envelope; fails the test on InputError."""
    if isinstance(doc, CloudTrailEvent):
        return doc
    items = list(events_in(doc))
    assert len(items) == 1, f"expected one event, got {len(items)}"
    (item,) = items
    assert not isinstance(item, InputError), f"fixture did not load: {item}"
    return item


def model_from(text: str) -> IdentityModel:
    """A model written inline in a test (validated like a user's file)."""
    return parse_model(textwrap.dedent(text), source="<test model>")


_BUNDLED = load_model(DEFAULT_MODEL)
_ENGINES: dict[int, Engine] = {}


def engine_for(model: IdentityModel | None) -> Engine:
    model = model or _BUNDLED
    engine = _ENGINES.get(id(model))
    if engine is None or engine.model is not model:
        engine = _ENGINES[id(model)] = Engine(model)
    return engine


def judge(doc: dict[str, Any] | CloudTrailEvent, model: IdentityModel | None = None,
          history: History | None = None) -> list[Finding]:
    """Judge one event with no history, or with ``history`` (shared by the calls of one test)."""
    engine = engine_for(model)
    engine.history = history if history is not None else MemoryHistory()
    findings = engine.judge(to_event(doc))
    errors = [f.reason for f in findings if f.rule == RULE_ERROR]
    assert not errors, f"a rule raised: {errors}"
    return findings


def rules_of(findings: list[Finding]) -> set[str]:
    return {f.rule for f in findings}


def finding(doc: dict[str, Any] | CloudTrailEvent, rule: str, model: IdentityModel | None = None,
            history: History | None = None) -> Finding | None:
    """The finding ``rule`` made on this event, or None; at most one per rule and event."""
    mine = [f for f in judge(doc, model, history) if f.rule == rule]
    assert len(mine) <= 1, f"{rule} fired {len(mine)} times on one event"
    return mine[0] if mine else None


@pytest.fixture(scope="session")
def bundled_model() -> IdentityModel:
    return _BUNDLED


def replay_twice(records: list[dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    """``replay --format json`` of ``records`` as JSON lines, with the quiet memo and with ``--no-memo``."""
    from chalicelib.cli import main

    path = tmp_path / "trail.jsonl"
    path.write_text("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records))
    outputs = []
    for flags in ([], ["--no-memo"]):
        main(["replay", "--format", "json", *flags, str(path)])
        outputs.append(capsys.readouterr().out)
    return outputs[0], outputs[1]
