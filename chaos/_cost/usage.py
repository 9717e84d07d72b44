"""The billed quantities one run used, read from its ledger, per service and resource.

Each meter function reads one service's records and returns `Use`s in the units AWS bills
(requests, GB-seconds, request units, capacity-hours, connection minutes). A service added
to the models adds its function to `METERS`, and its prices to the table
(`chaos._spec.prices.Meter`); nothing else changes. Sizes the ledger does not hold (SQS
message bodies, DynamoDB request units) come from the run's `message_bytes` and
`request_units`, which the models keep beside it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from chaos._ledger import (
    DeadLettered,
    Deleted,
    DeleteMissed,
    Enqueued,
    InvocationEnded,
    Invoked,
    Notified,
    Received,
    Record,
    Sent,
)
from chaos._result import RunResult
from chaos._spec.prices import Meter
from chaos._spec.system import Architecture

SQS_CHUNK = 64 * 1024
"""SQS bills each 64 KB chunk of a request's payload as one request (SQS pricing)."""
SQS_BATCH = 10
"""ReceiveMessage returns, and DeleteMessageBatch deletes, at most 10 messages a call."""
LONG_POLL_SECONDS = 20.0
"""An idle event source mapping poller's ReceiveMessage waits up to 20 s (the longest SQS
long poll) and returns empty."""


@dataclass(frozen=True)
class Use:
    """A billed quantity of one meter, for one resource (a function, queue, table, API)."""

    meter: Meter
    resource: str
    quantity: float
    fixed: bool = False
    """It accrues with time, not with requests (provisioned capacity, idle polling)."""


def usage(result: RunResult) -> tuple[Use, ...]:
    """Everything the run used that AWS bills, meter by meter."""
    return tuple(use for meter in METERS for use in meter(result) if use.quantity > 0)


# -- Lambda ----------------------------------------------------------------------------------


def billed_seconds(started: float, ended: float) -> float:
    """Lambda rounds each invocation's duration up to the next millisecond. Rounded to the
    microsecond first, so float noise (0.0210000001 s) does not add a millisecond."""
    return math.ceil(round((ended - started) * 1000, 3)) / 1000


def lambda_usage(result: RunResult) -> Iterator[Use]:
    """One request per invocation that ran (a throttled one never did) and its GB-seconds:
    from its start, INIT included (billed since 2025-08-01), to its end; one still running
    when the run ended is billed up to then."""
    ended = {e.invocation_id: e.t for e in result.ledger.of(InvocationEnded)}
    requests: dict[str, int] = {}
    seconds: dict[str, float] = {}
    for invoked in result.ledger.of(Invoked):
        end = ended.get(invoked.invocation_id, result.simulated_seconds)
        requests[invoked.function] = requests.get(invoked.function, 0) + 1
        seconds[invoked.function] = seconds.get(invoked.function, 0.0) + billed_seconds(
            invoked.t, end
        )
    for name, count in requests.items():
        function = result.system.functions[name]
        meter = (
            Meter.LAMBDA_GB_SECONDS_ARM64
            if function.cpu == "arm64"
            else Meter.LAMBDA_GB_SECONDS_X86_64
        )
        yield Use(Meter.LAMBDA_REQUESTS, name, count)
        yield Use(meter, name, function.memory / 1024 * seconds[name])


# -- SQS -------------------------------------------------------------------------------------


def sqs_usage(result: RunResult) -> Iterator[Use]:
    """SendMessage per message sent, ReceiveMessage per batch of up to 10 received at once,
    DeleteMessageBatch per batch of up to 10 deleted at once, each in 64 KB chunks; and the
    idle long polls of the event source mapping's pollers."""
    queue_of = {e.message_id: e.queue for e in result.ledger.of(Enqueued)}
    size = result.message_bytes
    requests: dict[str, int] = {}

    def add(queue: str, count: int) -> None:
        requests[queue] = requests.get(queue, 0) + count

    for enqueued in result.ledger.of(Enqueued):
        add(enqueued.queue, _chunks(size.get(enqueued.message_id, 0), SQS_CHUNK))
    for batch in _calls(result, (Received,), skipped=(DeadLettered,)):
        ids = [r.message_id for r in batch]
        add(queue_of.get(ids[0], ""), _chunks(sum(size.get(i, 0) for i in ids), SQS_CHUNK))
    for batch in _calls(result, (Deleted, DeleteMissed)):
        add(queue_of.get(batch[0].message_id, ""), 1)
    for queue, count in requests.items():
        yield Use(Meter.SQS_REQUESTS, queue, count)
    yield from _idle_polls(result)


