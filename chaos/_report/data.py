"""What a report needs from one run, as plain data that survives JSON and pytest-xdist.

`summarize` reads an `Outcome` (its accounting, ledger and samples) once and keeps only what
the reporters print: counts, rates, the verdict and its reason, findings as text, and
timelines bucketed over virtual time. Workers send `RunSummary.to_dict()` to the controller,
which rebuilds the summaries with `from_dict` and renders the run-wide report from them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from chaos._aws.dynamodb import THROTTLE_CODES
from chaos._checks.accounting import Accounting, percentile
from chaos._checks.causes import Cause
from chaos._checks.evidence import sorted_windows
from chaos._checks.stopped import stop_sentence
from chaos._ledger import AwsCalled, Responded, Sent

if TYPE_CHECKING:
    # The engine pulls in moto; a pytest controller only needs to rebuild summaries.
    from chaos._engine.runner import Outcome
    from chaos._result import RunResult

BUCKETS = 240
"""Timeline resolution: the engine samples queue depth 240 times a run, so do the counts."""

ARCHITECTURE_LABELS = {"sync": "synchronous", "event_driven": "event-driven"}


@dataclass(frozen=True)
class FaultSpan:
    """A fault window: what was injected, from when to when (virtual seconds)."""

    label: str
    start: float
    end: float


@dataclass(frozen=True)
class Timeline:
    """Per-bucket figures over the run's virtual time; bucket i covers [i*step, (i+1)*step)."""

    step: float
    queue_depth: tuple[int, ...]
    """Messages in the source queue (visible plus in flight), the bucket's maximum."""
    client_errors: tuple[int, ...]
    """Responses the client got that were not 2xx (each attempt counted)."""
    completions: tuple[int, ...]
    """Requests whose effect first appeared in the table."""
    has_queue: bool
    arrivals: tuple[int, ...] = ()
    """Requests the clients sent for the first time: the offered load (bursts, ramps)."""


