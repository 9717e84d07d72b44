"""SQS standard queues with a dead-letter queue, modelled natively.

moto's SQS recomputes queue attributes over every message on each call (cost grows with
depth) and its Lambda trigger redelivers at once, so the queue is a model here. Every
operation is O(1) or O(log n): a deque of visible messages, and SimPy timers (a heap) for
visibility timeouts, delays and retention. Behaviour pinned in tests/aws/test_sqs.py:

- a received message is invisible for the visibility timeout, then visible again;
- each receive raises the receive count; once it has reached maxReceiveCount, the next
  receive moves the message to the DLQ instead of delivering it;
- retention expiry deletes silently (recorded as `Expired`); standard DLQs keep the
  original enqueue timestamp, so a message's DLQ retention counts from its first send;
- a message moved to the DLQ keeps its receive count (the first DLQ receive reports
  maxReceiveCount + 1), as moto does and AWS shows.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from functools import partial

import simpy

from chaos._ledger import DeadLettered, Deleted, DeleteMissed, Enqueued, Expired, Ledger, Received
from chaos._spec.system import LatencyModel


class State(Enum):
    DELAYED = 1
    VISIBLE = 2
    IN_FLIGHT = 3
    GONE = 4
    """Deleted, dead-lettered or expired."""


class Message:
    __slots__ = ("body", "message_id", "receipt", "receive_count", "request_id", "sent_at", "state")

    def __init__(self, message_id: str, request_id: str, body: str, sent_at: float) -> None:
        self.message_id = message_id
        self.request_id = request_id
        self.body = body
        self.sent_at = sent_at
        self.receive_count = 0
        self.receipt = 0
        self.state = State.DELAYED


@dataclass(frozen=True, slots=True)
class Delivery:
    """One received message: what a consumer gets, with the receipt to delete it."""

    message: Message
    receipt: int
    receive_count: int

    @property
    def message_id(self) -> str:
        return self.message.message_id

    @property
    def request_id(self) -> str:
        return self.message.request_id


class Queue:
    """One standard queue; `dead_letter` and `max_receive_count` make a redrive policy."""

    def __init__(
        self,
        env: simpy.Environment,
        ledger: Ledger,
        name: str,
        *,
        visibility_timeout: float,
        retention: float,
        horizon: float,
        delay: float = 0.0,
        dead_letter: Queue | None = None,
        max_receive_count: int | None = None,
        latency: LatencyModel | None = None,
    ) -> None:
        self.env = env
        self.ledger = ledger
        self.name = name
        self.visibility_timeout = visibility_timeout
        self.retention = retention
        self.delay = delay
        self.dead_letter = dead_letter
        self.max_receive_count = max_receive_count
        self.latency = latency or LatencyModel(base=0.0, jitter=0.0)
        """Of one SendMessage or ReceiveMessage call, applied by the callers."""
        self._horizon = horizon
        self._visible: deque[Message] = deque()
        """Visible messages in order; ones gone while visible are dropped lazily at receive."""
        self._visible_count = 0
        self._waiters: deque[simpy.Event] = deque()
        self._ids = itertools.count(1)
        self.live: dict[str, Message] = {}
        """Messages not yet gone, by id (for depth figures and the final state)."""
        self.in_flight = 0
        self.message_bytes: dict[str, int] = {}
        """Message id -> body size, for the bill (SQS bills each 64 KB chunk)."""

    # -- producer side -------------------------------------------------------------------

    def send(self, request_id: str, body: str, *, delay: float = 0.0) -> Message:
        now = self.env.now
        message = Message(f"{self.name}-{next(self._ids):07d}", request_id, body, now)
        self.live[message.message_id] = message
        self.message_bytes[message.message_id] = len(body.encode())
        self.ledger.append(Enqueued(now, request_id, message.message_id, self.name))
        self._expire_at(message, now + self.retention)
        delay = max(delay, self.delay)
        if delay > 0:
            self._after(delay, lambda: self._make_visible(message, 0))
        else:
            self._make_visible(message, 0)
        return message

    def adopt(self, message: Message) -> None:
        """Take a message moved from a source queue: the same message, so it keeps its
        original `sent_at` and its receive count (tests/aws/test_sqs.py names the sources)."""
        self.live[message.message_id] = message
        self._expire_at(message, message.sent_at + self.retention)
        if message.state is not State.GONE:
            self._make_visible(message, message.receipt)

    # -- consumer side -------------------------------------------------------------------

    @property
    def visible(self) -> int:
        return self._visible_count

    def receive(self, max_messages: int) -> list[Delivery]:
        """Up to `max_messages` visible messages, each made invisible for the timeout."""
        deliveries: list[Delivery] = []
        now = self.env.now
        while self._visible and len(deliveries) < max_messages:
            message = self._visible.popleft()
            if message.state is not State.VISIBLE:
                continue  # expired while visible: dropped lazily
            if (
                self.max_receive_count is not None
                and message.receive_count >= self.max_receive_count
            ):
                self._dead_letter(message)
                continue
            message.receive_count += 1
            message.receipt += 1
            message.state = State.IN_FLIGHT
            self._visible_count -= 1
            self.in_flight += 1
            receipt = message.receipt
            self.ledger.append(
                Received(now, message.request_id, message.message_id, message.receive_count)
            )
            self._after(self.visibility_timeout, partial(self._reappear, message, receipt))
            deliveries.append(Delivery(message, receipt, message.receive_count))
        return deliveries

    def delete(self, delivery: Delivery, *, miss: bool = False) -> bool:
        """Delete a received message. A stale receipt (the message was received again since)
        or an injected miss leaves it in place, to be delivered again (at-least-once). The
        latest receipt deletes even after the visibility timeout, while nobody has received
        the message again (API_DeleteMessage: "the most recently received receipt handle")."""
        message = delivery.message
        now = self.env.now
        if message.receipt != delivery.receipt or self.live.get(message.message_id) is not message:
            if message.state is not State.GONE:
                self.ledger.append(
                    DeleteMissed(now, message.request_id, message.message_id, "stale_receipt")
                )
            return False
        if miss:
            self.ledger.append(
                DeleteMissed(now, message.request_id, message.message_id, "injected")
            )
            return False
        self._gone(message)
        self.ledger.append(Deleted(now, message.request_id, message.message_id))
        return True

    def wait(self) -> simpy.Event:
        """An event that fires when a message becomes visible (one waiter per message)."""
        event = self.env.event()
        self._waiters.append(event)
        return event

    def pass_wake_up_on(self) -> None:
        """A woken consumer that leaves without receiving hands its wake-up to the next
        waiter, while a message is visible: one wake-up per message, so a swallowed one
        would leave the message unread beside idle waiters."""
        if self._visible_count > 0:
            self._wake_one()

    # -- internals -----------------------------------------------------------------------

    def _after(self, delay: float, action: Callable[[], None]) -> None:
        if self.env.now + delay > self._horizon:
            return  # would fire after the run ends: nothing could observe it
        timer = self.env.timeout(delay)
        timer.callbacks.append(lambda _event: action())

    def _make_visible(self, message: Message, receipt: int) -> None:
        if message.state is State.GONE or message.receipt != receipt:
            return
        message.state = State.VISIBLE
        self._visible_count += 1
        self._visible.append(message)
        self._wake_one()

    def _wake_one(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.triggered:
                waiter.succeed()
                break

    def _reappear(self, message: Message, receipt: int) -> None:
        if message.state is State.IN_FLIGHT and message.receipt == receipt:
            self.in_flight -= 1
            self._make_visible(message, receipt)

    def _expire_at(self, message: Message, when: float) -> None:
        def expire() -> None:
            if message.state is State.GONE or self.live.get(message.message_id) is not message:
                return
            self._gone(message)
            self.ledger.append(
                Expired(self.env.now, message.request_id, message.message_id, self.name)
            )

        self._after(max(0.0, when - self.env.now), expire)

    def _gone(self, message: Message) -> None:
        if message.state is State.IN_FLIGHT:
            self.in_flight -= 1
        elif message.state is State.VISIBLE:
            self._visible_count -= 1
        message.state = State.GONE
        del self.live[message.message_id]

    def _dead_letter(self, message: Message) -> None:
        assert self.dead_letter is not None
        self.ledger.append(
            DeadLettered(
                self.env.now, message.request_id, message.message_id, message.receive_count
            )
        )
        self._gone(message)
        message.state = State.DELAYED
        self.dead_letter.adopt(message)
