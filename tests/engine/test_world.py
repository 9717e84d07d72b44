"""A world run: virtual time for handler code, no real sleeping, and determinism from the
seed. Sources: DESIGN.md section 4 ("Virtual time on a real discrete-event engine", "One seed,
many streams"), ARCHITECTURE.md ("freezegun follows SimPy", "Greenlets for handler code",
"Determinism"); issue 2 "Done when".
"""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
import time
import weakref
from datetime import timedelta

import pytest

from chaos._engine.world import World
from chaos._ledger import Responded, Sent
from chaos._sandbox.charge import CLOCK_READ_COST
from chaos._sim import EPOCH
from tests.engine import probes
from tests.support import HERE, custom_system, experiment, reference, run_yaml

CLOCK_PROBE = custom_system("""
    system: clock
    architecture: sync
    api: {function: f, latency: {base: 0s, jitter: 0s}}
    functions:
      f:
        handler: "tests.engine.handlers:clock_probe"
        timeout: 30s
        duration: {base: 0s, jitter: 0s}
        cold_start: {base: 0s, jitter: 0s}
    tables: {orders: {partition_key: order_id, latency: {base: 0s, jitter: 0s}}}
    effects: {table: orders}
""")


@pytest.fixture
def real_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every call that reaches the real `time.sleep` during the test."""
    calls: list[float] = []

    def record(seconds: float) -> None:
        calls.append(seconds)

    monkeypatch.setattr(time, "sleep", record)
    return calls


def test_handlers_read_virtual_time_and_sleep_in_it(real_sleeps: list[float]) -> None:
    """Inside a handler `time.time()` and `datetime.now()` read the virtual clock (epoch plus
    simulated time), and `time.sleep(5)` advances it by 5 s without sleeping for real.
    Source: DESIGN.md section 4 "freezegun's frozen clock equal to epoch + env.now ...
    time.sleep inside handlers ... must advance virtual time and never block"."""
    result = run_yaml(
        """
        experiment: clock
        duration: 1m
        workload: {steady: {rate: 1/s, at: 10s, for: 1s}}
    """,
        CLOCK_PROBE,
    )
    (sent,) = result.ledger.of(Sent)
    (responded,) = result.ledger.of(Responded)
    assert responded.status == 200
    # The sleep, plus the probe's four clock reads (each costs CLOCK_READ_COST).
    assert responded.t - sent.t == pytest.approx(5.0 + 4 * CLOCK_READ_COST)
    assert real_sleeps == []


def test_what_handlers_read_is_epoch_plus_simulated_time() -> None:
    """The handler's reads of `time.time()` and `datetime.now()`, before and after its sleep,
    equal EPOCH plus the virtual instants, each read advancing the handler's clock by
    CLOCK_READ_COST. Source: DESIGN.md section 4; ARCHITECTURE.md "freezegun follows
    SimPy"; issue 11 "each clock read inside a handler costs a small, fixed amount"."""
    probes.SEEN.clear()
    run_yaml(
        """
        experiment: clock
        duration: 1m
        workload: {steady: {rate: 1/s, at: 10s, for: 1s}}
    """,
        CLOCK_PROBE,
    )
    (((before_epoch, before_now), (after_epoch, after_now)),) = probes.SEEN
    cost = CLOCK_READ_COST
    assert before_epoch == pytest.approx(EPOCH.timestamp() + 10.0 + cost, abs=1e-6)
    assert before_now == EPOCH + timedelta(seconds=10.0 + 2 * cost)
    assert after_epoch - before_epoch == pytest.approx(5.0 + 2 * cost, abs=1e-6)
    assert after_now - before_now == timedelta(seconds=5.0 + 2 * cost)


@pytest.mark.slow
def test_a_10_minute_outage_simulates_without_real_sleep(real_sleeps: list[float]) -> None:
    """A 10-minute Lambda outage with SDK retries and queue redeliveries runs entirely in
    virtual time: nothing reaches the real `time.sleep`. (Its wall time is measured in bench/,
    not asserted.) Source: issue 2 "A 10-minute simulated outage experiment runs in seconds of
    wall time; no real sleep happens"."""
    text = """
        experiment: outage
        duration: 15m
        workload: {steady: {rate: 2/s, for: 12m}}
        faults: [{lambda.throttle: {concurrency: 0, at: 1m, for: 10m}}]
    """
    for name in ("sync", "eda"):
        result = run_yaml(text, reference(name))
        assert result.simulated_seconds == 900.0
        assert len(list(result.ledger.of(Sent))) == 1_440
    assert real_sleeps == []


DETERMINISM = """
    experiment: determinism
    duration: 3m
    workload:
      steady: {rate: 5/s, for: 1m}
      arrivals: poisson
      poison: 10%
    faults:
      - dynamodb.throttle: {probability: 50%, at: 10s, for: 20s}
      - sqs.duplicate_delivery: {probability: 20%}
"""


@pytest.mark.slow
def test_same_experiment_and_seed_give_the_same_ledger() -> None:
    """Same experiment and seed -> the same ledger, byte for byte (equal digests); another
    seed -> another ledger. Source: DESIGN.md "One seed, many streams"; issue 2 "Same experiment
    and seed: identical journals ... ledger_digest equal"."""
    for name in ("sync", "eda"):
        first = run_yaml(DETERMINISM, reference(name), seed=11)
        again = run_yaml(DETERMINISM, reference(name), seed=11)
        other = run_yaml(DETERMINISM, reference(name), seed=12)
        assert first.ledger.digest() == again.ledger.digest()
        assert first.final == again.final
        assert other.ledger.digest() != first.ledger.digest()


@pytest.mark.slow
def test_the_digest_is_the_same_in_another_process() -> None:
    """The seed, not the process (hash randomisation, import order, earlier runs), decides
    the ledger. Source: DESIGN.md "Same experiment and seed give the same ledger, byte for
    byte, in any process, under xdist, in any test order"."""
    script = textwrap.dedent(f"""
        from tests.support import reference, run_yaml
        text = {DETERMINISM!r}
        print(run_yaml(text, reference("eda"), seed=11).ledger.digest())
    """)
    child = subprocess.run(
        [sys.executable, "-c", script],
        cwd=HERE.parent,
        check=True,
        capture_output=True,
        text=True,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
    )
    here = run_yaml(DETERMINISM, reference("eda"), seed=11).ledger.digest()
    assert child.stdout.strip() == here


STILL_RUNNING = custom_system("""
    system: still-running
    architecture: sync
    api: {function: f}
    functions:
      f: {handler: "tests.engine.handlers:sleep_past_the_end", timeout: 900s}
    tables: {orders: {partition_key: order_id}}
    effects: {table: orders}
""")


def test_an_invocation_running_when_the_run_ends_is_stopped_and_the_world_freed() -> None:
    """A handler still inside its invocation at the end is killed as at a timeout (AWS
    freezes the sandbox): its cleanup runs but cannot call AWS, so nothing changes after the
    run, and no fiber keeps the finished world alive (a 20,000-request bench run would
    otherwise hold ~30 MB per run)."""
    probes.SEEN.clear()
    experiment_ = experiment("""
        experiment: still-running
        duration: 1m
        workload: {steady: {rate: 1/s, at: 10s, for: 1s}}
    """)
    world = World(experiment_, STILL_RUNNING, seed=1)
    result = world.run()
    assert probes.SEEN == ["cleanup", "call refused"]
    assert result.final.effects == {}
    freed = weakref.ref(world.env)
    del world
    gc.collect()
    assert freed() is None
