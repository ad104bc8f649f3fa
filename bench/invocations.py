#!/usr/bin/env python3
"""Lambda invocations per 1,000 CloudTrail events: the packaged rules, matched offline against a trail.

Every routed event is a Lambda invocation, so this is what the deployed patterns cost. The rules
(pattern, state, target) are read from the stage's packaged template, not from app.py, so the
count is of what would be deployed, whoever changed the patterns or the rule states. Each record
is wrapped in the envelope CloudTrail → EventBridge builds and matched by moto's EventBridge
pattern matcher; the rule state is applied as EventBridge documents it (a rule in state ENABLED
gets no read-only management events; moto ignores the state). The trail is ``bench/gen.py``'s.

    .venv/bin/python bench/invocations.py --stage prod --records 20000
    .venv/bin/python bench/invocations.py --tree /tmp/tw-base          # another checkout
    .venv/bin/python bench/invocations.py --template dist/sam.json      # a template already built

Packaging (``deploy/package.sh``, cfn-lint skipped) goes to ``bench/data/package-STAGE[-TREE]/``
and is reused while app.py, chalicelib, deploy/ and .chalice/ hold the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson
from moto.events.models import EventPattern

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DATA = BENCH / "data"

ALL_EVENTS = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
RULE_STATES = {"ENABLED", ALL_EVENTS}  # DISABLED rules invoke nothing
SAM_RULE_EVENTS = {"CloudWatchEvent", "EventBridgeRule"}
# Files whose bytes decide the packaged rules: the app and what it imports, the builder, the config.
PACKAGE_INPUTS = ("app.py", "chalicelib/**/*.py", "chalicelib/*.yaml", "deploy/*.py", "deploy/*.sh", ".chalice/*.json")
# The trail's own model: the builder narrows the reads/sts patterns for the model it packages
# with (a user's package is narrowed for theirs), so the count is for the trail's principals.
TRAIL_MODEL = BENCH / "model.yaml"
API_CALL = "AWS API Call via CloudTrail"
DETAIL_TYPES = {"awsconsolesignin": "AWS Console Sign In via CloudTrail",
                "awsserviceevent": "AWS Service Event via CloudTrail",
                "awsconsoleaction": "AWS Console Action via CloudTrail"}


class TemplateError(Exception):
    """The template declares a rule this tool cannot evaluate offline; the message says which."""


@dataclass(frozen=True)
class Rule:
    """One EventBridge rule that invokes a Lambda function."""

    name: str  # the rule's name, or the event's logical id
    target: str  # logical id of the function it invokes
    state: str
    pattern: dict[str, Any]
    matcher: EventPattern = field(compare=False, repr=False)


def _rule(name: str, target: str, pattern: Any, state: str | None) -> Rule:
    if isinstance(pattern, str):  # AWS::Events::Rule allows the pattern as a JSON string
        pattern = json.loads(pattern)
    if _intrinsic(pattern):
        raise TemplateError(f"rule {name}: its pattern uses a CloudFormation function; it cannot be matched offline")
    return Rule(name, target, state or "ENABLED", pattern, EventPattern.load(json.dumps(pattern)))


def _intrinsic(node: Any) -> bool:
    if isinstance(node, dict):
        return any(k == "Ref" or k.startswith("Fn::") or _intrinsic(v) for k, v in node.items())
    return isinstance(node, list) and any(_intrinsic(v) for v in node)


def template_rules(template: dict[str, Any]) -> list[Rule]:
    """Every pattern rule that invokes a function: SAM function events (what Chalice and the merge
    template write) and plain AWS::Events::Rule resources targeting a function of the template."""
    resources = template.get("Resources") or {}
    functions = {k for k, v in resources.items() if v.get("Type") in ("AWS::Serverless::Function",
                                                                       "AWS::Lambda::Function")}
    rules = []
    for function_id in sorted(functions):
        events = (resources[function_id].get("Properties") or {}).get("Events") or {}
        for event_id, event in sorted(events.items()):
            props = event.get("Properties") or {}
            if event.get("Type") in SAM_RULE_EVENTS and "Pattern" in props:
                state = props.get("State") or ("DISABLED" if props.get("Enabled") is False else None)
                rules.append(_rule(props.get("RuleName") or event_id, function_id, props["Pattern"], state))
    for rule_id, res in sorted(resources.items()):
        props = res.get("Properties") or {}
        if res.get("Type") != "AWS::Events::Rule" or "EventPattern" not in props:
            continue
        for target in props.get("Targets") or []:
            arn = target.get("Arn")
            ref = arn.get("Fn::GetAtt", [None])[0] if isinstance(arn, dict) else None
            if ref in functions:
                rules.append(_rule(props.get("Name") or rule_id, ref, props["EventPattern"], props.get("State")))
    return [r for r in rules if r.state in RULE_STATES]


def family_names(rules: list[Rule]) -> dict[str, str]:
    """Rule name → a short label: the names less their common ``app-stage-`` prefix."""
    names = [r.name for r in rules]
    parts = [n.split("-") for n in names]
    common = 0
    while len(names) > 1 and all(len(x) > common + 1 and x[common] == parts[0][common] for x in parts):
        common += 1
    return {n: "-".join(x[common:]) for n, x in zip(names, parts, strict=True)}


# --- the envelope and the state ------------------------------------------------------------

def envelope(record: dict[str, Any]) -> dict[str, Any] | None:
    """The event CloudTrail puts on the default bus for ``record`` (None: no eventSource, not routable)."""
    source = record.get("eventSource")
    if not isinstance(source, str) or not source:
        return None
    kind = str(record.get("eventType") or "").lower()
    detail_type = DETAIL_TYPES.get(kind) or (DETAIL_TYPES["awsconsolesignin"] if source == "signin.amazonaws.com"
                                             and not kind else API_CALL)
    ui = record.get("userIdentity") if isinstance(record.get("userIdentity"), dict) else {}
    return {"version": "0", "id": str(record.get("eventID") or ""), "detail-type": detail_type,
            "source": "aws." + source.split(".")[0], "account": str(record.get("recipientAccountId")
                                                                     or ui.get("accountId") or ""),
            "time": str(record.get("eventTime") or ""), "region": str(record.get("awsRegion") or ""),
            "resources": [], "detail": record}


def delivered_despite_state(state: str, detail: dict[str, Any]) -> bool:
    """EventBridge: a rule in state ENABLED gets no read-only CloudTrail management events."""
    read_only = detail.get("readOnly") is True and detail.get("eventCategory", "Management") == "Management"
    return state == ALL_EVENTS or not read_only


# --- counting ----------------------------------------------------------------------------------

@dataclass
class Tally:
    records: int = 0
    invocations: Counter[str] = field(default_factory=Counter)  # rule name → invocations
    dropped_by_state: Counter[str] = field(default_factory=Counter)  # pattern matched, state said no
    names: dict[str, Counter[str]] = field(default_factory=dict)  # rule → eventName → invocations
    unrouted: int = 0  # records that invoke nothing
    not_routable: int = 0  # records with no eventSource (never on the bus)

    @property
    def total(self) -> int:
        return sum(self.invocations.values())

    def per_1000(self, n: int | None = None) -> float:
        return 1000 * (self.total if n is None else n) / max(self.records, 1)


def reached(rules: list[Rule], record: dict[str, Any], tally: Tally | None = None) -> list[str]:
    """Names of the rules whose function EventBridge would invoke for ``record``."""
    env = envelope(record)
    if env is None:
        if tally is not None:
            tally.not_routable += 1
        return []
    out = []
    for rule in rules:
        if rule.matcher.matches_event(env):
            if delivered_despite_state(rule.state, record):
                out.append(rule.name)
            elif tally is not None:
                tally.dropped_by_state[rule.name] += 1
    return out


def count(rules: list[Rule], records: Iterable[dict[str, Any]]) -> Tally:
    tally = Tally()
    for record in records:
        tally.records += 1
        hit = reached(rules, record, tally)
        tally.invocations.update(hit)
        for name in hit:
            tally.names.setdefault(name, Counter())[str(record.get("eventName"))] += 1
        tally.unrouted += not hit
    return tally


def render(rules: list[Rule], tally: Tally, top: int = 3) -> str:
    label = family_names(rules)
    rows = [("family", "state", "invocations", "per 1,000", "dropped by state", "top event names")]
    for rule in rules:
        n = tally.invocations[rule.name]
        names = ", ".join(f"{k} {v}" for k, v in tally.names.get(rule.name, Counter()).most_common(top))
        state = "ALL_MANAGEMENT_EVENTS" if rule.state == ALL_EVENTS else rule.state
        rows.append((label[rule.name], state, f"{n:,}", f"{tally.per_1000(n):.1f}",
                     f"{tally.dropped_by_state[rule.name]:,}", names))
    rows.append(("total", "", f"{tally.total:,}", f"{tally.per_1000():.1f}", "", ""))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(c.ljust(w) if i in (0, 1) else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths,
             strict=False))) + "  " + r[5] for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    pct = 100 * tally.unrouted / max(tally.records, 1)
    lines.append(f"events reaching no handler: {tally.unrouted:,} of {tally.records:,} ({pct:.1f}%)"
                 + (f"; {tally.not_routable:,} without eventSource" if tally.not_routable else ""))
    return "\n".join(lines)


# --- the packaged template ------------------------------------------------------------------

def package_key(tree: Path, stage: str, model: Path | None = None) -> str:
    """Hash of every file whose bytes decide the packaged rules (and of the stage and the model)."""
    digest = hashlib.sha256(stage.encode())
    if model is not None:
        digest.update(b"model\0" + model.read_bytes() + b"\0")
    for path in sorted({p for pattern in PACKAGE_INPUTS for p in tree.glob(pattern) if p.is_file()}):
        digest.update(str(path.relative_to(tree)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def packaged_template(tree: Path, stage: str, log: Any = None,
                      model: Path | None = TRAIL_MODEL) -> tuple[Path, bool]:
    """The stage's sam.json for ``tree`` narrowed for ``model``, packaged now or reused; (path, reused)."""
    tree = tree.resolve()
    suffix = "" if tree == ROOT else "-" + hashlib.sha256(str(tree).encode()).hexdigest()[:8]
    out = DATA / f"package-{stage}{suffix}"
    key_file, sam = out / "key", out / "sam.json"
    key = package_key(tree, stage, model)
    if sam.exists() and key_file.exists() and key_file.read_text() == key:
        return sam, True
    if log:
        log(f"packaging {stage} from {tree} into {out.relative_to(ROOT)} (deploy/package.sh, no cfn-lint) ...")
    key_file.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRAILWARDEN_")}
    env.update(SKIP_LINT="1", BIN=str(Path(sys.executable).parent))
    if model is not None:
        env["TRAILWARDEN_PACKAGE_MODEL"] = str(model.resolve())
    result = subprocess.run(["bash", str(tree / "deploy" / "package.sh"), stage, str(out)], cwd=tree, env=env,
                            capture_output=True, text=True, timeout=900, check=False)
    if result.returncode != 0:
        raise TemplateError(f"packaging {stage} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    if package_key(tree, stage, model) == key:  # a file edited meanwhile: do not vouch for this package next time
        key_file.write_text(key)
    return sam, False


def generator() -> ModuleType:
    """bench/gen.py, imported only when a trail is generated (under pytest, ``bench`` is tests/bench)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from bench import gen

    return gen


def samples(folder: Path | None = None) -> str:
    """Whether the generated trail mixes in ``../shared/cloudtrail-samples/``: a fresh clone has no such
    folder beside it, so its trail (and every figure here) differs from the README's, which were taken with it."""
    present = (folder or generator().SAMPLES).is_dir()
    return "with ../shared/cloudtrail-samples" if present else \
        "WITHOUT ../shared/cloudtrail-samples (absent: figures differ from the README's)"


def trail_records(n: int, seed: int, path: Path | None) -> Iterator[dict[str, Any]]:
    """``n`` records of a JSON-lines trail, or of the generator's trail for ``seed``."""
    if path is None:
        yield from (orjson.loads(line) for line in generator().Generator(seed).records(n))
        return
    with open(path, "rb") as fh:
        for line in itertools.islice((x for x in fh if x.strip()), n):
            yield orjson.loads(line)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench/invocations.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--stage", default="prod")
    p.add_argument("--records", type=int, default=20_000, help="records of the trail to route (default 20000)")
    p.add_argument("--seed", type=int, default=7, help="generator seed (default 7, as bench/run)")
    p.add_argument("--trail", type=Path, help="a JSON-lines trail instead of the generated one")
    p.add_argument("--template", type=Path, help="a packaged sam.json instead of packaging the stage")
    p.add_argument("--tree", type=Path, default=ROOT, help="package this checkout (e.g. a git worktree of HEAD)")
    p.add_argument("--model", type=Path, default=TRAIL_MODEL,
                   help="package narrowed for this model (default bench/model.yaml, the trail's own)")
    p.add_argument("--top", type=int, default=3, help="event names shown per family")
    p.add_argument("--json", action="store_true", help="print one JSON object (for bench/measure.py)")
    args = p.parse_args(argv)
    log = None if args.json else (lambda m: print(m, file=sys.stderr, flush=True))
    t0 = time.perf_counter()
    try:
        reused = True
        template_path = args.template or None
        if template_path is None:
            template_path, reused = packaged_template(args.tree, args.stage, log, args.model)
        rules = template_rules(json.loads(template_path.read_text()))
    except (TemplateError, OSError, ValueError) as err:
        print(f"invocations: {err}", file=sys.stderr)
        return 2
    t1 = time.perf_counter()
    tally = count(rules, trail_records(args.records, args.seed, args.trail))
    t2 = time.perf_counter()
    trail = str(args.trail) if args.trail else f"bench/gen.py v{generator().VERSION}, seed {args.seed}, {samples()}"
    label = family_names(rules)
    if args.json:
        print(json.dumps({
            "stage": args.stage, "records": tally.records, "trail": trail, "per_1000": tally.per_1000(),
            "families": {label[r.name]: tally.per_1000(tally.invocations[r.name]) for r in rules},
            "unrouted": tally.unrouted, "package_seconds": t1 - t0, "count_seconds": t2 - t1}))
        return 0
    print(f"template: {template_path} ({'reused' if reused else 'packaged'} in {t1 - t0:.1f}s); "
          f"trail: {tally.records:,} records of {trail}; routed in {t2 - t1:.1f}s\n")
    print(render(rules, tally, args.top))
    print(f"\nLambda invocations per 1,000 trail events ({args.stage} stage): {tally.per_1000():.1f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
