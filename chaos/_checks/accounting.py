"""Delivery accounting per request id, after Jepsen's total-queue checker.

From the ledger and the final state read back from moto, each request gets its facts, and
each acknowledged request exactly one terminal category: completed (its effect is in the
table), dead-lettered, pending (still queued at the end) or lost. Duplicated (effect applied
more than once), recovered (the client saw an error but the effect committed: the sync 504
phantom success), expired (SQS retention dropped it before it completed) and unexpected (an
effect nobody asked for) are counted alongside. Pure functions; see ../shared/DESIGN.md section 7.

Re-executed counts executions, not effects: a healthy request for which more than one
invocation made a successful DynamoDB write carrying its request id (to any table). An
effects table keyed on the request id shows one item however often it was written, so an
idempotent overwrite and a side effect run twice (a charge, an e-mail) look the same in the
final state; the ledger tells them apart. A call carries a request id when the router could
attribute it (`chaos._aws.router`: the effects item's attribute, the invocation's only
record, or, in a batch, the one record whose id or Powertools-style hashed key the call names).
A write that failed (a conditional check, a throttle) is no execution.

A request of a multi-stage system (`effects.stages`: a hybrid's order, then its fulfilment)
is complete when every stage's table holds its effect, and its completion latency runs to
the last stage's first write: `eventual_completion` means the whole request done, while
`success_rate` stays what the client was answered. `Accounting.stage_counts` follows it
through each hand-off: done, duplicated, pending, dead-lettered and lost per stage, and of
the lost, how many were never handed to the queue at all (the enqueue that failed after the
commit).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from chaos._aws.dynamodb import WRITE_OPERATIONS
from chaos._ledger import (
    AwsCalled,
    DeadLettered,
    Enqueued,
    Expired,
    InvocationEnded,
    InvocationOutcome,
    Invoked,
    Notified,
    Received,
    Record,
    Responded,
    Sent,
    Stage,
)
from chaos._result import FinalState


class Terminal(StrEnum):
    """Where an acknowledged request ended; exactly one per acknowledged request."""

    COMPLETED = "completed"
    DEAD_LETTERED = "dead_lettered"
    PENDING = "pending"
    LOST = "lost"


@dataclass
class RequestFacts:
    """Everything the ledger and final state say about one request."""

    request_id: str
    poison: bool
    first_sent: float
    attempts: int = 0
    statuses: list[int] = field(default_factory=list)
    stages: list[Stage] = field(default_factory=list)
    acknowledged_at: float | None = None
    effects: int = 0
    first_effect_at: float | None = None
    receives: int = 0
    dead_lettered_at: float | None = None
    in_dead_letter: bool = False
    queued: bool = False
    expired_at: float | None = None
    notifications: list[str] = field(default_factory=list)
    writers: set[str] = field(default_factory=set)
    """Invocations that made a successful write carrying this request id (to a table of no
    follow-up stage)."""
    stage_writers: dict[str, set[str]] = field(default_factory=dict)
    """Per follow-up stage, the invocations that wrote its table for this request: a
    hybrid's order and its fulfilment are two executions by design, not a re-execution."""
    followups: tuple[str, ...] = ()
    """The follow-up stages a complete request has an effect in (`effects.stages`)."""
    stage_effects: dict[str, int] = field(default_factory=dict)
    stage_first_at: dict[str, float] = field(default_factory=dict)
    enqueued: int = 0
    """Messages sent for it to any queue (by API Gateway or by a handler)."""

    @property
    def reexecuted(self) -> bool:
        """Healthy, and more than one invocation wrote for it (see the module docstring)."""
        return not self.poison and (
            len(self.writers) > 1 or any(len(w) > 1 for w in self.stage_writers.values())
        )

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    @property
    def completed(self) -> bool:
        """Every stage done: the first effect and each follow-up stage's."""
        return self.effects > 0 and all(self.stage_effects.get(s, 0) > 0 for s in self.followups)

    @property
    def terminal(self) -> Terminal | None:
        """The category of an acknowledged request; None when it was never acknowledged."""
        if not self.acknowledged:
            return None
        if self.completed:
            return Terminal.COMPLETED
        if self.in_dead_letter:
            return Terminal.DEAD_LETTERED
        if self.queued:
            return Terminal.PENDING
        return Terminal.LOST

    @property
    def silently_expired(self) -> bool:
        """SQS retention dropped its message before its effect was written: a silent loss.
        (A message can also expire after its effect committed, when the consumer never
        deleted it; that request completed and is not counted.)"""
        return self.expired_at is not None and not self.completed

    @property
    def recovered(self) -> bool:
        """Never acknowledged, yet its effect committed (the client must think it failed)."""
        return not self.acknowledged and self.completed

    @property
    def completion_latency(self) -> float | None:
        """From the first send to the last stage's first write."""
        if self.first_effect_at is None or not self.completed:
            return None
        last = max(
            (self.first_effect_at, *(self.stage_first_at.get(s, 0.0) for s in self.followups))
        )
        return last - self.first_sent

    @property
    def acceptance_latency(self) -> float | None:
        return None if self.acknowledged_at is None else self.acknowledged_at - self.first_sent


