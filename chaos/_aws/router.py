"""Routing of handler AWS calls: latency, injected errors, capacity, WebSocket state.

The world's `CallRouter` (see `chaos._aws.interceptor`). Every call a handler makes is
recorded as an `AwsCalled`; DynamoDB calls pay the table's latency, meet the active faults
and the capacity model; PostToConnection meets the WebSocket connection's state.

SQS SendMessage and SendMessageBatch calls meet the modelled queue the QueueUrl names (its
latency, the `sqs.*` enqueue faults API Gateway's integration meets, the same ledger): a
handler's hand-off to a queue is the model's, never moto's. A send to a queue the system does
not model is refused as SQS refuses an unknown queue (QueueDoesNotExist) and recorded, so an
undeclared hand-off is a failure the run shows, not a silent write to moto.

When a DynamoDB request has "reached" the service: once its own latency (the table's
`latency`, single-digit milliseconds: the network and the service's normal work) has passed
and DynamoDB has admitted it (no capacity throttle, no injected error). From then it is
applied, whether or not its caller is still alive: on AWS the service commits a request it
received, and a caller that gave up (a Lambda timeout) cannot take it back. An injected
`dynamodb.latency` delay is the service being slow to *answer* such a request, so it passes
after moto has applied the call; only an injected error response is late as a whole. AWS
documents no instant within a request's lifetime at which a write becomes visible; applying
it at admission is the choice that keeps a timeout from undoing it.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

import simpy
from botocore.awsrequest import AWSPreparedRequest, AWSResponse

from chaos._aws.dynamodb import (
    READ_OPERATIONS,
    THROTTLES,
    WRITE_OPERATIONS,
    TableCapacity,
    partition_key_value,
    read_units,
    write_units,
)
from chaos._aws.interceptor import error_response
from chaos._aws.lambda_runtime import Invocation
from chaos._aws.moto_env import forget_posted
from chaos._aws.sqs import Queue
from chaos._aws.websocket import Connections
from chaos._faults.base import AwsCall, AwsCallFault, CallEffect, EnqueueFault
from chaos._faults.schedule import FaultSchedule
from chaos._ledger import AwsCalled, Ledger, Notified
from chaos._sim.fibers import virtual_sleep
from chaos._spec.system import SystemDefinition

_GONE = (410, "GoneException", "The connection with the provided id no longer exists")
_NO_QUEUE = (
    400,
    "QueueDoesNotExist",
    "The specified queue does not exist (chaos-arena: the system definition declares no such "
    "queue, so no model answers it)",
)
_SQS_SENDS = frozenset({"SendMessage", "SendMessageBatch"})


class Router:
    def __init__(
        self,
        env: simpy.Environment,
        ledger: Ledger,
        system: SystemDefinition,
        faults: FaultSchedule,
        connections: Connections | None,
        draw: random.Random,
        *,
        progress: Callable[[], None] | None = None,
        queues: Mapping[str, Queue] | None = None,
    ) -> None:
        self.env = env
        self.queues: Mapping[str, Queue] = queues or {}
        """The modelled queues by name, which handlers' SQS sends reach."""
        self.progress = progress or _nothing
        """Told of every call: a handler making calls is not spinning (the watchdog's)."""
        self.ledger = ledger
        self.system = system
        self.faults = faults
        self.connections = connections
        self.draw = draw
        self.capacity = {
            name: TableCapacity(name, table, faults) for name, table in system.tables.items()
        }
        effects = system.effects
        self._attributes = {effects.table: effects.request_id_attribute} | {
            stage.table: stage.request_id_attribute for stage in effects.stages.values()
        }
        """Table -> the attribute naming the request in its items (the stages' tables too)."""
        self.calls = 0
        self.request_units: dict[str, list[float]] = {}
        """Table -> [write, read] request units its served calls consumed, for the bill
        (kept beside the ledger, which does not hold item sizes)."""
        self._pending: dict[int, tuple[str, str]] = {}
        self._slow_answers: dict[int, float] = {}
        self._tokens: dict[str, tuple[tuple[str, tuple[bytes, ...]], ...]] = {}
        """Per batch invocation: how its calls may name each record (`_named_record`)."""
        """Per invocation: an injected delay still to pass after moto answered its call."""

    # -- CallRouter ----------------------------------------------------------------------

    def before_send(
        self, service: str, operation: str, request: AWSPreparedRequest, context: Any
    ) -> AWSResponse | None:
        self.calls += 1
        self.progress()
        invocation: Invocation = context
        if service == "dynamodb":
            return self._dynamodb(operation, request, invocation)
        if service == "apigatewaymanagementapi" and operation == "PostToConnection":
            return self._post_to_connection(request, invocation)
        if service == "sqs" and operation in _SQS_SENDS:
            return self._sqs_send(operation, request, invocation)
        return self._other(service, operation, request, invocation)

    def after_send(
        self,
        service: str,
        operation: str,
        request: AWSPreparedRequest,
        response: AWSResponse | None,
        context: Any,
    ) -> None:
        invocation: Invocation = context
        target, request_id = self._pending.pop(id(invocation), ("", ""))
        outcome = _outcome(response)
        self._record(invocation, request_id, service, operation, target, outcome, False)
        if service == "dynamodb" and outcome == "ok" and operation in READ_OPERATIONS:
            body = _json(request)
            units = read_units(operation, body, _json_content(response))
            self._units(target)[1] += units
            capacity = self.capacity.get(target)
            if capacity is not None:
                key = partition_key_value(operation, body, capacity.key_name)
                capacity.charge_read(self.env.now, units, key)
        if service == "apigatewaymanagementapi" and operation == "PostToConnection":
            self.ledger.append(
                Notified(
                    self.env.now, request_id, target, "delivered" if outcome == "ok" else outcome
                )
            )
            forget_posted(target)
        slow = self._slow_answers.pop(id(invocation), 0.0)
        if slow:
            virtual_sleep(slow)  # may end in Killed (a timeout): the write above stays done

    # -- services ------------------------------------------------------------------------

    def _dynamodb(
        self, operation: str, request: AWSPreparedRequest, invocation: Invocation
    ) -> AWSResponse | None:
        body = _json(request)
        table = _table_of(body)
        request_id = self._request_id(body, _raw(request), invocation)
        definition = self.system.tables.get(table)
        latency = 0.0
        if definition is not None:
            latency = definition.latency.base + self.draw.random() * definition.latency.jitter
        effect = self._fault_effect("dynamodb", operation, table)
        if effect is not None and effect.error_status is not None:
            latency += effect.delay
        virtual_sleep(latency)
        if effect is None or effect.error_status is None:
            capacity = self.capacity.get(table)
            if capacity is not None and not self._admitted(capacity, operation, body, table):
                effect = THROTTLES[capacity.throttle_code]
        if effect is not None and effect.error_status is not None:
            self._record(
                invocation, request_id, "dynamodb", operation, table, effect.error_code, True
            )
            return _json_error(
                request, effect.error_status, effect.error_code, effect.error_message
            )
        # Reached: DynamoDB has admitted the request and applies it now (moto, next). An
        # injected delay is the service being slow to answer an admitted request, so it
        # passes after the write, in `after_send`: a caller that times out meanwhile has
        # still written, as on AWS.
        self._pending[id(invocation)] = (table, request_id)
        if effect is not None and effect.delay > 0:
            self._slow_answers[id(invocation)] = effect.delay
        return None

    def _admitted(
        self, capacity: TableCapacity, operation: str, body: dict[str, Any], table: str
    ) -> bool:
        """Whether the table (and the partition the call names) has capacity for it."""
        key = partition_key_value(operation, body, capacity.key_name)
        if operation in WRITE_OPERATIONS:
            units = write_units(operation, body)
            if not capacity.admit_write(self.env.now, units, key):
                return False
            # Served: charged whether its condition holds or not, as capacity is.
            self._units(table)[0] += units
            return True
        if operation in READ_OPERATIONS:
            return capacity.admit_read(self.env.now, key)
        return True

    def _post_to_connection(
        self, request: AWSPreparedRequest, invocation: Invocation
    ) -> AWSResponse | None:
        connection_id = unquote(request.url.rsplit("/", 1)[-1])
        connections = self.connections
        request_id = connections.request_of(connection_id) if connections else ""
        if connections is not None:
            latency = connections.definition.latency
            virtual_sleep(latency.base + self.draw.random() * latency.jitter)
        effect = self._fault_effect("apigatewaymanagementapi", "PostToConnection", connection_id)
        if effect is not None and effect.error_status is None:
            virtual_sleep(effect.delay)
        status, code, message = (
            (effect.error_status, effect.error_code, effect.error_message)
            if effect is not None and effect.error_status is not None
            else (0, "", "")
        )
        if (
            not status
            and connections is not None
            and not connections.is_open(connection_id, self.env.now)
        ):
            status, code, message = _GONE
        if status:
            self._record(
                invocation,
                request_id,
                "apigatewaymanagementapi",
                "PostToConnection",
                connection_id,
                code,
                True,
            )
            self.ledger.append(
                Notified(self.env.now, request_id, connection_id, "gone" if status == 410 else code)
            )
            return _json_error(request, status, code, message)
        self._pending[id(invocation)] = (connection_id, request_id)
        return None

    def _sqs_send(
        self, operation: str, request: AWSPreparedRequest, invocation: Invocation
    ) -> AWSResponse:
        """A handler's SendMessage(Batch), answered by the modelled queue (never moto)."""
        body = _json(request)
        name = sys.intern(str(body.get("QueueUrl", "")).rstrip("/").rsplit("/", 1)[-1])
        queue = self.queues.get(name)
        request_id = self._message_request(body, _raw(request), invocation)
        if queue is None:
            self._record(invocation, request_id, "sqs", operation, name, _NO_QUEUE[1], False)
            return _sqs_error(request, *_NO_QUEUE)
        virtual_sleep(queue.latency.base + self.draw.random() * queue.latency.jitter)
        delay, error = self._enqueue_effect(queue.name)
        if error is not None:
            self._record(invocation, request_id, "sqs", operation, name, error.error_code, True)
            return _sqs_error(
                request, error.error_status or 500, error.error_code, error.error_message
            )
        if operation == "SendMessage":
            message = queue.send(request_id, str(body.get("MessageBody", "")), delay=delay)
            answer: dict[str, Any] = _sent(message.message_id, message.body)
        else:
            answer = {"Successful": [], "Failed": []}
            for entry in body.get("Entries", ()):
                text = str(entry.get("MessageBody", ""))
                message = queue.send(self._named_in(text, invocation), text, delay=delay)
                answer["Successful"].append(
                    {"Id": entry.get("Id"), **_sent(message.message_id, text)}
                )
        self._record(invocation, request_id, "sqs", operation, name, "ok", False)
        return _json_answer(request, answer)

    def _enqueue_effect(self, queue: str) -> tuple[float, CallEffect | None]:
        """The `sqs.*` enqueue faults on this queue, as API Gateway's integration meets them:
        delays add, the first error wins."""
        delay, now = 0.0, self.env.now
        for scheduled, fault in self.faults.active(EnqueueFault, now, queue):
            effect = fault.on_enqueue(scheduled.params, scheduled.intensity(now), scheduled.draw)
            if effect is None:
                continue
            if effect.error_status is not None:
                return delay, effect
            delay += effect.delay
        return delay, None

    def _message_request(self, body: dict[str, Any], raw: bytes, invocation: Invocation) -> str:
        """The request a send is made for: the invocation's only record; else, in a batch,
        the one record the call names."""
        if len(invocation.request_ids) == 1:
            return invocation.request_ids[0]
        return self._named_record(raw, invocation)

    def _named_in(self, text: str, invocation: Invocation) -> str:
        if len(invocation.request_ids) == 1:
            return invocation.request_ids[0]
        return self._named_record(text.encode(), invocation)

    def _other(
        self, service: str, operation: str, request: AWSPreparedRequest, invocation: Invocation
    ) -> AWSResponse | None:
        effect = self._fault_effect(service, operation, None)
        if effect is not None:
            virtual_sleep(effect.delay)
            if effect.error_status is not None:
                self._record(
                    invocation, _only(invocation), service, operation, "", effect.error_code, True
                )
                return _json_error(
                    request, effect.error_status, effect.error_code, effect.error_message
                )
        self._pending[id(invocation)] = ("", _only(invocation))
        return None

    # -- helpers -------------------------------------------------------------------------

    def _units(self, table: str) -> list[float]:
        units = self.request_units.get(table)
        if units is None:
            units = self.request_units[table] = [0.0, 0.0]
        return units

    def _fault_effect(self, service: str, operation: str, target: str | None) -> CallEffect | None:
        """Active AWS-call faults for this service combined: delays add, first error wins."""
        if not self.faults.of_kind(AwsCallFault):
            return None
        now = self.env.now
        call = AwsCall(service, operation, target)
        delay, error = 0.0, None
        for scheduled, fault in self.faults.active(AwsCallFault, now, target):
            if fault.service != service:
                continue
            effect = fault.on_call(scheduled.params, scheduled.intensity(now), scheduled.draw, call)
            if effect is None:
                continue
            delay += effect.delay
            if error is None and effect.error_status is not None:
                error = effect
        if error is None and delay == 0.0:
            return None
        if error is None:
            return CallEffect(delay=delay)
        return CallEffect(
            delay=delay,
            error_status=error.error_status,
            error_code=error.error_code,
            error_message=error.error_message,
        )

    def _request_id(self, body: dict[str, Any], raw: bytes, invocation: Invocation) -> str:
        """The request a DynamoDB call is made for: the effects item's request id attribute;
        else the invocation's only record; else, in a batch, the one record the call names
        (see `_named_record`); else none ("")."""
        attribute = self._attributes.get(body.get("TableName", ""))
        if attribute is not None:
            item = body.get("Item") or body.get("Key") or {}
            value = item.get(attribute)
            if isinstance(value, dict) and len(value) == 1:
                return str(next(iter(value.values())))
        if len(invocation.request_ids) == 1:
            return invocation.request_ids[0]
        return self._named_record(raw, invocation)

    def _named_record(self, raw: bytes, invocation: Invocation) -> str:
        """In a multi-record batch, the record whose request id the call's body names, as a
        JSON string or as the MD5 of its JSON form (the idempotency key Powertools writes,
        `<function>#md5(json.dumps(key))`, when its `event_key_jmespath` selects the request
        id). None or several named: "" (unattributed)."""
        tokens = self._tokens.get(invocation.invocation_id)
        if tokens is None:
            tokens = self._tokens[invocation.invocation_id] = _record_tokens(invocation.request_ids)
        named = {request_id for request_id, marks in tokens if any(m in raw for m in marks)}
        return named.pop() if len(named) == 1 else ""

    def _record(
        self,
        invocation: Invocation,
        request_id: str,
        service: str,
        operation: str,
        target: str,
        outcome: str,
        injected: bool,
    ) -> None:
        self.ledger.append(
            AwsCalled(
                self.env.now,
                invocation.invocation_id,
                request_id,
                service,
                operation,
                target,
                outcome,
                injected,
            )
        )


