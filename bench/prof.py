"""Profile ``replay --format json`` in-process with cProfile and print the hottest functions.

    .venv/bin/python bench/prof.py [FILE] [--records N] [--top 25] [--sort tottime|cumulative]

Output goes to /dev/null (the JSON is not the point); the profile goes to stdout.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("file", nargs="?", type=Path)
    p.add_argument("--records", type=int, default=50_000, help="records to generate when FILE is not given")
    p.add_argument("--model", default=str(BENCH / "model.yaml"))
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--sort", default="tottime", choices=("tottime", "cumulative"))
    args = p.parse_args(argv)

    from bench import gen
    from chalicelib.cli import main as cli_main

    path = args.file or BENCH / "data" / f"trail-{args.records}.jsonl"
    if not path.exists():
        gen.write(path, args.records, seed=7)
    saved_out, saved_err = os.dup(1), os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    prof = cProfile.Profile()
    try:
        sys.stdout.flush()
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        prof.enable()
        cli_main(["replay", str(path), "--model", args.model, "--format", "json"])
        prof.disable()
        sys.stdout.flush()
    finally:
        os.dup2(saved_out, 1)
        os.dup2(saved_err, 2)
        os.close(devnull)
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.strip_dirs().sort_stats(args.sort).print_stats(args.top)
    print(buf.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
