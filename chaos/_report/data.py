"""What a report needs from one run, as plain data that survives JSON and pytest-xdist.

`summarize` reads an `Outcome` (its accounting, ledger and samples) once and keeps only what
the reporters print: counts, rates, the verdict and its reason, findings as text, and
timelines bucketed over virtual time. Workers send `RunSummary.to_dict()` to the controller,
which rebuilds the summaries with `from_dict` and renders the run-wide report from them.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from chaos._aws.dynamodb import THROTTLE_CODES
from chaos._checks.accounting import Accounting, percentile
from chaos._checks.causes import Cause
from chaos._checks.evidence import sorted_windows
from chaos._checks.score import run_score
from chaos._checks.stopped import stop_sentence
from chaos._ledger import AwsCalled, Responded, Sent

if TYPE_CHECKING:
    # The engine pulls in moto; a pytest controller only needs to rebuild summaries.
    from chaos._checks.verdict import Finding, RequestStory
    from chaos._cost import Bill
    from chaos._engine.runner import Outcome
    from chaos._result import RunResult

BUCKETS = 240
TIMELINE_SERIES = (
    "queue_depth",
    "client_errors",
    "completions",
    "arrivals",
    "arrival_peaks",
    "error_peaks",
    "completion_peaks",
)
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
    arrival_peaks: tuple[int, ...] = ()
    """Per bucket, the most arrivals in one whole second of virtual time that overlaps it:
    a one-second burst keeps its height however many buckets a chart column merges (a
    column's mean would spread it). Empty for a summary made before peaks were kept."""
    error_peaks: tuple[int, ...] = ()
    """Likewise for client errors."""
    completion_peaks: tuple[int, ...] = ()
    """Likewise for completions."""


@dataclass(frozen=True)
class Story:
    """A sampled failed request's story, with the other sampled requests whose stories went
    the same way (the same steps; only times and ids differ): a finding shows one of each."""

    request_id: str
    lines: tuple[str, ...]
    alike: tuple[str, ...] = ()


@dataclass(frozen=True)
class Explained:
    """What a failed assertion's finding adds under the assertion's line."""

    index: int
    """The assertion's position in `RunSummary.assertions`."""
    title: str
    causes: tuple[tuple[str, int], ...] = ()
    """(cause, requests), most frequent first: this assertion's failures only."""
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class Note:
    """A finding about the run as a whole (what the handler's code did), with its lines
    (the end of a traceback)."""

    title: str
    details: tuple[str, ...] = ()


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
    notes: tuple[Note, ...] = ()
    """Findings about the run as a whole, shown before the assertions."""
    explained: tuple[Explained, ...] = ()
    """The findings of the assertions that have one, by the assertion's position."""
    active_faults: tuple[str, ...] = ()
    """The faults that could act on this system, as findings name them."""
    stories: tuple[Story, ...] = ()
    """The sampled failed requests of every finding, each request once, grouped by how
    their stories went; reports show the first few, journals all."""
    causes: tuple[tuple[str, int], ...] = ()
    """Why requests failed, most frequent first, over every failed assertion."""
    main_cause: str = ""
    """The most frequent cause's bare phrase, without what differs between experiments
    (the fault window it fell in, the status the client saw)."""
    reproduce: str = ""
    windows: tuple[FaultSpan, ...] = ()
    timeline: Timeline | None = None
    cost: float | None = None
    """What the run cost, in dollars (None when it could not run)."""
    cost_per_completed: float | None = None
    """Dollars per completed request."""
    cost_monthly: float | None = None
    """A 730-hour month at the experiment's steady rate; None unless the workload is steady."""
    cost_by_service: dict[str, float] = field(default_factory=dict)
    prices: str = ""
    """Which price table: `us-east-1, 2026-06-01`."""
    score: float | None = None
    """The resilience score, 0 to 100 (`chaos._checks.score`); None for a run that tested
    nothing (inconclusive, error)."""
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
        values["notes"] = tuple(
            Note(n["title"], tuple(n["details"])) for n in values.get("notes", ())
        )
        values["explained"] = tuple(
            Explained(
                e["index"],
                e["title"],
                tuple((str(c), int(n)) for c, n in e["causes"]),
                tuple(e["details"]),
            )
            for e in values.get("explained", ())
        )
        values["active_faults"] = tuple(values.get("active_faults", ()))
        values["stories"] = tuple(
            Story(t["request_id"], tuple(t["lines"]), tuple(t["alike"]))
            for t in values.get("stories", ())
        )
        values["causes"] = tuple((str(c), int(n)) for c, n in values.get("causes", ()))
        values["windows"] = tuple(FaultSpan(**w) for w in values.get("windows", ()))
        timeline = values.get("timeline")
        if timeline is not None:
            values["timeline"] = Timeline(
                step=timeline["step"],
                has_queue=timeline["has_queue"],
                **{key: tuple(timeline.get(key, ())) for key in TIMELINE_SERIES},
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
        notes=tuple(Note(f.title, f.details) for f in outcome.findings),
        explained=tuple(
            Explained(
                index,
                r.finding.title,
                tuple((str(cause), count) for cause, count in r.finding.causes),
                r.finding.details,
            )
            for index, r in enumerate(outcome.results)
            if r.finding is not None
        ),
        active_faults=next((r.finding.active_faults for r in outcome.results if r.finding), ()),
        stories=grouped_stories(r.finding for r in outcome.results if r.finding),
        causes=causes,
        main_cause=main_cause,
        score=run_score(outcome.verdict, outcome.results),
        **_cost_fields(outcome.bill),
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


def grouped_stories(findings: Iterable[Finding]) -> tuple[Story, ...]:
    """The findings' sampled requests, each once (several assertions sample the same
    request), grouped by how their stories went, in the order first sampled."""
    groups: dict[tuple[str, ...], list[RequestStory]] = {}
    seen: set[str] = set()
    for finding in findings:
        for story in finding.stories:
            if story.request_id in seen:
                continue
            seen.add(story.request_id)
            groups.setdefault(_shape(story.lines), []).append(story)
    return tuple(
        Story(first.request_id, first.lines, tuple(s.request_id for s in rest))
        for first, *rest in groups.values()
    )


_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def _shape(lines: Sequence[str]) -> tuple[str, ...]:
    """A story without its numbers (times, ids, counts): stories of the same shape went the
    same way."""
    return tuple(_NUMBER.sub("#", line).strip() for line in lines)


def _cost_fields(bill: Bill | None) -> dict[str, Any]:
    if bill is None:
        return {}
    return {
        "cost": bill.total,
        "cost_per_completed": bill.per_completed,
        "cost_monthly": bill.monthly,
        "cost_by_service": bill.by_service(),
        "prices": f"{bill.prices.region}, {bill.prices.date.isoformat()}",
    }


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
    """Load, queue depth, client errors and completions per bucket of virtual time, and per
    bucket the busiest second of each count."""
    step = result.simulated_seconds / buckets

    def bucket(t: float) -> int:
        return min(buckets - 1, max(0, int(t / step)))

    depth = [0] * buckets
    for sample in result.samples:
        index = bucket(sample.t)
        depth[index] = max(depth[index], sample.queue_visible + sample.queue_in_flight)
    arrivals = [s.t for s in result.ledger.of(Sent) if s.attempt == 1]
    errors = [r.t for r in result.ledger.of(Responded) if not 200 <= r.status < 300]
    completions = [
        facts.first_effect_at
        for facts in accounting.requests.values()
        if facts.completed and facts.first_effect_at is not None
    ]
    return Timeline(
        step,
        tuple(depth),
        _per_bucket(errors, bucket, buckets),
        _per_bucket(completions, bucket, buckets),
        has_queue=result.system.queue is not None,
        arrivals=_per_bucket(arrivals, bucket, buckets),
        arrival_peaks=busiest_seconds(arrivals, step, buckets),
        error_peaks=busiest_seconds(errors, step, buckets),
        completion_peaks=busiest_seconds(completions, step, buckets),
    )


def _per_bucket(
    times: Iterable[float], bucket: Callable[[float], int], buckets: int
) -> tuple[int, ...]:
    counts = [0] * buckets
    for t in times:
        counts[bucket(t)] += 1
    return tuple(counts)


def busiest_seconds(times: Iterable[float], step: float, buckets: int) -> tuple[int, ...]:
    """Per bucket [i*step, (i+1)*step), the count of the busiest whole second
    [s, s+1) that overlaps it: the true peak per second, kept at bucket resolution."""
    per_second = Counter(int(t) for t in times if t >= 0)
    if not per_second or step <= 0:
        return (0,) * buckets
    peaks = []
    for index in range(buckets):
        first = int(index * step)
        last = max(first, math.ceil((index + 1) * step) - 1)
        peaks.append(max(per_second.get(second, 0) for second in range(first, last + 1)))
    return tuple(peaks)
