"""Mutated real records through replay: no crash, no rule-error, the same output with and without
the quiet-event memo, and the same output every time.

Each example is a little trail: a real record (fixtures, story, or a shared sample) and a few
hostile mutants of it, in any order, with one line repeated — so the memo has learnt a key from
one line before it sees others that share most of their fields. The memo run reads one line per
batch (the memo only skips a line once an earlier batch was judged); the reference run is the
``replay --no-memo`` path (``judge_sources(memo=False)``).
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.cli.output import FindingPrinter
from chalicelib.engine import RULE_ERROR, Engine
from chalicelib.errors import InputError
from chalicelib.identity import load_model
from chalicelib.parallel import Judged, Plan, judge_batches, judge_sources
from chalicelib.sources import batches_of

from .conftest import LONG_MAX
from .mutations import SAMPLES, Text, as_text, mutated, seed_records

MODEL = load_model()
FIXTURE_SEEDS = seed_records(shared=False)
SHARED_SEEDS = seed_records(shared=True)


@st.composite
def trails(draw: st.DrawFn, seeds: list[dict[str, Any]]) -> list[Text]:
    """A seed, 1-4 mutants of it, shuffled, and one of them again at the end."""
    seed = draw(st.sampled_from(seeds))
    records = [seed, *(draw(mutated([seed], LONG_MAX)) for _ in range(draw(st.integers(1, 4))))]
    texts = draw(st.permutations([draw(as_text(r)) for r in records]))
    return [*texts, draw(st.sampled_from(texts))]


def printed(judged: Iterable[Judged]) -> tuple[str, list[str], int]:
    """What replay prints (JSON lines), its bad-input lines, and how many events it counted."""
    out, problems, events = io.StringIO(), [], 0
    printer = FindingPrinter("json", out)
    for batch in judged:
        problems += [str(p) for p in batch.problems if isinstance(p, InputError)]
        events += batch.events
        for _, findings in batch.hits:
            printer.emit(findings)
    printer.close()
    return out.getvalue(), problems, events


def replayed(path: str, *, memo: bool) -> tuple[str, list[str], int]:
    if not memo:
        return printed(judge_sources(Plan.of([path]), MODEL, memo=False))
    engine = Engine(MODEL)
    return printed(judge_batches(engine, batches_of([path], size=1, quiet=engine.quiet)))


def check(trail: list[Text]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "trail.jsonl"
        path.write_bytes(b"\n".join(t.line for t in trail) + b"\n")
        reference = replayed(str(path), memo=False)
        assert f'"rule":"{RULE_ERROR}"' not in reference[0]
        assert replayed(str(path), memo=True) == reference, "the memo changed replay's output"
        assert replayed(str(path), memo=False) == reference, "replay is not deterministic"


@given(trails(FIXTURE_SEEDS))
def test_mutated_fixture_records_replay_alike_with_and_without_the_memo(trail: list[Text]) -> None:
    check(trail)


@pytest.mark.skipif(not SHARED_SEEDS, reason=f"shared samples not found at {SAMPLES.resolve()}")
@given(trails(SHARED_SEEDS or [{}]))
def test_mutated_shared_samples_replay_alike_with_and_without_the_memo(trail: list[Text]) -> None:
    check(trail)


# The detections of the escalation round read request and response fields the other seeds rarely
# carry; sampled among all fixtures they get a couple of examples each, so they get their own run.
ESCALATION_NAMES = frozenset({
    "CreateFunction20150331", "AddPermission20150331v2",
    "RunInstances", "AssociateIamInstanceProfile", "GetPasswordData", "AssumeRoot",
    "CreateGroupMembership", "CreateServiceSpecificCredential", "UpdateAssumeRolePolicy", "CreateRole"})
ESCALATION_SEEDS = [s for s in FIXTURE_SEEDS if s.get("eventName") in ESCALATION_NAMES]


def test_the_escalation_seeds_are_found():
    assert {s.get("eventName") for s in ESCALATION_SEEDS} == ESCALATION_NAMES


@given(trails(ESCALATION_SEEDS))
def test_mutated_escalation_records_replay_alike_with_and_without_the_memo(trail: list[Text]) -> None:
    check(trail)
