"""Read one JSON value from a byte stream without ever holding a large one whole.

Replay is pointed at whole directory trees, so a file may be any JSON at all: a Config
snapshot, an export, an array of a million numbers. Parsed into Python objects, JSON takes 5
to 25 times its size, so a value larger than ``LIMIT`` is never parsed whole: a top-level
array, and the ``Records`` array of a log file, are split into their elements and each is
parsed on its own (a CloudTrail record is at most a few hundred kB); any other large value is
scanned past unparsed, keeping only an object's small top-level members (enough to recognise
a digest file). Memory stays near ``LIMIT + CHUNK`` whatever the input.

The scanner only finds where values end (strings, brackets, commas); orjson still parses, and
so validates, every element that is kept.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from chalicelib.events import WRAPPER_LISTS

LIMIT = 1024 * 1024  # largest value parsed whole (up to ~36x its size in objects); records are far smaller
CHUNK = 256 * 1024  # bytes read at a time
HEAD_VALUE = 4096  # an oversized object's members up to this size are kept, to recognise it
HEAD_KEYS = 64

_WS = re.compile(rb"[ \t\r\n]*+")
# DOTALL everywhere: a backslash before a raw newline is bad JSON, but still inside its string.
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_STRING_REST = re.compile(rb'(?:[^"\\]++|\\.)*+', re.DOTALL)  # the rest of a string, up to its closing quote
# Runs with no structure in them: plain bytes and whole strings. At the top of a value a comma
# ends it; inside brackets it does not.
_FLAT_TOP = re.compile(rb'(?:[^"\[\]{},]++|"(?:[^"\\]++|\\.)*+")*+', re.DOTALL)
_FLAT_IN = re.compile(rb'(?:[^"\[\]{}]++|"(?:[^"\\]++|\\.)*+")*+', re.DOTALL)
# Where an object element of an array may end: its "}" then the next object or the array's end.
_OBJECT_END = re.compile(rb"\}[ \t\r\n]*+(?:,[ \t\r\n]*+\{|\])")
_SCALAR = rb'(?:-?+(?:0|[1-9][0-9]*+)(?:\.[0-9]++)?+(?:[eE][-+]?+[0-9]++)?+|"(?:[^"\\]++|\\.)*+"|true|false|null)'
_SCALAR_ITEM = re.compile(rb"[ \t\r\n]*+" + _SCALAR + rb"[ \t\r\n]*+,", re.DOTALL)
# A run of array elements that are numbers, strings or literals; bounded, as subn counts it in a list.
_SCALAR_RUN = re.compile(rb"(?:[ \t\r\n]*+" + _SCALAR + rb"[ \t\r\n]*+,){1,4096}+", re.DOTALL)
_OPEN, _QUOTE = b"[{", 0x22
_LBRACKET, _RBRACKET, _LBRACE, _RBRACE, _COMMA, _COLON = 0x5B, 0x5D, 0x7B, 0x7D, 0x2C, 0x3A
_FAST_TRIES = 3  # candidate ends tried per object element before scanning it instead
_FAST_MISSES = 8  # the fast path is off for an array while its misses outnumber its hits by this many


class Window:
    """The unread part of a stream, a chunk at a time; bytes before ``pos`` may be dropped."""

    __slots__ = ("_read", "buf", "eof", "offset", "pos")

    def __init__(self, read: Callable[[int], bytes], head: bytes = b"") -> None:
        self._read = read
        self.buf = head
        self.pos = 0
        self.offset = 0  # bytes of the stream dropped before buf[0]
        self.eof = False

    def more(self) -> int | None:
        """Read another chunk, dropping what precedes ``pos``: how far indices moved (None at the end)."""
        if self.eof:
            return None
        chunk = self._read(CHUNK)
        if not chunk:
            self.eof = True
            return None
        shift = self.pos
        self.buf = self.buf[shift:] + chunk
        self.offset += shift
        self.pos = 0
        return shift

    def peek(self) -> int | None:
        """The next byte that is not whitespace (``pos`` moves to it); None at the end of the stream."""
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if self.more() is None:
                return None

    def finish_line(self) -> bool:
        """Move past the end of the current line; False if it held more than whitespace."""
        clean = True
        while True:
            end = self.buf.find(b"\n", self.pos)
            if end >= 0:
                clean = clean and not self.buf[self.pos:end].strip()
                self.pos = end + 1
                return clean
            clean = clean and not self.buf[self.pos:].strip()
            self.pos = len(self.buf)
            if self.more() is None:
                return clean

    def rest(self) -> bytes:
        return self.buf[self.pos:]

    @property
    def consumed(self) -> int:
        return self.offset + self.pos


@dataclass(slots=True)
class Bad:
    """``count`` elements at ``sub`` (or from it on) that are not records, or a syntax error there."""

    sub: str
    message: str
    count: int = 1


@dataclass(slots=True)
class Oversize:
    """A value too large to be a record, skipped unparsed; ``head``: an object's small top-level members."""

    sub: str
    kind: str
    size: int
    head: dict[str, Any]


