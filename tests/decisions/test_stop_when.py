"""`stop_when:` guards: fault injection ends in virtual time when one trips, as AWS FIS
stop conditions end an experiment's actions ("Stop conditions for AWS FIS",
https://docs.aws.amazon.com/fis/latest/userguide/stop-conditions.html); the verdict is
judged as usual and the reports say when it tripped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chaos._engine.guards import SuccessRateWindow
from chaos._engine.runner import run_one
from chaos._errors import SpecError
from chaos._ledger import FaultWindow, Responded, Stage, StopTripped, Throttled
from chaos._loading import loader
from chaos._report.data import summarize
from chaos._report.journal import journal
from chaos._spec.stop import SuccessRateGuard
from tests.support import reference, run_yaml

OUTAGE = """
experiment: guarded
seed: 3
duration: 3m
workload: {steady: {rate: 5/s, for: 1m}}
faults:
  - lambda.throttle: {concurrency: 0, at: 10s, for: 1m}
assertions: [no_loss, {success_rate: 99%}]
"""
GUARD_RATE = "stop_when: {client_success_rate: {below: 90%, over: 10s}}\n"


def _ok(t: float, status: int) -> Responded:
    return Responded(t, "r1", 1, status, Stage.OK)


def test_a_success_rate_guard_waits_for_a_full_window_and_slides() -> None:
    """CloudWatch alarms with no data stay INSUFFICIENT_DATA, which does not stop FIS; the
    guard needs a full window and at least one response in it."""
    window = SuccessRateWindow(SuccessRateGuard(below=0.9, over=10.0))
    assert window.tripped(12.0) is None  # no responses: no data
    window.add(_ok(1.0, 500))
    assert window.tripped(5.0) is None  # the window is not full yet
    assert window.tripped(10.5) is not None  # 0% over the last 10 s
    window.add(_ok(11.0, 200))
    assert window.tripped(11.5) is None  # the 500 at 1 s slid out
    window.add(_ok(12.0, 503))
    tripped = window.tripped(12.5)
    assert tripped is not None and "50.0% of 2 client responses" in tripped


def test_a_tripped_guard_ends_fault_injection_there() -> None:
    """Sync throttled to zero fails every request; the guard trips once the last 10 s
    were under 90% and the throttle ends at that instant: no throttles after it."""
    result = run_yaml(OUTAGE + GUARD_RATE, reference("sync"))
    (tripped,) = result.ledger.of(StopTripped)
    assert tripped.condition == "client_success_rate"
    assert 10.0 < tripped.t < 25.0
    assert result.stop == tripped
    throttles = [r.t for r in result.ledger.of(Throttled)]
    assert throttles and max(throttles) <= tripped.t
    ends = [w for w in result.ledger.of(FaultWindow) if w.phase == "end"]
    assert [(w.t, w.fault_index) for w in ends] == [(tripped.t, 0)]


def test_the_verdict_is_judged_as_usual_and_the_reports_say_when() -> None:
    (loaded,) = loader().text(OUTAGE + GUARD_RATE + "systems: [sync]\n")
    outcome = run_one(loaded, loaded.systems[0])
    assert outcome.verdict.value == "failed"  # some requests failed before the trip
    summary = summarize(outcome)
    at = outcome.result.stop.t
    assert summary.stop.startswith(f"stop_when client_success_rate tripped at {at:g}s: ")
    assert summary.stop.endswith("fault injection ended there")
    (window,) = summary.windows
    assert (window.start, window.end) == (10.0, at)  # the report shows the cut window
    document = json.loads(json.dumps(journal(outcome)))
    assert document["stop_condition"]["condition"] == "client_success_rate"
    assert document["stop_condition"]["t"] == at


def test_a_dlq_depth_guard_trips_on_the_first_dead_letter() -> None:
    """dlq_depth reads the DLQ's depth (ApproximateNumberOfMessagesVisible)."""
    text = OUTAGE.replace("for: 1m}\nassertions", "for: 2m}\nassertions")
    result = run_yaml(
        text + "stop_when: {dlq_depth: {above: 0}}\n",
        reference(
            "eda", {"queue": {"visibility_timeout": "10s", "dead_letter": {"max_receive_count": 2}}}
        ),
    )
    assert result.stop is not None and result.stop.condition == "dlq_depth"
    assert result.final.dead_letter  # what had been dead-lettered stays there


def test_faults_not_started_when_the_guard_trips_never_start() -> None:
    later = OUTAGE.replace("for: 1m}\n", "for: 1m}\n  - lambda.error: {at: 2m, for: 10s}\n", 1)
    result = run_yaml(later + GUARD_RATE, reference("sync"))
    assert result.stop is not None
    started = [w.fault_index for w in result.ledger.of(FaultWindow) if w.phase == "start"]
    assert started == [0]
    assert [w.index for w in result.experiment.fault_windows(result.stop.t)] == [0]


def test_a_guard_that_never_trips_changes_nothing() -> None:
    """The guard only reads: a run whose guard never trips has the same ledger."""
    calm = OUTAGE.replace("concurrency: 0", "concurrency: 50")
    plain = run_yaml(calm, reference("sync"))
    guarded = run_yaml(calm + GUARD_RATE, reference("sync"))
    assert guarded.stop is None
    assert guarded.ledger.digest() == plain.ledger.digest()


@pytest.mark.parametrize(
    ("guards", "line", "key", "says"),
    [
        (
            "  client_success_rate: {below: 150%}\n",
            9,
            "stop_when.client_success_rate.below",
            "100%",
        ),
        ("  dlq_depth: {above: -1}\n", 9, "stop_when.dlq_depth.above", "0"),
        ("  dlq_depht: {above: 3}\n", 9, "stop_when.dlq_depht", "dlq_depth"),
        ("  client_success_rate: {over: 1m}\n", 9, "stop_when.client_success_rate.below", ""),
        ("  queue_depth: {above: 3, for: 1m}\n", 9, "stop_when.queue_depth.for", ""),
    ],
)
def test_bad_guards_are_located(
    guards: str, line: int, key: str, says: str, tmp_path: Path
) -> None:
    path = tmp_path / "g.chaos.yaml"
    path.write_text(OUTAGE.lstrip() + "stop_when:\n" + guards)
    with pytest.raises(SpecError) as caught:
        loader().file(path)
    (problem,) = caught.value.diagnostics
    assert (problem.line, problem.key_path) == (line, key)
    assert says in problem.message + (problem.hint or "")
