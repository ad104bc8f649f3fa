"""Printing findings and incidents: a readable terminal table, JSON lines, CSV."""

from __future__ import annotations

import csv
import shutil
import sys
import textwrap
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

import orjson

from chalicelib.findings import Finding

TABLE_COLUMNS = (("SEVERITY", 8), ("RULE", 29), ("PRINCIPAL ARN", 52), ("EVENT", 22), ("TIME", 20),
                 ("ACCOUNT/REGION", 26))


def _cell(value: Any, width: int) -> str:
    text = "-" if value in (None, "") else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def table_header() -> str:
    return "  ".join(name.ljust(width) for name, width in TABLE_COLUMNS) + "  BREAKS"


def table_row(row: Mapping[str, Any]) -> str:
    """One finding or incident dict as a row plus an indented reason line."""
    values = (
        str(row.get("severity", "")).upper(), row.get("rule"), row.get("principal_arn"), row.get("event_name"),
        row.get("event_time"), f"{row.get('account') or '-'}/{row.get('region') or '-'}",
    )
    cells = [_cell(v, w).ljust(w) for v, (_, w) in zip(values, TABLE_COLUMNS, strict=True)]
    line = "  ".join(cells) + "  " + _cell(row.get("breaks"), 60)
    width = max(shutil.get_terminal_size((160, 20)).columns, 80)
    reason = str(row.get("reason") or "")
    count = row.get("count")
    if count and count > 1:
        reason = f"[{count} events {row.get('first_seen')} → {row.get('last_seen')}] {reason}"
    wrapped = textwrap.fill(reason, width=width, initial_indent="    ↳ ", subsequent_indent="      ")
    return f"{line}\n{wrapped}"


def json_line(row: Mapping[str, Any]) -> bytes:
    return orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE | orjson.OPT_NON_STR_KEYS)


class FindingPrinter:
    """Streams findings as they are produced, in the chosen format."""

    def __init__(self, fmt: str, out: TextIO | None = None) -> None:
        self.fmt = fmt
        self.out = out or sys.stdout
        self.count = 0

    def emit(self, findings: Iterable[Finding]) -> None:
        for finding in findings:
            row = finding.to_dict()
            if self.fmt == "json":
                self.out.buffer.write(json_line(row)) if hasattr(self.out, "buffer") else \
                    self.out.write(json_line(row).decode())
            else:
                if self.count == 0:
                    self.out.write(table_header() + "\n")
                self.out.write(table_row(row) + "\n")
            self.count += 1

    def close(self) -> None:
        if self.fmt != "json" and self.count == 0:
            self.out.write("no findings\n")
        self.out.flush()


def write_csv(rows: Iterable[Mapping[str, Any]], columns: list[str], out: TextIO) -> None:
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in columns})
