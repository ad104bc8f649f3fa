"""Read CloudTrail events from files, directories and stdin, without ever losing the good ones.

A file may hold one JSON document (bare record, EventBridge envelope, ``{"Records": [...]}``
log file, array) or JSON lines, optionally gzipped. JSON lines are streamed, and so is any
document or line larger than ``LIMIT`` (``chalicelib.jsonstream``), so memory stays flat
however large, or hostile, the file. A bad line or record is reported with its location and
reading goes on; past the first ``SHOWN`` of a file, bad inputs are only counted, so a file
of a million of them costs neither memory nor a million lines of output. Digest and
Insights files, which CloudTrail writes beside its logs, are skipped and counted.
"""

from __future__ import annotations

import gzip
import io
import os
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import orjson

from chalicelib.errors import InputError
from chalicelib.events import CloudTrailEvent, is_history
from chalicelib.jsonstream import LIMIT, Bad, Window, pieces
from chalicelib.sourcestate import SHOWN, Item, SourceState

SUFFIXES = (".json", ".jsonl", ".gz")
STDIN = "-"
BATCH = 32  # lines judged per trip through the reading generators (see read_batches)
READ_ERRORS = (OSError, EOFError, gzip.BadGzipFile, zlib.error)  # zlib: a corrupted .gz body
MAX_LINE = 8 * LIMIT  # a longer line (or document) is read in pieces, never held whole
BUDGET = 32 * LIMIT  # what parsing a line or document larger than LIMIT whole may cost (see _fits)
# Where `aws s3 sync` of a trail bucket puts what is not events (AWSLogs/<account>/<dir>/...),
# and the infix of those files' names.
SKIPPED_DIRS = {"CloudTrail-Digest": "digest", "CloudTrail-Insight": "insight"}


class QuietLines(Protocol):
    """What the reader asks of an engine's memo of quiet events (chalicelib/quiet.py)."""

    def is_quiet_line(self, line: bytes) -> bool: ...

    def parsed(self, record: dict[str, Any]) -> None: ...


def expand(paths: Iterable[str]) -> Iterator[str | InputError]:
    """Files as given; directories recursively (``*.json``, ``*.jsonl``, ``*.gz``), sorted."""
    for raw in paths:
        if raw == STDIN:
            yield STDIN
            continue
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith(SUFFIXES))
            if not found:
                yield InputError("directory holds no *.json, *.jsonl or *.gz files", str(path))
            yield from (str(p) for p in found)
        elif path.is_file():
            yield str(path)
        else:
            yield InputError("no such file or directory", str(path))


def _open_with_position(name: str) -> tuple[BinaryIO, Callable[[], int] | None]:
    """The (maybe gunzipped) stream, and how many bytes of the file it has consumed so far."""
    if name == STDIN:
        raw: BinaryIO = sys.stdin.buffer
    else:
        raw = open(name, "rb")  # noqa: SIM115 - closed by the caller
    return decoded(raw, name), raw.tell if name != STDIN else None


def decoded(raw: BinaryIO, name: str) -> BinaryIO:
    """``raw`` gunzipped on the fly when it is gzip (by magic bytes or name), else ``raw`` itself."""
    head = raw.peek(2)[:2] if hasattr(raw, "peek") else b""
    if head == b"\x1f\x8b" or name.endswith(".gz"):
        return gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
    return raw


def _json_error(err: Exception) -> str:
    return f"invalid JSON ({err})"


@dataclass(slots=True)
class Batch:
    """Consecutive items of one source, in input order, and how far into the source they reach.

    ``position`` is the bytes of the file consumed so far (compressed bytes for ``.gz``), None
    when unknown (stdin); ``last`` marks the source's final batch. A path that does not exist
    is a batch of its one problem, with ``source`` None.
    """

    source: str | None
    items: list[Item]
    position: int | None = None
    last: bool = True
    quiet: int = 0  # events among these lines the engine's memo knew had no finding: counted, not read
    more: int = 0  # bad inputs past the source's first SHOWN: counted, not itemised
    skipped: dict[str, int] | None = None  # on the last batch: "digest file", "insight record"... and how many


def _fits(data: bytes) -> bool:
    """Whether orjson can parse ``data`` whole within BUDGET: it makes an object of 30-70 bytes
    per value and ~250 per JSON object, so ``[{},{},...]`` costs 36 times its size."""
    return len(data) + 250 * data.count(b"{") + 80 * (data.count(b"[") + data.count(b",")) <= BUDGET


def _too_big(line: bytes) -> bool:
    """A line (or its first MAX_LINE bytes) that must be read in pieces, not parsed whole."""
    return len(line) > LIMIT and ((len(line) >= MAX_LINE and line[-1] != 10) or not _fits(line))


def _lines(tail: bytes, stream: BinaryIO) -> Iterator[bytes]:
    """The lines of ``tail`` (already read from ``stream``), then the stream's, never one longer than MAX_LINE."""
    lines = io.BytesIO(tail).readlines()
    if lines and not lines[-1].endswith(b"\n"):
        lines[-1] += stream.readline(MAX_LINE)
    return chain(lines, iter(partial(stream.readline, MAX_LINE), b""))


