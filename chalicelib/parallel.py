"""Judge many inputs, in this process or spread over cores, always in input order.

``judge_sources`` is the one judging loop behind ``replay``: it reads the inputs in batches,
judges every event and hands back, batch by batch, the findings at or above the threshold
and the inputs that could not be read. With ``workers > 1`` and several files, each file is
judged whole by one worker process, and results still come back in input order:

* files in the order ``expand`` lists them (arguments as given, directories sorted),
* within a file, events in file order, so findings in the order the serial replay prints.

So ``--workers N`` prints exactly the bytes ``--workers 1`` prints; only the speed differs.
That holds for verdicts that rest on history too (a key rotation's known source, who assumed
a role session): a worker logs, in event order, what each event taught and the events whose
verdict reads history, unjudged; the parent applies the logs file by file, in input order, to
the one history it keeps and judges those events there, as one process would have.
A worker sends back a file's results when the file is done, so memory in the parent grows
with the findings of the files in flight (not with the input size), and the progress bar
moves file by file. Stdin, or a single file, is judged in this process.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from chalicelib.engine import Engine
from chalicelib.errors import InputError
from chalicelib.events import CloudTrailEvent
from chalicelib.findings import Finding, Severity
from chalicelib.history import LogHistory
from chalicelib.identity.model import IdentityModel
from chalicelib.sources import STDIN, Batch, batches_of, expand


@dataclass(slots=True)
class Judged:
    """What one batch of one source produced, in input order."""

    source: str | None  # the file (or "-"); None for a path that does not exist
    position: int | None  # bytes of the source consumed so far, when known
    last: bool  # the source is finished
    events: int = 0
    problems: list[InputError] = field(default_factory=list)
    more: int = 0  # bad inputs counted but not itemised (past the first few of a file: sources.SHOWN)
    skipped: dict[str, int] | None = None  # what the source held that is not events (digest files...)
    # Each event that has findings at or above the threshold: its raw record (None unless
    # asked for: workers would ship every one back), and its findings.
    hits: list[tuple[dict[str, Any] | None, list[Finding]]] = field(default_factory=list)
    # From a parallel worker only: each hit's event number in the batch, and what the parent
    # must do in order: (event number, "source" | "session" | "keys", fact...) or
    # (event number, "judge", event) for an event whose verdict reads history.
    hit_at: list[int] | None = None
    log: list[tuple[Any, ...]] | None = None


@dataclass(frozen=True)
class Plan:
    """The inputs, expanded once: files (or located problems) in order, and their total size."""

    sources: list[str | InputError]
    files: int
    size: int | None  # None when stdin is among them

    @classmethod
    def of(cls, paths: Iterable[str]) -> Plan:
        sources = list(expand(paths))
        files = [s for s in sources if isinstance(s, str)]
        return cls(sources, len(files), None if STDIN in files else sum(map(_file_size, files)))


def _file_size(name: str) -> int:
    try:
        return os.path.getsize(name)
    except OSError:
        return 0  # reading it will say why


def judge_batches(engine: Engine, batches: Iterable[Batch], min_severity: Severity = Severity.INFO,
                  keep_raw: bool = False) -> Iterator[Judged]:
    """Judge every event of every batch; bad inputs are passed on, located, in order.

    ``batch.quiet`` events (read with ``engine.quiet``) are ones the engine already knows have
    no finding: they are counted, nothing more.
    """
    judge = engine.judge
    log = engine.deferred
    for batch in batches:
        out = Judged(batch.source, batch.position, batch.last, more=batch.more, skipped=batch.skipped)
        hits = out.hits
        events = batch.quiet
        if log is not None:
            out.hit_at, out.log = [], []
        for item in batch.items:
            if item.__class__ is not CloudTrailEvent and isinstance(item, InputError):
                out.problems.append(item)
                continue
            events += 1
            findings = judge(item)
            if log:  # a worker: what this event taught or deferred, tagged with its number
                out.log.extend((events, *entry) for entry in log)  # type: ignore[union-attr]
                log.clear()
            if findings:
                if min_severity > Severity.INFO:
                    findings = [f for f in findings if f.severity >= min_severity]
                if findings:
                    hits.append((item.raw if keep_raw else None, findings))
                    if out.hit_at is not None:
                        out.hit_at.append(events)
        out.events = events
        yield out


def judge_sources(plan: Plan, model: IdentityModel, min_severity: Severity = Severity.INFO,
                  workers: int = 1, keep_raw: bool = False, memo: bool = True) -> Iterator[Judged]:
    """Judge the planned inputs, serially or with ``workers`` processes (0: one per core).

    ``keep_raw``: hand back each hit's raw CloudTrail record too (an incident store keeps it).
    ``memo=False`` judges every line in full (``replay --no-memo``): the output must not change,
    which is how the quiet-event memo is checked.
    """
    files = [s for s in plan.sources if isinstance(s, str)]
    workers = workers or os.cpu_count() or 1
    if workers <= 1 or len(files) < 2 or STDIN in files:
        engine = Engine(model)
        yield from judge_batches(engine, batches_of(plan.sources, quiet=engine.quiet if memo else None),
                                 min_severity, keep_raw)
        return
    import multiprocessing  # only here: a serial replay does not pay for importing it

    ctx = multiprocessing.get_context()
    parent = Engine(model)  # keeps the whole history, and judges the events that read it
    with ctx.Pool(min(workers, len(files)), initializer=_init_worker,
                  initargs=(model, min_severity, keep_raw, memo)) as pool:
        done = pool.imap(_judge_file, files, chunksize=1)
        for source in plan.sources:
            if isinstance(source, InputError):
                yield Judged(None, None, True, problems=[source])
                continue
            for judged in next(done):
                judged.problems = [InputError(message, where) for message, where in judged.problems]  # type: ignore[misc]
                _complete(parent, judged, min_severity, keep_raw)
                yield judged


def _complete(parent: Engine, judged: Judged, min_severity: Severity, keep_raw: bool) -> None:
    """Apply a worker's batch log in order: learn its facts, judge its deferred events, and put
    their findings among the worker's hits where the serial replay would have printed them."""
    if not judged.log:
        judged.hit_at = judged.log = None
        return
    numbered = list(zip(judged.hit_at or (), judged.hits, strict=True))
    for number, kind, *rest in judged.log:
        if kind != "judge":
            parent.history.apply((kind, *rest))
            continue
        event: CloudTrailEvent = rest[0]
        findings = [f for f in parent.judge(event) if f.severity >= min_severity]
        if findings:
            numbered.append((number, (event.raw if keep_raw else None, findings)))
    numbered.sort(key=lambda pair: pair[0])
    judged.hits = [hit for _, hit in numbered]
    judged.hit_at = judged.log = None


