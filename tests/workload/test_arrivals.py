"""Arrival times: generated lazily, yet the same times, in the same order, from the same
stream as a list drawn whole (so no ledger digest moves)."""

from __future__ import annotations

import heapq
import random
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest
import simpy

from chaos._loading import experiment_model
from chaos._spec.experiment import Workload
from chaos._spec.types import YAML_CONTEXT
from chaos._workload import arrivals as module
from chaos._workload.arrivals import arrival_times
from chaos._workload.client import Client, Request


def workload(data: dict[str, Any], duration: str = "10m") -> tuple[Workload, float]:
    experiment = experiment_model().model_validate(
        {"experiment": "w", "duration": duration, "workload": data}, context=YAML_CONTEXT
    )
    return experiment.workload, experiment.duration


def drawn_whole(work: Workload, duration: float, draw: random.Random) -> list[float]:
    """The arrivals as they were computed before they became lazy: each part drawn whole,
    one after another from the one stream, then merged."""
    poisson = work.arrivals == "poisson"
    streams: list[list[float]] = []
    if work.steady is not None:
        steady = work.steady
        end = duration if steady.duration is None else steady.at + steady.duration
        streams.append(
            list(module._constant(steady.rate, steady.at, min(end, duration), poisson, draw))
        )
    for burst in work.bursts:
        end = min(burst.at + burst.duration, duration)
        streams.append(list(module._constant(burst.rate, burst.at, end, poisson, draw)))
    for ramp in work.ramps:
        end = min(ramp.at + ramp.duration, duration)
        streams.append(
            list(
                module._ramp(
                    ramp.from_rate, ramp.to_rate, ramp.at, ramp.duration, end, poisson, draw
                )
            )
        )
    return list(heapq.merge(*streams))


MIXED = {
    "steady": {"rate": "20/s", "at": "5s", "for": "4m"},
    "bursts": [
        {"rate": "300/s", "at": "1m", "for": "10s"},
        {"rate": "50/s", "at": "61s", "for": "1m"},
    ],
    "ramps": [
        {"from": "0/s", "to": "40/s", "at": "2m", "for": "2m"},
        {"from": "30/s", "to": "5/s", "for": "9m"},
    ],
}


@pytest.mark.parametrize("kind", ["uniform", "poisson"])
def test_lazy_arrivals_are_the_list_drawn_whole(kind: str) -> None:
    """Every part of a mixed workload, Poisson draws included: same floats, same order,
    and the stream left where drawing the list whole left it."""
    work, duration = workload({**MIXED, "arrivals": kind})
    eager_draw, lazy_draw = random.Random(7), random.Random(7)
    expected = drawn_whole(work, duration, eager_draw)
    lazy = arrival_times(work, duration, lazy_draw)
    assert list(lazy) == expected and len(lazy) == len(expected) > 10_000
    assert list(lazy) == expected  # iterable again: each iteration replays the parts
    assert lazy_draw.random() == eager_draw.random()


def test_arrivals_are_never_held_in_memory() -> None:
    """Counting and walking 200,000 arrivals allocates a few KB (the parts' saved stream
    states), not a list: a list of 200,000 floats alone is 6 MB."""
    work, duration = workload({"steady": {"rate": "1000/s", "for": "200s"}, "arrivals": "poisson"})
    tracemalloc.start()
    try:
        times = arrival_times(work, duration, random.Random(1))
        walked = sum(1 for _ in times)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert walked == len(times) > 190_000
    assert peak < 200_000


class _Door:
    max_wait = 0.0

    def submit(self, request: Request, attempt: int) -> Any:
        from chaos._aws.apigateway import ApiResponse
        from chaos._ledger import Stage

        return ApiResponse(200, "", Stage.OK)


def test_the_client_takes_each_request_when_its_time_comes() -> None:
    """The client pulls the next request only once the previous one has been sent: the
    arrivals iterator is consumed as virtual time reaches it, never drained up front."""
    from chaos._ledger import Ledger
    from chaos._spec.experiment import ClientDef

    env = simpy.Environment()
    pulled: list[float] = []

    def requests() -> Iterator[tuple[float, Request]]:
        for index in range(5):
            pulled.append(env.now)
            yield float(index * 10), Request(f"r{index}", False, "{}", f"c{index}")

    client = Client(env, Ledger(), _Door(), ClientDef(), random.Random(1))
    env.process(client.run(requests()))
    env.run(until=25)
    assert pulled == [0.0, 0.0, 10.0, 20.0] and client.started == 3