def _nothing(_: int) -> bytes:
    return b""


def _line_batches(stream: BinaryIO, name: str, head: Iterable[bytes], first_no: int, size: int,
                  quiet: QuietLines | None, state: SourceState) -> Iterator[tuple[list[Item], int]]:
    """Parse JSON lines, ``head`` (already read) then the stream's, ``size`` lines at a time.

    This is the replay's hot loop: a line the ``quiet`` memo knows is an event with no finding
    is only counted (the second item of each yield); a bare record (the commonest line) goes to
    ``from_record`` (and is handed to ``quiet.parsed``, so its verdict can teach the memo);
    anything else is read as a whole document would be. A line too large to parse whole (a big
    log file on one line, or anything hostile; see ``_fits``) is read in pieces, then reading
    goes on after it.
    """
    loads, decode_error, from_record = orjson.loads, orjson.JSONDecodeError, CloudTrailEvent.from_record
    is_quiet = quiet.is_quiet_line if quiet is not None else None
    items: list[Item] = []
    append = items.append
    lineno = first_no - 1
    left = size
    skipped = 0
    lines: Iterator[bytes] | None = chain(head, iter(partial(stream.readline, MAX_LINE), b""))
    try:
        while lines is not None:
            todo, lines = lines, None
            for line in todo:
                lineno += 1
                if is_quiet is not None and is_quiet(line):
                    skipped += 1
                elif len(line) > LIMIT and _too_big(line):
                    if items or skipped:
                        yield items, skipped
                    items, left, skipped = [], size, 0
                    append = items.append
                    whole = line[-1] == 10  # all of the line is here: read no further than its end
                    window = Window(_nothing if whole else stream.read, line)
                    yield from _streamed(window, f"{name}:{lineno}", size, state)
                    if not window.finish_line():
                        state.problem(items, "invalid JSON (more data after the value on this line)",
                                      f"{name}:{lineno}")
                    if not whole:
                        lines = _lines(window.rest(), stream)
                        break
                else:
                    try:
                        doc = loads(line)  # orjson skips the JSON whitespace around a line itself
                    except decode_error:
                        text = line.strip()  # blank lines are skipped; other whitespace (\f, \v) is not JSON's
                        if not text:
                            continue
                        try:
                            doc = loads(text)
                        except decode_error as err:
                            state.problem(items, _json_error(err), f"{name}:{lineno}")
                            continue
                    if doc.__class__ is dict and "Records" not in doc and "detail" not in doc:
                        if quiet is not None:
                            quiet.parsed(doc)
                        try:
                            append(from_record(doc))
                        except InputError as err:
                            if is_history(doc):  # a saved event-history or CloudWatch Logs entry (events.WRAPPERS)
                                state.doc(items, doc, f"{name}:{lineno}")
                            elif not state.not_an_event(doc):
                                state.problem(items, err.message, f"{name}:{lineno}")
                    else:
                        state.doc(items, doc, f"{name}:{lineno}")
                left -= 1
                if not left:
                    yield items, skipped
                    items = []
                    append = items.append
                    left, skipped = size, 0
    except READ_ERRORS as err:  # e.g. a truncated .gz: keep what was read, then say why it stopped
        items.append(InputError(f"cannot read: {err}", name))
    if items or skipped:
        yield items, skipped


def _streamed(window: Window, location: str, size: int, state: SourceState) -> Iterator[tuple[list[Item], int]]:
    """The one JSON value at ``window``, read in pieces (``jsonstream``), ``size`` pieces at a time."""
    items: list[Item] = []
    n = 0
    for piece in pieces(window, state.counting):
        if piece.__class__ is tuple:
            sub, value, record = piece  # type: ignore[misc]
            if record:
                state.record(items, value, location, sub)
            else:
                state.doc(items, value, f"{location}{sub}")
        elif isinstance(piece, Bad):
            state.problem(items, piece.message, f"{location}{piece.sub}", piece.count)
        elif not state.not_an_event(piece.head):  # type: ignore[union-attr]
            state.problem(items, f"not a CloudTrail file: a JSON {piece.kind} of {piece.size:,} bytes "  # type: ignore[union-attr]
                          "with no Records array", location)
        n += 1
        if n >= size:
            yield items, 0
            items, n = [], 0
    if items or n:
        yield items, 0


def read_source(name: str) -> Iterator[Item]:
    """Every event (or located problem) in one file or stdin; past SHOWN problems, one that counts the rest."""
    more = 0
    for batch in _source_batches(name, 1 if name == STDIN else BATCH):
        yield from batch.items
        more += batch.more
    if more:
        yield InputError(f"{more:,} more bad inputs (only the first {SHOWN} are itemised)", name)


def skipped_by_path(name: str) -> str | None:
    """``digest`` or ``insight`` for a file where CloudTrail keeps those (by directory or name)."""
    path = Path(name)
    for folder, kind in SKIPPED_DIRS.items():
        if folder in path.parts[:-1] or f"_{folder}_" in path.name:
            return kind
    return None


