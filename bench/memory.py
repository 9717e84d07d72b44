"""Memory: peak RSS of one run, and what each request costs, at growing sizes.

DESIGN.md section 8: memory stays bounded (under 300 MB at 100,000 requests); issue 13: sync
under 250 MB at 100,000, cost per request flat from 1,000 to 1,000,000, our own memory flat.
Each size runs in a fresh interpreter (`ru_maxrss` is a high-water mark: one process per
figure), as the CLI runs it: the run, the judging, and the journal with its ledger written to
a temporary directory. Traffic is a steady 100 requests a second, which the reference systems
serve without a throttle, so every request does the same work at every size.

Printed per size: peak RSS; the RSS before the run (interpreter, chaos-arena, moto, botocore
imported and a small warm-up run done); the growth per request; moto's share, measured apart:
the items left in the effects table (they stay: the final read counts them) and, for the
event-driven system, what moto keeps of the posted WebSocket messages (measured in a second
run of the same size: walking moto's objects allocates their attribute dicts); and, at two sizes or
more, the marginal cost per request between consecutive sizes (fixed costs cancel out).

    python bench/memory.py                          # 1k, 10k, 100k, sync and eda
    python bench/memory.py --sizes 100000 --systems eda
    python bench/memory.py --sizes 1000000 --systems sync   # ~1 h of CPU

Targets: 100,000 eda requests under 300 MB peak, sync under 250 MB; our own per-request cost
(growth minus moto's items) within +-20 % from 1,000 up.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RATE = 100
MEASURE_MOTO = False
"""Set in the child run that measures moto's share (see `child`)."""
"""Requests a second: both reference systems serve it without throttling."""


def experiment(requests: int, system: str) -> dict[str, Any]:
    seconds = max(1, requests // RATE)
    return {
        "experiment": f"bench-memory-{requests}",
        "duration": f"{seconds + 60}s",
        "systems": [system],
        "workload": {"steady": {"rate": f"{RATE}/s", "for": f"{seconds}s"}},
    }


def rss_mb() -> float:
    """This process's RSS now, from /proc (Linux), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def deep_size(value: Any, seen: set[int] | None = None) -> int:
    """Bytes of `value` and what it holds (containers, instance dicts), each object once."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return 0
    seen.add(id(value))
    size = sys.getsizeof(value)
    if isinstance(value, dict):
        size += sum(deep_size(k, seen) + deep_size(v, seen) for k, v in value.items())
    elif isinstance(value, list | tuple | set | frozenset):
        size += sum(deep_size(v, seen) for v in value)
    elif hasattr(value, "__dict__") and not isinstance(value, type):
        size += deep_size(vars(value), seen)
    return size


def moto_share() -> dict[str, float]:
    """MB moto keeps in its backends: table items, and posted WebSocket messages."""
    from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends
    from moto.dynamodb.models import dynamodb_backends

    items = 0
    for account in dynamodb_backends.values():
        for backend in account.values():
            for table in backend.tables.values():
                items += sum(deep_size(item) for item in table.items.values())
    posted = 0
    for account in apigatewaymanagementapi_backends.values():
        for backend in account.values():
            posted += deep_size(getattr(backend, "connections", {}))
    return {"moto_items_mb": items / 2**20, "moto_posted_mb": posted / 2**20}


def child(requests: int, system: str) -> dict[str, Any]:
    """One measured run in this process (a fresh interpreter)."""
    from chaos._engine.runner import run_one
    from chaos._engine.world import World
    from chaos._loading import loader
    from chaos._report.journal import write_journal

    load = loader()
    shares: list[dict[str, float]] = []
    final_state = World._final_state

    def measured_final_state(world: World, account: Any) -> Any:
        # Before the account's backends are reset. Python 3.11 keeps an object's attributes
        # inline until its `__dict__` is asked for, so measuring moto's items allocates their
        # dicts: done only when asked (a run of its own), or it would swell the peak.
        shares.append(moto_share() if MEASURE_MOTO else {})
        return final_state(world, account)

    World._final_state = measured_final_state  # type: ignore[method-assign]

    def one(count: int, journals: Path) -> Any:
        loaded = load.mapping(experiment(count, system), Path("<bench>"), base_dir=ROOT)
        outcome = run_one(loaded, loaded.systems[0])
        write_journal(outcome, journals)
        return outcome

    with tempfile.TemporaryDirectory() as journals:
        one(RATE, Path(journals))  # warm-up: every module a run needs is imported
        before = rss_mb()
        outcome = one(requests, Path(journals))
        ledger = Path(journals, f"bench-memory-{requests}.{system}.ledger.jsonl")
        figures = {
            "system": system,
            "requests": requests,
            "verdict": outcome.verdict.value,
            "before_mb": before,
            "peak_mb": peak_mb(),
            "ledger_records": len(outcome.result.ledger) if outcome.result else 0,
            "ledger_file_mb": ledger.stat().st_size / 2**20,
        }
        figures.update(shares[-1])
    return figures


def measure(requests: int, system: str) -> dict[str, Any]:
    """Peak RSS from one run, moto's share from another (measuring it costs memory)."""
    figures = _child_run(requests, system)
    moto = _child_run(requests, system, "--moto")
    figures.update({key: moto[key] for key in ("moto_items_mb", "moto_posted_mb")})
    return figures


def _child_run(requests: int, system: str, *flags: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", system, str(requests), *flags],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"the {requests:,}-request {system} run failed:\n{done.stderr}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated")
    parser.add_argument("--systems", default="sync,eda", help="comma-separated")
    parser.add_argument("--child", nargs=2, metavar=("SYSTEM", "REQUESTS"), help=argparse.SUPPRESS)
    parser.add_argument("--moto", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        global MEASURE_MOTO  # noqa: PLW0603  (one setting for the child process)
        MEASURE_MOTO = args.moto
        print(json.dumps(child(int(args.child[1]), args.child[0])))
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    for system in args.systems.split(","):
        print(f"{system}: peak RSS per run, each in a fresh interpreter")
        print(
            f"  {'requests':>9}  {'peak MB':>8}  {'before':>7}  {'KB/req':>7}  "
            f"{'moto items':>10}  {'posted':>7}  {'ours KB/req':>11}  {'marginal':>8}"
        )
        previous: dict[str, Any] | None = None
        for size in sizes:
            f = measure(size, system)
            growth = f["peak_mb"] - f["before_mb"]
            moto = f["moto_items_mb"] + f["moto_posted_mb"]
            ours = (growth - moto) * 1024 / size
            marginal = ""
            if previous is not None:
                extra = f["peak_mb"] - previous["peak_mb"]
                marginal = f"{extra * 1024 / (size - previous['requests']):.2f}"
            print(
                f"  {size:>9,}  {f['peak_mb']:>8.0f}  {f['before_mb']:>7.0f}  "
                f"{growth * 1024 / size:>7.2f}  {f['moto_items_mb']:>8.0f}MB  "
                f"{f['moto_posted_mb']:>5.0f}MB  {ours:>11.2f}  {marginal:>8}",
                flush=True,
            )
            previous = f
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
