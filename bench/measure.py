"""Trailwarden benchmark: every figure beside a baseline measured in the same run.

Run it as ``bench/run`` (or ``make bench``). It writes only under ``bench/data/`` (the
generated trail, its shards, the bytecode cache and the last report) and prints a table:

* replay throughput vs parsing the same file with orjson alone, and vs ``jq`` picking the
  four design-card events (``bench/card.jq``); peak memory of the streaming replay, and of
  replaying hostile input (``bench/hostile.py``: large JSON that is not CloudTrail);
* ``--workers`` on a directory of shards: same bytes out as one worker, and the speed-up;
* the progress bar: drawn on a terminal, silent on a pipe;
* cold start: ``import app`` vs ``import boto3``, and resident memory after the first event;
* CPU per judged event (all rules, actor resolution), before any I/O;
* Lambda invocations per 1,000 trail events: the packaged prod rules routing 20,000 generated
  records (``bench/invocations.py``).

Times are CPU seconds (user + sys) of the measured process, best of ``--repeat`` runs, so a
busy machine inflates them less than wall time; wall time is shown as well.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from bench import gen, hostile, timing  # noqa: E402
from bench.timing import DATA, best, env, fastest, interleaved, machine, measure, spread  # noqa: E402

PY = sys.executable
JQ = shutil.which("jq")
MODEL = BENCH / "model.yaml"
ORJSON_FLOOR = "import orjson, sys\nfor line in open(sys.argv[1], 'rb'):\n    orjson.loads(line)\n"
SHARDS = 8
MB = 1024 * 1024


def ensure_data(records: int) -> tuple[Path, Path]:
    """The trail (one JSON-lines file) and the same lines split into SHARDS files."""
    trail = DATA / f"trail-{records}-{gen.trail_tag()}.jsonl"
    if not trail.exists():
        t0 = time.perf_counter()
        gen.write(trail, records, seed=7)
        print(f"  generated {trail.relative_to(ROOT)} in {time.perf_counter() - t0:.1f}s", flush=True)
    shards = DATA / f"shards-{records}-{gen.trail_tag()}"
    if not (shards / "done").exists():
        shards.mkdir(parents=True, exist_ok=True)
        per = -(-records // SHARDS)
        with open(trail, "rb") as src:
            for i in range(SHARDS):
                with open(shards / f"part-{i:03d}.jsonl", "wb") as out:
                    for _ in range(per):
                        line = src.readline()
                        if not line:
                            break
                        out.write(line)
        (shards / "done").write_text("")
    return trail, shards


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str, str]] = []

    def add(self, figure: str, value: str, baseline: str, ratio: str, verdict: str) -> None:
        self.rows.append((figure, value, baseline, ratio, verdict))
        print(f"  {figure}: {value}  |  {baseline}  |  {ratio}  |  {verdict}", flush=True)

    def render(self) -> str:
        head = ("figure", "measured", "baseline (same run)", "ratio", "target")
        widths = [max(len(r[i]) for r in [head, *self.rows]) for i in range(5)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(head, widths, strict=True)),
                 "  ".join("-" * w for w in widths)]
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in self.rows]
        return "\n".join(lines)


def verdict(ok: bool, target: str) -> str:
    return f"{'PASS' if ok else 'FAIL'} ({target})"


def replay_cmd(*args: str) -> list[str]:
    return [PY, "-m", "chalicelib", "replay", *args, "--model", str(MODEL), "--format", "json"]


def bench_throughput(t: Table, trail: Path, shards: Path, records: int, repeat: int, skip_jq: bool) -> str:
    size = trail.stat().st_size / MB
    cmds = [[PY, "-c", ORJSON_FLOOR, str(trail)], replay_cmd(str(trail))]
    use_jq = not skip_jq and JQ is not None
    if use_jq:
        cmds.append([str(JQ), "-c", "-f", str(BENCH / "card.jq"), str(trail)])
    runs = interleaved(cmds, repeat, hash_index=1)
    floor, rep = fastest(runs[0]), fastest(runs[1])
    rate, floor_rate = records / rep.cpu, records / floor.cpu
    t.add("replay --format json, 1 core", f"{rate:,.0f} events/s ({rep.cpu:.2f}s CPU, {rep.wall:.2f}s wall)",
          f"orjson parse only {floor_rate:,.0f}/s ({floor.cpu:.2f}s CPU)",
          f"{rate / floor_rate:.2f}x ({spread(runs[0], runs[1])})", verdict(rate >= 0.5 * floor_rate, ">= 0.5x"))
    if not use_jq:
        t.add("replay vs jq (4 card events)", "-", "jq not run" if skip_jq else "jq not installed (apt-get install jq)",
              "-", "SKIP")
    else:
        jq = fastest(runs[2])
        jq_rate = records / jq.cpu
        t.add("replay vs jq (4 card events)", f"{rate:,.0f} events/s", f"jq {jq_rate:,.0f}/s ({jq.cpu:.2f}s CPU)",
              f"{rate / jq_rate:.2f}x ({spread(runs[2], runs[1])})", verdict(rate >= 3 * jq_rate, ">= 3x"))
    part, _ = best(replay_cmd(str(shards / "part-000.jsonl")), 1)
    t.add("replay peak memory (streaming)", f"{rep.rss_kb / 1024:.0f} MB RSS for {size:.0f} MB of input, "
          f"{part.rss_kb / 1024:.0f} MB for {size / SHARDS:.0f} MB", f"orjson loop {floor.rss_kb / 1024:.0f} MB", "-",
          verdict(max(rep.rss_kb, part.rss_kb) < 120 * 1024, "< 120 MB, flat in input size"))
    return rep.out_sha or ""


def bench_hostile(t: Table) -> None:
    """Peak memory (and stderr) of replaying large non-CloudTrail JSON: flat, and a few lines of output."""
    numbers, obj = hostile.write(DATA)
    runs = [measure(replay_cmd(str(path))) for path in (numbers, obj)]
    lines = max(r.err.count(b"\n") for r in runs)
    peak = max(r.rss_kb for r in runs)
    t.add("replay peak memory (hostile input)", f"{runs[0].rss_kb / 1024:.0f} MB RSS for a "
          f"{numbers.stat().st_size / MB:.0f} MB JSON array of integers, {runs[1].rss_kb / 1024:.0f} MB for a "
          f"{obj.stat().st_size / MB:.0f} MB non-CloudTrail object; at most {lines} stderr lines",
          "streaming figure above", "-",
          verdict(peak < 120 * 1024 and all(r.rc == 1 for r in runs) and lines < 50, "< 120 MB, flat in input size"))


def bench_workers(t: Table, shards: Path, single_sha: str, repeat: int) -> None:
    n = os.cpu_count() or 1
    _, ones = best(replay_cmd(str(shards), "--workers", "1"), repeat, hash_out=True)
    _, manys = best(replay_cmd(str(shards), "--workers", str(n)), repeat, hash_out=True)
    one, many = min(ones, key=lambda r: r.wall), min(manys, key=lambda r: r.wall)
    same = {r.out_sha for r in ones + manys} == {single_sha}
    capacity = parallel_capacity(shards, n)
    t.add(f"--workers {n} on {SHARDS} files", f"{many.wall:.2f}s wall, output {'identical' if same else 'DIFFERS'}",
          f"--workers 1 {one.wall:.2f}s wall; this machine runs {n} CPU-bound processes {capacity:.2f}x faster "
          f"than 1", f"{one.wall / many.wall:.2f}x faster",
          verdict(same, "same bytes as 1 worker and as the single file"))


def parallel_capacity(shards: Path, n: int) -> float:
    """What n cores give here: n orjson loops at once vs one after the other (vCPUs may share a core)."""
    cmd = [PY, "-c", ORJSON_FLOOR, str(shards / "part-000.jsonl")]
    serial = min(measure(cmd).wall for _ in range(2)) * n
    walls = []
    for _ in range(2):
        t0 = time.perf_counter()
        procs = [subprocess.Popen(cmd, env=env(), cwd=timing.TREE) for _ in range(n)]
        for proc in procs:
            proc.wait()
        walls.append(time.perf_counter() - t0)
    return serial / min(walls)


def bench_progress(t: Table, shards: Path) -> None:
    part = str(shards / "part-000.jsonl")
    tty = measure(replay_cmd(part, part), stderr_tty=True)
    pipe = measure(replay_cmd(part, part))
    drew = b"events/s" in tty.err and b"\r" in tty.err
    quiet = b"\r" not in pipe.err and b"events/s" not in pipe.err and pipe.err.count(b"\n") == 1
    t.add("progress bar", f"terminal: {'drawn' if drew else 'NOT drawn'}; pipe: "
          f"{'summary line only' if quiet else 'EXTRA OUTPUT'}", "-", "-", verdict(drew and quiet, "tty only"))


COLD = {
    "boto3": "import boto3",
    "app": "import app",
    "engine": "import chalicelib.engine, chalicelib.rules; chalicelib.rules.load_rules()",
}
FIRST_EVENT = """
import os, resource, sys, time
t0 = time.process_time()
{imp}
from chalicelib.engine import Engine
from chalicelib.events import events_in
from chalicelib.identity import load_model
import orjson
doc = orjson.loads(open("{story}/01-root-console-signin.eventbridge.json", "rb").read())
findings = Engine(load_model()).judge(next(events_in(doc)))
cpu = time.process_time() - t0
rss = [l for l in open("/proc/self/status") if l.startswith("VmRSS")][0].split()[1]
print(cpu, rss, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, len(findings))
"""


def bench_cold_start(t: Table, repeat: int) -> None:
    target = "app" if (timing.TREE / "app.py").exists() else "engine"
    for code in COLD.values():  # warm the bytecode cache and the page cache
        measure([PY, "-c", code])
    cpu: dict[str, list[float]] = {"boto3": [], target: []}
    for _ in range(max(repeat, 5)):
        for name in cpu:  # interleaved, so a busy moment hits both
            r = measure([PY, "-c", COLD[name]])
            if r.rc != 0:
                sys.exit(f"{COLD[name]!r} failed:\n{r.err.decode(errors='replace')}")
            cpu[name].append(r.cpu)
    b, a = min(cpu["boto3"]), min(cpu[target])
    label = "import app" if target == "app" else "import engine + rules (no app.py yet)"
    t.add(f"cold start: {label}", f"{a * 1000:.0f} ms CPU", f"import boto3 {b * 1000:.0f} ms CPU",
          f"{a / b:.2f}x", verdict(a <= 1.5 * b, "<= 1.5x"))
    out = subprocess.run([PY, "-c", FIRST_EVENT.format(imp=COLD[target], story=ROOT / "examples" / "story")],
                         capture_output=True, text=True, env=env(), cwd=timing.TREE, check=True).stdout.split()
    first_cpu, rss_kb, peak_kb = float(out[0]), int(out[1]), int(out[2])
    t.add("RSS after the first judged event", f"{rss_kb / 1024:.0f} MB (peak {peak_kb / 1024:.0f} MB), "
          f"{first_cpu * 1000:.0f} ms CPU to get there", "Lambda memory 128 MB", f"{peak_kb / 1024 / 128:.0%} used",
          verdict(peak_kb < 100 * 1024, "< 100 MB: fits 128 MB with headroom"))


PER_EVENT = """
import gc, itertools, sys, time
import orjson
from chalicelib.engine import Engine
from chalicelib.events import CloudTrailEvent
from chalicelib.identity import load_model
engine = Engine(load_model(sys.argv[1]))
with open(sys.argv[2], "rb") as fh:
    events = [CloudTrailEvent.from_record(orjson.loads(line)) for line in itertools.islice(fh, int(sys.argv[3]))]
