"""The local command line: ``python -m chalicelib <command> ...``.

Each command lives in its own module exposing ``register(subparsers)``, which adds a
sub-parser and sets ``func`` to a callable taking the parsed args and returning an exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from chalicelib.awserrors import aws_error
from chalicelib.errors import TrailwardenError

COMMANDS = ("replay", "simulate", "incidents", "audit", "model", "dlq", "backfill", "coverage")


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser; given the arguments, only the named command's module is imported (a replay
    need not import the store, anchor and AWS modules the other commands use)."""
    parser = argparse.ArgumentParser(
        prog="python -m chalicelib", description="Trailwarden: CloudTrail identity monitor"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    first = argv[0] if argv else None
    for name in (first,) if first in COMMANDS else COMMANDS:
        try:
            module = importlib.import_module(f"chalicelib.cli.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"chalicelib.cli.{name}":
                raise
            continue
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; every error we can explain is one ``error: ...`` line and exit 2, never a traceback."""
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv).parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except TrailwardenError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception as err:
        aws = aws_error(err)  # region, credentials, access, a missing table, the network: say how to fix it
        if aws is None:
            raise
        print(f"error: {aws}", file=sys.stderr)
        return 2