@dataclass(frozen=True)
class Accounting:
    """Facts per request, plus what no request explains."""

    requests: Mapping[str, RequestFacts]
    unexpected: int
    """Effects in the table whose request id nobody sent, plus items without one."""

    def counts(self) -> dict[str, int]:
        """The journal's `counts` (DESIGN.md section 6), plus attempts, recovered, poison."""
        facts = self.requests.values()
        terminal = [f.terminal for f in facts]
        return {
            "sent": len(self.requests),
            "attempts": sum(f.attempts for f in facts),
            "accepted": sum(f.acknowledged for f in facts),
            "rejected": sum(not f.acknowledged for f in facts),
            "completed": terminal.count(Terminal.COMPLETED),
            "lost": terminal.count(Terminal.LOST),
            "dead_lettered": terminal.count(Terminal.DEAD_LETTERED),
            "pending": terminal.count(Terminal.PENDING),
            "duplicated": sum(f.effects > 1 for f in facts),
            "reexecuted": sum(f.reexecuted for f in facts),
            "expired": sum(f.silently_expired for f in facts),
            "recovered": sum(f.recovered for f in facts),
            "unexpected": self.unexpected,
            "poison": sum(f.poison for f in facts),
        }

    def stage_counts(self, first: str, followups: Iterable[str]) -> dict[str, dict[str, int]]:
        """Per stage, in order, the requests that entered it (acknowledged, for the first;
        done at the stage before, for a follow-up) and where they are: done (its effect
        there), duplicated (more than one), pending (still queued), dead-lettered, lost; for
        a follow-up, `not_handed_off` counts the lost that were never enqueued."""
        facts = list(self.requests.values())
        stages: dict[str, dict[str, int]] = {}
        entered = [f for f in facts if f.acknowledged]
        names = [first, *followups]
        for index, name in enumerate(names):

            def effect(f: RequestFacts, stage: str = name, at: int = index) -> int:
                return f.effects if at == 0 else f.stage_effects.get(stage, 0)

            undone = [f for f in entered if effect(f) == 0]
            lost = [f for f in undone if not f.queued and not f.in_dead_letter]
            counts = {
                "entered": len(entered),
                "done": len(entered) - len(undone),
                "duplicated": sum(effect(f) > 1 for f in facts),
                "pending": sum(f.queued for f in undone),
                "dead_lettered": sum(f.in_dead_letter and not f.queued for f in undone),
                "lost": len(lost),
            }
            if index > 0:
                counts["not_handed_off"] = sum(f.enqueued == 0 for f in lost)
            stages[name] = counts
            entered = [f for f in entered if effect(f) > 0]
        return stages

    def with_terminal(self, category: Terminal) -> list[RequestFacts]:
        return [f for f in self.requests.values() if f.terminal is category]


