"""The invocation counter (bench/invocations.py): template reading, envelope, rule state, and
moto's pattern matcher against hand-checked EventBridge outcomes; plus the generated trail's mix.

The rules are a template-like dict built here with fixed copies of the committed patterns, so
the tests run in a second and do not move when app.py's patterns change (the counter reads
whatever the packaged template holds; that is what `make invocations` is for).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.bench.scripts import load_script

ROOT = Path(__file__).resolve().parents[2]
ALL = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
ACCOUNT = "630287363158"


inv = load_script("invocations")

PATTERNS = {  # as committed in app.py when the counter was written
    "root": {"source": [{"prefix": "aws."}], "detail": {"userIdentity": {"type": ["Root"]}}},
    "sts": {"source": ["aws.sts"], "detail-type": ["AWS API Call via CloudTrail"],
            "detail": {"eventSource": ["sts.amazonaws.com"], "eventName": [{"prefix": "AssumeRole"}],
                       "errorCode": [{"exists": True}]}},
    "writes": {"source": [{"prefix": "aws."}], "detail": {"readOnly": [False]}},
}


def sam_rule(name: str, state: str | None, pattern: dict[str, Any], kind: str = "EventBridgeRule") -> dict[str, Any]:
    props: dict[str, Any] = {"RuleName": f"trailwarden-test-{name}", "Pattern": pattern}
    if state:
        props["State"] = state
    return {"Type": "AWS::Serverless::Function", "Properties": {"Events": {f"{name}Event": {
        "Type": kind, "Properties": props}}}}


def template(**states: str) -> dict[str, Any]:
    """Root, sts and signin with all events, writes and iam ENABLED (states override per family)."""
    st = {"root": ALL, "sts": ALL, "writes": "ENABLED", "signin": ALL, "iam": "ENABLED", **states}
    resources = {name.title(): sam_rule(name, st[name], PATTERNS[name]) for name in ("root", "sts", "writes")}
    resources["Signin"] = sam_rule("signin", st["signin"], {"source": ["aws.signin"],
                                                             "detail": {"eventName": ["ConsoleLogin"]}},
                                   kind="CloudWatchEvent")
    resources["Iam"] = {"Type": "AWS::Serverless::Function", "Properties": {}}
    resources["IamRule"] = {"Type": "AWS::Events::Rule", "Properties": {
        "Name": "trailwarden-test-iam", "State": st["iam"],
        "EventPattern": json.dumps({"source": ["aws.iam"], "detail": {"eventName": ["DeleteUser"]}}),
        "Targets": [{"Id": "iam", "Arn": {"Fn::GetAtt": ["Iam", "Arn"]}}]}}
    resources["Daily"] = {"Type": "AWS::Serverless::Function", "Properties": {"Events": {"DailyEvent": {
        "Type": "Schedule", "Properties": {"Schedule": "rate(1 day)", "State": "ENABLED"}}}}}
    resources["Old"] = sam_rule("old", "DISABLED", {"source": [{"prefix": "aws."}]})
    return {"Resources": resources}


def record(source: str, name: str, identity: dict[str, Any], *, read_only: bool | None,
           error: str | None = None, **extra: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {"eventVersion": "1.10", "userIdentity": identity, "eventTime": "2026-11-20T10:00:00Z",
                           "eventSource": source, "eventName": name, "awsRegion": "eu-west-1",
                           "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": ACCOUNT,
                           "eventCategory": "Management", **extra}
    if read_only is not None:
        rec["readOnly"] = read_only
    if error:
        rec["errorCode"], rec["errorMessage"] = error, "not authorized"
    return rec


ROOT_ID = {"type": "Root", "principalId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:root", "accountId": ACCOUNT}
CI = {"type": "IAMUser", "userName": "ci", "accountId": ACCOUNT, "accessKeyId": "AKIAZ7EXAMPLECIKEY01"}
LAMBDA = {"type": "AWSService", "invokedBy": "lambda.amazonaws.com"}


def families(rules: list[Any], rec: dict[str, Any]) -> set[str]:
    label = inv.family_names(rules)
    return {label[name] for name in inv.reached(rules, rec)}


def test_rules_are_read_from_sam_events_and_plain_rules_but_not_schedules_or_disabled_rules() -> None:
    rules = inv.template_rules(template())
    assert {(r.name, r.target, r.state) for r in rules} == {
        ("trailwarden-test-root", "Root", ALL), ("trailwarden-test-sts", "Sts", ALL),
        ("trailwarden-test-writes", "Writes", "ENABLED"), ("trailwarden-test-signin", "Signin", ALL),
        ("trailwarden-test-iam", "Iam", "ENABLED")}
    assert sorted(inv.family_names(rules).values()) == ["iam", "root", "signin", "sts", "writes"]


def test_a_pattern_holding_a_cloudformation_function_is_refused() -> None:
    bad = {"Resources": {"F": sam_rule("f", ALL, {"account": [{"Ref": "AWS::AccountId"}]})}}
    with pytest.raises(inv.TemplateError, match="CloudFormation function"):
        inv.template_rules(bad)


def test_root_list_buckets_reaches_root_only_when_its_rule_takes_all_management_events() -> None:
    list_buckets = record("s3.amazonaws.com", "ListBuckets", ROOT_ID, read_only=True)
    assert families(inv.template_rules(template()), list_buckets) == {"root"}
    enabled_only = inv.template_rules(template(root="ENABLED"))
    assert families(enabled_only, list_buckets) == set()
    tally = inv.count(enabled_only, [list_buckets])
    assert tally.total == 0 and tally.unrouted == 1
    assert tally.dropped_by_state == {"trailwarden-test-root": 1}


def test_a_successful_assume_role_by_an_aws_service_reaches_no_handler() -> None:
    assume = record("sts.amazonaws.com", "AssumeRole", LAMBDA, read_only=True,
                    requestParameters={"roleArn": f"arn:aws:iam::{ACCOUNT}:role/fn", "roleSessionName": "awslambda_1"})
    assert families(inv.template_rules(template()), assume) == set()


def test_a_failed_assume_role_reaches_the_sts_handler_only() -> None:
    denied = record("sts.amazonaws.com", "AssumeRole", CI, read_only=True, error="AccessDenied")
    assert families(inv.template_rules(template()), denied) == {"sts"}


def test_a_root_write_invokes_two_handlers_and_an_iam_delete_user_reaches_the_plain_rule() -> None:
    rules = inv.template_rules(template())
    assert families(rules, record("s3.amazonaws.com", "CreateBucket", ROOT_ID, read_only=False)) == {"root", "writes"}
    assert families(rules, record("iam.amazonaws.com", "DeleteUser", CI, read_only=False)) == {"iam", "writes"}


def test_the_envelope_is_built_as_cloudtrail_puts_it_on_the_bus() -> None:
    login = record("signin.amazonaws.com", "ConsoleLogin", ROOT_ID, read_only=False, eventType="AwsConsoleSignIn")
    service = record("ecr.amazonaws.com", "PolicyExecutionEvent", {"accountId": ACCOUNT}, read_only=True,
                     eventType="AwsServiceEvent")
    env = inv.envelope(login)
    assert (env["source"], env["detail-type"], env["account"], env["region"]) == (
        "aws.signin", "AWS Console Sign In via CloudTrail", ACCOUNT, "eu-west-1")
    assert env["detail"] is login
    assert inv.envelope(service)["detail-type"] == "AWS Service Event via CloudTrail"
    assert inv.envelope(record("ec2.amazonaws.com", "DescribeVpcs", CI, read_only=True))["detail-type"] == \
        "AWS API Call via CloudTrail"
    assert inv.envelope({"eventName": "x"}) is None


def test_invocations_per_thousand_count_every_handler_an_event_reaches() -> None:
    rules = inv.template_rules(template())
    trail = [record("s3.amazonaws.com", "CreateBucket", ROOT_ID, read_only=False),  # root + writes
             record("sts.amazonaws.com", "AssumeRole", CI, read_only=True, error="AccessDenied"),  # sts
             record("ec2.amazonaws.com", "DescribeVpcs", CI, read_only=True),  # nothing
             {"eventName": "NoSource"}]  # never on the bus
    tally = inv.count(rules, trail)
    assert (tally.records, tally.total, tally.unrouted, tally.not_routable) == (4, 3, 2, 1)
    assert tally.per_1000() == 750.0
    assert "total" in inv.render(rules, tally) and "events reaching no handler: 2 of 4" in inv.render(rules, tally)


# Hand-checked against EventBridge's documented matching (content filtering, null values, $or).
EVENT = {"source": "aws.sts", "detail": {"eventName": "AssumeRole", "errorCode": "AccessDenied", "count": 5,
                                         "responseElements": None, "tags": ["a", "b"],
                                         "userIdentity": {"type": "IAMUser", "userName": "Ci"}}}
OPERATOR_CASES = [
    ("prefix", {"source": [{"prefix": "aws."}]}, True),
    ("prefix-miss", {"source": [{"prefix": "acme."}]}, False),
    ("anything-but", {"detail": {"userIdentity": {"type": [{"anything-but": ["AWSService"]}]}}}, True),
    ("anything-but-excluded", {"detail": {"userIdentity": {"type": [{"anything-but": ["IAMUser"]}]}}}, False),
    ("anything-but-on-a-missing-field", {"detail": {"invokedBy": [{"anything-but": ["x"]}]}}, False),
    ("exists", {"detail": {"errorCode": [{"exists": True}]}}, True),
    ("exists-false-on-a-missing-field", {"detail": {"invokedBy": [{"exists": False}]}}, True),
    ("exists-false-on-a-present-field", {"detail": {"errorCode": [{"exists": False}]}}, False),
    ("or-second-branch", {"detail": {"$or": [{"eventName": ["GetRole"]}, {"count": [{"numeric": [">", 4]}]}]}}, True),
    ("or-no-branch", {"detail": {"$or": [{"eventName": ["GetRole"]}, {"count": [{"numeric": ["<", 4]}]}]}}, False),
    ("numeric-range", {"detail": {"count": [{"numeric": [">", 0, "<=", 5]}]}}, True),
    ("numeric-range-miss", {"detail": {"count": [{"numeric": [">", 5]}]}}, False),
    ("nested", {"detail": {"userIdentity": {"userName": ["Ci"]}}}, True),
    ("array-value", {"detail": {"tags": ["b"]}}, True),
    ("null", {"detail": {"responseElements": [None]}}, True),
    ("null-is-not-empty-string", {"detail": {"responseElements": [""]}}, False),
    ("equals-ignore-case", {"detail": {"userIdentity": {"userName": [{"equals-ignore-case": "ci"}]}}}, True),
    ("all-fields-must-match", {"source": ["aws.sts"], "detail": {"eventName": ["GetRole"]}}, False),
]


@pytest.mark.parametrize(("pattern", "expected"), [c[1:] for c in OPERATOR_CASES], ids=[c[0] for c in OPERATOR_CASES])
def test_moto_matches_each_operator_as_eventbridge_documents(pattern: dict[str, Any], expected: bool) -> None:
    assert inv.EventPattern.load(json.dumps(pattern)).matches_event(EVENT) is expected


# Where moto 5.2.5 differs from EventBridge (strict: a moto that fixes it fails here, so the
# caveats in bench/RESULTS.md get updated).
MOTO_DIFFERENCES = [
    ("a-number-pattern-does-not-match-true", {"detail": {"flag": [1]}}, {"detail": {"flag": True}}, False),
    ("numeric-does-not-match-a-boolean", {"detail": {"flag": [{"numeric": [">", 0]}]}}, {"detail": {"flag": True}},
     False),
    ("fields-inside-arrays-of-objects-match", {"detail": {"resources": {"type": ["AWS::KMS::Key"]}}},
     {"detail": {"resources": [{"type": "AWS::KMS::Key"}]}}, True),
]


@pytest.mark.xfail(strict=True, reason="moto 5.2.5's matcher differs from EventBridge here")
@pytest.mark.parametrize(("pattern", "event", "eventbridge"), [c[1:] for c in MOTO_DIFFERENCES],
                         ids=[c[0] for c in MOTO_DIFFERENCES])
def test_moto_known_difference(pattern: dict[str, Any], event: dict[str, Any], eventbridge: bool) -> None:
    assert inv.EventPattern.load(json.dumps(pattern)).matches_event(event) is eventbridge


def test_the_package_key_changes_with_the_files_that_decide_the_rules_only(tmp_path: Path) -> None:
    files = {"app.py": "P = 1\n", "chalicelib/x/y.py": "", "deploy/build.py": "", "deploy/package.sh": "",
             ".chalice/config.json": "{}", "README.md": "hello"}
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    def key() -> str:
        return inv.package_key(tmp_path, "prod")

    before = key()
    (tmp_path / "README.md").write_text("changed")
    assert key() == before
    assert inv.package_key(tmp_path, "dev") != before
    for name in ("app.py", "chalicelib/x/y.py", "deploy/build.py", ".chalice/config.json"):
        (tmp_path / name).write_text((tmp_path / name).read_text() + " ")
        assert key() != before, name
        before = key()


# --- the generated trail: shaped like a real account's management events -------------------------

@pytest.fixture(scope="module")
def trail() -> list[dict[str, Any]]:
    out = subprocess.run([sys.executable, "-c", "import sys; from bench import gen; "
                          "sys.stdout.buffer.write(b'\\n'.join(gen.Generator(7).records(4000)))"],
                         cwd=ROOT, capture_output=True, check=True, timeout=120).stdout
    return [orjson.loads(line) for line in out.splitlines()]


def share(trail: list[dict[str, Any]], test: Callable[[dict[str, Any]], bool]) -> float:
    return sum(map(test, trail)) / len(trail)


@pytest.mark.skipif(not (Path(__file__).resolve().parents[3] / "shared" / "cloudtrail-samples").is_dir(),
                    reason="the trail's mix is weighed with the shared samples, which are not beside this checkout")
def test_the_generated_trail_is_mostly_reads_with_a_few_per_cent_writes(trail: list[dict[str, Any]]) -> None:
    assert 0.75 <= share(trail, lambda r: r.get("readOnly") is True) <= 0.9
    assert 0.03 <= share(trail, lambda r: r.get("readOnly") is False) <= 0.15


def test_the_generated_trail_has_the_routine_kinds_a_real_trail_is_made_of(trail: list[dict[str, Any]]) -> None:
    def ui(r: dict[str, Any]) -> dict[str, Any]:
        return r.get("userIdentity") or {}

    assert share(trail, lambda r: ui(r).get("type") == "AWSService" and r["eventName"] == "AssumeRole") >= 0.1
    assert share(trail, lambda r: ui(r).get("type") == "AssumedRole" and r["eventName"] == "AssumeRole"
                 and "errorCode" not in r) > 0
    assert share(trail, lambda r: ui(r).get("invokedBy") == "ssm.amazonaws.com" and r["eventName"] == "Decrypt"
                 and "PARAMETER_ARN" in r["requestParameters"]["encryptionContext"]) >= 0.01
    assert 0 < share(trail, lambda r: r["eventSource"] == "kms.amazonaws.com" and "invokedBy" not in ui(r)
                     and ui(r).get("type") == "AssumedRole") < 0.03  # direct use by an application: rare
    assert share(trail, lambda r: r["eventName"] == "GetCallerIdentity") >= 0.01
    assert share(trail, lambda r: ui(r).get("type") == "IAMUser" and r.get("readOnly") is True
                 and str(ui(r).get("accessKeyId")).startswith("AKIA")) >= 0.05


PLAN = "terraform-provider-aws/"  # the CI-plan kind's user agent (the story's Terraform records lack it)


def test_a_ci_plan_burst_is_one_user_and_key_calling_in_a_row(trail: list[dict[str, Any]]) -> None:
    runs: list[list[dict[str, Any]]] = []
    for prev, rec in zip([None, *trail], trail, strict=False):
        if PLAN in str(rec.get("userAgent")):
            if prev is None or PLAN not in str(prev.get("userAgent")):
                runs.append([])
            runs[-1].append(rec["userIdentity"])
    assert runs and all(len(run) >= 20 for run in runs[:-1])
    for run in runs:
        assert len({(u["arn"], u["accessKeyId"]) for u in run}) == 1


def test_the_generator_is_deterministic_per_seed() -> None:
    code = "import sys; from bench import gen; sys.stdout.buffer.write(b''.join(gen.Generator(int(sys.argv[1]))" \
           ".records(300)))"
    runs = [subprocess.run([sys.executable, "-c", code, seed], cwd=ROOT, capture_output=True, check=True,
                           timeout=120).stdout for seed in ("7", "7", "8")]
    assert runs[0] == runs[1] != runs[2]



def test_the_trail_label_says_when_the_shared_samples_are_absent_as_in_a_fresh_clone(tmp_path: Path) -> None:
    assert inv.samples(tmp_path / "cloudtrail-samples").startswith("WITHOUT ../shared/cloudtrail-samples")
    (tmp_path / "cloudtrail-samples").mkdir()
    assert inv.samples(tmp_path / "cloudtrail-samples") == "with ../shared/cloudtrail-samples"
