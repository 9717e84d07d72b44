"""Engine overhead against the floor: the AWS calls the handlers make, timed alone.

For a burst experiment on each reference system this prints wall time, simulated time,
requests per wall second, and the ratio of the run's wall time to the floor: the same AWS
calls replayed directly against a fresh moto in the same process (no engine, no virtual
clock), each through its own SDK client as in the run (one per execution environment). Each
figure is the best of --repeat runs. A breakdown then says where the time above the floor
goes, from one more, instrumented run. It then runs the sync system at growing sizes to show
the cost per request stays flat.

    python bench/overhead.py            # 2,000-request burst, then 1,000 / 5,000 / 20,000
    python bench/overhead.py --quick    # 2,000-request burst only
    python bench/overhead.py --repeat 5 # steadier figures on a busy machine

Targets (DESIGN.md section 8): ratio under 1.15; cost per request flat with size.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import botocore.client
from greenlet import getcurrent

from chaos.aws.moto_env import REGION
from chaos.engine.world import run
from chaos.sim import wall_clock
from chaos.spec.experiment import experiment_model
from chaos.spec.types import YAML_CONTEXT
from chaos.systems import load_system

Call = tuple[str, str | None, int, str, dict[str, Any]]
"""service, endpoint URL (WebSocket callbacks), which client made it, operation, params."""


def burst(requests: int, system: str) -> Any:
    """`requests` requests in a 10 s burst, then time to drain."""
    return experiment_model().model_validate(
        {
            "experiment": f"bench-{requests}",
            "duration": f"{max(60, requests // 20)}s",
            "systems": [system],
            "workload": {"bursts": [{"rate": f"{requests / 10:g}/s", "at": "1s", "for": "10s"}]},
        },
        context=YAML_CONTEXT,
    )


@contextmanager
def recording() -> Iterator[list[Call]]:
    """Record every AWS API call made in the block, and which SDK client made it."""
    calls: list[Call] = []
    clients: dict[int, tuple[Any, int]] = {}  # id -> (client kept alive, index)
    original = botocore.client.BaseClient._make_api_call

    def record(client: Any, operation: str, params: dict[str, Any]) -> Any:
        service = client.meta.service_model.service_name
        endpoint = client.meta.endpoint_url if service == "apigatewaymanagementapi" else None
        _, index = clients.setdefault(id(client), (client, len(clients)))
        calls.append((service, endpoint, index, operation, params))
        return original(client, operation, params)

    botocore.client.BaseClient._make_api_call = record
    try:
        yield calls
    finally:
        botocore.client.BaseClient._make_api_call = original


def replay(calls: list[Call]) -> float:
    """Seconds to make the same calls, through as many clients, directly against a fresh moto.

    The clients are made before the clock starts: creating them is the handlers' init work,
    which the breakdown reports apart.
    """
    import boto3
    from moto import mock_aws

    clients: dict[int, Any] = {}
    with mock_aws():
        boto3.DEFAULT_SESSION = None
        for service, endpoint, index, _, _ in calls:
            if index not in clients:
                clients[index] = boto3.client(service, region_name=REGION, endpoint_url=endpoint)
        gc.collect()
        started = wall_clock()
        for _, _, index, operation, params in calls:
            with suppress(Exception):  # a conditional put may fail here too, as in the run
                clients[index]._make_api_call(operation, params)
        return wall_clock() - started


class Breakdown:
    """Where a run's wall time goes: patches timers around the parts, for one run.

    Time a fiber spends switched out (a virtual sleep: SDK backoff, modelled latency) is not
    counted in the call or router it happened in; other fibers ran meanwhile.
    """

    def __init__(self) -> None:
        parts = ("handlers", "calls", "router", "environments", "final read-back")
        self.seconds: dict[str, float] = dict.fromkeys(parts, 0.0)
        self.environments = 0
        self._away: dict[Any, float] = {}
        self._patches: list[tuple[Any, str, Any]] = []

    def __enter__(self) -> Breakdown:
        from chaos import systems
        from chaos.engine import router, world
        from chaos.sim import clock

        for module in (clock, router):
            self._patch(module, "virtual_sleep", self._sleep(module.virtual_sleep))
        self._patch(botocore.client.BaseClient, "_make_api_call", None, "calls")
        self._patch(router.Router, "before_send", None, "router")
        self._patch(router.Router, "after_send", None, "router")
        self._patch(world.World, "_final_state", None, "final read-back")
        new_environment = self._timed(systems.HandlerModule.new_handler, "environments")

        def new_handler(module: Any) -> Any:
            return self._timed(new_environment(module), "handlers")

        self._patch(systems.HandlerModule, "new_handler", new_handler)
        return self

    def __exit__(self, *_exc: object) -> None:
        for owner, name, original in reversed(self._patches):
            setattr(owner, name, original)

    def _patch(self, owner: Any, name: str, replacement: Any, part: str = "") -> None:
        original = getattr(owner, name)
        self._patches.append((owner, name, original))
        setattr(owner, name, replacement or self._timed(original, part))

    def _away_here(self) -> float:
        return self._away.get(getcurrent(), 0.0)

    def _sleep(self, sleep: Any) -> Any:
        def timed_sleep(seconds: float) -> None:
            started = wall_clock()
            try:
                sleep(seconds)
            finally:
                me = getcurrent()
                self._away[me] = self._away.get(me, 0.0) + wall_clock() - started

        return timed_sleep

    def _timed(self, fn: Any, part: str) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started, away = wall_clock(), self._away_here()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[part] += wall_clock() - started - (self._away_here() - away)
                self.environments += part == "environments"

        return timed


def breakdown(experiment: Any, system: Any) -> tuple[Breakdown, float]:
    gc.collect()
    with Breakdown() as parts:
        started = wall_clock()
        run(experiment, system)
        wall = wall_clock() - started
    return parts, wall


def timed_run(experiment: Any, system: Any) -> tuple[float, Any]:
    gc.collect()
    started = wall_clock()
    result = run(experiment, system)
    return wall_clock() - started, result


@dataclass
class Figures:
    requests: int
    wall: float
    simulated: float
    calls: int
    floor: float
    breakdown: tuple[Breakdown, float] | None
    """The parts of one more, instrumented run, and that run's wall time (when asked for)."""

    @property
    def ratio(self) -> float:
        return self.wall / self.floor