@dataclass(frozen=True)
class RunSummary:
    """One experiment against one system, reduced to what reports show."""

    experiment: str
    path: str
    line: int
    system: str
    system_index: int
    """Position of the system in the experiment's `systems:`, for a stable order."""
    architecture: str
    seed: int
    verdict: str
    expected: str
    as_expected: bool
    reason: str
    duration: float
    """The experiment's simulated duration in seconds."""
    description: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    success_rate: float | None = None
    """Share of healthy requests whose client got a 2xx; None when none was sent."""
    p99: float | None = None
    """p99 completion latency of healthy requests, in seconds."""
    db_throttles: int = 0
    wall_seconds: float = 0.0
    assertions: tuple[tuple[str, str, str], ...] = ()
    """(name, status, detail) per assertion, in the experiment's order."""
    findings: tuple[str, ...] = ()
    causes: tuple[tuple[str, int], ...] = ()
    """Why requests failed, most frequent first, over every failed assertion."""
    main_cause: str = ""
    """The most frequent cause's bare phrase, without what differs between experiments
    (the fault window it fell in, the status the client saw)."""
    reproduce: str = ""
    windows: tuple[FaultSpan, ...] = ()
    timeline: Timeline | None = None
    stop: str = ""
    """When and why a `stop_when` guard ended fault injection ('' when none tripped)."""

    @property
    def label(self) -> str:
        """`eda (event-driven)`; just the name when it already says the architecture."""
        kind = ARCHITECTURE_LABELS.get(self.architecture, self.architecture)
        if not kind or self.system in (self.architecture, kind):
            return self.system
        return f"{self.system} ({kind})"

    @property
    def sort_key(self) -> tuple[str, int, str, int, str]:
        return (self.path, self.line, self.experiment, self.system_index, self.system)

    def to_dict(self) -> dict[str, Any]:
        """Builtin types only, so execnet (xdist) and json can carry it."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunSummary:
        values = dict(data)
        values["assertions"] = tuple(tuple(a) for a in values.get("assertions", ()))
        values["findings"] = tuple(values.get("findings", ()))
        values["causes"] = tuple((str(c), int(n)) for c, n in values.get("causes", ()))
        values["windows"] = tuple(FaultSpan(**w) for w in values.get("windows", ()))
        timeline = values.get("timeline")
        if timeline is not None:
            values["timeline"] = Timeline(
                step=timeline["step"],
                has_queue=timeline["has_queue"],
                **{
                    key: tuple(timeline[key])
                    for key in ("queue_depth", "client_errors", "completions", "arrivals")
                },
            )
        return cls(**values)


def summarize(outcome: Outcome, *, reproduce: str | None = None) -> RunSummary:
    """Everything the reports show about one outcome.

    Args:
        outcome: the run, judged.
        reproduce: a better command to rerun it than the CLI's (a pytest node id for an
            experiment written in a test function); the findings give it too.
    """
    experiment = outcome.experiment
    command = outcome.reproduce if reproduce is None else reproduce
    names = experiment.system_names()
    ref = outcome.system_ref or outcome.system
    tripped = outcome.result.stop if outcome.result is not None else None
    causes, main_cause = _causes(outcome)
    base = RunSummary(
        experiment=experiment.experiment,
        path=str(outcome.path),
        line=outcome.line,
        system=outcome.system,
        system_index=names.index(ref) if ref in names else len(names),
        architecture="",
        seed=outcome.seed,
        verdict=outcome.verdict.value,
        expected=outcome.expected.value,
        as_expected=outcome.as_expected,
        reason=outcome.reason,
        duration=experiment.duration,
        description=experiment.description.strip(),
        reproduce=command,
        windows=tuple(
            FaultSpan(w.label, w.start, w.end)
            for w in sorted_windows(
                experiment.fault_windows(None if tripped is None else tripped.t)
            )
        ),
        stop=stop_sentence(tripped),
        assertions=tuple((r.name, r.status.value, r.detail) for r in outcome.results),
        findings=tuple(
            finding.render(reproduce=command)
            for finding in (
                *outcome.findings,
                *(r.finding for r in outcome.results if r.finding),
            )
        ),
        causes=causes,
        main_cause=main_cause,
    )
    if outcome.result is None or outcome.evidence is None:
        return base
    result, accounting = outcome.result, outcome.evidence.accounting
    return replace(
        base,
        architecture=result.system.architecture.value,
        counts=accounting.counts(),
        success_rate=_success_rate(accounting),
        p99=_p99(accounting),
        db_throttles=_db_throttles(result),
        wall_seconds=result.wall_seconds,
        timeline=timeline(result, accounting),
    )


def _causes(outcome: Outcome) -> tuple[tuple[tuple[str, int], ...], str]:
    """Causes over every failed assertion, most frequent first, and the first one's phrase."""
    totals: dict[str, int] = {}
    phrases: dict[str, str] = {}
    for result in outcome.results:
        if result.finding is None:
            continue
        for cause, count in result.finding.causes:
            text = str(cause)  # a plain str, which execnet and json carry
            totals[text] = totals.get(text, 0) + count
            phrases[text] = cause.phrase if isinstance(cause, Cause) else text
    ordered = tuple(sorted(totals.items(), key=lambda item: (-item[1], item[0])))
    return ordered, phrases[ordered[0][0]] if ordered else ""


def _success_rate(accounting: Accounting) -> float | None:
    healthy = [f for f in accounting.requests.values() if not f.poison]
    if not healthy:
        return None
    return sum(f.acknowledged for f in healthy) / len(healthy)


def _p99(accounting: Accounting) -> float | None:
    values = [
        latency
        for f in accounting.requests.values()
        if not f.poison and (latency := f.completion_latency) is not None
    ]
    return percentile(values, 0.99)


def _db_throttles(result: RunResult) -> int:
    return sum(
        1
        for call in result.ledger.of(AwsCalled)
        if call.service == "dynamodb" and call.outcome in THROTTLE_CODES
    )


def timeline(result: RunResult, accounting: Accounting, *, buckets: int = BUCKETS) -> Timeline:
    """Load, queue depth, client errors and completions per bucket of virtual time."""
    step = result.simulated_seconds / buckets

    def bucket(t: float) -> int:
        return min(buckets - 1, max(0, int(t / step)))

    depth = [0] * buckets
    for sample in result.samples:
        index = bucket(sample.t)
        depth[index] = max(depth[index], sample.queue_visible + sample.queue_in_flight)
    arrivals = [0] * buckets
    for sent in result.ledger.of(Sent):
        if sent.attempt == 1:
            arrivals[bucket(sent.t)] += 1
    errors = [0] * buckets
    for response in result.ledger.of(Responded):
        if not 200 <= response.status < 300:
            errors[bucket(response.t)] += 1
    completions = [0] * buckets
    for facts in accounting.requests.values():
        if facts.completed and facts.first_effect_at is not None:
            completions[bucket(facts.first_effect_at)] += 1
    return Timeline(
        step,
        tuple(depth),
        tuple(errors),
        tuple(completions),
        has_queue=result.system.queue is not None,
        arrivals=tuple(arrivals),
    )
