"""The built-in delivery guarantees. They register exactly the way a third party's would."""

from __future__ import annotations

from collections.abc import Sequence

from chaos._aws.dynamodb import THROTTLE_CODES
from chaos._checks.accounting import RequestFacts, Terminal, percentile
from chaos._checks.base import Assertion
from chaos._checks.builtin_params import (
    DbProtectedParams,
    DlqParams,
    EventualCompletionParams,
    LatencyParams,
    NoDuplicateEffectsParams,
    NotifiedParams,
    SuccessRateParams,
)
from chaos._checks.causes import cause, tally
from chaos._checks.evidence import Evidence
from chaos._checks.history import story
from chaos._checks.registry import assertion_type
from chaos._checks.verdict import AssertionResult, Finding, RequestStory, Status
from chaos._ledger import AwsCalled, DeadLettered
from chaos._spec.base import SpecModel
from chaos._spec.units import format_duration

MAX_STORIES = 10


def finding(
    title: str, failures: Sequence[RequestFacts], evidence: Evidence, *, explain: bool = True
) -> Finding:
    """A finding with causes tallied over all failures and up to 10 sample histories."""
    causes = tally(cause(f, evidence) for f in failures) if explain else ()
    stories = tuple(
        RequestStory(
            f.request_id,
            story(
                evidence.history(f.request_id),
                logs=evidence.result.logs,
                failures=evidence.result.failures,
            ),
        )
        for f in failures[:MAX_STORIES]
    )
    return Finding(
        title,
        causes,
        stories,
        tuple(w.label for w in evidence.applicable_windows),
    )


def _of(count: int, total: int) -> str:
    return f"{count:,} of {total:,}"


@assertion_type
class NoLoss(Assertion):
    name = "no_loss"
    summary = "Every accepted request completed, was dead-lettered, or is still queued."
    critical = True

    def check(self, params: SpecModel, evidence: Evidence) -> AssertionResult:
        counts = evidence.accounting.counts()
        accepted = counts["accepted"]
        if accepted == 0:
            return AssertionResult(self.name, Status.INCONCLUSIVE, "no request was accepted")
        lost = evidence.accounting.with_terminal(Terminal.LOST)
        if not lost:
            return AssertionResult(self.name, Status.PASSED, f"0 of {accepted:,} accepted lost")
        title = f"{_of(len(lost), accepted)} accepted requests lost"
        return AssertionResult(
            self.name,
            Status.FAILED,
            title,
            finding(title, lost, evidence),
            degree=1 - len(lost) / accepted,
        )


@assertion_type
class EventualCompletion(Assertion):
    name = "eventual_completion"
    summary = "Every accepted healthy request completed within a time bound."
    Params = EventualCompletionParams
    critical = True

    def check(self, params: SpecModel, evidence: Evidence) -> AssertionResult:
        assert isinstance(params, EventualCompletionParams)
        accepted = [
            f for f in evidence.accounting.requests.values() if f.acknowledged and not f.poison
        ]
        if not accepted:
            return AssertionResult(
                self.name, Status.INCONCLUSIVE, "no healthy request was accepted"
            )
        end = evidence.result.simulated_seconds
        last_fault = max((w.end for w in evidence.applicable_windows), default=0.0)
        late, undecided = [], 0
        for facts in accepted:
            start = (
                facts.acknowledged_at
                if params.after == "acceptance"
                else max(facts.acknowledged_at or 0.0, last_fault)
            )
            assert start is not None
            deadline = start + params.within
            done = facts.first_effect_at if facts.completed else None
            if done is not None and done <= deadline:
                continue
            if done is None and deadline > end and facts.terminal is Terminal.PENDING:
                undecided += 1
                continue
            late.append(facts)
        bound = format_duration(params.within)
        if late:
            title = (
                f"{_of(len(late), len(accepted))} accepted requests did not complete within {bound}"
            )
            return AssertionResult(
                self.name,
                Status.FAILED,
                title,
                finding(title, late, evidence),
                degree=1 - len(late) / (len(accepted) - undecided),
            )
        if undecided:
            return AssertionResult(
                self.name,
                Status.INCONCLUSIVE,
                f"{undecided:,} requests still pending when the run ended "
                f"before their {bound} deadline",
            )
        return AssertionResult(
            self.name,
            Status.PASSED,
            f"all {len(accepted):,} accepted requests completed within {bound}",
        )


