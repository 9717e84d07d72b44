"""The Lambda event source mapping for SQS: pollers, batches, retries, partial responses.

Faithful to ../shared/reference/aws-semantics.md §4:

- pollers start at 5 concurrent batches and add up to 300 a minute while messages wait, up
  to 1,250 or the mapping's MaximumConcurrency; they back off (one fewer) after a failed
  batch, unless ReportBatchItemFailures is on (that rule concerns function errors);
- throttled invocations make the mapping back off whatever its response type: "If the
  invocation fails due to throttling, Lambda gradually backs off retries by reducing the
  amount of concurrency allocated to your Amazon SQS event source mapping". Each second in
  which an invocation was throttled withdraws `scaling.throttle_backoff` of the concurrency
  (default 10%), down to `scaling.throttle_floor` (default 5); while a poller waits to retry
  a throttled batch the mapping does not scale up, and once none does it grows back at the
  scale-up rate (300 a minute). AWS publishes no backoff rate or floor: both are parameters;
- a successful invocation deletes its batch; an error or timeout leaves the whole batch to
  reappear after the visibility timeout; with ReportBatchItemFailures only the reported
  items stay, and a malformed report fails the whole batch;
- a throttled invocation is retried with backoff until the batch's visibility timeout has
  passed, then dropped: the messages reappear with their receive count already raised, which
  is how throttling (and "overpull" past a low reserved concurrency) dead-letters healthy
  messages. The ESM does not look at the function's reserved concurrency; only
  MaximumConcurrency stops it reading.
"""

from __future__ import annotations

import random
from collections.abc import Generator, Sequence
from typing import Any

import simpy

from chaos._aws.lambda_runtime import InvocationResult, LambdaService
from chaos._aws.sqs import Delivery, Queue
from chaos._faults.base import DeliveryFault
from chaos._faults.schedule import FaultSchedule
from chaos._ledger import BatchFailed, InvocationOutcome, Ledger
from chaos._sim.clock import EPOCH
from chaos._spec.system import ConsumerDef

_THROTTLE_RETRY_FIRST = 1.0
_THROTTLE_RETRY_MAX = 30.0
_SCALE_TICK = 1.0
INVALID_REPORT = "invalid partial batch response (batchItemFailures)"


