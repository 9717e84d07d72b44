"""The built-in fault types. They register exactly the way a third party's would.

Lambda faults follow AWS FIS's Lambda actions (add-delay, invocation-error); DynamoDB faults
are real error responses injected below botocore so the SDK's own retries run.
"""

from __future__ import annotations

import json
import random
from typing import Literal

from pydantic import Field, model_validator

from chaos._aws.dynamodb import THROTTLES
from chaos._faults.base import (
    AwsCall,
    AwsCallFault,
    CallEffect,
    CapacityFault,
    ConcurrencyFault,
    DeliveryFault,
    EnqueueFault,
    InvocationEffect,
    InvocationFault,
    hit,
)
from chaos._faults.registry import fault_type
from chaos._spec.faults import FaultParams, ProbabilityParams, TargetKind
from chaos._spec.types import Fraction, Integer, PositiveDuration, ThrottleCode


class DelayParams(ProbabilityParams):
    delay: PositiveDuration
    """How much later; a ramp scales it."""


def drawn_delay(params: FaultParams, intensity: float, draw: random.Random) -> float | None:
    """The delay of a delay fault for one occurrence, or None when this one is spared."""
    assert isinstance(params, DelayParams)
    if not hit(params.probability, 1.0, draw):
        return None
    return params.delay * intensity


class LambdaErrorParams(ProbabilityParams):
    error_type: str = "InjectedError"
    """The errorType the failed invocation reports."""
    prevent_execution: bool = True
    """True (FIS default): the handler does not run. False: it runs, then the invocation fails."""


@fault_type
class LambdaError(InvocationFault):
    name = "lambda.error"
    summary = "Invocations fail with a function error (FIS aws:lambda:invocation-error)."
    Params = LambdaErrorParams
    target_kind = TargetKind.FUNCTION

    def on_invocation(
        self, params: FaultParams, intensity: float, draw: random.Random
    ) -> InvocationEffect | None:
        assert isinstance(params, LambdaErrorParams)
        if not hit(params.probability, intensity, draw):
            return None
        return InvocationEffect(error=params.error_type, run_handler=not params.prevent_execution)


class LambdaHttpStatusParams(ProbabilityParams):
    status: Integer = Field(ge=100, le=599)
    """The HTTP status code the function's response carries (API Gateway passes it on)."""
    content_type: str = "application/json"
    """The response's Content-Type header."""
    prevent_execution: bool = True
    """True (FIS default): answer without running the handler. False: run it, then replace
    its response (its writes persist)."""


@fault_type
class LambdaHttpStatus(InvocationFault):
    name = "lambda.http_status"
    summary = (
        "Invocations answer a given HTTP status instead of the function's own response "
        "(FIS aws:lambda:invocation-http-integration-response)."
    )
    Params = LambdaHttpStatusParams
    target_kind = TargetKind.FUNCTION

    def on_invocation(
        self, params: FaultParams, intensity: float, draw: random.Random
    ) -> InvocationEffect | None:
        assert isinstance(params, LambdaHttpStatusParams)
        if not hit(params.probability, intensity, draw):
            return None
        response = {
            "statusCode": params.status,
            "headers": {"Content-Type": params.content_type},
            "body": json.dumps({"message": "injected by chaos-arena"}),
        }
        return InvocationEffect(response=response, run_handler=not params.prevent_execution)


class LambdaLatencyParams(DelayParams):
    delay: PositiveDuration
    """Added before the handler starts (FIS aws:lambda:invocation-add-delay)."""


@fault_type
class LambdaLatency(InvocationFault):
    name = "lambda.latency"
    summary = "Invocations start late by a fixed delay (FIS aws:lambda:invocation-add-delay)."
    Params = LambdaLatencyParams
    target_kind = TargetKind.FUNCTION

    def on_invocation(
        self, params: FaultParams, intensity: float, draw: random.Random
    ) -> InvocationEffect | None:
        delay = drawn_delay(params, intensity, draw)
        return None if delay is None else InvocationEffect(delay=delay)


class LambdaThrottleParams(FaultParams):
    concurrency: Integer = Field(0, ge=0)
    """The function's concurrency during the window; 0 throttles everything (an outage)."""


@fault_type
class LambdaThrottle(ConcurrencyFault):
    name = "lambda.throttle"
    summary = "Cuts a function's concurrency; 0 is an outage where every invocation throttles."
    Params = LambdaThrottleParams
    target_kind = TargetKind.FUNCTION

    def concurrency_limit(self, params: FaultParams, intensity: float) -> int:
        assert isinstance(params, LambdaThrottleParams)
        return params.concurrency


class DynamoThrottleParams(FaultParams):
    probability: Fraction | None = None
    """Share of calls rejected as throttled (HTTP 400 with `code`)."""
    capacity: Integer | None = Field(None, ge=0)
    """Write capacity units per second the table has during the window."""
    code: ThrottleCode = "ProvisionedThroughputExceededException"
    """Error code of the `probability` throttles. AWS documents the first for provisioned
    tables; on-demand throttles may carry any of the three, all retried by the SDKs."""

    @model_validator(mode="after")
    def _one_of(self) -> DynamoThrottleParams:
        if self.probability is None and self.capacity is None:
            raise ValueError("dynamodb.throttle needs probability, capacity or both")
        return self


