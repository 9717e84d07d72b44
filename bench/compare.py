"""chaos-arena against the harness a user would write by hand, on the same burst.

The workload: N messages at once (1,000 and 5,000), a consumer in batches of 10 writing each
message to DynamoDB, 10 % of deliveries failing transiently, a DLQ after 5 receives.

- chaos-arena: `chaos-arena run bench/burst/burst-N.chaos.yaml -j 1` (the system is
  bench/burst/system.yaml, its consumer bench/burst/consumer.py), terminal report included,
  its output captured;
- by hand: `python bench/handwritten.py --messages N` (moto SQS with a redrive policy, moto
  DynamoDB, freezegun ticked past the visibility timeout).

Each runs in its own subprocess of this process; CPU seconds are the child's user + system
time (getrusage RUSAGE_CHILDREN), wall seconds from spawn to exit, whole processes, start-up
included. Each figure is the best of its runs (the least disturbed by the rest of a shared
machine); the spread (worst / best) is printed beside it. A second ratio leaves both
start-ups out: chaos-arena's time to its first run (the command stopped as the run begins)
and the harness's own in-process time after its imports. Figures only: nothing is asserted.

    python bench/compare.py                               # 1,000 and 5,000 messages
    python bench/compare.py --sizes 1000 --repeat 5       # steadier, smaller
    python bench/compare.py --handwritten-repeat 1        # the harness alone: 25-40 min at 5,000

Targets (issue 13): hand-written / chaos-arena CPU >= 25x at 1,000 and >= 100x at 5,000.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BURST = ROOT / "bench" / "burst"
TARGETS = {1_000: 25.0, 5_000: 100.0}


@dataclass(frozen=True)
class Timing:
    cpu: float
    wall: float
    stdout: str
    returncode: int


def timed(command: list[str]) -> Timing:
    """Run `command` to its end; its CPU (user + system, children included) and wall time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timing(cpu, wall, done.stdout, done.returncode)


@dataclass(frozen=True)
class Best:
    cpu: float
    wall: float
    cpu_spread: float
    """Worst / best CPU over the runs: how noisy the figure was."""
    runs: int
    returncode: int
    """The worst exit code of the runs."""

    @classmethod
    def of(cls, timings: list[Timing]) -> Best:
        cpus = [t.cpu for t in timings]
        worst = max(t.returncode for t in timings)
        return cls(min(cpus), min(t.wall for t in timings), max(cpus) / min(cpus), len(cpus), worst)


def chaos_arena_command() -> list[str]:
    script = shutil.which("chaos-arena", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "chaos"]


def experiment_file(size: int) -> Path:
    path = BURST / f"burst-{size}.chaos.yaml"
    if not path.exists():
        sys.exit(f"no experiment for {size:,} messages: write {path.relative_to(ROOT)}")
    return path


def run_chaos_arena(size: int) -> Timing:
    relative = experiment_file(size).relative_to(ROOT)
    timing = timed([*chaos_arena_command(), "run", str(relative), "-j", "1"])
    if timing.returncode != 0:
        print(f"  chaos-arena exited {timing.returncode}:\n{timing.stdout}", file=sys.stderr)
    return timing


def chaos_arena_startup(size: int) -> Timing:
    """Process start to the first run beginning (bench/startup.py stops it there)."""
    relative = experiment_file(size).relative_to(ROOT)
    probe = [sys.executable, str(ROOT / "bench" / "startup.py"), "--probe", "--"]
    return timed([*probe, "run", str(relative), "-j", "1"])


def run_handwritten(size: int) -> tuple[Timing, dict[str, float]]:
    script = str(ROOT / "bench" / "handwritten.py")
    timing = timed([sys.executable, script, "--messages", str(size), "--json"])
    if timing.returncode != 0:
        sys.exit(f"bench/handwritten.py exited {timing.returncode}")
    return timing, json.loads(timing.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 5_000])
    parser.add_argument("--repeat", type=int, default=5, help="chaos-arena runs per size")
    parser.add_argument(
        "--handwritten-repeat",
        type=int,
        nargs="+",
        default=[3, 1],
        metavar="N",
        help="hand-written runs per size (one number, or one per size; default 3 and 1)",
    )
    args = parser.parse_args()
    repeats = dict(zip(args.sizes, args.handwritten_repeat, strict=False))
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    load = os.getloadavg()[0]
    print(
        f"same burst, each side in its own subprocess; best of {args.repeat} chaos-arena runs "
        f"per size ({os.cpu_count()} CPUs, load average {load:.2f} at start)"
    )
    rows = []
    for size in args.sizes:
        chaos = Best.of([run_chaos_arena(size) for _ in range(args.repeat)])
        startup = Best.of([chaos_arena_startup(size) for _ in range(args.repeat)])
        hand_timings, hand_results = [], []
        for _ in range(repeats.get(size, args.handwritten_repeat[-1])):
            timing, result = run_handwritten(size)
            hand_timings.append(timing)
            hand_results.append(result)
        hand = Best.of(hand_timings)
        hand_inner = min(r["cpu"] for r in hand_results)
        counts = hand_results[0]
        missing = counts["messages"] - counts["completed"] - counts["dead_lettered"]
        accounted = "every message accounted for" if missing == 0 else f"{missing:,} MISSING"
        verdicts = "as expected" if chaos.returncode == 0 else f"NOT (exit {chaos.returncode})"
        print(
            f"\n{size:,} messages\n"
            f"  chaos-arena   CPU {chaos.cpu:7.2f} s  wall {chaos.wall:7.2f} s  "
            f"(spread {chaos.cpu_spread:.2f}x over {chaos.runs}); start-up to the first run "
            f"CPU {startup.cpu:.2f} s, wall {startup.wall:.2f} s\n"
            f"  hand-written  CPU {hand.cpu:7.2f} s  wall {hand.wall:7.2f} s  "
            f"(spread {hand.cpu_spread:.2f}x over {hand.runs}); after its imports CPU "
            f"{hand_inner:.2f} s\n"
            f"                {counts['completed']:,} completed, {counts['dead_lettered']:,} "
            f"dead-lettered, {counts['deliveries']:,} deliveries ({counts['failures']:,} "
            f"failed), {counts['receives']:,} receives: {accounted}; chaos-arena's verdicts "
            f"{verdicts}"
        )
        rows.append((size, chaos, startup, hand, hand_inner))
    print(
        "\n| messages | chaos-arena CPU / wall | hand-written CPU / wall "
        "| ratio CPU (wall) | without start-up | target |"
    )
    print("|---|---|---|---|---|---|")
    for size, chaos, startup, hand, hand_inner in rows:
        target = TARGETS.get(size)
        inner = hand_inner / max(chaos.cpu - startup.cpu, 1e-9)
        print(
            f"| {size:,} | {chaos.cpu:.2f} / {chaos.wall:.2f} s | {hand.cpu:.1f} / "
            f"{hand.wall:.1f} s | {hand.cpu / chaos.cpu:.1f}x ({hand.wall / chaos.wall:.1f}x) "
            f"| {inner:.1f}x | {f'>= {target:.0f}x' if target else '-'} |"
        )
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
