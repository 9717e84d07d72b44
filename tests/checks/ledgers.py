"""Hypothesis strategies for random histories: a ledger and a final state that could have come
from a run, plus the evidence checks judge. The expected categories are recomputed here from
the generated facts, independently of `chaos._checks.accounting` (Jepsen's total-queue sets:
../shared/reference/delivery-checks-and-pytest.md sections 1.4 and 6.1)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from hypothesis import strategies as st

from chaos._checks.evidence import Evidence
from chaos._ledger import (
    AwsCalled,
    DeadLettered,
    Enqueued,
    Expired,
    Ledger,
    Received,
    Record,
    Responded,
    Sent,
)
from chaos._result import FinalState, RunResult
from tests.support import experiment, reference

EFFECTS_TABLE = "orders"
STATUSES = (200, 201, 202, 400, 429, 500, 502, 503, 504, 0)
EXPERIMENT = experiment("experiment: generated\nduration: 1h\nworkload: {steady: {rate: 1/s}}\n")
SYSTEM = reference("eda").definition


@dataclass(frozen=True)
class Story:
    """What happened to one request, as generated."""

    request_id: str
    poison: bool
    statuses: tuple[int, ...]
    """One client-visible status per attempt (0: the client gave up)."""
    effects: int
    """Items carrying the request id in the table at the end."""
    receives: int
    dead_lettered: bool
    """Moved to the DLQ (a DeadLettered record)."""
    in_dlq: bool
    """Still in the DLQ at the end (False if it then expired there)."""
    queued: bool
    expired: bool

    @property
    def acknowledged(self) -> bool:
        return any(200 <= s < 300 for s in self.statuses)


@dataclass(frozen=True)
class History:
    stories: tuple[Story, ...]
    strangers: tuple[tuple[str, int], ...] = ()
    """Effects for request ids nobody sent."""
    anonymous: int = 0
    extra_records: tuple[Record, ...] = field(default=())

    def ledger(self) -> Ledger:
        ledger = Ledger()
        t = 0.0
        for story in self.stories:
            for attempt, status in enumerate(story.statuses, start=1):
                ledger.append(Sent(t, story.request_id, attempt, story.poison))
                t += 0.5
                ledger.append(
                    Responded(
                        t,
                        story.request_id,
                        attempt,
                        status,
                        "ok" if 200 <= status < 300 else "function_error",
                    )
                )
            message_id = f"m-{story.request_id}"
            if story.acknowledged:
                ledger.append(Enqueued(t, story.request_id, message_id, "orders-queue"))
            for count in range(1, story.receives + 1):
                t += 1.0
                ledger.append(Received(t, story.request_id, message_id, count))
            for _ in range(story.effects):
                t += 0.1
                ledger.append(
                    AwsCalled(
                        t,
                        "inv",
                        story.request_id,
                        "dynamodb",
                        "PutItem",
                        EFFECTS_TABLE,
                        "ok",
                        False,
                    )
                )
            if story.dead_lettered:
                ledger.append(DeadLettered(t, story.request_id, message_id, story.receives))
            if story.expired:
                ledger.append(Expired(t, story.request_id, message_id, "orders-queue"))
        for record in self.extra_records:
            ledger.append(record)
        return ledger

    def final(self) -> FinalState:
        effects = {s.request_id: s.effects for s in self.stories if s.effects}
        effects.update(dict(self.strangers))
        return FinalState(
            effects=effects,
            anonymous_effects=self.anonymous,
            dead_letter=tuple(s.request_id for s in self.stories if s.in_dlq),
            queued=tuple(s.request_id for s in self.stories if s.queued),
        )

    def evidence(self) -> Evidence:
        result = RunResult(
            EXPERIMENT,
            SYSTEM,
            1,
            self.ledger(),
            self.final(),
            simulated_seconds=3600.0,
            wall_seconds=0.0,
        )
        return Evidence.of(result)

    def with_story(self, index: int, **changes: object) -> History:
        stories = list(self.stories)
        stories[index] = replace(stories[index], **changes)  # type: ignore[arg-type]
        return replace(self, stories=tuple(stories))

    # -- the expected categories, Jepsen-style sets over the generated facts ----------------

    def ids(self, predicate: object) -> set[str]:
        return {s.request_id for s in self.stories if predicate(s)}  # type: ignore[operator]

    @property
    def acknowledged(self) -> set[str]:
        return self.ids(lambda s: s.acknowledged)

    @property
    def in_table(self) -> set[str]:
        return self.ids(lambda s: s.effects > 0)

    @property
    def in_dlq(self) -> set[str]:
        return self.ids(lambda s: s.in_dlq)

    @property
    def queued(self) -> set[str]:
        return self.ids(lambda s: s.queued)

    @property
    def lost(self) -> set[str]:
        return self.acknowledged - self.in_table - self.in_dlq - self.queued

    @property
    def recovered(self) -> set[str]:
        return self.in_table - self.acknowledged


@st.composite
def stories(draw: st.DrawFn, request_id: str) -> Story:
    dead_lettered = draw(st.booleans())
    return Story(
        request_id=request_id,
        poison=draw(st.booleans()),
        statuses=tuple(draw(st.lists(st.sampled_from(STATUSES), min_size=1, max_size=3))),
        effects=draw(st.integers(0, 3)),
        receives=draw(st.integers(0, 5)),
        dead_lettered=dead_lettered,
        in_dlq=dead_lettered and draw(st.booleans()),
        queued=draw(st.booleans()),
        expired=draw(st.booleans()),
    )


@st.composite
def histories(draw: st.DrawFn, *, max_requests: int = 12) -> History:
    count = draw(st.integers(0, max_requests))
    generated = tuple(draw(stories(f"r{i:03d}")) for i in range(count))
    strangers = tuple(
        (f"x{i}", n) for i, n in enumerate(draw(st.lists(st.integers(1, 2), max_size=2)))
    )
    anonymous = draw(st.integers(0, 1))
    return History(
        generated, strangers if draw(st.booleans()) else (), anonymous if draw(st.booleans()) else 0
    )