def _nothing() -> None:
    pass


def _only(invocation: Invocation) -> str:
    return invocation.request_ids[0] if len(invocation.request_ids) == 1 else ""


def _record_tokens(request_ids: tuple[str, ...]) -> tuple[tuple[str, tuple[bytes, ...]], ...]:
    return tuple(
        (
            request_id,
            (
                json.dumps(request_id).encode(),
                hashlib.md5(json.dumps(request_id).encode(), usedforsecurity=False)
                .hexdigest()
                .encode(),
            ),
        )
        for request_id in request_ids
        if request_id
    )


def _raw(request: AWSPreparedRequest) -> bytes:
    raw = request.body
    if isinstance(raw, bytes):
        return raw
    if isinstance(raw, str):
        return raw.encode()
    return b""


def _json(request: AWSPreparedRequest) -> dict[str, Any]:
    raw = request.body
    if not raw:
        return {}
    try:
        decoded = json.loads(raw)
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}


def _json_content(response: AWSResponse | None) -> dict[str, Any]:
    if response is None or not response.content:
        return {}
    try:
        decoded = json.loads(response.content)
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}


def _table_of(body: dict[str, Any]) -> str:
    # Interned: every call's ledger record keeps the name; one shared string, not a copy each.
    table = body.get("TableName")
    if isinstance(table, str):
        return sys.intern(table)
    tables = body.get("RequestItems")  # the batch operations
    if isinstance(tables, dict) and tables:
        return sys.intern(str(next(iter(tables))))
    return ""


