"""Who holds memory at the end of a run: tracemalloc statistics grouped by source line.

A companion to bench/memory.py (which gives the peak RSS): one run of N requests after a
small warm-up, a snapshot taken just before the account's moto backends are reset (the peak
of a run is there: judging and the journal add ~1 MB at 20,000 requests), after a full
collection, so what is listed is what the run still holds.

    python bench/memory_profile.py --requests 5000 --system eda --top 40

tracemalloc slows the run ~10x; 5,000 requests take a few minutes.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import memory  # bench/ is not a package: imported from its directory


def snapshot_at_final_state(requests: int, system: str) -> tracemalloc.Snapshot:
    from chaos._engine.runner import run_one
    from chaos._engine.world import World
    from chaos._loading import loader

    load = loader()
    snapshots: list[tracemalloc.Snapshot] = []
    final_state = World._final_state

    def measured_final_state(world: World, account: Any) -> Any:
        if tracemalloc.is_tracing():  # not in the warm-up run
            gc.collect()
            snapshots.append(tracemalloc.take_snapshot())
        return final_state(world, account)

    World._final_state = measured_final_state  # type: ignore[method-assign]

    def one(count: int) -> None:
        loaded = load.mapping(
            memory.experiment(count, system), Path("<bench>"), base_dir=memory.ROOT
        )
        run_one(loaded, loaded.systems[0])

    with tempfile.TemporaryDirectory():
        one(memory.RATE)  # warm-up: imports and first clients are not counted
        tracemalloc.start(12)
        one(requests)
        tracemalloc.stop()
    return snapshots[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--system", default="sync")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    snapshot = snapshot_at_final_state(args.requests, args.system)
    total = sum(stat.size for stat in snapshot.statistics("filename"))
    print(
        f"{args.system}, {args.requests:,} requests: {total / 2**20:.1f} MB traced, "
        f"{total / args.requests:.0f} B a request"
    )
    for key in ("filename", "lineno"):
        print(f"=== by {key}")
        for stat in snapshot.statistics(key)[: args.top]:
            print(f"  {stat}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
