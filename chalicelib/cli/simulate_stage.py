"""``simulate --stage``: the handler families a stage deploys, and the events none of them would see.

``app.py`` decides at import whether the ``writes`` family exists (``TRAILWARDEN_WATCH_WRITES``,
read from the stage's ``environment_variables`` by ``chalice package`` and by Lambda). simulate
imports it the same way for the stage it is asked for, so ``--stage prod`` judges what the prod
stack judges, and ``--stage dev`` shows what dev leaves to nobody.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from chalicelib.errors import ConfigError

CONFIG = Path(__file__).resolve().parents[2] / ".chalice" / "config.json"
SHOWN = 20  # unrouted events named one per line; the rest are counted


def stage_environment(stage: str, config: Path = CONFIG) -> dict[str, str]:
    """The stage's environment as Lambda gets it (top-level variables, then the stage's)."""
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ConfigError(f"cannot read the stage configuration: {err}", location=str(config)) from None
    stages = data.get("stages") or {}
    if stage not in stages:
        raise ConfigError(f"unknown stage {stage!r} (expected one of: {', '.join(sorted(stages))})",
                          location="--stage")
    return {**(data.get("environment_variables") or {}), **(stages[stage].get("environment_variables") or {})}


def app_for_stage(stage: str) -> tuple[ModuleType, tuple[str, ...]]:
    """``app`` and the handler families the stage deploys.

    A fresh process imports ``app`` with the stage's ``TRAILWARDEN_WATCH_WRITES``, as Lambda does.
    When ``app`` was already imported otherwise (tests), the writes handler is registered now
    (it is defined either way), or its family is left out when the stage does not deploy it.
    """
    watch = stage_environment(stage).get("TRAILWARDEN_WATCH_WRITES", "").strip().lower() in {"1", "true", "yes", "on"}
    if "app" not in sys.modules:
        os.environ["TRAILWARDEN_WATCH_WRITES"] = "true" if watch else "false"
    module = importlib.import_module("app")
    if watch and "writes" not in module.app.handler_map:
        module.app.on_cw_event(module.PATTERNS["writes"], name="writes")(module.writes)
    return module, tuple(f for f in module.PATTERNS if f != "writes" or watch)


def say_unrouted(unrouted: list[dict[str, Any]]) -> None:
    """Name, on stderr, the events that matched no enabled rule of the stage (no handler judged them)."""
    if not unrouted:
        return
    stage = unrouted[0]["stage"]
    n = len(unrouted)
    hint = " (dev leaves the writes family off; --stage prod turns it on)" if stage == "dev" else ""
    print(f"not judged: {n} {'event' if n == 1 else 'events'} matched no enabled rule of stage {stage}{hint}:",
          file=sys.stderr)
    for u in unrouted[:SHOWN]:
        print(f"  {u['event_source'] or '-'} {u['event_name'] or '-'} (event {u['event_id'] or '-'})", file=sys.stderr)
    if n > SHOWN:
        print(f"  and {n - SHOWN} more", file=sys.stderr)