def _json_error(request: AWSPreparedRequest, status: int, code: str, message: str) -> AWSResponse:
    # Both JSON protocols read the code: awsJson from `__type`, restJson from the header.
    headers = {
        "x-amzn-RequestId": "chaos-arena-injected",
        "x-amzn-ErrorType": code,
        "Content-Type": "application/x-amz-json-1.0",
    }
    body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message})
    return error_response(request, status, headers, body.encode())


def _sqs_error(request: AWSPreparedRequest, status: int, code: str, message: str) -> AWSResponse:
    headers = {
        "x-amzn-RequestId": "chaos-arena",
        "x-amzn-query-error": f"{code};Sender",
        "Content-Type": "application/x-amz-json-1.0",
    }
    body = json.dumps({"__type": f"com.amazonaws.sqs#{code}", "message": message})
    return error_response(request, status, headers, body.encode())


def _sent(message_id: str, text: str) -> dict[str, str]:
    digest = hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
    return {"MessageId": message_id, "MD5OfMessageBody": digest}


def _json_answer(request: AWSPreparedRequest, answer: dict[str, Any]) -> AWSResponse:
    headers = {"x-amzn-RequestId": "chaos-arena", "Content-Type": "application/x-amz-json-1.0"}
    return error_response(request, 200, headers, json.dumps(answer).encode())


def _outcome(response: AWSResponse | None) -> str:
    if response is None:
        return "no_response"
    if response.status_code < 300:
        return "ok"
    code = response.headers.get("x-amzn-ErrorType", "")
    if not code:
        try:
            code = json.loads(response.content or b"{}").get("__type", "")
        except ValueError:
            code = ""
    code = str(code).rsplit("#", 1)[-1].split(":", 1)[0]
    return code or f"http_{response.status_code}"
