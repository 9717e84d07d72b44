"""A real run of a tiny experiment against both reference systems, shared by report tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaos._engine.runner import Outcome
from chaos.api import load, run_loaded

TINY = """\
experiment: tiny
duration: 20s
workload: {steady: {rate: 5/s, for: 10s}}
faults: [{lambda.throttle: {concurrency: 0, at: 2s, for: 3s}}]
assertions: [no_loss, {success_rate: 99%}]
expect: {sync: fails, eda: survives}
"""


@pytest.fixture(scope="session")
def tiny_outcomes() -> dict[str, Outcome]:
    loaded = load(TINY, path=Path("experiments/tiny.chaos.yaml"))
    return {system: run_loaded(loaded, system) for system in ("sync", "eda")}