@assertion_type
class DeadLetterUse(Assertion):
    name = "dlq"
    summary = "The DLQ holds poison messages only, all of them, or exactly them."
    Params = DlqParams
    shorthand = "mode"
    critical = True

    def check(self, params: SpecModel, evidence: Evidence) -> AssertionResult:
        assert isinstance(params, DlqParams)
        system = evidence.result.system
        if system.queue is None or system.queue.dead_letter is None:
            return AssertionResult(self.name, Status.SKIPPED, "the system has no dead-letter queue")
        requests = evidence.accounting.requests
        moved = {r.request_id for r in evidence.result.ledger.of(DeadLettered)}
        healthy = [requests[i] for i in sorted(moved) if i in requests and not requests[i].poison]
        poison = [f for f in requests.values() if f.poison and f.acknowledged]
        missing = [f for f in poison if f.request_id not in moved and not f.completed]
        undecided = [f for f in missing if f.terminal is Terminal.PENDING]
        missing = [f for f in missing if f.terminal is not Terminal.PENDING]
        problems = []
        if params.mode in ("only_poison", "exact") and healthy:
            title = f"{len(healthy):,} healthy requests were dead-lettered"
            accepted = sum(1 for f in requests.values() if f.acknowledged and not f.poison)
            problems.append(
                AssertionResult(
                    self.name,
                    Status.FAILED,
                    title,
                    finding(title, healthy, evidence),
                    degree=1 - len(healthy) / max(accepted, len(healthy)),
                )
            )
        if params.mode in ("all_poison", "exact") and missing:
            title = f"{_of(len(missing), len(poison))} poison requests never reached the DLQ"
            problems.append(
                AssertionResult(
                    self.name,
                    Status.FAILED,
                    title,
                    finding(title, missing, evidence),
                    degree=1 - len(missing) / len(poison),
                )
            )
        if problems:
            return (
                problems[0]
                if len(problems) == 1
                else AssertionResult(
                    self.name,
                    Status.FAILED,
                    "; ".join(p.detail for p in problems),
                    problems[0].finding,
                    degree=min(p.degree or 0.0 for p in problems),
                )
            )
        if params.mode != "only_poison" and undecided:
            return AssertionResult(
                self.name,
                Status.INCONCLUSIVE,
                f"{len(undecided):,} poison requests still queued at the end",
            )
        if params.mode != "only_poison" and not poison:
            return AssertionResult(self.name, Status.INCONCLUSIVE, "no poison request was sent")
        return AssertionResult(
            self.name, Status.PASSED, f"{len(moved):,} dead-lettered, all poison ({params.mode})"
        )


@assertion_type
class NoDuplicateEffects(Assertion):
    name = "no_duplicate_effects"
    summary = (
        "No request's effect was applied more than once, and none came from nowhere;"
        " with count: executions, no healthy request was executed twice either."
    )
    Params = NoDuplicateEffectsParams
    shorthand = "count"
    critical = True

    def check(self, params: SpecModel, evidence: Evidence) -> AssertionResult:
        assert isinstance(params, NoDuplicateEffectsParams)
        accounting = evidence.accounting
        completed = [f for f in accounting.requests.values() if f.completed]
        duplicated = [f for f in completed if f.effects > 1]
        reexecuted = [f for f in accounting.requests.values() if f.reexecuted]
        if duplicated or accounting.unexpected:
            extra = sum(f.effects - 1 for f in duplicated)
            title = f"{len(duplicated):,} requests applied more than once ({extra:,} extra effects)"
            if accounting.unexpected:
                title += f"; {accounting.unexpected:,} effects no request asked for"
            wrong = len(duplicated) + accounting.unexpected
            return AssertionResult(
                self.name,
                Status.FAILED,
                title,
                finding(title, duplicated, evidence, explain=False),
                degree=1 - wrong / (len(completed) + accounting.unexpected),
            )
        if params.count == "executions" and reexecuted:
            title = (
                f"{len(reexecuted):,} healthy requests executed more than once (more than one "
                "invocation wrote for each; an external side effect would have happened twice)"
            )
            return AssertionResult(
                self.name,
                Status.FAILED,
                title,
                finding(title, reexecuted, evidence, explain=False),
                degree=1 - len(reexecuted) / max(len(accounting.requests), 1),
            )
        if not completed:
            return AssertionResult(self.name, Status.INCONCLUSIVE, "nothing completed")
        detail = f"{len(completed):,} completed, each exactly once"
        if reexecuted:
            detail += (
                f"; {len(reexecuted):,} re-executed (written again by another invocation, "
                "idempotently: count: executions would fail)"
            )
        return AssertionResult(self.name, Status.PASSED, detail)


@assertion_type
class SuccessRate(Assertion):
    name = "success_rate"
    summary = "Share of healthy requests whose client got a 2xx (retries included)."
    Params = SuccessRateParams
    shorthand = "min"

    def check(self, params: SpecModel, evidence: Evidence) -> AssertionResult:
        assert isinstance(params, SuccessRateParams)
        healthy = [f for f in evidence.accounting.requests.values() if not f.poison]
        if not healthy:
            return AssertionResult(self.name, Status.INCONCLUSIVE, "no healthy request was sent")
        failed = [f for f in healthy if not f.acknowledged]
        rate = 1 - len(failed) / len(healthy)
        detail = f"client success {rate:.2%} (min {params.min:.2%})"
        if rate + 1e-12 >= params.min:
            return AssertionResult(self.name, Status.PASSED, detail)
        title = (
            f"{_of(len(failed), len(healthy))} healthy requests failed at the client: "
            f"success {rate:.2%}, below {params.min:.2%}"
        )
        return AssertionResult(
            self.name,
            Status.FAILED,
            title,
            finding(title, failed, evidence),
            degree=rate / params.min,
        )


