"""API Gateway REST API: its throttle, the Lambda proxy integration, the SQS integration.

Client-visible status codes follow the REST API (v1) mapping in
../shared/reference/aws-semantics.md §2.3: Lambda rejected the invoke (throttle) -> 500,
function error or malformed proxy response -> 502, integration timeout (29 s) -> 504 while
the function keeps running, API Gateway's own throttle -> 429. API Gateway never retries.
"""

from __future__ import annotations

import json
import random
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, cast

import simpy

from chaos._aws.lambda_runtime import InvocationResult, LambdaService
from chaos._aws.sqs import Queue
from chaos._faults.base import EnqueueFault
from chaos._faults.schedule import FaultSchedule
from chaos._ledger import InvocationOutcome, Stage
from chaos._sandbox import HandlerError
from chaos._sim.bucket import TokenBucket
from chaos._sim.waits import wait, within
from chaos._spec.system import ApiDef, LatencyModel

INTERNAL_ERROR = '{"message": "Internal server error"}'
TIMED_OUT = '{"message": "Endpoint request timed out"}'
TOO_MANY = '{"message": "Too Many Requests"}'


@dataclass(frozen=True, slots=True)
class ApiResponse:
    status: int
    body: str
    stage: Stage
    """What produced the answer."""


class RestApi:
    """One REST API stage in front of a sync function or a queue."""

    def __init__(
        self, env: simpy.Environment, definition: ApiDef, faults: FaultSchedule, draw: random.Random
    ) -> None:
        self.env = env
        self.definition = definition
        self.faults = faults
        self.draw = draw
        self._throttle = TokenBucket(definition.rate_limit, definition.burst)

    def admit(self) -> ApiResponse | None:
        """API Gateway's own token-bucket throttle: None to go on, or the 429."""
        if self._throttle.take(self.env.now):
            return None
        return ApiResponse(429, TOO_MANY, Stage.API_THROTTLE)

    def proxy_to_lambda(
        self, lambdas: LambdaService, function: str, event: dict[str, Any], request_id: str
    ) -> Generator[simpy.Event, Any, ApiResponse]:
        """AWS_PROXY integration: invoke, wait up to the integration timeout, map the result."""
        rejected = self.admit()
        if rejected is not None:
            return rejected
        yield wait(self.env, self._latency(self.definition.latency))
        answered, result = yield from within(
            self.env,
            lambdas.invoke(function, event, (request_id,)),
            self.env.now + self.definition.integration_timeout,
        )
        if not answered:
            # The function keeps running (and may still commit): a phantom success.
            return ApiResponse(504, TIMED_OUT, Stage.INTEGRATION_TIMEOUT)
        invocation = cast(InvocationResult, result)
        response, malformed = _proxy_response(invocation)
        if malformed:
            lambdas.failures.setdefault(
                invocation.invocation_id, HandlerError("MalformedProxyResponse", malformed)
            )
        return response

    def send_to_queue(
        self, queue: Queue, request_id: str, body: str
    ) -> Generator[simpy.Event, Any, ApiResponse]:
        """AWS service integration (SQS SendMessage): 200 once the message is queued."""
        rejected = self.admit()
        if rejected is not None:
            return rejected
        yield wait(self.env, self._latency(self.definition.latency) + self._latency(queue.latency))
        delay = 0.0
        now = self.env.now
        for scheduled, fault in self.faults.active(EnqueueFault, now, queue.name):
            effect = fault.on_enqueue(scheduled.params, scheduled.intensity(now), scheduled.draw)
            if effect is None:
                continue
            if effect.error_status is not None:
                return ApiResponse(effect.error_status, INTERNAL_ERROR, Stage.ENQUEUE_ERROR)
            delay += effect.delay
        message = queue.send(request_id, body, delay=delay)
        return ApiResponse(200, json.dumps({"MessageId": message.message_id}), Stage.OK)

    def _latency(self, model: LatencyModel) -> float:
        return model.base + self.draw.random() * model.jitter


def _proxy_response(result: InvocationResult) -> tuple[ApiResponse, str]:
    """What the client gets, and what is wrong with the handler's answer ('' if nothing)."""
    if result.outcome is InvocationOutcome.THROTTLED:
        return ApiResponse(500, INTERNAL_ERROR, Stage.LAMBDA_THROTTLE), ""
    if not result.ok:
        return ApiResponse(502, INTERNAL_ERROR, Stage.FUNCTION_ERROR), ""
    payload = result.payload
    status = payload.get("statusCode") if isinstance(payload, dict) else None
    if not isinstance(status, int) or not 100 <= status <= 599:
        # A proxy integration needs {"statusCode": int, ...}; anything else is a 502.
        return ApiResponse(502, INTERNAL_ERROR, Stage.FUNCTION_ERROR), (
            f"it returned {_shown(payload)}; a proxy integration needs "
            "{'statusCode': int, 'body': str}"
        )
    body = payload.get("body")
    if body is not None and not isinstance(body, str):
        # The body must be a string (JSON.stringify'd): an object is a malformed response
        # (Knowledge Center malformed-502-api-gateway).
        return ApiResponse(502, INTERNAL_ERROR, Stage.FUNCTION_ERROR), (
            f"its body is {type(body).__name__}, not a string"
        )
    return ApiResponse(status, body or "", Stage.HANDLER), ""


def _shown(payload: Any) -> str:
    text = repr(payload)
    return text if len(text) <= 60 else f"{text[:57]}..."