def _idle_polls(result: RunResult) -> Iterator[Use]:
    """The pollers an event source mapping keeps at rest (5, or its MaximumConcurrency if
    lower) each make a 20 s long poll when the queue is empty: duration / 20 s requests
    each. An upper bound: a poller busy with a batch is not long-polling."""
    consumer, queue = result.system.consumer, result.system.queue
    if consumer is None or queue is None:
        return
    pollers = min(consumer.scaling.initial, consumer.maximum_concurrency or math.inf)
    polls = math.floor(pollers * result.simulated_seconds / LONG_POLL_SECONDS)
    yield Use(Meter.SQS_REQUESTS, queue.name, polls, fixed=True)


def _calls(
    result: RunResult,
    kinds: tuple[type, ...],
    *,
    skipped: tuple[type, ...] = (),
) -> Iterator[list[Received | Deleted | DeleteMissed]]:
    """The records of one batch call: consecutive records of `kinds` at one instant, in
    groups of at most 10 (records of `skipped` kinds may come between them)."""
    run: list[Record] = []
    for record in result.ledger:
        if type(record) in skipped:
            continue
        if type(record) in kinds and (not run or record.t == run[0].t):
            run.append(record)
            continue
        yield from _batches(run)
        run = [record] if type(record) in kinds else []
    yield from _batches(run)


def _batches(run: list[Record]) -> Iterator[list[Received | Deleted | DeleteMissed]]:
    for start in range(0, len(run), SQS_BATCH):
        yield run[start : start + SQS_BATCH]  # type: ignore[misc]


def _chunks(size: int, chunk: int) -> int:
    return max(1, math.ceil(size / chunk))


# -- DynamoDB --------------------------------------------------------------------------------


def dynamodb_usage(result: RunResult) -> Iterator[Use]:
    """On-demand tables: the write and read request units their served calls consumed.
    Provisioned tables: their capacity for the run's duration, in capacity-unit hours."""
    hours = result.simulated_seconds / 3600
    for name, table in result.system.tables.items():
        if table.billing == "on_demand":
            write, read = result.request_units.get(name, (0.0, 0.0))
            yield Use(Meter.DYNAMODB_WRITE_REQUEST_UNITS, name, write)
            yield Use(Meter.DYNAMODB_READ_REQUEST_UNITS, name, read)
        else:
            yield Use(
                Meter.DYNAMODB_WRITE_CAPACITY_UNIT_HOURS,
                name,
                table.write_capacity * hours,
                fixed=True,
            )
            yield Use(
                Meter.DYNAMODB_READ_CAPACITY_UNIT_HOURS,
                name,
                table.read_capacity * hours,
                fixed=True,
            )


# -- API Gateway -----------------------------------------------------------------------------


def apigateway_usage(result: RunResult) -> Iterator[Use]:
    """Every attempt a client sent is a REST API request (throttled ones too: API Gateway
    received them). With WebSocket notifications: each PostToConnection delivered is a
    message (metered per 32 KB; a notification is far smaller), and each client's
    connection lasts from its request until its notification arrived (it then
    disconnects) or until API Gateway closed it idle."""
    sent = list(result.ledger.of(Sent))
    yield Use(Meter.APIGATEWAY_REST_REQUESTS, "rest-api", len(sent))
    websocket = result.system.notifications.websocket
    if websocket is None or result.system.architecture is not Architecture.EVENT_DRIVEN:
        return  # clients connect only to the event-driven front door
    delivered: dict[str, float] = {}
    for notified in result.ledger.of(Notified):
        if notified.outcome == "delivered":
            delivered.setdefault(notified.request_id, notified.t)
    messages = sum(1 for n in result.ledger.of(Notified) if n.outcome == "delivered")
    lifetime = min(websocket.idle_timeout, websocket.max_duration)
    end = result.simulated_seconds
    minutes = 0.0
    for first in (s for s in sent if s.attempt == 1):
        closed = delivered.get(first.request_id, min(first.t + lifetime, end))
        minutes += max(0.0, closed - first.t) / 60
    yield Use(Meter.APIGATEWAY_WEBSOCKET_MESSAGES, "websocket-api", messages)
    yield Use(Meter.APIGATEWAY_WEBSOCKET_CONNECTION_MINUTES, "websocket-api", minutes)


METERS: tuple[Callable[[RunResult], Iterable[Use]], ...] = (
    apigateway_usage,
    lambda_usage,
    sqs_usage,
    dynamodb_usage,
)
"""Every service's meter function, in the order bills list them."""


def first_sends(result: RunResult) -> int:
    """Requests the clients sent (retries not counted again)."""
    return sum(1 for s in result.ledger.of(Sent) if s.attempt == 1)


__all__ = ["METERS", "Use", "billed_seconds", "first_sends", "usage"]