_ENGINE: Engine | None = None
_MIN_SEVERITY = Severity.INFO
_KEEP_RAW = False
_MEMO = True


def relax_gc() -> None:
    """For a process that is about to judge a long input (replay, and its workers).

    Judging allocates millions of short-lived, acyclic objects (parsed records, views, keys), and
    at the default threshold (700 allocations) the collector sweeps the young ones hundreds of
    times a second, ~5% of a replay. Start-up's objects (modules, the model) are frozen out of
    every sweep, and young objects are swept every 50,000 allocations: memory stays flat because
    nearly everything is freed by reference counting anyway.
    """
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def _init_worker(model: IdentityModel, min_severity: Severity, keep_raw: bool, memo: bool = True) -> None:
    global _ENGINE, _MIN_SEVERITY, _KEEP_RAW, _MEMO
    relax_gc()
    log: list[tuple[Any, ...]] = []
    _ENGINE, _MIN_SEVERITY, _KEEP_RAW = Engine(model, history=LogHistory(log)), min_severity, keep_raw
    _MEMO = memo
    _ENGINE.deferred = log  # one log: facts and deferred events stay in event order


def _judge_file(name: str) -> list[Judged]:
    """One file, whole, in a worker; problems travel as (message, location): pickle drops location."""
    assert _ENGINE is not None
    out = []
    quiet = _ENGINE.quiet if _MEMO else None
    for judged in judge_batches(_ENGINE, batches_of([name], quiet=quiet), _MIN_SEVERITY, _KEEP_RAW):
        judged.problems = [(p.message, p.location) for p in judged.problems]  # type: ignore[misc]
        out.append(judged)
    return out
