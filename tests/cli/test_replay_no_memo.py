"""``replay --no-memo`` judges every line in full: the switch the memo's equality checks (and the
fuzz tests) compare against."""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.cli import main

ROOT = Path(__file__).resolve().parents[2]
STORY = ROOT / "examples" / "story"


def test_replay_without_the_memo_prints_what_replay_with_it_prints(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", "--format", "json", str(STORY)]) == 0
    with_memo = capsys.readouterr()
    assert main(["replay", "--format", "json", "--no-memo", str(STORY)]) == 0
    assert capsys.readouterr() == with_memo