@fault_type
class DynamoThrottle(AwsCallFault, CapacityFault):
    name = "dynamodb.throttle"
    summary = "DynamoDB rejects calls as throttled (by probability) or has less write capacity."
    Params = DynamoThrottleParams
    target_kind = TargetKind.TABLE
    service = "dynamodb"

    def on_call(
        self, params: FaultParams, intensity: float, draw: random.Random, call: AwsCall
    ) -> CallEffect | None:
        assert isinstance(params, DynamoThrottleParams)
        if params.probability is None or not hit(params.probability, intensity, draw):
            return None
        return THROTTLES[params.code]

    def write_capacity(self, params: FaultParams, intensity: float) -> float | None:
        assert isinstance(params, DynamoThrottleParams)
        return None if params.capacity is None else float(params.capacity)


class DynamoErrorParams(ProbabilityParams):
    code: Literal["InternalServerError", "ServiceUnavailable"] = "InternalServerError"


_SERVER_ERRORS = {"InternalServerError": 500, "ServiceUnavailable": 503}


@fault_type
class DynamoError(AwsCallFault):
    name = "dynamodb.error"
    summary = "DynamoDB answers calls with a server error (500 or 503) that the SDK retries."
    Params = DynamoErrorParams
    target_kind = TargetKind.TABLE
    service = "dynamodb"

    def on_call(
        self, params: FaultParams, intensity: float, draw: random.Random, call: AwsCall
    ) -> CallEffect | None:
        assert isinstance(params, DynamoErrorParams)
        if not hit(params.probability, intensity, draw):
            return None
        return CallEffect(
            error_status=_SERVER_ERRORS[params.code],
            error_code=params.code,
            error_message="Internal server error (injected by chaos-arena)",
        )


@fault_type
class SqsDuplicateDelivery(DeliveryFault):
    name = "sqs.duplicate_delivery"
    summary = "A delete misses a stored copy, so SQS delivers the message again (at-least-once)."
    Params = ProbabilityParams
    target_kind = TargetKind.QUEUE

    def on_delete(self, params: FaultParams, intensity: float, draw: random.Random) -> bool:
        assert isinstance(params, ProbabilityParams)
        return hit(params.probability, intensity, draw)


@fault_type
class SqsSendError(EnqueueFault):
    name = "sqs.send_error"
    summary = (
        "An SQS send fails: API Gateway's SQS integration answers the client 500; a handler's"
        " SendMessage gets InternalError (after the SDK's retries, a lost hand-off)."
    )
    Params = ProbabilityParams
    target_kind = TargetKind.QUEUE

    def on_enqueue(
        self, params: FaultParams, intensity: float, draw: random.Random
    ) -> CallEffect | None:
        assert isinstance(params, ProbabilityParams)
        if not hit(params.probability, intensity, draw):
            return None
        return CallEffect(
            error_status=500,
            error_code="InternalError",
            error_message="SQS SendMessage failed (injected by chaos-arena)",
        )


@fault_type
class LambdaTimeout(InvocationFault):
    name = "lambda.timeout"
    summary = "Invocations hang until the function timeout ends them (an Unhandled error)."
    Params = ProbabilityParams
    target_kind = TargetKind.FUNCTION

    def on_invocation(
        self, params: FaultParams, intensity: float, draw: random.Random
    ) -> InvocationEffect | None:
        assert isinstance(params, ProbabilityParams)
        return InvocationEffect(hang=True) if hit(params.probability, intensity, draw) else None


@fault_type
class LambdaColdStart(InvocationFault):
    name = "lambda.cold_start"
    summary = "Invocations run on a new execution environment and pay its init time."
    Params = ProbabilityParams
    target_kind = TargetKind.FUNCTION

    def on_invocation(
        self, params: FaultParams, intensity: float, draw: random.Random
    ) -> InvocationEffect | None:
        assert isinstance(params, ProbabilityParams)
        if not hit(params.probability, intensity, draw):
            return None
        return InvocationEffect(cold_start=True)


@fault_type
class DynamoLatency(AwsCallFault):
    name = "dynamodb.latency"
    summary = (
        "DynamoDB answers late by a fixed delay (the call is applied first: a caller that"
        " times out meanwhile has still written); the handler's clock runs on."
    )
    Params = DelayParams
    target_kind = TargetKind.TABLE
    service = "dynamodb"

    def on_call(
        self, params: FaultParams, intensity: float, draw: random.Random, call: AwsCall
    ) -> CallEffect | None:
        delay = drawn_delay(params, intensity, draw)
        return None if delay is None else CallEffect(delay=delay)


@fault_type
class SqsDelay(EnqueueFault):
    name = "sqs.delay"
    summary = "Enqueued messages stay invisible for a delay before consumers can receive them."
    Params = DelayParams
    target_kind = TargetKind.QUEUE

    def on_enqueue(
        self, params: FaultParams, intensity: float, draw: random.Random
    ) -> CallEffect | None:
        delay = drawn_delay(params, intensity, draw)
        return None if delay is None else CallEffect(delay=delay)