# What ``pieces`` yields: (sub-location, parsed value, whether it is a record from a Records
# array) for each element, or Bad, or Oversize.
Piece = tuple[str, Any, bool] | Bad | Oversize


def pieces(win: Window, counting: Callable[[], bool] = lambda: False) -> Iterator[Piece]:
    """The one JSON value at the window, in pieces; the window is left just past it.

    ``counting()`` true means nobody will read the messages any more: runs of numbers,
    strings and literals in an array are then only counted (``Bad.count``), at C speed.
    """
    c = win.peek()
    if c == _LBRACKET:
        yield from _array(win, "", False, counting)
    elif c == _LBRACE:
        yield from _object(win, counting)
    elif c is not None:
        yield from _element(win, "", False)


def _scan(win: Window, limit: int) -> tuple[int, bool]:
    """Find where the value at ``win.pos`` ends: the index of the ``,`` ``]`` or ``}`` that follows
    it (or the end of the stream), and whether ``buf[pos:end]`` still holds all of it. A value
    that grows past ``limit`` is dropped as it is scanned, so memory stays flat."""
    buf, i, depth, in_string, kept = win.buf, win.pos, 0, False, True
    while True:
        n = len(buf)
        if in_string:
            i = _STRING_REST.match(buf, i).end()  # type: ignore[union-attr]
            if i < n and buf[i] == _QUOTE:
                i, in_string = i + 1, False
                continue
        else:
            i = (_FLAT_IN if depth else _FLAT_TOP).match(buf, i).end()  # type: ignore[union-attr]
            if i < n:
                c = buf[i]
                i += 1
                if c == _QUOTE:  # a string that goes on past the buffer
                    in_string = True
                elif c in _OPEN:
                    depth += 1
                elif depth:
                    depth -= 1
                else:
                    return i - 1, kept
                continue
        if kept and i - win.pos > limit:
            kept = False
        if not kept:
            win.pos = i
        shift = win.more()
        if shift is None:
            return len(win.buf), kept
        buf, i = win.buf, i - shift


def _element(win: Window, sub: str, record: bool) -> Iterator[Piece]:
    """The value at ``win.pos``, parsed if it fits in LIMIT; the window is left at what follows it."""
    start_offset = win.consumed
    end, kept = _scan(win, LIMIT)
    if kept:
        try:
            value = orjson.loads(win.buf[win.pos:end])
        except orjson.JSONDecodeError as err:
            yield Bad(sub, f"invalid JSON ({err})")
        else:
            yield sub, value, record
    else:
        size = win.offset + end - start_offset
        yield Bad(sub, f"a JSON value of {size:,} bytes: too large for a CloudTrail record (limit {LIMIT:,})")
    win.pos = end


