"""Engine overhead against the floor: the AWS calls the handlers make, timed alone.

For a burst experiment on each reference system this prints wall time, simulated time,
requests per wall second, and the ratio of the run's wall time to the same AWS calls replayed
directly against a fresh moto in the same process (no engine, no virtual clock). It then runs
the sync system at growing sizes to show the cost per request stays flat.

    python bench/overhead.py            # 2,000-request burst, then 1,000 / 5,000 / 20,000
    python bench/overhead.py --quick    # 2,000-request burst only

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
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import botocore.client

from chaos.aws.moto_env import REGION
from chaos.engine.world import run
from chaos.sim import wall_clock
from chaos.spec.experiment import experiment_model
from chaos.spec.types import YAML_CONTEXT
from chaos.systems import load_system

Call = tuple[str, str | None, str, dict[str, Any]]


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
    """Record every AWS API call made in the block (service, endpoint, operation, params)."""
    calls: list[Call] = []
    original = botocore.client.BaseClient._make_api_call

    def record(client: Any, operation: str, params: dict[str, Any]) -> Any:
        endpoint = (
            client.meta.endpoint_url
            if client.meta.service_model.service_name == "apigatewaymanagementapi"
            else None
        )
        calls.append((client.meta.service_model.service_name, endpoint, operation, params))
        return original(client, operation, params)

    botocore.client.BaseClient._make_api_call = record
    try:
        yield calls
    finally:
        botocore.client.BaseClient._make_api_call = original


def replay(calls: list[Call]) -> float:
    """Seconds to make the same calls directly against a fresh moto."""
    import boto3
    from moto import mock_aws

    clients: dict[tuple[str, str | None], Any] = {}
    with mock_aws():
        boto3.DEFAULT_SESSION = None
        for service, endpoint, _, _ in calls:
            if (service, endpoint) not in clients:
                clients[service, endpoint] = boto3.client(
                    service, region_name=REGION, endpoint_url=endpoint
                )
        gc.collect()
        started = wall_clock()
        for service, endpoint, operation, params in calls:
            with suppress(Exception):  # a conditional put may fail here too, as in the run
                clients[service, endpoint]._make_api_call(operation, params)
        return wall_clock() - started


def measure(requests: int, system_name: str) -> dict[str, float]:
    experiment = burst(requests, system_name)
    system = load_system(experiment.systems[0], Path.cwd())
    with recording() as calls:  # also warms imports and caches up
        run(experiment, system)
    gc.collect()
    started = wall_clock()
    result = run(experiment, system)  # the same seed makes the same calls, unrecorded
    wall = wall_clock() - started
    floor = replay(calls)
    return {
        "requests": requests,
        "wall": wall,
        "simulated": result.simulated_seconds,
        "calls": len(calls),
        "floor": floor,
        "ratio": wall / floor,
    }


def show(system: str, m: dict[str, float]) -> None:
    print(
        f"{system:>5}  {m['requests']:>7,.0f} requests  wall {m['wall']:7.2f}s  "
        f"simulated {m['simulated']:6.0f}s ({m['simulated'] / m['wall']:6.1f}x real time)  "
        f"{m['requests'] / m['wall']:7.0f} req/s  AWS calls {m['calls']:>7,.0f}  "
        f"floor {m['floor']:7.2f}s  ratio {m['ratio']:.3f}  "
        f"{m['wall'] / m['requests'] * 1000:.3f} ms/request"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the 2,000-request burst")
    args = parser.parse_args()
    os.chdir(Path(__file__).resolve().parent.parent)
    print("2,000-request burst (ratio = run wall time / the same AWS calls made directly)")
    for system in ("sync", "eda"):
        show(system, measure(2_000, system))
    if args.quick:
        return
    print("\ncost per request as the run grows (sync)")
    for size in (1_000, 5_000, 20_000):
        show("sync", measure(size, "sync"))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory of this process (all runs above, ledgers included): {peak:,.0f} MB")


if __name__ == "__main__":
    main()
