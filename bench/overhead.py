"""Engine overhead: what a run costs above the AWS calls its handlers make.

DESIGN.md section 8: "The floor is the handlers' own work: the moto calls they make. Our
overhead above that floor should stay under 15 %." For a 2,000-request burst on each reference
system this prints wall time, simulated time, requests per wall second and:

- the engine overhead ratio, the figure the target is about: (AWS calls + engine + router) /
  AWS calls, every part timed in the same, instrumented run. The handlers' own Python and
  their init (importing the handler module, creating its SDK client) are the handlers' work,
  not the engine's, and are left out of both sides (shown apart);
- where the time goes: AWS calls, execution environments, handler code, router, engine;
- end to end against a replay, a stricter figure: the run's wall time over the same AWS calls
  replayed directly against a fresh moto in the same process (no engine, no virtual clock),
  through as many SDK clients as the run used. Calls are slower inside a run than replayed
  back to back (other code runs between them), and the handlers' own work counts against it.

Each figure is the best of --repeat runs. Then the sync system serving 1,000, 5,000 and
20,000 requests at a steady 100 a second shows that the cost per request stays flat.

    python bench/overhead.py            # 2,000-request burst, then 1,000 / 5,000 / 20,000
    python bench/overhead.py --quick    # 2,000-request burst only
    python bench/overhead.py --repeat 5 # steadier figures on a busy machine

Targets (DESIGN.md section 8): engine overhead ratio under 1.15; cost per request flat.
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

from chaos._aws.moto_env import REGION
from chaos._engine.world import run
from chaos._ledger import Sent
from chaos._loading import experiment_model, loader
from chaos._sim import wall_clock
from chaos._spec.types import YAML_CONTEXT

Call = tuple[str, str | None, int, str, dict[str, Any]]
"""service, endpoint URL (WebSocket callbacks), which client made it, operation, params."""


def burst(requests: int, system: str) -> Any:
    """`requests` requests in a 10 s burst, then time to drain."""
    return _experiment(
        f"bench-burst-{requests}",
        system,
        max(60, requests // 20),
        {"bursts": [{"rate": f"{requests / 10:g}/s", "at": "1s", "for": "10s"}]},
    )


def steady(requests: int, system: str) -> Any:
    """`requests` requests at 100 a second, which the reference systems serve without a
    throttle: every request makes its AWS call, so runs of any size do the same work per
    request (a burst's growing share of throttled requests would make bigger runs cheaper)."""
    seconds = requests // STEADY_RATE
    return _experiment(
        f"bench-steady-{requests}",
        system,
        seconds + 30,
        {"steady": {"rate": f"{STEADY_RATE}/s", "at": "0s", "for": f"{seconds}s"}},
    )


STEADY_RATE = 100


def _experiment(name: str, system: str, duration: int, workload: dict[str, Any]) -> Any:
    return experiment_model().model_validate(
        {"experiment": name, "duration": f"{duration}s", "systems": [system], "workload": workload},
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
        from chaos import _systems as systems
        from chaos._aws import router
        from chaos._engine import world
        from chaos._sim import clock

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


@dataclass(frozen=True)
class Parts:
    """Where one instrumented run's wall time went, each part alone, in seconds."""

    wall: float
    calls: float
    router: float
    environments: float
    environments_created: int
    handler_code: float

    @classmethod
    def of(cls, timers: Breakdown, wall: float) -> Parts:
        seconds = timers.seconds
        # Calls happen inside handlers, and the router inside calls: each part alone.
        return cls(
            wall=wall,
            calls=seconds["calls"] - seconds["router"],
            router=seconds["router"],
            environments=seconds["environments"],
            environments_created=timers.environments,
            handler_code=seconds["handlers"] - seconds["calls"],
        )

    @property
    def engine(self) -> float:
        """Everything else: SimPy, the service models, ledger, fibers, workload, set-up and
        the final read-back."""
        return self.wall - self.calls - self.router - self.environments - self.handler_code

    @property
    def overhead_ratio(self) -> float:
        """(AWS calls + engine + router) / AWS calls: the figure DESIGN.md section 8 targets."""
        return (self.calls + self.engine + self.router) / self.calls


def instrumented_run(experiment: Any, system: Any) -> Parts:
    gc.collect()
    with Breakdown() as timers:
        started = wall_clock()
        run(experiment, system)
        wall = wall_clock() - started
    return Parts.of(timers, wall)


def timed_run(experiment: Any, system: Any) -> tuple[float, Any]:
    gc.collect()
    started = wall_clock()
    result = run(experiment, system)
    return wall_clock() - started, result


@dataclass(frozen=True)
class Figures:
    requests: int
    wall: float
    simulated: float
    calls: int
    floor: float
    """The same AWS calls replayed alone."""
    parts: Parts
    """The least disturbed of the instrumented runs."""

    @property
    def end_to_end(self) -> float:
        return self.wall / self.floor


def measure(experiment: Any, repeat: int) -> Figures:
    """The best of `repeat` runs, instrumented runs and replays (as `timeit` does: the
    minimum is the figure least disturbed by the rest of the machine)."""
    system = loader().system(experiment.systems[0], Path.cwd())
    with recording() as calls:  # also warms imports and caches up
        run(experiment, system)
    # The same seed makes the same calls, unrecorded. The three kinds take turns, so that a
    # busy spell of the machine does not fall on one kind only.
    walls, all_parts, floors = [], [], []
    for _ in range(repeat):
        wall, result = timed_run(experiment, system)
        walls.append(wall)
        all_parts.append(instrumented_run(experiment, system))
        floors.append(replay(calls))
    parts = min(all_parts, key=lambda p: p.wall)
    requests = sum(1 for sent in result.ledger.of(Sent) if sent.attempt == 1)
    return Figures(requests, min(walls), result.simulated_seconds, len(calls), min(floors), parts)


def show(system: str, m: Figures) -> None:
    parts = m.parts
    print(
        f"  {system:<5} wall {m.wall:.2f} s for {m.simulated:,.0f} s simulated "
        f"({m.simulated / m.wall:.0f}x real time), {m.requests / m.wall:,.0f} requests/s, "
        f"{m.calls:,} AWS calls"
    )
    print(
        f"        engine overhead {parts.overhead_ratio:.3f}x the handlers' AWS calls, "
        "timed in the same run (target: under 1.15)"
    )
    rows = [
        ("AWS calls", parts.calls, f"{parts.calls / m.calls * 1000:.3f} ms a call"),
        ("engine", parts.engine, "SimPy, service models, ledger, fibers, workload, final read"),
        ("router", parts.router, "latency, faults, capacity and the record of each call"),
        (
            "execution environments",
            parts.environments,
            f"{parts.environments_created} created: handler module init and its SDK client "
            "(the handlers' work)",
        ),
        ("handler code", parts.handler_code, "their Python between AWS calls (the handlers' work)"),
    ]
    print(f"        where an instrumented run's {parts.wall:.2f} s go:")
    for name, value, detail in rows:
        print(f"          {name:<23}{value:5.2f} s  {detail}")
    print(
        f"        end to end: {m.end_to_end:.2f}x the same calls replayed alone "
        f"({m.floor:.2f} s, {m.floor / m.calls * 1000:.3f} ms a call)"
    )


def show_size(m: Figures) -> None:
    engine_per_request = (m.parts.engine + m.parts.router) / m.requests * 1e6
    print(
        f"  {m.requests:>7,} requests  wall {m.wall:6.2f} s  "
        f"{m.wall / m.requests * 1000:.2f} ms a request "
        f"(engine and router {engine_per_request:.0f} us)  "
        f"engine overhead {m.parts.overhead_ratio:.3f}x  end to end {m.end_to_end:.2f}x"
    )


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
    print(f"2,000-request burst on each reference system (best of {args.repeat})")
    for system in ("sync", "eda"):
        show(system, measure(burst(2_000, system), args.repeat))
    if args.quick:
        return
    print(
        f"\ncost per request as the run grows (sync, {STEADY_RATE} requests/s, "
        f"best of {args.repeat})"
    )
    for size in (1_000, 5_000, 20_000):
        show_size(measure(steady(size, "sync"), args.repeat))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory of this process (all runs above, ledgers included): {peak:,.0f} MB")


if __name__ == "__main__":
    main()
