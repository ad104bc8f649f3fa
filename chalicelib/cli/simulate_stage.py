"""``simulate --stage``: the handler families a stage deploys, and the events none of them would see.

``app.py`` decides at import whether the ``writes`` family exists (``TRAILWARDEN_WATCH_WRITES``,
read from the stage's ``environment_variables`` by ``chalice package`` and by Lambda). simulate
gives the stage it is asked for its own app with exactly those handlers, so ``--stage prod`` judges
what the prod stack judges, and ``--stage dev`` shows what dev leaves to nobody.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

from chalicelib.errors import ConfigError

CONFIG = Path(__file__).resolve().parents[2] / ".chalice" / "config.json"
SHOWN = 20  # unrouted events named one per line; the rest are counted
DEFAULT_TIMEOUT = 60  # seconds, .chalice/config.json's lambda_timeout when a config gives none


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


def app_for_stage(stage: str) -> tuple[Any, tuple[str, ...]]:
    """A Chalice app with the handlers the stage deploys, and those families.

    ``app.py`` decides at import whether the writes handler exists (``TRAILWARDEN_WATCH_WRITES``),
    and this process imported it once, however it was set. Rather than re-import it or register a
    handler on it, the stage gets its own ``Chalice`` object holding the imported handlers, the
    writes handler added or left out as the stage says: the shared ``app`` module and ``os.environ``
    stay as they were (tests that import ``app`` after a simulate see what they imported).
    """
    from chalice import Chalice

    watch = stage_environment(stage).get("TRAILWARDEN_WATCH_WRITES", "").strip().lower() in {"1", "true", "yes", "on"}
    module = importlib.import_module("app")
    shared = module.app
    staged = Chalice(app_name=shared.app_name)
    staged.handler_map.update({k: v for k, v in shared.handler_map.items() if k != "writes"})
    if watch:
        if "writes" in shared.handler_map:
            staged.handler_map["writes"] = shared.handler_map["writes"]
        else:  # defined either way in app.py; registered only when the flag was on at import
            staged.on_cw_event(module.PATTERNS["writes"], name="writes")(module.writes)
    return staged, tuple(f for f in module.PATTERNS if f != "writes" or watch)


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


def stage_client(app: Any, stage: str = "dev") -> Any:
    """chalice's test ``Client`` whose Lambda invocations get the function's configured timeout.

    chalice's own test client gives every invocation a ``LambdaContext`` of 3 seconds (its default),
    whatever ``lambda_timeout`` says. The handlers keep Slack within the invocation's time less an
    8-second reserve for the SNS fallback (``chalicelib.deadline``), so under that client Slack was
    never called: ``simulate --slack-webhook`` posted nothing. This one gives each invocation the
    stage's ``lambda_timeout`` for that function (60 s for the handlers), as Lambda does.
    """
    from chalice.local import LambdaContext
    from chalice.test import Client, FunctionNotFoundError, InvokeResponse, TestLambdaClient

    class TimedLambdaClient(TestLambdaClient):
        def invoke(self, function_name: str, payload: Any = None) -> InvokeResponse:
            scoped = self._config.scope(self._config.chalice_stage, function_name)
            context = LambdaContext(function_name, memory_size=scoped.lambda_memory_size,
                                    max_runtime_ms=int(scoped.lambda_timeout or DEFAULT_TIMEOUT) * 1000)
            if function_name not in self._app.handler_map:
                raise FunctionNotFoundError(function_name)
            with self._patched_env_vars(scoped.environment_variables):
                return InvokeResponse(payload=self._app.handler_map[function_name](payload or {}, context))

    class TimedClient(Client):
        @property
        def lambda_(self) -> TestLambdaClient:
            if self._lambda_client is None:
                self._lambda_client = TimedLambdaClient(self._app, self._chalice_config)
            return self._lambda_client

    return TimedClient(app, stage_name=stage)
