"""Read CloudTrail events from files, directories and stdin, without ever losing the good ones.

A file may hold one JSON document (bare record, EventBridge envelope, ``{"Records": [...]}``
log file, array) or JSON lines, optionally gzipped. JSON lines are streamed, so memory stays
flat however large the file; a bad line or record is reported with its location and
reading goes on.
"""

from __future__ import annotations

import gzip
import io
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import orjson

from chalicelib.errors import InputError
from chalicelib.events import CloudTrailEvent, events_in

SUFFIXES = (".json", ".jsonl", ".gz")
STDIN = "-"
BATCH = 32  # lines judged per trip through the reading generators (see read_batches)
READ_ERRORS = (OSError, EOFError, gzip.BadGzipFile)


Item = CloudTrailEvent | InputError


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
    head = raw.peek(2)[:2] if hasattr(raw, "peek") else b""
    position = raw.tell if name != STDIN else None
    if head == b"\x1f\x8b" or name.endswith(".gz"):
        return gzip.GzipFile(fileobj=raw), position  # type: ignore[return-value]
    return raw, position


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


def _line_batches(stream: BinaryIO, name: str, first: bytes, first_no: int, size: int,
                  quiet: QuietLines | None = None) -> Iterator[tuple[list[Item], int]]:
    """Parse JSON lines, starting from an already-read first line, ``size`` lines at a time.

    This is the replay's hot loop: a line the ``quiet`` memo knows is an event with no finding
    is only counted (the second item of each yield); a bare record (the commonest line) goes to
    ``from_record`` (and is handed to ``quiet.parsed``, so its verdict can teach the memo);
    anything else goes through ``events_in``, as a whole document would.
    """
    loads, decode_error, from_record = orjson.loads, orjson.JSONDecodeError, CloudTrailEvent.from_record
    is_quiet = quiet.is_quiet_line if quiet is not None else None
    items: list[Item] = []
    append = items.append
    lineno = first_no - 1
    left = size
    skipped = 0
    try:
        for line in chain((first,), stream):
            lineno += 1
            if is_quiet is not None and is_quiet(line):
                skipped += 1
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
                        append(InputError(_json_error(err), f"{name}:{lineno}"))
                        continue
                if doc.__class__ is dict and "Records" not in doc and "detail" not in doc:
                    if quiet is not None:
                        quiet.parsed(doc)
                    try:
                        append(from_record(doc))
                    except InputError as err:
                        append(InputError(err.message, f"{name}:{lineno}"))
                else:
                    items.extend(events_in(doc, f"{name}:{lineno}"))
            left -= 1
            if not left:
                yield items, skipped
                items = []
                append = items.append
                left, skipped = size, 0
    except READ_ERRORS as err:  # e.g. a truncated .gz: keep what was read, then say why it stopped
        append(InputError(f"cannot read: {err}", name))
    if items or skipped:
        yield items, skipped


def read_source(name: str) -> Iterator[Item]:
    """Every event (or located problem) in one file or stdin."""
    for batch in _source_batches(name, 1 if name == STDIN else BATCH):
        yield from batch.items


def _source_batches(name: str, size: int, quiet: QuietLines | None = None) -> Iterator[Batch]:
    try:
        stream, position = _open_with_position(name)
    except OSError as err:
        yield Batch(name, [InputError(f"cannot read: {err.strerror or err}", name)], None, last=True)
        return
    try:
        for items, skipped in _read_stream(stream, name, size, quiet):
            yield Batch(name, items, position() if position else None, last=False, quiet=skipped)
    except READ_ERRORS as err:
        yield Batch(name, [InputError(f"cannot read: {err}", name)], None, last=False)
    finally:
        if name != STDIN:
            stream.close()
    yield Batch(name, [], _size(name), last=True)


def _size(name: str) -> int | None:
    try:
        return None if name == STDIN else os.path.getsize(name)
    except OSError:
        return None


def _read_stream(stream: BinaryIO, name: str, size: int,
                 quiet: QuietLines | None = None) -> Iterator[tuple[list[Item], int]]:
    lineno, first = 0, b""
    while not first.strip():
        first = stream.readline()
        lineno += 1
        if not first:
            yield [InputError("empty input", name)], 0
            return
        if lineno == 1:
            first = first.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte-order mark (editors on Windows)
    if name.endswith((".jsonl", ".jsonl.gz")):
        yield from _line_batches(stream, name, first, lineno, size, quiet)
        return
    try:
        orjson.loads(first)
    except orjson.JSONDecodeError:
        pass
    else:  # the first line is a whole document: JSON lines (or a one-line document)
        yield from _line_batches(stream, name, first, lineno, size, quiet)
        return
    body = first + stream.read()
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as err:
        # Maybe JSON lines whose first line is the broken one: keep every line that parses.
        salvaged = [i for items, _ in _line_batches(io.BytesIO(body), name, b"", 0, size) for i in items]
        if any(isinstance(i, CloudTrailEvent) for i in salvaged):
            yield salvaged, 0
        else:
            yield [InputError(_json_error(err), name)], 0
        return
    yield list(events_in(doc, name)), 0


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