class EventSourceMapping:
    def __init__(
        self,
        env: simpy.Environment,
        queue: Queue,
        lambdas: LambdaService,
        definition: ConsumerDef,
        faults: FaultSchedule,
        queue_arn: str,
        draw: random.Random,
        ledger: Ledger,
    ) -> None:
        self.env = env
        self.ledger = ledger
        self.queue = queue
        self.lambdas = lambdas
        self.definition = definition
        self.faults = faults
        self.queue_arn = queue_arn
        self.draw = draw
        cap = definition.scaling.maximum
        if definition.maximum_concurrency is not None:
            cap = min(cap, definition.maximum_concurrency)
        self.cap = cap
        self.floor = min(definition.scaling.initial, cap)
        self.throttle_floor = min(definition.scaling.throttle_floor, cap)
        self.target = self.floor
        self.running = 0
        self.busy = 0
        self.throttles_this_tick = 0
        """Throttled invocations since the scaler last looked."""
        self.retrying = 0
        """Pollers waiting to retry a throttled batch: while any does, the mapping is
        throttled, and its busy pollers are no reason to add more."""

    def start(self) -> None:
        for _ in range(self.target):
            self.env.process(self._poller())
        self.env.process(self._scaler())

    # -- scaling -------------------------------------------------------------------------

    def _scaler(self) -> Generator[simpy.Event, Any, None]:
        step = max(1, round(self.definition.scaling.per_minute * _SCALE_TICK / 60))
        while True:
            yield self.env.timeout(_SCALE_TICK)
            throttled, self.throttles_this_tick = self.throttles_this_tick, 0
            if throttled:
                self._throttle_back_off()
                continue
            backlog = self.queue.visible > 0
            all_busy = self.busy >= self.running and self.retrying == 0
            if backlog and all_busy and self.target < self.cap:
                grow = min(step, self.cap - self.target)
                self.target += grow
                for _ in range(grow):
                    self.env.process(self._poller())
            elif not backlog and self.busy < self.running and self.target > self.floor:
                self.target -= 1

    def _back_off(self) -> None:
        """After a function error: one fewer, unless partial batch responses are on."""
        if not self.definition.report_batch_item_failures:
            self.target = max(self.floor, self.target - 1)

    def _throttle_back_off(self) -> None:
        """After a second with throttled invocations: withdraw a share of the concurrency
        (at least one), never below the throttle floor. Pollers above the new target stop
        once their batch is done."""
        if self.target <= self.throttle_floor:
            return
        kept = int(self.target * (1 - self.definition.scaling.throttle_backoff))
        self.target = max(self.throttle_floor, min(kept, self.target - 1))

    # -- polling -------------------------------------------------------------------------

    def _poller(self) -> Generator[simpy.Event, Any, None]:
        self.running += 1
        try:
            while self.running <= self.target:
                deliveries = self.queue.receive(self.definition.batch_size)
                if not deliveries:
                    yield self.queue.wait()
                    continue
                window = self.definition.batching_window
                if window > 0 and len(deliveries) < self.definition.batch_size:
                    yield self.env.timeout(window)
                    deliveries += self.queue.receive(self.definition.batch_size - len(deliveries))
                self.busy += 1
                try:
                    latency = self.queue.latency
                    yield self.env.timeout(latency.base + self.draw.random() * latency.jitter)
                    yield from self._process(deliveries)
                finally:
                    self.busy -= 1
        finally:
            self.running -= 1
            # Leaving (the mapping scaled down) possibly right after a wake-up meant for a
            # visible message: pass it on, or that message waits beside idle pollers.
            self.queue.pass_wake_up_on()

    def _process(self, deliveries: list[Delivery]) -> Generator[simpy.Event, Any, None]:
        event = self._event(deliveries)
        request_ids = [d.request_id for d in deliveries]
        give_up_at = self.env.now + self.queue.visibility_timeout
        wait = _THROTTLE_RETRY_FIRST
        while True:
            result = yield from self.lambdas.invoke(self.definition.function, event, request_ids)
            if result.outcome is not InvocationOutcome.THROTTLED:
                break
            self.throttles_this_tick += 1
            if self.env.now + wait >= give_up_at:
                return  # dropped: the batch reappears after its visibility timeout
            self.retrying += 1
            try:
                yield self.env.timeout(wait)
            finally:
                self.retrying -= 1
            wait = min(wait * 2, _THROTTLE_RETRY_MAX)
        if not result.ok:
            self._back_off()
            return
        failed = self._failed_items(result, deliveries)
        if failed is None:
            self.ledger.append(
                BatchFailed(
                    self.env.now, self.definition.function, tuple(request_ids), INVALID_REPORT
                )
            )
            self._back_off()
            return
        for delivery in deliveries:
            if delivery.message_id not in failed:
                self.queue.delete(delivery, miss=self._delete_misses())

    def _failed_items(
        self, result: InvocationResult, deliveries: Sequence[Delivery]
    ) -> set[str] | None:
        """Message ids to keep; None when the whole batch counts as failed."""
        if not self.definition.report_batch_item_failures:
            return set()
        payload = result.payload
        if payload is None:
            return set()
        failures = payload.get("batchItemFailures") if isinstance(payload, dict) else None
        if failures is None:
            return set()
        if not isinstance(failures, list):
            return None
        in_batch = {d.message_id for d in deliveries}
        kept: set[str] = set()
        for item in failures:
            identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
            if not identifier or identifier not in in_batch:
                return None  # documented: an invalid report fails the whole batch
            kept.add(identifier)
        return kept

    def _delete_misses(self) -> bool:
        now = self.env.now
        for scheduled, fault in self.faults.active(DeliveryFault, now, self.queue.name):
            if fault.on_delete(scheduled.params, scheduled.intensity(now), scheduled.draw):
                return True
        return False

    def _event(self, deliveries: Sequence[Delivery]) -> dict[str, Any]:
        return {"Records": [self._record(d) for d in deliveries]}

    def _record(self, delivery: Delivery) -> dict[str, Any]:
        message = delivery.message
        sent_ms = int((EPOCH.timestamp() + message.sent_at) * 1000)
        return {
            "messageId": message.message_id,
            "receiptHandle": f"{message.message_id}#{delivery.receipt}",
            "body": message.body,
            "attributes": {
                "ApproximateReceiveCount": str(delivery.receive_count),
                "SentTimestamp": str(sent_ms),
                "SenderId": "AROAAPIGATEWAY",
                "ApproximateFirstReceiveTimestamp": str(sent_ms),
            },
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": "us-east-1",
        }