@assertion_type
class Latency(Assertion):
    name = "latency"
    summary = "Acceptance or completion latency percentiles stay under their bounds."
    Params = LatencyParams

    def check(self, params: SpecModel, evidence: Evidence) -> AssertionResult:
        assert isinstance(params, LatencyParams)
        facts = [f for f in evidence.accounting.requests.values() if not f.poison]
        values = [v for f in facts if (v := _latency(f, params.of)) is not None]
        if not values:
            return AssertionResult(self.name, Status.INCONCLUSIVE, f"no {params.of} measured")
        bounds = {
            "p50": (params.p50, 0.5),
            "p95": (params.p95, 0.95),
            "p99": (params.p99, 0.99),
            "max": (params.max, 1.0),
        }
        over = []
        shown = []
        for label, (bound, fraction) in bounds.items():
            if bound is None:
                continue
            measured = percentile(values, fraction)
            assert measured is not None
            shown.append(f"{label} {measured:.3f}s/{format_duration(bound)}")
            if measured > bound:
                over.append((label, measured, bound))
        detail = f"{params.of} latency " + ", ".join(shown)
        if not over:
            return AssertionResult(self.name, Status.PASSED, detail)
        label, measured, bound = over[0]
        slowest = sorted(facts, key=lambda f: _latency(f, params.of) or 0.0, reverse=True)
        title = f"{params.of} latency {label} {measured:.3f}s exceeds {format_duration(bound)}"
        return AssertionResult(
            self.name,
            Status.FAILED,
            title,
            finding(title, slowest[:MAX_STORIES], evidence, explain=False),
            degree=min(bound / measured for _, measured, bound in over),
        )


def _latency(facts: RequestFacts, of: str) -> float | None:
    return facts.acceptance_latency if of == "acceptance" else facts.completion_latency


@assertion_type
class Notified(Assertion):
    name = "notified"
    summary = "Completed requests reached their user (WebSocket push); gone connections count."
    Params = NotifiedParams

    def check(self, params: SpecModel, evidence: Evidence) -> AssertionResult:
        assert isinstance(params, NotifiedParams)
        if evidence.result.system.notifications.websocket is None:
            return AssertionResult(self.name, Status.SKIPPED, "the system does not notify users")
        completed = evidence.accounting.with_terminal(Terminal.COMPLETED)
        if not completed:
            return AssertionResult(self.name, Status.INCONCLUSIVE, "nothing completed")
        missed = [f for f in completed if "delivered" not in f.notifications]
        rate = 1 - len(missed) / len(completed)
        gone = sum("gone" in f.notifications for f in missed)
        detail = f"{rate:.2%} of completed requests notified (min {params.min:.2%})"
        if rate + 1e-12 >= params.min:
            return AssertionResult(self.name, Status.PASSED, detail)
        title = (
            f"{_of(len(missed), len(completed))} completed requests never reached their "
            f"user ({gone:,} connections had closed: 410 GoneException)"
        )
        return AssertionResult(
            self.name,
            Status.FAILED,
            title,
            finding(title, missed, evidence, explain=False),
            degree=rate / params.min,
        )


@assertion_type
class DatabaseProtected(Assertion):
    name = "db_protected"
    summary = "DynamoDB throttled at most N calls: the architecture kept load within capacity."
    Params = DbProtectedParams
    shorthand = "max_throttles"

    def check(self, params: SpecModel, evidence: Evidence) -> AssertionResult:
        assert isinstance(params, DbProtectedParams)
        calls = [r for r in evidence.result.ledger.of(AwsCalled) if r.service == "dynamodb"]
        if not calls:
            return AssertionResult(self.name, Status.INCONCLUSIVE, "no DynamoDB call was made")
        throttled = sum(c.outcome in THROTTLE_CODES for c in calls)
        detail = (
            f"{throttled:,} of {len(calls):,} DynamoDB calls throttled "
            f"(max {params.max_throttles:,})"
        )
        if throttled <= params.max_throttles:
            return AssertionResult(self.name, Status.PASSED, detail)
        return AssertionResult(
            self.name,
            Status.FAILED,
            detail,
            Finding(
                detail,
                active_faults=tuple(w.label for w in evidence.applicable_windows),
            ),
            degree=1 - (throttled - params.max_throttles) / len(calls),
        )
