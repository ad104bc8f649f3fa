#!/usr/bin/env python3
"""Build dist/member.json: the StackSet template every member account and region runs.

Its forwarding rules are the central stack's rules, family for family: the same patterns
(``app.PATTERNS`` loaded with the stage's environment, narrowed exactly as
``build_merge_template.narrowed_pattern`` narrows them) and the same rule states, so a family
another change adds to ``app.PATTERNS`` is forwarded with no edit here.

Usage: python deploy/build_member_template.py --stage prod --output dist/member.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from build_merge_template import RULE_STATES, BuildError, load_app, load_config, narrowed_pattern


def forwarded_families(stage: str) -> dict[str, tuple[dict[str, Any], str]]:
    """family → (pattern, state) of every CloudTrail rule the central stack of ``stage`` deploys."""
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
        out[source.name] = (pattern, RULE_STATES[source.name])
    return out


def build(stage: str) -> dict[str, Any]:
    from chalicelib.org.template import member_template

    families = forwarded_families(stage)
    return member_template(families, f"Trailwarden member ({stage}): forward CloudTrail identity events to the "
                                     "central bus; read-only role for the coverage check and the audit")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--output", "-o", required=True, type=Path)
    args = parser.parse_args(argv)
    try:
        template = build(args.stage)
    except (BuildError, OSError, KeyError, ValueError) as err:
        print(f"build_member_template: {err}", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(template, indent=2, sort_keys=True) + "\n")
    print(f"wrote {args.output} ({len(template['Resources'])} resources)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
