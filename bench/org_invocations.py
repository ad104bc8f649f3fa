#!/usr/bin/env python3
"""Organization mode's cost per 1,000 trail events: copies forwarded to the central bus, and central invocations.

Every member account and region runs the packaged ``member.json``: one forwarding rule per central
handler rule, with the same pattern and state, whose target is the central bus. A record that k
forwarding rules match is forwarded k times (each copy is a billed cross-account event), and each
copy reaches every central handler rule it matches. EventBridge applies a rule's state on custom
buses as on the default one, so a read-only copy reaches only the central rules in state
``ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS``. Both templates are read from the same package
(``bench/invocations.py`` packages it), and the records are matched with moto's pattern matcher, as
the single-account count is:

    .venv/bin/python bench/org_invocations.py --stage prod --records 20000
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from invocations import (  # bench/ is not a package when run as a script
    ROOT,
    RULE_STATES,
    TRAIL_MODEL,
    Rule,
    TemplateError,
    _rule,
    packaged_template,
    reached,
    template_rules,
    trail_records,
)

CENTRAL_BUS = {"Ref": "CentralEventBusArn"}  # how member.json names the forwarding target
FORWARD_PRICE = 1.00  # USD per million events delivered to another account (us-east-1)
REQUEST_PRICE = 0.20  # USD per million Lambda requests (compute is extra)


def forwarding_rules(member: dict[str, Any]) -> list[Rule]:
    """The member template's rules that put events on the central bus (DISABLED ones forward nothing)."""
    rules = []
    for rule_id, res in sorted((member.get("Resources") or {}).items()):
        props = res.get("Properties") or {}
        if res.get("Type") != "AWS::Events::Rule" or "EventPattern" not in props:
            continue
        if any(t.get("Arn") == CENTRAL_BUS for t in props.get("Targets") or []):
            rules.append(_rule(rule_id, "central-bus", props["EventPattern"], props.get("State")))
    return [r for r in rules if r.state in RULE_STATES]


@dataclass
class OrgTally:
    records: int = 0
    single: int = 0  # invocations if the account ran the handlers itself
    forwarded: int = 0  # copies put on the central bus
    central: int = 0  # central handler invocations, over all copies
    multi: int = 0  # records forwarded more than once
    copies_by_rule: Counter[str] = field(default_factory=Counter)

    def per_1000(self, n: int) -> float:
        return 1000 * n / max(self.records, 1)


def count_org(central: list[Rule], forwarding: list[Rule], records: Any) -> OrgTally:
    tally = OrgTally()
    for record in records:
        tally.records += 1
        handlers = reached(central, record)
        copies = reached(forwarding, record)
        tally.single += len(handlers)
        tally.forwarded += len(copies)
        tally.central += len(copies) * len(handlers)  # each copy is the same event, matched by the same rules
        tally.multi += len(copies) > 1
        tally.copies_by_rule.update(copies)
    return tally


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench/org_invocations.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--stage", default="prod")
    p.add_argument("--records", type=int, default=20_000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--trail", type=Path, help="a JSON-lines trail instead of the generated one")
    p.add_argument("--tree", type=Path, default=ROOT)
    p.add_argument("--model", type=Path, default=TRAIL_MODEL)
    args = p.parse_args(argv)
    try:
        sam, _ = packaged_template(args.tree, args.stage, lambda m: print(m, file=sys.stderr), args.model)
        central = template_rules(json.loads(sam.read_text()))
        forwarding = forwarding_rules(json.loads((sam.parent / "member.json").read_text()))
    except (TemplateError, OSError, ValueError) as err:
        print(f"org_invocations: {err}", file=sys.stderr)
        return 2
    if len(forwarding) != len(central):
        print(f"org_invocations: member.json forwards {len(forwarding)} rules but the stage has {len(central)} "
              "handler rules", file=sys.stderr)
        return 2
    t = count_org(central, forwarding, trail_records(args.records, args.seed, args.trail))
    million = 1_000_000 / max(t.records, 1)
    print(f"{t.records:,} records, {args.stage} stage, "
          f"{len(forwarding)} forwarding rules per member account and region")
    print(f"  single-account handler invocations: {t.per_1000(t.single):.1f} per 1,000 events")
    print(f"  forwarded copies:                   {t.per_1000(t.forwarded):.1f} per 1,000 events "
          f"({100 * t.multi / max(t.records, 1):.1f}% of events forwarded more than once)")
    print(f"  central handler invocations:        {t.per_1000(t.central):.1f} per 1,000 events")
    print(f"  per million trail events: forwarding ${t.forwarded * million * FORWARD_PRICE / 1e6:.2f}, "
          f"central Lambda requests ${t.central * million * REQUEST_PRICE / 1e6:.2f} (compute extra)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