def _source_batches(name: str, size: int, quiet: QuietLines | None = None) -> Iterator[Batch]:
    kind = skipped_by_path(name) if name != STDIN else None
    if kind is not None:  # not even opened: `aws s3 sync` brings one digest file per hour and region
        yield Batch(name, [], _size(name), last=True, skipped={f"{kind} file": 1})
        return
    try:
        stream, position = _open_with_position(name)
    except OSError as err:
        yield Batch(name, [InputError(f"cannot read: {err.strerror or err}", name)], None, last=True)
        return
    yield from stream_batches(name, stream, position, size, quiet, close=name != STDIN, total=_size)


def stream_batches(name: str, stream: BinaryIO, position: Callable[[], int] | None, size: int,
                   quiet: QuietLines | None = None, *, close: bool = True,
                   total: Callable[[str], int | None] = lambda _: None) -> Iterator[Batch]:
    """The batches of one opened (decoded) stream: a local file, stdin, or an S3 object's body.

    ``position`` says how many raw bytes were consumed so far, ``total`` the source's size
    once read (for the last batch); the stream is closed at the end when ``close``.
    """
    state = SourceState()
    try:
        for items, skipped in _read_stream(stream, name, size, quiet, state):
            more, state.more = state.more, 0
            state.seen += len(items) + skipped + more
            yield Batch(name, items, position() if position else None, last=False, quiet=skipped, more=more)
    except READ_ERRORS as err:
        state.seen += 1
        yield Batch(name, [InputError(f"cannot read: {err}", name)], None, last=False)
    finally:
        if close:
            stream.close()
    yield Batch(name, [], total(name), last=True, more=state.more, skipped=state.skipped())


def _size(name: str) -> int | None:
    try:
        return None if name == STDIN else os.path.getsize(name)
    except OSError:
        return None


def _parses(line: bytes) -> bool:
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


def _read_stream(stream: BinaryIO, name: str, size: int, quiet: QuietLines | None,
                 state: SourceState) -> Iterator[tuple[list[Item], int]]:
    lineno = 1
    first = stream.readline(MAX_LINE).removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte-order mark (Windows editors)
    while first and not first.strip():
        lineno += first.endswith(b"\n")
        first = stream.readline(MAX_LINE)
    if not first:
        items: list[Item] = []
        state.problem(items, "empty input", name)
        yield items, 0
        return
    if _too_big(first) or name.endswith((".jsonl", ".jsonl.gz")) or _parses(first):
        # JSON lines, or a document on one line (as CloudTrail writes its log files)
        yield from _line_batches(stream, name, (first,), lineno, size, quiet, state)
        return
    rest = stream.read(MAX_LINE + 1 - len(first))
    if len(first) + len(rest) > LIMIT and (len(first) + len(rest) > MAX_LINE or not _fits(first + rest)):
        # a large document over many lines: read it in pieces
        second = next((ln for ln in io.BytesIO(rest[:LIMIT]) if ln.strip()), b"")
        if second.endswith(b"\n") and _parses(second):  # JSON lines after all, whose first line is broken
            yield from _line_batches(stream, name, chain((first,), _lines(rest, stream)), lineno, size, quiet, state)
            return
        window = Window(stream.read, first + rest)
        yield from _streamed(window, name, size, state)
        if window.peek() is not None:
            items = []
            state.problem(items, "invalid JSON (more data after the document)", name)
            yield items, 0
        return
    body = first + rest
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as err:
        # Maybe JSON lines whose first line is the broken one: keep every line that parses.
        trial = SourceState(state.left)
        salvaged = [i for items, _ in _line_batches(io.BytesIO(body), name, (), 1, size, None, trial) for i in items]
        if any(isinstance(i, CloudTrailEvent) for i in salvaged):
            state.take(trial)
            yield salvaged, 0
        else:
            items = []
            state.problem(items, _json_error(err), name)
            yield items, 0
        return
    items = []
    state.doc(items, doc, name)
    yield items, 0


def read_batches(paths: Iterable[str], size: int | None = None) -> Iterator[Batch]:
    """What ``read_all`` yields, grouped in batches of about ``size`` lines per source.

    For callers that judge many events (replay): a batch costs one trip through the
    generators instead of one per event, and says how far into its file it reaches. Stdin is
    read a line at a time unless ``size`` is given, so a live pipe is judged as it arrives.
    """
    yield from batches_of(expand(paths), size)


def batches_of(sources: Iterable[str | InputError], size: int | None = None,
               quiet: QuietLines | None = None) -> Iterator[Batch]:
    """``read_batches`` for sources ``expand`` already listed (a located problem passes through).

    ``quiet`` (an engine's ``quiet``): JSON lines it knows are events with no finding are only
    counted (``Batch.quiet``), never parsed in full; the events must then be judged by that
    engine, which teaches the memo.
    """
    for name in sources:
        if isinstance(name, InputError):
            yield Batch(None, [name])
        else:
            yield from _source_batches(name, size or (1 if name == STDIN else BATCH), quiet)


def read_all(paths: Iterable[str]) -> Iterator[Item]:
    for batch in read_batches(paths):
        yield from batch.items
