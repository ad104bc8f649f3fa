#!/usr/bin/env python3
"""Build dist/member.json: the StackSet template every member account and region runs.

Its forwarding rules are the central stack's handler rules, rule for rule: read from the
packaged central template (``--template dist/sam.json``, what ``deploy/package.sh`` passes),
so whatever the builder did to ``app.PATTERNS`` (narrowing to the packaged model, splitting a
pattern over EventBridge's size quota into several rules) the members forward exactly that, with
the same states. A family another change adds to ``app.PATTERNS`` is forwarded at the next
``make package`` with no edit here. Without ``--template`` the families are read from app.py
with the stage's environment and narrowed as ``build_merge_template`` narrows them (a quick
build for tests; it does not split patterns).

Usage: python deploy/build_member_template.py --stage prod --template dist/sam.json --output dist/member.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from build_merge_template import RULE_STATES, BuildError, load_app, load_config, narrowed_pattern, write_template
from pattern_quota import PatternTooLarge, split_for_quota

RULE_EVENT_TYPES = {"EventBridgeRule", "CloudWatchEvent"}


def packaged_families(template: dict[str, Any], prefix: str) -> dict[str, tuple[dict[str, Any], str]]:
    """rule name without ``prefix`` → (pattern, state) of every handler rule in a packaged central template."""
    out: dict[str, tuple[dict[str, Any], str]] = {}
    for resource in template.get("Resources", {}).values():
        for event in (resource.get("Properties", {}).get("Events") or {}).values():
            props = event.get("Properties", {})
            if event.get("Type") in RULE_EVENT_TYPES and "Pattern" in props:
                name = str(props.get("RuleName", ""))
                if not name.startswith(prefix):
                    raise BuildError(f"handler rule {name!r} is not named {prefix}FAMILY")
                out[name.removeprefix(prefix)] = (props["Pattern"], props.get("State") or "ENABLED")
    if not out:
        raise BuildError("the central template has no handler rule with a pattern")
    return out


def app_families(stage: str) -> dict[str, tuple[dict[str, Any], str]]:
    """family → (pattern, state) from app.py loaded with the stage's environment (no quota split)."""
    from chalice.app import CloudWatchEventConfig

    config = load_config(stage)
    env = config.environment_variables
    app = load_app(env)
    out: dict[str, tuple[dict[str, Any], str]] = {}
    for source in app.event_sources:
        if not isinstance(source, CloudWatchEventConfig):
            continue
        if source.name not in RULE_STATES:
            raise BuildError(f"family {source.name!r} has no rule state in RULE_STATES; add one")
        pattern = narrowed_pattern(source.name, source.event_pattern, env) or source.event_pattern
        try:
            parts = split_for_quota(source.name, pattern)  # named as the central stack names its rules
        except PatternTooLarge as err:
            raise BuildError(str(err)) from None
        for n, part in enumerate(parts, start=1):
            out[source.name if n == 1 else f"{source.name}-{n}"] = (part, RULE_STATES[source.name])
    return out


def build(stage: str, central: Path | None = None) -> dict[str, Any]:
    from chalicelib.org.template import member_template

    if central is not None:
        families = packaged_families(json.loads(central.read_text()), f"trailwarden-{stage}-")
    else:
        families = app_families(stage)
    return member_template(families, f"Trailwarden member ({stage}): forward CloudTrail identity events to the "
                                     "central bus; read-only role for the coverage check and the audit")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--template", type=Path, help="the packaged central template (dist/sam.json)")
    parser.add_argument("--output", "-o", required=True, type=Path)
    args = parser.parse_args(argv)
    return write_template("build_member_template", lambda: build(args.stage, args.template), args.output)


if __name__ == "__main__":
    sys.exit(main())