def measure(requests: int, system_name: str, repeat: int, *, explain: bool = False) -> Figures:
    """The best of `repeat` runs and of `repeat` replays (as `timeit` does: the minimum is
    the figure least disturbed by the rest of the machine)."""
    experiment = burst(requests, system_name)
    system = load_system(experiment.systems[0], Path.cwd())
    with recording() as calls:  # also warms imports and caches up
        run(experiment, system)
    # The same seed makes the same calls, unrecorded.
    wall, result = min((timed_run(experiment, system) for _ in range(repeat)), key=lambda r: r[0])
    floor = min(replay(calls) for _ in range(repeat))
    return Figures(
        requests,
        wall,
        result.simulated_seconds,
        len(calls),
        floor,
        breakdown(experiment, system) if explain else None,
    )


def show(system: str, m: Figures) -> None:
    print(
        f"{system:>5}  {m.requests:>7,} requests  wall {m.wall:7.2f}s  "
        f"simulated {m.simulated:6.0f}s ({m.simulated / m.wall:6.1f}x real time)  "
        f"{m.requests / m.wall:7.0f} req/s  AWS calls {m.calls:>7,}  "
        f"floor {m.floor:7.2f}s  ratio {m.ratio:.3f}  "
        f"{m.wall / m.requests * 1000:.3f} ms/request"
    )


def show_breakdown(m: Figures) -> None:
    assert m.breakdown is not None
    parts, wall = m.breakdown
    seconds = dict(parts.seconds)
    # Calls happen inside handlers, and the router inside calls: report each part alone.
    handler_code = seconds["handlers"] - seconds["calls"]
    calls = seconds["calls"] - seconds["router"]
    engine = wall - seconds["handlers"] - seconds["environments"] - seconds["final read-back"]
    own = engine + seconds["router"]
    rows = [
        (
            "AWS calls",
            calls,
            f"{calls / m.calls * 1000:.3f} ms a call here, "
            f"{m.floor / m.calls * 1000:.3f} ms replayed alone",
        ),
        (
            "execution environments",
            seconds["environments"],
            f"{parts.environments} created: the handler module's import and its SDK client",
        ),
        ("handler code", handler_code, "the handlers' own Python between their AWS calls"),
        ("final read-back", seconds["final read-back"], "effects table, queues"),
        ("router", seconds["router"], "latency, faults, capacity and the record of each call"),
        ("engine", engine, "SimPy, service models, ledger, fibers, workload"),
    ]
    print(f"       where the time goes (an instrumented run, {wall:.2f}s):")
    for name, value, detail in rows:
        print(f"         {name:<24} {value:5.2f}s  {detail}")
    print(f"         engine + router = {own / calls:.1%} of the AWS calls as timed in this run")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the 2,000-request burst")
    parser.add_argument(
        "--repeat", type=_positive, default=3, help="runs and replays per figure; the best counts"
    )
    args = parser.parse_args()
    os.chdir(Path(__file__).resolve().parent.parent)
    print("2,000-request burst (ratio = run wall time / the same AWS calls made directly)")
    for system in ("sync", "eda"):
        figures = measure(2_000, system, args.repeat, explain=True)
        show(system, figures)
        show_breakdown(figures)
    if args.quick:
        return
    print("\ncost per request as the run grows (sync)")
    for size in (1_000, 5_000, 20_000):
        show("sync", measure(size, "sync", args.repeat))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory of this process (all runs above, ledgers included): {peak:,.0f} MB")


if __name__ == "__main__":
    main()