gc.collect()
judge, clock = engine.judge, time.process_time_ns
for e in events[:2000]:  # warm up
    judge(e)
per = []
start = time.process_time()
for e in events:
    t0 = clock()
    judge(e)
    per.append(clock() - t0)
total = time.process_time() - start
per.sort()
n = len(per)
print(total / n * 1e6, per[n // 2] / 1000, per[int(n * 0.99)] / 1000, per[-1] / 1000, n)
"""


def bench_per_event(t: Table, trail: Path, sample: int) -> None:
    """CPU of engine.judge alone (the event view already built, nothing read or written)."""
    out = subprocess.run([PY, "-c", PER_EVENT, str(MODEL), str(trail), str(sample)], capture_output=True, text=True,
                         env=env(), cwd=timing.TREE, check=True).stdout.split()
    mean_us, p50_us, p99_us, worst_us, n = (float(x) for x in out)
    t.add("CPU per judged event", f"mean {mean_us:.1f} us, p50 {p50_us:.0f}, p99 {p99_us:.0f}, max {worst_us:.0f} us "
          f"({n:,.0f} events)", "target 1000 us", f"{mean_us / 1000:.3f}x of budget",
          verdict(worst_us < 1000, "< 1 ms, every event"))


INVOCATION_RECORDS = 20_000  # ~10 s of matching with moto; the per-family shares are stable by then


def bench_invocations(t: Table, records: int) -> None:
    """Every routed event is a Lambda invocation: count them from the packaged template of the tree."""
    n = min(records, INVOCATION_RECORDS)
    cmd = [PY, str(BENCH / "invocations.py"), "--stage", "prod", "--records", str(n), "--tree", str(timing.TREE),
           "--json"]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env(), cwd=ROOT, check=False)
    figure = "Lambda invocations per 1,000 trail events (prod stage)"
    if r.returncode != 0:
        t.add(figure, "not counted: " + (r.stderr.strip().splitlines() or ["?"])[-1][:120], "-", "-", "FAIL (<= 250)")
        return
    out = json.loads(r.stdout)
    families = ", ".join(f"{k} {v:.0f}" for k, v in out["families"].items())
    t.add(figure, f"{out['per_1000']:.0f} ({families}; {out['records']:,} records, {out['count_seconds']:.0f}s)",
          f"{out['unrouted'] / out['records']:.0%} of events reach no handler", "-", verdict(out["per_1000"] <= 250,
                                                                                           "<= 250"))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench/run", description=__doc__.split("\n\n")[0])
    p.add_argument("--records", type=int, default=200_000, help="size of the generated trail (default 200000)")
    p.add_argument("--repeat", type=int, default=7, help="runs per timing; the best is kept (default 7)")
    p.add_argument("--skip-jq", action="store_true", help="leave out the jq baseline (the slowest step)")
    p.add_argument("--profile", action="store_true", help="also print a py-spy profile of replay (bench/prof.py)")
    p.add_argument("--tree", type=Path, default=ROOT,
                   help="measure the chalicelib/app.py of another checkout (e.g. a git worktree of an older commit)")
    args = p.parse_args(argv)
    timing.TREE = args.tree.resolve()

    started = time.perf_counter()
    DATA.mkdir(exist_ok=True)
    head = f"machine: {machine()}" + (f"\ntree measured: {timing.TREE}" if timing.TREE != ROOT else "")
    print(head, flush=True)
    trail, shards = ensure_data(args.records)
    size = trail.stat().st_size / MB
    print(f"input: {trail.relative_to(ROOT)} ({args.records:,} records, {size:.0f} MB), model "
          f"{MODEL.relative_to(ROOT)}", flush=True)
    t = Table()
    sha = bench_throughput(t, trail, shards, args.records, args.repeat, args.skip_jq)
    bench_hostile(t)
    bench_workers(t, shards, sha, args.repeat)
    bench_progress(t, shards)
    bench_cold_start(t, args.repeat)
    bench_per_event(t, trail, min(args.records, 50_000))
    bench_invocations(t, args.records)
    report = f"{head}\ninput: {args.records:,} records, {size:.0f} MB\n\n{t.render()}\n"
    print("\n" + t.render())
    (DATA / "last-report.txt").write_text(report)
    if args.profile:
        subprocess.run([PY, str(BENCH / "prof.py"), str(trail), "--py-spy"], env=env(), cwd=ROOT, check=False)
    print(f"\n(bench took {time.perf_counter() - started:.0f}s; report saved to bench/data/last-report.txt)")
    return 0 if all(not r[4].startswith("FAIL") for r in t.rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
