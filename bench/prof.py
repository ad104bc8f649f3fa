"""Profile ``replay --format json`` and print the hottest functions and lines.

    .venv/bin/python bench/prof.py [FILE] [--records N] [--top 25] [--py-spy] [--tree DIR]

Default: cProfile in-process (stdlib; exact call counts, but its per-call overhead inflates
small functions). ``--py-spy``: sample a separate replay process with py-spy (in
requirements-dev.txt; low overhead, so shares are close to real time) and print self time by
function and by line. Output of the replay goes to /dev/null; the profile to stdout.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import io
import os
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))


def with_cprofile(path: Path, model: str, top: int, sort: str) -> None:
    from chalicelib.cli import main as cli_main

    saved_out, saved_err = os.dup(1), os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    prof = cProfile.Profile()
    try:
        sys.stdout.flush()
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        prof.enable()
        cli_main(["replay", str(path), "--model", model, "--format", "json"])
        prof.disable()
        sys.stdout.flush()
    finally:
        os.dup2(saved_out, 1)
        os.dup2(saved_err, 2)
        os.close(devnull)
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(sort).print_stats(top)
    print(buf.getvalue())


def with_py_spy(path: Path, model: str, top: int, tree: Path) -> None:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        sys.exit("py-spy is not installed: make bench installs requirements-dev.txt")
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "stacks.txt"
        cmd = [spy, "record", "--format", "raw", "--rate", "500", "--output", str(raw), "--",
               sys.executable, "-m", "chalicelib", "replay", str(path), "--model", model, "--format", "json"]
        subprocess.run(cmd, cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        lines = raw.read_text().splitlines()
    by_fn: collections.Counter[str] = collections.Counter()
    by_line: collections.Counter[str] = collections.Counter()
    total = 0
    for line in lines:
        stack, _, count = line.rpartition(" ")
        n = int(count)
        total += n
        leaf = stack.rsplit(";", 1)[-1]
        by_line[leaf] += n
        by_fn[re.sub(r":\d+\)$", ")", leaf)] += n
    print(f"py-spy: {total} samples; self time")
    for title, counter in (("by function", by_fn), ("by line", by_line)):
        print(f"--- {title}")
        for name, n in counter.most_common(top):
            print(f"{100 * n / total:5.1f}%  {name}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("file", nargs="?", type=Path)
    p.add_argument("--records", type=int, default=50_000, help="records to generate when FILE is not given")
    p.add_argument("--model", default=str(BENCH / "model.yaml"))
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--sort", default="tottime", choices=("tottime", "cumulative"), help="cProfile order")
    p.add_argument("--py-spy", action="store_true", help="sample with py-spy instead of cProfile")
    p.add_argument("--tree", type=Path, default=ROOT, help="with --py-spy: profile another checkout's chalicelib")
    args = p.parse_args(argv)

    from bench import gen

    path = (args.file or BENCH / "data" / f"trail-{args.records}-{gen.trail_tag()}.jsonl").resolve()
    if not path.exists():
        gen.write(path, args.records, seed=7)
    if args.py_spy:
        with_py_spy(path, str(Path(args.model).resolve()), args.top, args.tree.resolve())
    else:
        with_cprofile(path, args.model, args.top, args.sort)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
