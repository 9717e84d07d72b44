"""Why a request did not make it: the stage and fault behind a loss, a rejection or a
dead-lettered healthy message, read from its history."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from chaos._aws.dynamodb import THROTTLE_CODES
from chaos._checks.accounting import RequestFacts
from chaos._checks.evidence import Evidence
from chaos._ledger import (
    AwsCalled,
    BatchFailed,
    InvocationEnded,
    Received,
    Record,
    Responded,
    Sent,
    Throttled,
)


class Cause(str):
    """A cause as findings show it, `phrase` then `detail`: "Lambda throttle at its
    concurrency limit (client saw 500) during lambda.throttle". The phrase alone is what
    stays the same from one experiment to the next, which the scoreboard groups by."""

    phrase: str
    detail: str

    def __new__(cls, phrase: str, detail: str = "") -> Cause:
        self = super().__new__(cls, f"{phrase} {detail}" if detail else phrase)
        self.phrase = phrase
        self.detail = detail
        return self

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]  # (pickle)
        return self.phrase, self.detail


_STAGES = {
    "api_throttle": Cause("API Gateway throttle (429)"),
    "lambda_throttle": Cause("Lambda throttle at its concurrency limit", "(client saw 500)"),
    "integration_timeout": Cause("API Gateway integration timeout (504)"),
    "client_timeout": Cause("client timeout"),
    "enqueue_error": Cause("SQS send error in the API Gateway integration (500)"),
}


def cause(facts: RequestFacts, evidence: Evidence) -> Cause:
    """One phrase for why this request failed, with the faults it lived through.

    A fault is named when its window overlaps the request's life up to the failure, not only
    when it covers the failure's instant: a message expires, or API Gateway gives up, after
    the fault that delayed it has ended.
    """
    history = evidence.history(facts.request_id)
    if facts.silently_expired:
        assert facts.expired_at is not None
        return _during(Cause("SQS retention expiry"), facts.first_sent, facts.expired_at, evidence)
    responses = [r for r in history if isinstance(r, Responded)]
    if not facts.acknowledged and responses:
        last = responses[-1]
        sent = max(
            (r.t for r in history if isinstance(r, Sent) and r.attempt == last.attempt),
            default=last.t,
        )
        return _during(_response_cause(last, history), sent, last.t, evidence)
    handoff = _failed_handoff(facts, history)
    if handoff is not None:
        phrase, at = handoff
        return _during(Cause(phrase), facts.first_sent, at, evidence)
    failure = _consumer_failure(history)
    if failure is not None:
        phrase, at = failure
        return _during(Cause(phrase), facts.first_sent, at, evidence)
    return Cause("no failure recorded (still in flight at the end?)")


def tally(causes: Iterable[Cause]) -> tuple[tuple[Cause, int], ...]:
    return tuple(Counter(causes).most_common())


def _response_cause(response: Responded, history: list[Record]) -> Cause:
    if response.stage in _STAGES:
        return _STAGES[response.stage]
    if response.stage == "function_error":
        return Cause(_function_failure(history, before=response.t), "(client saw 502)")
    if response.stage == "handler":
        return Cause(f"handler answered {response.status}")
    return Cause(f"client saw {response.status} ({response.stage})")


def _function_failure(history: list[Record], *, before: float) -> str:
    ended = [r for r in history if isinstance(r, InvocationEnded) and r.t <= before]
    if not ended:
        return "function error"
    last = ended[-1]
    if last.outcome == "timeout":
        return "function timeout"
    calls = [
        r for r in history if isinstance(r, AwsCalled) and r.invocation_id == last.invocation_id
    ]
    failed = [c for c in calls if c.outcome != "ok"]
    if failed and calls[-1].outcome != "ok":
        code = calls[-1].outcome
        attempts = len([c for c in calls if c.operation == calls[-1].operation])
        what = "DynamoDB throttle" if code in THROTTLE_CODES else f"DynamoDB {code}"
        return f"{what} after {attempts} SDK attempts"
    if last.detail == "InjectedError":
        return "injected function error"
    return f"function error {last.detail}" if last.detail else "function error"


def _failed_handoff(facts: RequestFacts, history: list[Record]) -> tuple[str, float] | None:
    """A follow-up never handed to its queue: the handler's SQS send failed (after the SDK's
    retries) and none succeeded. The first stage had committed, so the client may have
    been told yes."""
    if not facts.followups or facts.enqueued:
        return None
    sends = [r for r in history if isinstance(r, AwsCalled) and r.service == "sqs"]
    failed = [r for r in sends if r.outcome != "ok"]
    if not failed:
        return None
    return (
        f"SQS {failed[-1].outcome} on the hand-off to {failed[-1].target or 'the queue'} "
        f"after the commit ({len(failed)} SDK attempt{'s' if len(failed) != 1 else ''})",
        failed[-1].t,
    )


def _consumer_failure(history: list[Record]) -> tuple[str, float] | None:
    """The most frequent reason the consumer failed this message, and when it last did."""
    reasons: Counter[str] = Counter()
    last_at = 0.0
    message_ids = {r.message_id for r in history if isinstance(r, Received)}
    # The ESM records BatchFailed at the instant the invocation ended: that invocation's
    # item report was invalid, so its listed items are not the reason (the batch is).
    rejected_reports = {r.t for r in history if isinstance(r, BatchFailed)}
    for record in history:
        if isinstance(record, Throttled):
            reasons["Lambda throttled the consumer"] += 1
            last_at = record.t
        elif isinstance(record, InvocationEnded) and record.outcome != "ok":
            phrase = (
                "consumer timeout"
                if record.outcome == "timeout"
                else _function_failure(history, before=record.t)
            )
            reasons[phrase] += 1
            last_at = record.t
        elif isinstance(record, BatchFailed):
            reasons[f"{record.reason}: the whole batch was retried"] += 1
            last_at = record.t
        elif (
            isinstance(record, InvocationEnded)
            and record.t not in rejected_reports
            and message_ids & set(record.reported_failures)
        ):
            reasons[_item_failure(history, record.invocation_id)] += 1
            last_at = record.t
    if not reasons:
        return None
    # The phrase alone, without how often: causes are tallied across requests by phrase.
    return reasons.most_common(1)[0][0], last_at


def _item_failure(history: list[Record], invocation_id: str) -> str:
    """Why the handler reported this message failed in a partial batch response."""
    failed = [
        r
        for r in history
        if isinstance(r, AwsCalled) and r.invocation_id == invocation_id and r.outcome != "ok"
    ]
    if not failed:
        return "the handler reported the item failed"
    code = failed[-1].outcome
    what = "DynamoDB throttle" if code in THROTTLE_CODES else f"{failed[-1].service} {code}"
    return f"{what} after {len(failed)} failed SDK attempts"


def _during(cause: Cause, start: float, end: float, evidence: Evidence) -> Cause:
    faults = evidence.faults_during(start, end)
    if not faults:
        return cause
    during = f"during {', '.join(faults)}"
    return Cause(cause.phrase, f"{cause.detail} {during}" if cause.detail else during)
