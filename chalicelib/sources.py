"""Read CloudTrail events from files, directories and stdin, without ever losing the good ones.

A file may hold one JSON document (bare record, EventBridge envelope, ``{"Records": [...]}``
log file, array) or JSON lines, optionally gzipped. JSON lines are streamed, so memory stays
flat however large the file; a bad line or record is reported with its location and
reading goes on.
"""

from __future__ import annotations

import gzip
import io
import sys
from collections.abc import Iterable, Iterator
from itertools import chain
from pathlib import Path
from typing import BinaryIO

import orjson

from chalicelib.errors import InputError
from chalicelib.events import CloudTrailEvent, events_in

SUFFIXES = (".json", ".jsonl", ".gz")
STDIN = "-"
Item = CloudTrailEvent | InputError


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


def _open(name: str) -> BinaryIO:
    if name == STDIN:
        raw: BinaryIO = sys.stdin.buffer
    else:
        raw = open(name, "rb")  # noqa: SIM115 - closed by the caller
    head = raw.peek(2)[:2] if hasattr(raw, "peek") else b""
    if head == b"\x1f\x8b" or name.endswith(".gz"):
        return gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
    return raw


def _json_error(err: Exception) -> str:
    return f"invalid JSON ({err})"


def _lines(stream: BinaryIO, name: str, first: bytes, first_no: int) -> Iterator[Item]:
    """Parse JSON lines, starting from an already-read first line."""
    loads, decode_error, from_record = orjson.loads, orjson.JSONDecodeError, CloudTrailEvent.from_record
    lineno = first_no - 1
    for line in chain((first,), stream):
        lineno += 1
        try:
            doc = loads(line)  # orjson skips the JSON whitespace around a line itself
        except decode_error:
            text = line.strip()  # blank lines are skipped; other whitespace (\f, \v) is not JSON's
            if not text:
                continue
            try:
                doc = loads(text)
            except decode_error as err:
                yield InputError(_json_error(err), f"{name}:{lineno}")
                continue
        if doc.__class__ is dict and "Records" not in doc and "detail" not in doc:
            # A bare record, by far the commonest line: what events_in would yield, minus its generators.
            try:
                yield from_record(doc)
            except InputError as err:
                yield InputError(err.message, f"{name}:{lineno}")
        else:
            yield from events_in(doc, f"{name}:{lineno}")


def read_source(name: str) -> Iterator[Item]:
    """Every event (or located problem) in one file or stdin."""
    try:
        stream = _open(name)
    except OSError as err:
        yield InputError(f"cannot read: {err.strerror or err}", name)
        return
    try:
        yield from _read_stream(stream, name)
    except (OSError, EOFError, gzip.BadGzipFile) as err:
        yield InputError(f"cannot read: {err}", name)
    finally:
        if name != STDIN:
            stream.close()


def _read_stream(stream: BinaryIO, name: str) -> Iterator[Item]:
    lineno, first = 0, b""
    while not first.strip():
        first = stream.readline()
        lineno += 1
        if not first:
            yield InputError("empty input", name)
            return
    if name.endswith((".jsonl", ".jsonl.gz")):
        yield from _lines(stream, name, first, lineno)
        return
    try:
        orjson.loads(first)
    except orjson.JSONDecodeError:
        pass
    else:  # the first line is a whole document: JSON lines (or a one-line document)
        yield from _lines(stream, name, first, lineno)
        return
    body = first + stream.read()
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as err:
        # Maybe JSON lines whose first line is the broken one: keep every line that parses.
        salvaged = list(_lines(io.BytesIO(body), name, b"", 0))
        if any(isinstance(i, CloudTrailEvent) for i in salvaged):
            yield from salvaged
        else:
            yield InputError(_json_error(err), name)
        return
    yield from events_in(doc, name)


def read_all(paths: Iterable[str]) -> Iterator[Item]:
    for name in expand(paths):
        if isinstance(name, InputError):
            yield name
        else:
            yield from read_source(name)