def account(
    records: Iterable[Record],
    final: FinalState,
    *,
    effects_table: str,
    stages: Mapping[str, str] | None = None,
) -> Accounting:
    """Build the accounting from a ledger and the final state; `stages` names each
    follow-up stage's table (`effects.stages`)."""
    requests: dict[str, RequestFacts] = {}
    invocation_requests: dict[str, tuple[str, ...]] = {}
    stage_of = {table: name for name, table in (stages or {}).items()}
    followups = tuple(stages or ())
    for record in records:
        kind = type(record)
        if kind is Sent:
            _sent(requests, record, followups)  # type: ignore[arg-type]
        elif kind is Enqueued:
            _facts(requests, record.request_id).enqueued += 1  # type: ignore[union-attr]
        elif kind is Responded:
            _responded(requests[record.request_id], record)  # type: ignore[union-attr,arg-type]
        elif kind is AwsCalled:
            _effect_write(requests, record, effects_table, stage_of)  # type: ignore[arg-type]
        elif kind is Invoked:
            invocation_requests[record.invocation_id] = record.request_ids  # type: ignore[union-attr]
        elif kind is InvocationEnded:
            _invocation_ended(requests, record, invocation_requests)  # type: ignore[arg-type]
        elif kind is Received:
            _facts(requests, record.request_id).receives += 1  # type: ignore[union-attr]
        elif kind is DeadLettered:
            _facts(requests, record.request_id).dead_lettered_at = record.t  # type: ignore[union-attr]
        elif kind is Expired:
            _facts(requests, record.request_id).expired_at = record.t  # type: ignore[union-attr]
        elif kind is Notified:
            _facts(requests, record.request_id).notifications.append(record.outcome)  # type: ignore[union-attr]
    unexpected = final.anonymous_effects
    for request_id, count in final.effects.items():
        facts = requests.get(request_id)
        if facts is None:
            unexpected += count
        else:
            facts.effects = count
    for stage, effects in final.stage_effects.items():
        for request_id, count in effects.items():
            facts = requests.get(request_id)
            if facts is None:
                unexpected += count
            else:
                facts.stage_effects[stage] = count
    for request_id in final.dead_letter:
        if request_id in requests:
            requests[request_id].in_dead_letter = True
    for request_id in final.queued:
        if request_id in requests:
            requests[request_id].queued = True
    return Accounting(requests, unexpected)


_NOBODY = RequestFacts("", False, 0.0)


def _facts(requests: dict[str, RequestFacts], request_id: str) -> RequestFacts:
    return requests.get(request_id, _NOBODY)


def _sent(requests: dict[str, RequestFacts], record: Sent, followups: tuple[str, ...]) -> None:
    facts = requests.get(record.request_id)
    if facts is None:
        facts = requests[record.request_id] = RequestFacts(
            record.request_id, record.poison, record.t, followups=followups
        )
    facts.attempts += 1


def _responded(facts: RequestFacts, record: Responded) -> None:
    facts.statuses.append(record.status)
    facts.stages.append(record.stage)
    if 200 <= record.status < 300 and facts.acknowledged_at is None:
        facts.acknowledged_at = record.t


def _effect_write(
    requests: dict[str, RequestFacts],
    record: AwsCalled,
    effects_table: str,
    stage_of: Mapping[str, str],
) -> None:
    if record.outcome != "ok":
        return
    facts = requests.get(record.request_id)
    if facts is None:
        return
    stage = stage_of.get(record.target)
    if record.service == "dynamodb" and record.operation in WRITE_OPERATIONS:
        if stage is None:
            facts.writers.add(record.invocation_id)
        else:
            facts.stage_writers.setdefault(stage, set()).add(record.invocation_id)
            facts.stage_first_at.setdefault(stage, record.t)
    if record.target == effects_table and facts.first_effect_at is None:
        facts.first_effect_at = record.t


def _invocation_ended(
    requests: dict[str, RequestFacts],
    record: InvocationEnded,
    invocation_requests: Mapping[str, tuple[str, ...]],
) -> None:
    # Fallback completion time for handlers whose writes do not carry the request id.
    if record.outcome is not InvocationOutcome.OK or record.reported_failures:
        return
    for request_id in invocation_requests.get(record.invocation_id, ()):
        facts = requests.get(request_id)
        if facts is not None and facts.first_effect_at is None:
            facts.first_effect_at = record.t


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of `values` (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]