def _object_element(win: Window) -> tuple[Any] | None:
    """An object element of an array, parsed at its first plausible end (fast for log files:
    records follow each other as ``},{``); None if that does not work out quickly."""
    search = win.pos
    for _ in range(_FAST_TRIES):
        match = _OBJECT_END.search(win.buf, search)
        while match is None:
            if len(win.buf) - win.pos > LIMIT:
                return None
            shift = win.more()
            if shift is None:
                return None
            search -= shift
            match = _OBJECT_END.search(win.buf, search)
        end = match.start() + 1
        if end - win.pos > LIMIT:
            return None
        try:
            value = orjson.loads(win.buf[win.pos:end])
        except orjson.JSONDecodeError:
            search = end
            continue
        win.pos = end
        return (value,)
    return None


def _array(win: Window, prefix: str, records: bool, counting: Callable[[], bool]) -> Generator[Piece, None, bool]:
    """The elements of the array at the window; False if it was cut short (and that reported)."""
    win.pos += 1
    if win.peek() == _RBRACKET:
        win.pos += 1
        return True
    i = misses = 0
    while True:
        c = win.peek()
        if c is None:
            yield Bad(f"{prefix}[{i}]", "invalid JSON (the input ends inside an array)")
            return False
        if c not in _OPEN and counting():
            run = _SCALAR_RUN.match(win.buf, win.pos)
            if run is not None:
                n = _SCALAR_ITEM.subn(b"", run.group())[1]
                yield Bad(f"{prefix}[{i}]", "not a JSON object", n)
                i += n
                win.pos = run.end()
                continue
        sub = f"{prefix}[{i}]"
        parsed = _object_element(win) if c == _LBRACE and misses < _FAST_MISSES else None
        if parsed is not None:
            if misses:
                misses -= 1
            yield sub, parsed[0], records
        else:
            if c == _LBRACE:
                misses += 1
            yield from _element(win, sub, records)
        c = win.peek()
        if c == _COMMA:
            win.pos += 1
            i += 1
        elif c == _RBRACKET:
            win.pos += 1
            return True
        else:
            yield Bad(f"{prefix}[{i}]", "invalid JSON (expected ',' or ']' after an array element)")
            return False


def _key(win: Window) -> str | None:
    while True:
        match = _STRING.match(win.buf, win.pos)
        if match is not None:
            win.pos = match.end()
            try:
                key = orjson.loads(match.group())
            except orjson.JSONDecodeError:
                return None
            return key if isinstance(key, str) else None
        if len(win.buf) - win.pos > HEAD_VALUE or win.more() is None:
            return None


# The arrays of a large object read element by element: a log file's ``Records`` (records), and
# a saved answer's entries, each holding one (events.WRAPPERS: event history, CloudWatch Logs).
_STREAMED = frozenset({"Records", *WRAPPER_LISTS})


def _object(win: Window, counting: Callable[[], bool]) -> Iterator[Piece]:
    """A large object: its ``Records`` (or a saved answer's entries) array streamed, every
    other member scanned past."""
    start = win.consumed
    win.pos += 1
    head: dict[str, Any] = {}
    records = False
    c = win.peek()
    while c != _RBRACE:
        if c != _QUOTE or (key := _key(win)) is None:
            yield Bad("", "invalid JSON (expected a key in an object)")
            return
        if win.peek() != _COLON:
            yield Bad(f".{key}", "invalid JSON (expected ':' after a key)")
            return
        win.pos += 1
        c = win.peek()
        if key in _STREAMED and c == _LBRACKET:  # a log file's records, or event history's entries
            records = True
            if not (yield from _array(win, f".{key}", key == "Records", counting)):
                return
        elif c is None:
            break
        else:
            end, kept = _scan(win, HEAD_VALUE)
            if kept and len(head) < HEAD_KEYS:
                with contextlib.suppress(orjson.JSONDecodeError):
                    head[key] = orjson.loads(win.buf[win.pos:end])
            win.pos = end
        c = win.peek()
        if c == _COMMA:
            win.pos += 1
            c = win.peek()
        elif c != _RBRACE:
            yield Bad("", "invalid JSON (expected ',' or '}' in an object)")
            return
    if c is None:
        yield Bad("", "invalid JSON (the input ends inside an object)")
        return
    win.pos += 1
    if not records:
        yield Oversize("", "object", win.consumed - start, head)
